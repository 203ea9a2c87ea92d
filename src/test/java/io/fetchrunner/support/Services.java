package io.fetchrunner.support;

import com.typesafe.config.ConfigFactory;
import io.fetchrunner.AppConfig;
import io.fetchrunner.FetchRunner;
import io.fetchrunner.StartupException;
import java.nio.file.Path;

/** Starts a real fetchrunner in this JVM on a free port and an H2 file in {@code dataDir}. */
public final class Services {
  private Services() {}

  public static FetchRunner start(Path dataDir, String extraConfig) {
    try {
      return FetchRunner.start(AppConfig.load(ConfigFactory.parseString(
          "fetchrunner.http.port = 0\n"
              + "fetchrunner.data-dir = \"" + dataDir.toString().replace("\\", "/") + "\"\n"
              + extraConfig)));
    } catch (StartupException e) {
      throw new IllegalStateException(e);
    }
  }
}
