package io.fetchrunner.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS context for HTTPS fetches when {@code fetchrunner.fetch.tls.ca-file} names extra
 * certificate authorities (an internal CA, a self-signed server): it trusts those and,
 * unchanged, every authority the JVM trusts by default. Host names are still verified.
 */
public final class TrustedCertificates {
  private TrustedCertificates() {}

  /** An SSL context trusting the JVM's authorities and the certificates in a PEM file. */
  public static SSLContext withExtraAuthorities(Path pemFile) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (X509Certificate ca : jvmDefaults().getAcceptedIssuers()) {
        store.setCertificateEntry("jvm-" + n++, ca);
      }
      Collection<? extends Certificate> extra = read(pemFile);
      int i = 0;
      for (Certificate c : extra) store.setCertificateEntry("ca-file-" + i++, c);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException("configuration: fetchrunner.fetch.tls.ca-file "
          + pemFile + ": " + e.getMessage(), e);
    }
  }

  private static Collection<? extends Certificate> read(Path pemFile)
      throws IOException, GeneralSecurityException {
    Collection<? extends Certificate> certs;
    try (InputStream in = Files.newInputStream(pemFile)) {
      certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
    if (certs.isEmpty()) {
      throw new IOException("no certificate in it (expected PEM, -----BEGIN CERTIFICATE-----)");
    }
    return certs;
  }

  private static X509TrustManager jvmDefaults() throws GeneralSecurityException {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) return x;
    }
    throw new GeneralSecurityException("the JVM has no X.509 trust manager");
  }
}
