package dev.strata.cloud;

import java.util.Optional;

/**
 * A single byte range of a {@code Range: bytes=...} header (RFC 9110 14.2): {@code N-}, {@code N-M}
 * or the suffix {@code -N}. Several ranges or another unit are ignored (the whole content is
 * served), as the RFC allows; a syntactically valid range that starts past the end is unsatisfiable
 * (416).
 */
record ByteRange(long offset, long length) {
  /** The outcome of reading a Range header against a content size. */
  sealed interface Parsed permits Whole, Part, Unsatisfiable {}

  record Whole() implements Parsed {}

  record Part(ByteRange range) implements Parsed {}

  record Unsatisfiable() implements Parsed {}

  static Parsed parse(Optional<String> header, long size) {
    if (header.isEmpty()) {
      return new Whole();
    }
    String h = header.get().trim();
    if (!h.startsWith("bytes=") || h.indexOf(',') >= 0) {
      return new Whole();
    }
    String spec = h.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new Whole();
    }
    try {
      String first = spec.substring(0, dash).trim();
      String last = spec.substring(dash + 1).trim();
      if (first.isEmpty()) {
        long suffix = Long.parseLong(last);
        if (suffix <= 0 || size == 0) {
          return new Unsatisfiable();
        }
        long n = Math.min(suffix, size);
        return new Part(new ByteRange(size - n, n));
      }
      long start = Long.parseLong(first);
      if (start < 0) {
        return new Whole();
      }
      if (start >= size) {
        return new Unsatisfiable();
      }
      long end = last.isEmpty() ? size - 1 : Math.min(Long.parseLong(last), size - 1);
      if (end < start) {
        return new Whole();
      }
      return new Part(new ByteRange(start, end - start + 1));
    } catch (NumberFormatException e) {
      return new Whole();
    }
  }

  /** {@code bytes first-last/size}. */
  String contentRange(long size) {
    return "bytes " + offset + "-" + (offset + length - 1) + "/" + size;
  }
}
