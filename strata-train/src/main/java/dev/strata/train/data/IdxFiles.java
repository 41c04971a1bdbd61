package dev.strata.train.data;

import dev.strata.core.AtomicFiles;
import dev.strata.core.StrataException;
import dev.strata.preprocess.RawImage;
import java.io.BufferedInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Reads and writes IDX files (the MNIST / Fashion-MNIST format), plain or gzip-compressed (told
 * apart by their first bytes, not their names). Errors name the file and the byte offset.
 */
public final class IdxFiles {
  /** Magic number of an unsigned-byte, 3-dimensional IDX file (images). */
  public static final int IMAGES_MAGIC = 0x00000803;

  /** Magic number of an unsigned-byte, 1-dimensional IDX file (labels). */
  public static final int LABELS_MAGIC = 0x00000801;

  private IdxFiles() {}

  /** Reads an image file: {@code [count, rows, cols]} unsigned bytes, as gray images. */
  public static List<RawImage> readImages(Path file) throws IOException {
    try (Reader r = new Reader(file)) {
      r.expectMagic(IMAGES_MAGIC, "images (0x00000803)");
      int count = r.dim("image count");
      int rows = r.dim("rows");
      int cols = r.dim("columns");
      if (rows == 0 || cols == 0) {
        throw StrataException.invalid(
            "%s: images of %dx%d pixels (expected: > 0)", file, rows, cols);
      }
      List<RawImage> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        byte[] px = new byte[rows * cols];
        r.readFully(px, "image " + i + " of " + count);
        out.add(new RawImage(rows, cols, 1, px));
      }
      r.expectEnd();
      return out;
    }
  }

  /** Reads a label file: {@code [count]} unsigned bytes. */
  public static int[] readLabels(Path file) throws IOException {
    try (Reader r = new Reader(file)) {
      r.expectMagic(LABELS_MAGIC, "labels (0x00000801)");
      int count = r.dim("label count");
      byte[] b = new byte[count];
      r.readFully(b, "labels");
      r.expectEnd();
      int[] out = new int[count];
      for (int i = 0; i < count; i++) {
        out[i] = b[i] & 0xff;
      }
      return out;
    }
  }

  /** Writes gray images of one size as a gzip-compressed IDX file, atomically. */
  public static void writeImages(Path file, List<RawImage> images) throws IOException {
    int rows = images.getFirst().height();
    int cols = images.getFirst().width();
    AtomicFiles.write(
        file,
        os -> {
          GZIPOutputStream gz = new GZIPOutputStream(os);
          DataOutputStream out = new DataOutputStream(gz);
          out.writeInt(IMAGES_MAGIC);
          out.writeInt(images.size());
          out.writeInt(rows);
          out.writeInt(cols);
          for (RawImage img : images) {
            if (img.channels() != 1 || img.height() != rows || img.width() != cols) {
              throw StrataException.invalid("IDX images must be gray and of one size");
            }
            out.write(img.pixels());
          }
          out.flush();
          gz.finish();
        });
  }

  /** Writes labels (0..255) as a gzip-compressed IDX file, atomically. */
  public static void writeLabels(Path file, int[] labels) throws IOException {
    AtomicFiles.write(
        file,
        os -> {
          GZIPOutputStream gz = new GZIPOutputStream(os);
          DataOutputStream out = new DataOutputStream(gz);
          out.writeInt(LABELS_MAGIC);
          out.writeInt(labels.length);
          for (int l : labels) {
            out.writeByte(l);
          }
          out.flush();
          gz.finish();
        });
  }

  /** A big-endian reader that tracks its byte offset for error messages. */
  private static final class Reader implements AutoCloseable {
    private final Path file;
    private final InputStream in;
    private long offset;

    Reader(Path file) throws IOException {
      this.file = file;
      InputStream raw;
      try {
        raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
      } catch (NoSuchFileException e) {
        throw StrataException.notFound("%s: no such file", file);
      }
      raw.mark(2);
      int b0 = raw.read();
      int b1 = raw.read();
      raw.reset();
      InputStream s = raw;
      if (b0 == 0x1f && b1 == 0x8b) {
        try {
          s = new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
        } catch (IOException e) {
          raw.close();
          throw StrataException.invalid("%s: corrupt gzip header (%s)", file, e.getMessage());
        }
      }
      this.in = s;
    }

    void expectMagic(int magic, String what) throws IOException {
      int m = readInt("magic number");
      if (m != magic) {
        throw StrataException.invalid(
            "%s: bad magic number 0x%08x at byte 0 (expected: 0x%08x for IDX %s)",
            file, m, magic, what);
      }
    }

    int dim(String what) throws IOException {
      long at = offset;
      int d = readInt(what);
      if (d < 0) {
        throw StrataException.invalid(
            "%s: %s is %d at byte %d (expected: >= 0)", file, what, d, at);
      }
      return d;
    }

    int readInt(String what) throws IOException {
      byte[] b = new byte[4];
      readFully(b, what);
      return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    void readFully(byte[] b, String what) throws IOException {
      int n = 0;
      try {
        while (n < b.length) {
          int r = in.read(b, n, b.length - n);
          if (r < 0) {
            break;
          }
          n += r;
        }
      } catch (EOFException e) {
        // a gzip stream cut short ends here
      } catch (java.util.zip.ZipException e) {
        throw StrataException.invalid(
            "%s: corrupt gzip data at uncompressed byte %d (%s)", file, offset + n, e.getMessage());
      }
      if (n < b.length) {
        throw StrataException.invalid(
            "%s: truncated at byte %d while reading %s (%d more bytes expected)",
            file, offset + n, what, b.length - n);
      }
      offset += n;
    }

    void expectEnd() throws IOException {
      int extra = 0;
      try {
        while (in.read() >= 0) {
          extra++;
        }
      } catch (EOFException e) {
        // gzip trailer missing; the data we needed is complete
      }
      if (extra > 0) {
        throw StrataException.invalid(
            "%s: %d unexpected bytes after byte %d (the header's counts do not match the size)",
            file, extra, offset);
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
