package dev.strata.train.lm;

import dev.strata.core.StrataException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * A text corpus as documents, split into training and held-out documents (every tenth document,
 * counting from the first, is held out: deterministic, and spread over the whole text).
 *
 * <p>Sources: a plain-text file (plain or {@code .gz}) whose documents are separated by blank
 * lines; a dictd database ({@code .dict} or {@code .dict.dz} with its {@code .index} beside it),
 * one document per entry; or {@code devils-dictionary}, Ambrose Bierce's <i>The Devil's
 * Dictionary</i> (1911, public domain) from Debian's {@code dict-devil} package; or {@code kjv},
 * the King James Version of the Bible (public domain; about 4 MB) as Debian's {@code bible-kjv}
 * program prints it from {@code bible-kjv-text}, one document per chapter. Whitespace inside a
 * paragraph is collapsed to single spaces; paragraphs within a document are kept as lines.
 *
 * @param name where the text came from
 * @param digest SHA-256 of the source's text, recorded with the model
 * @param train the training documents
 * @param heldOut the held-out documents
 */
public record TextCorpus(String name, String digest, List<String> train, List<String> heldOut) {
  /** Where Debian's {@code dict-devil} package installs <i>The Devil's Dictionary</i>. */
  public static final Path DEBIAN_DEVILS_DICTIONARY = Path.of("/usr/share/dictd/devil.dict.dz");

  /** The name that stands for {@link #DEBIAN_DEVILS_DICTIONARY}. */
  public static final String DEVILS_DICTIONARY = "devils-dictionary";

  /** The reader of Debian's {@code bible-kjv} package (its text is in {@code bible-kjv-text}). */
  public static final Path DEBIAN_BIBLE_PROGRAM = Path.of("/usr/bin/bible");

  /** The name that stands for the King James Version through {@link #DEBIAN_BIBLE_PROGRAM}. */
  public static final String KJV = "kjv";

  private static final int HOLD_OUT_EVERY = 10;

  public TextCorpus {
    train = List.copyOf(train);
    heldOut = List.copyOf(heldOut);
  }

  /** Loads {@code source} (a file, or {@value #DEVILS_DICTIONARY}). */
  public static TextCorpus load(Path source) throws IOException {
    if (!Files.exists(source) && source.toString().equals(KJV)) {
      return kjv();
    }
    Path file = source;
    if (!Files.exists(source) && source.toString().equals(DEVILS_DICTIONARY)) {
      file = DEBIAN_DEVILS_DICTIONARY;
      if (!Files.exists(file)) {
        throw StrataException.invalid(
            "%s: %s is missing (install Debian's dict-devil package)", DEVILS_DICTIONARY, file);
      }
    }
    if (!Files.isRegularFile(file)) {
      throw StrataException.invalid("corpus %s: no such file", source);
    }
    String fileName = file.getFileName().toString();
    byte[] raw = read(file);
    List<String> docs;
    if (fileName.endsWith(".dict") || fileName.endsWith(".dict.dz")) {
      String base = fileName.substring(0, fileName.indexOf(".dict"));
      Path index = file.resolveSibling(base + ".index");
      if (!Files.isRegularFile(index)) {
        throw StrataException.invalid("corpus %s: no %s beside it", source, index.getFileName());
      }
      docs = dictEntries(raw, Files.readString(index, StandardCharsets.UTF_8));
    } else {
      docs = paragraphs(new String(raw, StandardCharsets.UTF_8));
    }
    return split(source.toString(), digest(raw), docs);
  }

  /** The King James Version, one document per chapter, verse numbers dropped. */
  static TextCorpus kjv() throws IOException {
    if (!Files.isExecutable(DEBIAN_BIBLE_PROGRAM)) {
      throw StrataException.invalid(
          "%s: %s is missing (install Debian's bible-kjv and bible-kjv-text packages)",
          KJV, DEBIAN_BIBLE_PROGRAM);
    }
    Process p =
        new ProcessBuilder(DEBIAN_BIBLE_PROGRAM.toString(), "-l100000", "gen1:1-rev22:21")
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    byte[] raw = p.getInputStream().readAllBytes();
    try {
      if (p.waitFor() != 0) {
        throw StrataException.invalid(
            "%s: %s failed (exit %d)", KJV, DEBIAN_BIBLE_PROGRAM, p.exitValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    return split(KJV, digest(raw), chapters(new String(raw, StandardCharsets.UTF_8)));
  }

  /** Chapters of the bible program's output: a heading line, then indented numbered verses. */
  static List<String> chapters(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder chapter = new StringBuilder();
    java.util.regex.Pattern verse = java.util.regex.Pattern.compile("^\\s+\\d+ (.*)$");
    for (String line : text.split("\n")) {
      var m = verse.matcher(line);
      if (m.matches()) {
        chapter.append(m.group(1)).append(' ');
      } else if (!line.isBlank() && !chapter.isEmpty()) {
        out.add(normalize(chapter.toString()));
        chapter.setLength(0);
      }
    }
    if (!chapter.isEmpty()) {
      out.add(normalize(chapter.toString()));
    }
    return out;
  }

  /** A corpus of the given documents (for tests). */
  public static TextCorpus of(String name, List<String> documents) {
    return split(
        name,
        digest(String.join("\n\n", documents).getBytes(StandardCharsets.UTF_8)),
        documents.stream().map(TextCorpus::normalize).filter(d -> !d.isEmpty()).toList());
  }

  private static TextCorpus split(String name, String digest, List<String> docs) {
    if (docs.size() < HOLD_OUT_EVERY) {
      throw StrataException.invalid(
          "corpus %s: %d documents (expected: at least %d, one in %d is held out)",
          name, docs.size(), HOLD_OUT_EVERY, HOLD_OUT_EVERY);
    }
    List<String> train = new ArrayList<>();
    List<String> held = new ArrayList<>();
    for (int i = 0; i < docs.size(); i++) {
      (i % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1 ? held : train).add(docs.get(i));
    }
    return new TextCorpus(name, digest, train, held);
  }

  private static byte[] read(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    if (raw.length < 2 || (raw[0] & 0xff) != 0x1f || (raw[1] & 0xff) != 0x8b) {
      return raw;
    }
    // gzip, or dictzip (gzip with an index of its chunks in the header's extra field)
    try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
      return in.readAllBytes();
    }
  }

  /** Entries of a dictd database, by its index (headword, offset and length in base 64). */
  static List<String> dictEntries(byte[] text, String index) {
    List<String> out = new ArrayList<>();
    for (String line : index.split("\n")) {
      String[] f = line.split("\t");
      if (f.length < 3 || f[0].startsWith("00-database") || f[0].startsWith("00database")) {
        continue;
      }
      long off = base64(f[1]);
      long len = base64(f[2]);
      if (off < 0 || len < 0 || off + len > text.length) {
        throw StrataException.invalid("dictd index: entry '%s' lies outside the text", f[0]);
      }
      String entry = normalize(new String(text, (int) off, (int) len, StandardCharsets.UTF_8));
      if (!entry.isEmpty()) {
        out.add(entry);
      }
    }
    return out;
  }

  private static long base64(String s) {
    String digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    long v = 0;
    for (char c : s.toCharArray()) {
      int d = digits.indexOf(c);
      if (d < 0) {
        return -1;
      }
      v = v * 64 + d;
    }
    return v;
  }

  static List<String> paragraphs(String text) {
    List<String> out = new ArrayList<>();
    for (String p : text.replace("\r\n", "\n").split("\n\\s*\n")) {
      String d = normalize(p);
      if (!d.isEmpty()) {
        out.add(d);
      }
    }
    return out;
  }

  /** Paragraphs as lines, whitespace within each collapsed to single spaces. */
  static String normalize(String doc) {
    List<String> paras = new ArrayList<>();
    for (String p : doc.replace("\r\n", "\n").split("\n\\s*\n")) {
      String s = p.strip().replaceAll("\\s+", " ");
      if (!s.isEmpty()) {
        paras.add(s);
      }
    }
    return String.join("\n", paras);
  }

  private static String digest(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
