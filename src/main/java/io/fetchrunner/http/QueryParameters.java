package io.fetchrunner.http;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A call's query parameters, each one the endpoint knows and each given once: an unknown
 * parameter is most likely a typo whose option would silently not apply, and a repeated one
 * (which value wins?) means two things. Either is a 400 naming the parameter.
 */
final class QueryParameters {
  private QueryParameters() {}

  /** The parameters as a map, or a {@link Problem} naming the first that is not allowed. */
  static Map<String, String> only(Map<String, List<String>> given, Set<String> known) {
    Map<String, String> out = new HashMap<>();
    for (var e : given.entrySet()) {
      String name = e.getKey();
      if (!known.contains(name)) {
        throw Problem.badRequest(name, "unknown query parameter \"" + name + "\"; "
            + (known.isEmpty() ? "this call takes none"
                : "expected " + String.join(", ", known.stream().sorted().toList())));
      }
      if (e.getValue().size() > 1) {
        throw Problem.badRequest(name, "query parameter \"" + name + "\" is given "
            + e.getValue().size() + " times; give it once");
      }
      out.put(name, e.getValue().get(0));
    }
    return out;
  }
}
