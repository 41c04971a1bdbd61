package dev.strata.preprocess;

import dev.strata.core.StrataException;
import java.util.List;

/**
 * The image arithmetic shared by fitting, training and serving. Images are planar float arrays
 * ({@code [channels][height][width]}, row-major) holding 0..255 until {@link #normalize}.
 */
final class ImageOps {
  private ImageOps() {}

  /** A planar image. */
  record Planar(int channels, int height, int width, float[] data) {}

  /** Converts to planar floats with the declared channel count (gray replicated, RGB to luma). */
  static Planar toPlanar(RawImage img, int channels) {
    int hw = img.height() * img.width();
    byte[] px = img.pixels();
    float[] out = new float[channels * hw];
    if (img.channels() == channels) {
      for (int i = 0; i < hw; i++) {
        for (int c = 0; c < channels; c++) {
          out[c * hw + i] = px[i * channels + c] & 0xff;
        }
      }
    } else if (img.channels() == 1) {
      for (int i = 0; i < hw; i++) {
        float v = px[i] & 0xff;
        for (int c = 0; c < channels; c++) {
          out[c * hw + i] = v;
        }
      }
    } else {
      for (int i = 0; i < hw; i++) {
        out[i] = luma(px[i * 3] & 0xff, px[i * 3 + 1] & 0xff, px[i * 3 + 2] & 0xff);
      }
    }
    return new Planar(channels, img.height(), img.width(), out);
  }

  static Planar grayscale(Planar p) {
    if (p.channels() == 1) {
      return p;
    }
    int hw = p.height() * p.width();
    float[] out = new float[hw];
    float[] d = p.data();
    for (int i = 0; i < hw; i++) {
      out[i] = luma(d[i], d[hw + i], d[2 * hw + i]);
    }
    return new Planar(1, p.height(), p.width(), out);
  }

  /** Bilinear resize with half-pixel centres (the convention of PIL and PyTorch). */
  static Planar resize(Planar p, int height, int width) {
    if (p.height() == height && p.width() == width) {
      return p;
    }
    float[] src = p.data();
    float[] out = new float[p.channels() * height * width];
    float sy = (float) p.height() / height;
    float sx = (float) p.width() / width;
    for (int y = 0; y < height; y++) {
      float fy = Math.max(0f, (y + 0.5f) * sy - 0.5f);
      int y0 = Math.min((int) fy, p.height() - 1);
      int y1 = Math.min(y0 + 1, p.height() - 1);
      float wy = fy - y0;
      for (int x = 0; x < width; x++) {
        float fx = Math.max(0f, (x + 0.5f) * sx - 0.5f);
        int x0 = Math.min((int) fx, p.width() - 1);
        int x1 = Math.min(x0 + 1, p.width() - 1);
        float wx = fx - x0;
        for (int c = 0; c < p.channels(); c++) {
          int base = c * p.height() * p.width();
          float top =
              src[base + y0 * p.width() + x0] * (1 - wx) + src[base + y0 * p.width() + x1] * wx;
          float bot =
              src[base + y1 * p.width() + x0] * (1 - wx) + src[base + y1 * p.width() + x1] * wx;
          out[c * height * width + y * width + x] = top * (1 - wy) + bot * wy;
        }
      }
    }
    return new Planar(p.channels(), height, width, out);
  }

  /** {@code (x / 255 - mean[c]) / std[c]} in place. */
  static void normalize(Planar p, float[] mean, float[] std) {
    if (mean.length != p.channels()) {
      throw StrataException.invalid(
          "normalize: %d channel statistics for a %d-channel image", mean.length, p.channels());
    }
    int hw = p.height() * p.width();
    float[] d = p.data();
    for (int c = 0; c < p.channels(); c++) {
      for (int i = c * hw; i < (c + 1) * hw; i++) {
        d[i] = (d[i] / 255f - mean[c]) / std[c];
      }
    }
  }

  /** Runs the fitted image steps on one image. */
  static Planar apply(RawImage img, InputSpec.Image input, List<FittedStep> steps, String what) {
    boolean resizes = steps.stream().anyMatch(FittedStep.Resize.class::isInstance);
    if (!resizes
        && input.height() > 0
        && (img.height() != input.height() || img.width() != input.width())) {
      throw StrataException.invalid(
          "%s: %dx%d pixels (expected: %dx%d)",
          what, img.height(), img.width(), input.height(), input.width());
    }
    Planar p = toPlanar(img, input.channels());
    for (FittedStep s : steps) {
      switch (s) {
        case FittedStep.Grayscale g -> p = grayscale(p);
        case FittedStep.Resize r -> p = resize(p, r.height(), r.width());
        case FittedStep.Normalize n -> normalize(p, n.mean(), n.std());
        default ->
            throw StrataException.invalid(
                "%s: step %s does not apply to images", what, s.getClass().getSimpleName());
      }
    }
    return p;
  }

  private static float luma(float r, float g, float b) {
    return 0.299f * r + 0.587f * g + 0.114f * b;
  }
}
