package io.fetchrunner.http;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fetchrunner.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** JSON in and out of the API, with the service's one mapper ({@link JsonMapper}). */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.get();

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * A request body as one JSON value. Input that could be read two ways is refused with a
   * {@link Problem} ({@code field} "body") saying what and where: anything after the value (a
   * second document, stray text; readers differ on whether they see it) and a key given twice
   * in one object (readers differ on which of the two they keep).
   */
  private static final java.util.regex.Pattern UNREADABLE_TOKEN =
      java.util.regex.Pattern.compile("(Unrecognized token) '[^']*'");

  public static JsonNode readRequest(String body) {
    try (JsonParser p = MAPPER.createParser(body)) {
      p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
      JsonNode value = MAPPER.readTree(p);
      JsonLocation extra = null;
      try {
        if (p.nextToken() != null) extra = p.currentTokenLocation();
      } catch (JsonProcessingException e) {
        extra = e.getLocation(); // not even a token: still something after the value
      }
      if (extra != null) {
        throw Problem.badRequest("body", "the body goes on after the JSON document "
            + where(extra) + ": send one JSON object and nothing after it");
      }
      return value;
    } catch (JsonProcessingException e) {
      String path = e.getProcessor() instanceof JsonParser p ? path(p.getParsingContext()) : "";
      String at = e.getLocation() == null ? "" : " " + where(e.getLocation());
      // Jackson quotes the token it could not read: it may be a secret given unquoted.
      String why = UNREADABLE_TOKEN.matcher(e.getOriginalMessage()).replaceAll("$1");
      throw Problem.badRequest("body", "malformed JSON: " + why
          + (path.isEmpty() ? at : " at " + path + at));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a String is not read from anywhere that fails
    }
  }

  private static String where(JsonLocation at) {
    return "(line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
  }

  /** Where the parser is, written as the API names fields: {@code urls[0].headers.Accept}. */
  private static String path(JsonStreamContext context) {
    var names = new ArrayDeque<String>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inArray()) {
        names.push("[" + Math.max(c.getCurrentIndex(), 0) + "]");
      } else if (c.getCurrentName() != null) {
        names.push("." + c.getCurrentName());
      }
    }
    String joined = String.join("", names);
    return joined.startsWith(".") ? joined.substring(1) : joined;
  }

  /** An HTTP response with {@code value} as its JSON body. */
  public static HttpResponse response(int status, Object value) {
    try {
      return HttpResponse.create().withStatus(StatusCodes.get(status))
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON,
              MAPPER.writeValueAsBytes(value)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
