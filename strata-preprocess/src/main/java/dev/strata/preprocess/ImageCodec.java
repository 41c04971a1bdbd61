package dev.strata.preprocess;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * Decodes PNG and JPEG bytes into {@link RawImage}s (and encodes PNG) with {@code javax.imageio}.
 * Gray images stay one channel; everything else becomes RGB (alpha is dropped).
 */
public final class ImageCodec {
  private ImageCodec() {}

  /**
   * Decodes an encoded image.
   *
   * @param what names the image in error messages (a file, "image 3 of the request")
   * @throws StrataException INVALID_ARGUMENT naming {@code what} when the bytes are no image
   */
  public static RawImage decode(byte[] encoded, String what) {
    requireNonNull(encoded, "encoded");
    BufferedImage img;
    try {
      img = ImageIO.read(new ByteArrayInputStream(encoded));
    } catch (IOException | RuntimeException e) {
      throw StrataException.invalid(
          "%s: cannot decode image (%s)", what, e.getMessage() == null ? e : e.getMessage());
    }
    if (img == null) {
      throw StrataException.invalid(
          "%s: not a PNG or JPEG image (%d bytes, starting %s)",
          what, encoded.length, hexPrefix(encoded));
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
