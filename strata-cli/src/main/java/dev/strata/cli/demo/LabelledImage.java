package dev.strata.cli.demo;

import static java.util.Objects.requireNonNull;

/**
 * One test image as the demo sends it: PNG bytes, which the models' own preprocessing decodes, and
 * its class.
 *
 * @param index its position in the shipped test file
 * @param png the image, PNG-encoded
 * @param label its class, an index into the models' labels
 */
record LabelledImage(int index, byte[] png, int label) {
  LabelledImage {
    requireNonNull(png, "png");
    if (index < 0 || label < 0) {
      throw new IllegalArgumentException(
          "labelled image: index " + index + ", label " + label + " (expected: >= 0)");
    }
  }
}
