package dev.strata.train.lm;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/** DJL's parameter bytes of a block. */
final class TrainedLanguageModelIo {
  private TrainedLanguageModelIo() {}

  static byte[] save(LlamaBlock block) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      block.saveParameters(out);
    }
    return bytes.toByteArray();
  }
}
