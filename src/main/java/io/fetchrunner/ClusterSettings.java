package io.fetchrunner;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueType;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code fetchrunner.cluster} section: where this node listens for the other nodes, which
 * nodes it joins, how remoting is secured, and how fast a node that stops answering is
 * downed. Without seed nodes a node forms a cluster of one.
 *
 * @param seedNodes Pekko addresses ({@code pekko://fetchrunner@host:port}), in the order given
 * @param port the remoting port; 0 picks a free one (a cluster of one by default)
 * @param stableAfter the Split Brain Resolver's {@code stable-after}
 */
public record ClusterSettings(String hostname, int port, List<String> seedNodes, Tls tls,
    Duration stableAfter) {

  /** The actor system's name: part of every node's address. */
  public static final String SYSTEM_NAME = "fetchrunner";

  /** The port when seed nodes are set and fetchrunner.cluster.port is "default". */
  public static final int DEFAULT_PORT = 25520;

  /** PKCS12 key and trust stores for Pekko's TLS remoting (artery tls-tcp); empty: plain TCP. */
  public record Tls(String keyStore, String keyStorePassword, String trustStore,
      String trustStorePassword) {
    public boolean enabled() {
      return !keyStore.isBlank();
    }

    @Override
    public String toString() {
      return "Tls[keyStore=" + keyStore + ", trustStore=" + trustStore + "]";
    }
  }

  private static final Pattern HOST_PORT =
      Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[^:/@\\s]+):(\\d{1,5})");
  private static final Pattern ADDRESS =
      Pattern.compile("pekko://" + SYSTEM_NAME + "@" + HOST_PORT.pattern());

  /** More than one node: the cluster is formed from seed nodes. */
  public boolean multiNode() {
    return !seedNodes.isEmpty();
  }

  /** Whether remoting listens on this machine only (loopback): no TLS is needed then. */
  public boolean loopbackOnly() {
    try {
      return InetAddress.getByName(hostname).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  static ClusterSettings from(Config c) {
    String hostname = c.getString("cluster.hostname").strip();
    List<String> seeds = seedNodes(c);
    String portText = c.getString("cluster.port").strip();
    int port;
    if (portText.equals("default")) {
      port = seeds.isEmpty() ? 0 : DEFAULT_PORT;
    } else {
      port = parsePort(portText, "fetchrunner.cluster.port",
          "must be default, or a port 0..65535 (FETCHRUNNER_CLUSTER_PORT)");
    }
    var settings = new ClusterSettings(hostname, port, seeds,
        new Tls(c.getString("cluster.tls.key-store").strip(),
            c.getString("cluster.tls.key-store-password"),
            c.getString("cluster.tls.trust-store").strip(),
            c.getString("cluster.tls.trust-store-password")),
        c.getDuration("cluster.stable-after"));
    settings.check();
    return settings;
  }

  private void check() {
    require(!hostname.isEmpty(), "fetchrunner.cluster.hostname",
        "must not be empty (FETCHRUNNER_CLUSTER_HOST: the address other nodes reach this one at)");
    require(!stableAfter.isNegative() && stableAfter.toMillis() >= 1000,
        "fetchrunner.cluster.stable-after", "must be at least 1s");
    if (tls.enabled() || !tls.trustStore.isBlank()) {
      require(Files.isReadable(Path.of(tls.keyStore)), "fetchrunner.cluster.tls.key-store",
          "must name a readable PKCS12 file (FETCHRUNNER_CLUSTER_TLS_KEY_STORE; \""
              + tls.keyStore + "\" is not)");
      require(Files.isReadable(Path.of(tls.trustStore)), "fetchrunner.cluster.tls.trust-store",
          "must name a readable PKCS12 file with the certificates of the nodes' CA"
              + " (FETCHRUNNER_CLUSTER_TLS_TRUST_STORE; \"" + tls.trustStore + "\" is not)");
    }
  }

  /**
   * The seed nodes: a comma-separated string ({@code FETCHRUNNER_SEED_NODES="a:25520,b:25520"})
   * or a list, each entry {@code host:port} or a full {@code pekko://fetchrunner@host:port}.
   */
  private static List<String> seedNodes(Config c) {
    List<String> given = new ArrayList<>();
    if (c.getValue("cluster.seed-nodes").valueType() == ConfigValueType.LIST) {
      given.addAll(c.getStringList("cluster.seed-nodes"));
    } else {
      for (String part : c.getString("cluster.seed-nodes").split(",")) given.add(part);
    }
    List<String> seeds = new ArrayList<>();
    for (String raw : given) {
      String entry = raw.strip();
      if (entry.isEmpty()) continue;
      Matcher full = ADDRESS.matcher(entry);
      Matcher plain = HOST_PORT.matcher(entry);
      Matcher m = full.matches() ? full : plain.matches() ? plain : null;
      require(m != null, "fetchrunner.cluster.seed-nodes", "entries must be host:port (or"
          + " pekko://" + SYSTEM_NAME + "@host:port), not \"" + entry
          + "\" (FETCHRUNNER_SEED_NODES, comma-separated)");
      int port = parsePort(m.group(2), "fetchrunner.cluster.seed-nodes",
          "entries need a port 1..65535 (\"" + entry + "\")");
      require(port > 0, "fetchrunner.cluster.seed-nodes",
          "entries need a port 1..65535 (\"" + entry + "\")");
      String address = "pekko://" + SYSTEM_NAME + "@" + m.group(1) + ":" + port;
      if (!seeds.contains(address)) seeds.add(address);
    }
    return List.copyOf(seeds);
  }

  private static int parsePort(String text, String key, String rule) {
    try {
      int port = Integer.parseInt(text);
      require(port >= 0 && port <= 65535, key, rule);
      return port;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("configuration: " + key + " " + rule);
    }
  }

  private static void require(boolean ok, String key, String rule) {
    if (!ok) throw new IllegalArgumentException("configuration: " + key + " " + rule);
  }
}
