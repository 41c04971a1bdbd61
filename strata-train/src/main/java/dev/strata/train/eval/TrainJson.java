package dev.strata.train.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import dev.strata.core.StrataException;
import dev.strata.preprocess.PipelineJson;

/** JSON for training outputs (reports, metrics): Strata's conventions plus Optional support. */
public final class TrainJson {
  private static final ObjectMapper MAPPER =
      PipelineJson.configure(new ObjectMapper())
          .registerModule(new Jdk8Module())
          .enable(SerializationFeature.INDENT_OUTPUT);

  private TrainJson() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /** Pretty JSON with NaN written as null (JSON has no NaN). */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value).replace("\"NaN\"", "null");
    } catch (JsonProcessingException e) {
      throw StrataException.internal("cannot write " + value.getClass().getSimpleName(), e);
    }
  }

  /** Compact JSON (one line) with NaN written as null. */
  public static String writeCompact(Object value) {
    try {
      return MAPPER
          .writer()
          .without(SerializationFeature.INDENT_OUTPUT)
          .writeValueAsString(value)
          .replace("\"NaN\"", "null");
    } catch (JsonProcessingException e) {
      throw StrataException.internal("cannot write " + value.getClass().getSimpleName(), e);
    }
  }
}
