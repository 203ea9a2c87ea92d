package io.fetchrunner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON mapper of the service (the API's answers and the read side's JSON columns):
 * ISO-8601 instants, field names as in the records. At the root, so the read side does not
 * reach up into the API for it.
 */
public final class JsonMapper {
  private static final ObjectMapper MAPPER = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

  private JsonMapper() {}

  public static ObjectMapper get() {
    return MAPPER;
  }
}
