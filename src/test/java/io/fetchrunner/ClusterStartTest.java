package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.Services;
import io.fetchrunner.support.TestPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How nodes form a cluster, and what a node refuses before it joins one. */
class ClusterStartTest {

  private static FetchRunner startIn(Path dataDir, String config) throws StartupException {
    return FetchRunner.start(AppConfig.load(ConfigFactory.parseString(
        "fetchrunner.http.port = 0\n"
            + "fetchrunner.data-dir = \"" + dataDir + "\"\n" + config)));
  }

  @Test
  void seedNodesOnTheEmbeddedStoreAreRefused(@TempDir Path dataDir) {
    var e = assertThrows(StartupException.class, () -> startIn(dataDir,
        "fetchrunner.cluster.seed-nodes = \"127.0.0.1:" + freePort() + "\"\n"
            + "fetchrunner.cluster.port = " + freePort()));
    assertTrue(e.getMessage().contains("need a store they share"), e.getMessage());
    assertTrue(e.getMessage().contains("FETCHRUNNER_STORE_URL"), e.getMessage());
  }

  @Test
  void remotingBeyondLoopbackWithoutTlsIsRefused(@TempDir Path dataDir) {
    // Refused before anything listens or connects: the address is never used.
    var e = assertThrows(StartupException.class, () -> startIn(dataDir,
        "fetchrunner.cluster.hostname = \"10.255.255.1\"\n"));
    assertTrue(e.getMessage().contains("in the clear"), e.getMessage());
    assertTrue(e.getMessage().contains("FETCHRUNNER_CLUSTER_TLS_KEY_STORE"), e.getMessage());
  }

  @Test
  void malformedSeedNodesNameTheSetting(@TempDir Path dataDir) {
    for (String bad : List.of("node1", "node1:http", "node1:70000", "pekko://other@h:1")) {
      var e = assertThrows(IllegalArgumentException.class, () -> startIn(dataDir,
          "fetchrunner.cluster.seed-nodes = \"" + bad + "\""));
      assertTrue(e.getMessage().contains("fetchrunner.cluster.seed-nodes"), e.getMessage());
    }
    var e = assertThrows(IllegalArgumentException.class, () -> startIn(dataDir,
        "fetchrunner.cluster.tls.key-store = \"/nonexistent/node.p12\""));
    assertTrue(e.getMessage().contains("fetchrunner.cluster.tls.key-store"), e.getMessage());
  }

  @Test
  void aNodeOnAnotherStoreIsRefusedWhenItJoins(@TempDir Path base) {
    int seedPort = freePort();
    try (var db = TestPostgres.createDatabase();
        FetchRunner seed = Services.start(base.resolve("a"), db.config("store_a")
            + "fetchrunner.cluster.port = " + seedPort + "\n"
            + "fetchrunner.cluster.seed-nodes = \"127.0.0.1:" + seedPort + "\"\n")) {
      List<String> props = new ArrayList<>(List.of(db.systemProperties("store_b")));
      props.add("-Dfetchrunner.cluster.port=0");
      props.add("-Dfetchrunner.cluster.seed-nodes=127.0.0.1:" + seedPort);
      var exit = ChildService.startExpectingFailure(base.resolve("b"),
          props.toArray(String[]::new));
      assertEquals(1, exit.code(), exit.output());
      assertTrue(exit.output().contains("is not the cluster's"), exit.output());
      assertTrue(exit.output().contains("store"), exit.output());
      // The cluster is untouched: one node, up.
      JsonNode health = new Api(seed.port()).get("/health").body();
      assertEquals(1, health.get("cluster").get("membersUp").asInt(), health.toString());
    }
  }

  @Test
  void nodesFormAClusterOverTls(@TempDir Path base) throws Exception {
    Path store = base.resolve("node.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin",
        "keytool").toString(), "-genkeypair", "-alias", "node", "-keyalg", "EC",
        "-groupname", "secp256r1", "-dname", "CN=fetchrunner-node", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit")
        .redirectErrorStream(true).start();
    keytool.getInputStream().readAllBytes();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue());
    String tls = "fetchrunner.cluster.tls {\n key-store = \"" + store + "\"\n"
        + " key-store-password = changeit\n trust-store = \"" + store + "\"\n"
        + " trust-store-password = changeit\n}\n";
    int seedPort = freePort();
    String seeds = "fetchrunner.cluster.seed-nodes = \"127.0.0.1:" + seedPort + "\"\n";
    try (var db = TestPostgres.createDatabase();
        FetchRunner a = Services.start(base.resolve("a"), db.config("fetchrunner") + tls + seeds
            + "fetchrunner.cluster.port = " + seedPort + "\n");
        FetchRunner b = Services.start(base.resolve("b"), db.config("fetchrunner") + tls + seeds
            + "fetchrunner.cluster.port = 0\n")) {
      JsonNode cluster = null;
      for (int i = 0; i < 150; i++) {
        cluster = new Api(b.port()).get("/cluster").body();
        if (cluster.get("membersUp").asInt() == 2) break;
        Api.sleep(100);
      }
      assertEquals(2, cluster.get("membersUp").asInt(), cluster.toString());
      assertEquals(2, cluster.get("nodes").size(), cluster.toString());
      assertEquals("tls-tcp", a.system().settings().config()
          .getString("pekko.remote.artery.transport"));
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
