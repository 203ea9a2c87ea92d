package io.fetchrunner.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A page of the Prometheus text format read into samples (name, labels, value). */
public final class Scrape {
  /** One line: {@code name{labels} value}. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern LINE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\S+)?");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  private final List<Sample> samples = new ArrayList<>();
  private final String text;

  public Scrape(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) continue;
      Matcher m = LINE.matcher(line.strip());
      if (!m.matches()) throw new IllegalArgumentException("not a sample line: " + line);
      Map<String, String> labels = new TreeMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) labels.put(l.group(1), l.group(2));
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
  }

  public String text() {
    return text;
  }

  /** The samples of this name. */
  public List<Sample> all(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /** The samples of this name whose labels include {@code labels} (pairs: name, value). */
  public List<Sample> matching(String name, String... labels) {
    return all(name).stream().filter(s -> {
      for (int i = 0; i < labels.length; i += 2) {
        if (!labels[i + 1].equals(s.labels().get(labels[i]))) return false;
      }
      return true;
    }).toList();
  }

  /** The sum of the matching samples' values; 0 when there is none. */
  public double sum(String name, String... labels) {
    return matching(name, labels).stream().mapToDouble(Sample::value).sum();
  }

  /** The one matching sample's value; fails when there is none or more than one. */
  public double value(String name, String... labels) {
    List<Sample> found = matching(name, labels);
    if (found.size() != 1) {
      throw new AssertionError("expected one sample " + name + " " + List.of(labels)
          + ", found " + found);
    }
    return found.get(0).value();
  }

  /** The names of the metrics present (without duplicates). */
  public List<String> names() {
    return samples.stream().map(Sample::name).distinct().toList();
  }
}
