package io.fetchrunner.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fetchrunner.support.Api;
import io.fetchrunner.support.ChildService;
import io.fetchrunner.support.TargetServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store holds every job's credentials: the data directory (0700) and the store's files
 * (0600) are their user's alone, on a real service started under the common umask 022.
 */
class DataDirectoryTest {

  private static String permissions(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  /** The directory is rwx------ and every file in it rw-------; returns the files' names. */
  private static List<String> assertOwnerOnly(Path dir) throws IOException {
    assertEquals("rwx------", permissions(dir), dir.toString());
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> all = files.toList();
      for (Path f : all) assertEquals("rw-------", permissions(f), f.toString());
      return all.stream().map(f -> f.getFileName().toString()).toList();
    }
  }

  private static void loosen(Path dir) throws IOException {
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
      }
    }
  }

  @Test
  void theServicesDataDirectoryAndStoreAreItsUsersAlone(@TempDir Path tmp) throws Exception {
    Path dataDir = tmp.resolve("new").resolve("data");
    try (TargetServer target = new TargetServer();
        ChildService child = ChildService.startUnderUmask("022", dataDir)) {
      Api api = new Api(child.port());
      String url = target.url("/echo?stored").replace("://", "://alice:Sesame-pw@");
      String id = api.submit(Map.of("urls", List.of(url),
          "headers", Map.of("X-Api-Key", "Sesame-key")));
      api.awaitFinished(id, Duration.ofSeconds(30));
      assertTrue(assertOwnerOnly(dataDir).contains("fetchrunner.mv.db"));
      assertEquals("rwxr-xr-x", permissions(dataDir.getParent()),
          "only the data directory itself is narrowed, not its parents");
      child.terminate();
      assertFalse(child.output().contains("Sesame"), child.output());
    }

    // As a version before this one left them: readable by everyone. The next start narrows.
    loosen(dataDir);
    try (ChildService child = ChildService.startUnderUmask("022", dataDir)) {
      assertOwnerOnly(dataDir);
      assertTrue(child.output().contains("narrowed to rwx------"), child.output());
    }
  }

  @Test
  void aDirectoryWithOtherFilesIsLeftAsItIsWithAWarning(@TempDir Path tmp) throws Exception {
    Path shared = tmp.resolve("shared");
    Files.createDirectory(shared);
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(shared.resolve("notes.txt"), "not the store's");
    Files.writeString(shared.resolve("fetchrunner.mv.db"), "");
    Files.setPosixFilePermissions(shared.resolve("fetchrunner.mv.db"),
        PosixFilePermissions.fromString("rw-r--r--"));

    List<String> warnings = DataDirectory.prepare(shared, "fetchrunner");
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains("can be read by others (rwxr-xr-x)"), warnings.get(0));
    assertEquals("rwxr-xr-x", permissions(shared));

    String notes = permissions(shared.resolve("notes.txt"));
    DataDirectory.protectStore(shared, "fetchrunner");
    assertEquals("rw-------", permissions(shared.resolve("fetchrunner.mv.db")));
    assertEquals(notes, permissions(shared.resolve("notes.txt")), "not the store's: as it was");
  }
}
