package io.fetchrunner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies point down: http -> history -> schedule -> job -> fetch -> store -> root. A
 * class may use its own package and the ones below it, never one above (imports and fully
 * qualified names alike). FetchRunner and Main, which wire every part together, are the only
 * classes above all of them.
 */
class LayersTest {
  private static final List<String> BOTTOM_UP =
      List.of("", "store", "fetch", "job", "schedule", "history", "metrics", "http", "cli");
  private static final Set<String> WIRING = Set.of("FetchRunner.java", "Main.java");
  private static final Pattern REFERENCE = Pattern.compile("io\\.fetchrunner\\.([a-z]+)\\.[A-Z]");

  @Test
  void noPackageReachesUp() throws IOException {
    Path root = Path.of("src/main/java/io/fetchrunner");
    List<String> upward = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      files.filter(f -> f.toString().endsWith(".java"))
          .filter(f -> !(f.getParent().equals(root) && WIRING.contains(f.getFileName().toString())))
          .forEach(f -> {
            String pkg = root.relativize(f.getParent()).toString();
            int level = level(pkg, f);
            Matcher m = REFERENCE.matcher(read(f));
            while (m.find()) {
              if (level(m.group(1), f) > level) {
                upward.add(root.relativize(f) + " uses io.fetchrunner." + m.group(1));
              }
            }
          });
    }
    assertEquals(List.of(), upward.stream().distinct().toList(),
        "packages that reach up (order, bottom up: root, " + String.join(", ",
            BOTTOM_UP.subList(1, BOTTOM_UP.size())) + ")");
  }

  private static int level(String pkg, Path where) {
    int level = BOTTOM_UP.indexOf(pkg);
    if (level < 0) {
      throw new AssertionError("package '" + pkg + "' (" + where + ") has no place in "
          + BOTTOM_UP + ": give it one in LayersTest");
    }
    return level;
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
