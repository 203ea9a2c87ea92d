package io.fetchrunner.http;

import io.fetchrunner.Settings;
import io.fetchrunner.store.Schema;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * GET /health: 200 when this node is up in its cluster and the store answers a query; the
 * body says which is not, and how many nodes the cluster has up and unreachable.
 */
public final class HealthCheck {
  private final ActorSystem<?> system;
  private final Settings.Store store;

  public HealthCheck(ActorSystem<?> system, Settings.Store store) {
    this.system = system;
    this.store = store;
  }

  public CompletionStage<HttpResponse> check() {
    var blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
    return CompletableFuture.supplyAsync(this::storeStatus, blocking)
        .completeOnTimeout("DOWN: no answer within 5 s", 5, TimeUnit.SECONDS)
        .thenApply(storeStatus -> {
          boolean nodeUp = Cluster.get(system).selfMember().status() == MemberStatus.up();
          boolean up = nodeUp && storeStatus.equals("UP");
          var body = Json.mapper().createObjectNode();
          body.put("status", up ? "UP" : "DOWN");
          body.put("node", nodeUp ? "UP" : "DOWN: not yet a cluster member");
          body.put("store", storeStatus);
          body.set("cluster", ClusterRoutes.summary(system));
          return HttpResponse.create().withStatus(up ? 200 : 503)
              .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body.toString()));
        });
  }

  private String storeStatus() {
    try (Connection c = Schema.connect(store); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM \"event_journal\" WHERE 1 = 0")) {
      rs.next();
      return "UP";
    } catch (Exception e) {
      return "DOWN: " + e.getMessage();
    }
  }
}
