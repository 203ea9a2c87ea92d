package io.fetchrunner.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The data directory holds the store, and the store holds every job as submitted: its URLs
 * with their user and password, its request headers. So the directory is its user's alone
 * (0700) and so are the store's files (0600), whatever the process's umask.
 *
 * <p>The JVM cannot set its own umask, and H2 creates files later on (a trace file after an
 * error, temporary files): those get the umask's permissions, but inside a 0700 directory no
 * one else can reach them, and the next start narrows them to 0600 too. On a file system
 * without POSIX permissions nothing is changed.
 */
public final class DataDirectory {
  static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");

  private DataDirectory() {}

  /**
   * Creates {@code dir} as 0700 if it does not exist (its parents as usual). An existing one
   * that others can reach is narrowed to 0700 when it is the service's own (empty, or holding
   * a store called {@code storeName}, as older versions left it); any other directory is left
   * as it is. Returns what is worth a warning in the log.
   */
  public static List<String> prepare(Path dir, String storeName) throws IOException {
    List<String> warnings = new ArrayList<>();
    Path parent = dir.toAbsolutePath().getParent();
    if (!Files.exists(dir) && parent != null) {
      Files.createDirectories(parent);
      try {
        if (posix(parent)) {
          Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY));
          Files.setPosixFilePermissions(dir, DIRECTORY); // what the umask took away, if any
        } else {
          Files.createDirectory(dir);
        }
        return warnings;
      } catch (FileAlreadyExistsException raced) {
        // created meanwhile: checked below as an existing one
      }
    }
    if (!posix(dir)) return warnings;
    Set<PosixFilePermission> now = Files.getPosixFilePermissions(dir);
    if (now.stream().allMatch(p -> p.name().startsWith("OWNER_"))) return warnings;
    boolean ours;
    try (Stream<Path> entries = Files.list(dir)) {
      ours = entries.allMatch(p -> p.getFileName().toString().startsWith(storeName + "."));
    }
    String was = PosixFilePermissions.toString(now);
    if (!ours) {
      warnings.add("the data directory " + dir + " (fetchrunner.data-dir) can be read by"
          + " others (" + was + ") and holds files that are not the store's, so it was left"
          + " as it is; the store keeps the jobs' URLs and headers, credentials included:"
          + " give it a directory of its own, or chmod 700 it");
      return warnings;
    }
    try {
      Files.setPosixFilePermissions(dir, DIRECTORY);
      warnings.add("the data directory " + dir + " could be read by others (" + was
          + "); narrowed to rwx------");
    } catch (IOException e) {
      warnings.add("the data directory " + dir + " can be read by others (" + was
          + ") and could not be narrowed (" + e + "); chmod 700 it");
    }
    return warnings;
  }

  /** Makes the store's files ({@code storeName.*}) in {@code dir} 0600. */
  public static void protectStore(Path dir, String storeName) throws IOException {
    if (!Files.isDirectory(dir) || !posix(dir)) return;
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path p : (Iterable<Path>) entries::iterator) {
        if (p.getFileName().toString().startsWith(storeName + ".")
            && Files.isRegularFile(p) && !Files.getPosixFilePermissions(p).equals(FILE)) {
          Files.setPosixFilePermissions(p, FILE);
        }
      }
    }
  }

  private static boolean posix(Path path) {
    return path != null && Files.getFileAttributeView(path, PosixFileAttributeView.class) != null;
  }
}
