package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;

/**
 * A decoded 8-bit image: {@code channels} (1 = gray, 3 = RGB) interleaved per pixel, rows top to
 * bottom. This is the common form of training images (IDX files, image folders) and serving
 * requests (PNG/JPEG bytes), so both go through the same fitted steps.
 */
public record RawImage(int height, int width, int channels, byte[] pixels) {
  public RawImage {
    requireNonNull(pixels, "pixels");
    if (height <= 0 || width <= 0) {
      throw StrataException.invalid("image size: %dx%d (expected: > 0)", height, width);
    }
    if (channels != 1 && channels != 3) {
      throw StrataException.invalid("image channels: %d (expected: 1 or 3)", channels);
    }
    if (pixels.length != height * width * channels) {
      throw StrataException.invalid(
          "image: %d bytes for %dx%dx%d (expected: %d)",
          pixels.length, height, width, channels, height * width * channels);
    }
  }

  /** The pixel value (0..255) at row {@code y}, column {@code x}, channel {@code c}. */
  public int at(int y, int x, int c) {
    return pixels[(y * width + x) * channels + c] & 0xff;
  }
}
