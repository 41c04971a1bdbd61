package dev.strata.preprocess;

import dev.strata.core.StrataException;
import java.util.List;
import java.util.Random;

/**
 * Training-only augmentation of fitted image features ({@code [C, H, W]} planar, normalised): the
 * pixels a shift uncovers get each channel's normalised value of black, so they look like the
 * image's own background. Randomness comes from the caller's seeded {@link Random}.
 */
public final class Augmenter {
  private final List<Step> steps;
  private final float[] fill;
  private final int channels;
  private final int height;
  private final int width;

  /** An augmenter for features of this pipeline (which must read images). */
  public Augmenter(FittedPipeline pipeline) {
    if (!pipeline.isImage()) {
      if (!pipeline.augmentation().isEmpty()) {
        throw StrataException.invalid("augmentation applies to images only");
      }
    }
    this.steps = pipeline.augmentation();
    long[] shape = pipeline.isImage() ? pipeline.featureShape() : new long[] {0, 0, 0};
    this.channels = (int) shape[0];
    this.height = (int) shape[1];
    this.width = (int) shape[2];
    this.fill = new float[channels];
    for (FittedStep s : pipeline.steps()) {
      if (s instanceof FittedStep.Normalize n) {
        for (int c = 0; c < channels; c++) {
          fill[c] = -n.mean()[c] / n.std()[c];
        }
      }
    }
  }

  public boolean isEmpty() {
    return steps.isEmpty();
  }

  /** Augments one sample in place, reading {@code features[offset..]}. */
  public void apply(float[] features, int offset, Random random) {
    for (Step s : steps) {
      switch (s) {
        case Step.RandomFlip f -> {
          if (random.nextDouble() < f.probability()) {
            flip(features, offset);
          }
        }
        case Step.RandomShift sh -> {
          int dy = random.nextInt(2 * sh.maxPixels() + 1) - sh.maxPixels();
          int dx = random.nextInt(2 * sh.maxPixels() + 1) - sh.maxPixels();
          shift(features, offset, dy, dx);
        }
        default -> {}
      }
    }
  }

  private void flip(float[] f, int offset) {
    for (int c = 0; c < channels; c++) {
      for (int y = 0; y < height; y++) {
        int row = offset + (c * height + y) * width;
        for (int x = 0; x < width / 2; x++) {
          float t = f[row + x];
          f[row + x] = f[row + width - 1 - x];
          f[row + width - 1 - x] = t;
        }
      }
    }
  }

  private void shift(float[] f, int offset, int dy, int dx) {
    if (dy == 0 && dx == 0) {
      return;
    }
    float[] plane = new float[height * width];
    for (int c = 0; c < channels; c++) {
      int base = offset + c * height * width;
      System.arraycopy(f, base, plane, 0, plane.length);
      for (int y = 0; y < height; y++) {
        int sy = y - dy;
        for (int x = 0; x < width; x++) {
          int sx = x - dx;
          f[base + y * width + x] =
              sy >= 0 && sy < height && sx >= 0 && sx < width ? plane[sy * width + sx] : fill[c];
        }
      }
    }
  }
}
