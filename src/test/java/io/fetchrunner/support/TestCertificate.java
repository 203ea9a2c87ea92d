package io.fetchrunner.support;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed server certificate for 127.0.0.1, made by the JDK's keytool in a directory:
 * the server's key store, and the certificate alone as PEM (what a user would put in
 * {@code fetchrunner.fetch.tls.ca-file}).
 */
public record TestCertificate(Path keyStore, Path pem) {
  private static final char[] PASSWORD = "changeit".toCharArray();

  /** A certificate whose subject alternative name is {@code san} (e.g. "ip:127.0.0.1"). */
  public static TestCertificate create(Path dir, String san) throws Exception {
    Path keyStore = dir.resolve("server.p12");
    Path pem = dir.resolve("server.pem");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    run(List.of(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname",
        "secp256r1", "-validity", "2", "-dname", "CN=fetchrunner test " + dir.getFileName(),
        "-ext", "san=" + san,
        "-keystore", keyStore.toString(), "-storetype", "PKCS12",
        "-storepass", new String(PASSWORD)));
    run(List.of(keytool, "-exportcert", "-rfc", "-alias", "server", "-keystore",
        keyStore.toString(), "-storepass", new String(PASSWORD), "-file", pem.toString()));
    return new TestCertificate(keyStore, pem);
  }

  /** The server side: presents this certificate. */
  public SSLContext serverContext() throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      ks.load(in, PASSWORD);
    }
    KeyManagerFactory kmf =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf.getKeyManagers(), null, null);
    return context;
  }

  private static void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("keytool failed: " + command + "\n" + out);
    }
  }
}
