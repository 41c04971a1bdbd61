package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes PNG and JPEG bytes into {@link RawImage}s (and encodes PNG) with {@code javax.imageio}.
 * Gray images stay one channel; everything else becomes RGB (alpha is dropped).
 */
public final class ImageCodec {
  /**
   * The most pixels {@link #decode(byte[], String)} decodes: 4096 × 4096 (16.8 megapixels). It
   * takes a 4K frame (8.3 MP) and a 12 MP phone photo, and bounds what one image costs to decode at
   * about 120 MB (4 bytes a pixel while decoding, 3 more for the RGB copy), where a small PNG can
   * otherwise claim 16000 × 16000 and gigabytes. Models take far smaller inputs (the pipeline
   * resizes), so a larger image only costs memory.
   */
  public static final long DEFAULT_MAX_PIXELS = 4096L * 4096L;

  private ImageCodec() {}

  /**
   * Decodes an encoded image of at most {@link #DEFAULT_MAX_PIXELS} pixels.
   *
   * @param what names the image in error messages (a file, "image 3 of the request")
   * @throws StrataException INVALID_ARGUMENT naming {@code what} when the bytes are no image or one
   *     too large
   */
  public static RawImage decode(byte[] encoded, String what) {
    return decode(encoded, what, DEFAULT_MAX_PIXELS);
  }

  /**
   * Decodes an encoded image, after reading its dimensions from the header and refusing it when it
   * has more than {@code maxPixels} pixels, so an image that would take gigabytes to decode costs
   * nothing.
   *
   * @param what names the image in error messages (a file, "image 3 of the request")
   * @throws StrataException INVALID_ARGUMENT naming {@code what} when the bytes are no image or one
   *     over {@code maxPixels}
   */
  public static RawImage decode(byte[] encoded, String what, long maxPixels) {
    requireNonNull(encoded, "encoded");
    if (maxPixels < 1) {
      throw new IllegalArgumentException("maxPixels: " + maxPixels + " (expected: > 0)");
    }
    BufferedImage img;
    // In memory: the bytes are in memory already (ImageIO's default would cache them in a file).
    try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw StrataException.invalid(
            "%s: not a PNG or JPEG image (%d bytes, starting %s)",
            what, encoded.length, hexPrefix(encoded));
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long width = reader.getWidth(0);
        long height = reader.getHeight(0);
        if (width * height > maxPixels) {
          throw StrataException.invalid(
              "%s: %d x %d pixels is over the limit of %d pixels (%d bytes of %s); send a smaller"
                  + " image",
              what, width, height, maxPixels, encoded.length, reader.getFormatName());
        }
        img = reader.read(0);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof StrataException se) {
        throw se;
      }
      throw StrataException.invalid(
          "%s: cannot decode image (%s)", what, e.getMessage() == null ? e : e.getMessage());
    }
    return fromBufferedImage(img);
  }

  /** Converts a decoded AWT image: 8-bit gray stays gray, anything else becomes RGB. */
  public static RawImage fromBufferedImage(BufferedImage img) {
    int h = img.getHeight();
    int w = img.getWidth();
    if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
      byte[] px = new byte[h * w];
      img.getRaster().getDataElements(0, 0, w, h, px);
      return new RawImage(h, w, 1, px);
    }
    byte[] px = new byte[h * w * 3];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int i = (y * w + x) * 3;
        px[i] = (byte) (row[x] >> 16);
        px[i + 1] = (byte) (row[x] >> 8);
        px[i + 2] = (byte) row[x];
      }
    }
    return new RawImage(h, w, 3, px);
  }

  /** Encodes an image as PNG (lossless: decoding gives the same pixels back). */
  public static byte[] encodePng(RawImage image) {
    BufferedImage img;
    if (image.channels() == 1) {
      img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_BYTE_GRAY);
      byte[] target = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
      System.arraycopy(image.pixels(), 0, target, 0, target.length);
    } else {
      img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < image.height(); y++) {
        for (int x = 0; x < image.width(); x++) {
          img.setRGB(x, y, image.at(y, x, 0) << 16 | image.at(y, x, 1) << 8 | image.at(y, x, 2));
        }
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static String hexPrefix(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(8, b.length); i++) {
      sb.append(String.format("%02x", b[i]));
    }
    return sb.isEmpty() ? "<empty>" : sb.toString();
  }
}
