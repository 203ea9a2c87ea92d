package io.fetchrunner.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** The one JSON mapper of the API: ISO-8601 instants, field names as in the records. */
public final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
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
