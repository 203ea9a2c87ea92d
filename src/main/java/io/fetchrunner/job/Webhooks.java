package io.fetchrunner.job;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fetchrunner.JsonMapper;
import io.fetchrunner.NotifySettings;
import io.fetchrunner.fetch.FetchRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A webhook request: the event as JSON, POSTed with {@code X-Fetchrunner-Event},
 * {@code X-Fetchrunner-Delivery} (the same on every attempt of one delivery),
 * {@code X-Fetchrunner-Timestamp} (Unix seconds of this attempt) and
 * {@code X-Fetchrunner-Signature: sha256=<hex>}, the HMAC-SHA256 under
 * fetchrunner.notify.secret of the timestamp, a '.', and the body: a receiver checks it, and
 * refuses a timestamp too old (a replayed request).
 */
public final class Webhooks {
  private Webhooks() {}

  /** Largest answer body read from a receiver (it is not kept). */
  static final long MAX_ANSWER_BYTES = 64 * 1024;

  static FetchRequest request(String url, String jobId, Notification n, JobState state,
      NotifySettings settings, int maxRedirects) {
    String delivery = jobId + "/" + n.id();
    String body = payload(delivery, n, state);
    String timestamp = String.valueOf(Instant.now().getEpochSecond());
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json");
    headers.put("X-Fetchrunner-Event", n.event());
    headers.put("X-Fetchrunner-Delivery", delivery);
    headers.put("X-Fetchrunner-Timestamp", timestamp);
    headers.put("X-Fetchrunner-Signature", "sha256=" + sign(settings.secret(), timestamp, body));
    return new FetchRequest(url, "POST", headers, body, settings.timeout(), MAX_ANSWER_BYTES,
        false, maxRedirects);
  }

  /** The signature: hex HMAC-SHA256 of {@code timestamp + "." + body} under {@code secret}. */
  public static String sign(String secret, String timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(
          mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * done and verdict-failed: {@code {"event":...,"delivery":...,"job":<summary>}} (the
   * summary holds the verdict and its checks); failed-url:
   * {@code {"event":"failed-url","delivery":...,"jobId":...,"jobName":...,"result":{"index":
   * ..., <the URL's result as in GET /jobs/{id}>}}}.
   */
  static String payload(String delivery, Notification n, JobState state) {
    var mapper = JsonMapper.get();
    ObjectNode body = mapper.createObjectNode();
    body.put("event", n.event());
    body.put("delivery", delivery);
    if (n.event().equals(Notify.DONE) || n.event().equals(Notify.VERDICT_FAILED)) {
      body.set("job", mapper.valueToTree(state.summary()));
    } else {
      body.put("jobId", state.spec().id());
      body.put("jobName", state.spec().name());
      ObjectNode result = body.putObject("result");
      result.put("index", n.index());
      result.setAll((ObjectNode) mapper.valueToTree(state.shownEntry(n.index())));
    }
    return body.toString();
  }
}
