package io.fetchrunner.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.HostSettings;
import io.fetchrunner.fetch.HostHealth;
import java.util.Set;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /hosts}: the hosts this node holds back now (back-off: slowed or blocked; or
 * unavailable after connection failures in a row), each with why, since when, until when,
 * what it is allowed now against before, and how many requests waited for it; and the
 * service's per-host settings they are judged by. Hosts at full speed are not listed.
 */
public final class HostRoutes extends AllDirectives {
  private final HostHealth health;
  private final HostSettings settings;
  private final int perHostConcurrency;

  public HostRoutes(HostHealth health, HostSettings settings, int perHostConcurrency) {
    this.health = health;
    this.settings = settings;
    this.perHostConcurrency = perHostConcurrency;
  }

  public Route routes() {
    return path("hosts", () -> get(() -> parameterMultiMap(given -> {
      QueryParameters.only(given, Set.of());
      return complete(Json.response(200, view()));
    })));
  }

  private ObjectNode view() {
    ObjectNode body = Json.mapper().createObjectNode();
    var hosts = body.putArray("hosts");
    for (HostHealth.View v : health.view()) {
      ObjectNode h = hosts.addObject();
      h.put("host", v.host());
      h.put("state", v.state());
      h.put("reason", v.reason());
      h.put("since", v.since().toString());
      if (v.until() == null) {
        h.putNull("until");
      } else {
        h.put("until", v.until().toString());
      }
      if (v.concurrency() == null) {
        h.putNull("concurrency");
      } else {
        h.put("concurrency", v.concurrency());
      }
      h.put("concurrencyBefore", v.concurrencyBefore());
      h.put("rateFactor", v.rateFactor());
      h.put("delayedRequests", v.delayedRequests());
      h.put("failuresInARow", v.failuresInARow());
    }
    ObjectNode limits = body.putObject("limits");
    limits.put("concurrency", perHostConcurrency);
    if (settings.ratePerSecond() > 0) {
      limits.put("ratePerSecond", settings.ratePerSecond());
    } else {
      limits.putNull("ratePerSecond");
    }
    limits.put("minDelayMs", settings.minDelay().toMillis());
    limits.put("groupBy", settings.groupBy());
    var counts = health.counters();
    body.put("slowdowns", counts.slowdowns());
    body.put("delayedRequests", counts.delayed());
    body.put("failedFast", counts.failedFast());
    return body;
  }
}
