package dev.strata.train.data;

import dev.strata.core.StrataException;
import dev.strata.preprocess.Cells;
import dev.strata.preprocess.ImageCodec;
import dev.strata.preprocess.InputSpec;
import dev.strata.preprocess.RawImage;
import dev.strata.train.spec.TrainingSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds and reads a data set from a path given on the command line:
 *
 * <ul>
 *   <li>a directory of IDX files ({@code train-images-idx3-ubyte[.gz]}, {@code
 *       train-labels-idx1-ubyte[.gz]}, and optionally the {@code t10k-*} test pair); class names
 *       come from a {@code labels.txt} beside them, else Fashion-MNIST's names for a path naming
 *       fashion-mnist, else the label numbers;
 *   <li>a CSV file, or a directory with {@code train.csv} (and optionally {@code test.csv});
 *   <li>a directory of image folders, one per class, or one with {@code train/} and {@code test/}
 *       such directories.
 * </ul>
 */
public final class DataSources {
  /** Where Debian's {@code dataset-fashion-mnist} package installs the data. */
  public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** Fashion-MNIST's class names, in label order. */
  public static final List<String> FASHION_MNIST_CLASSES =
      List.of(
          "T-shirt/top",
          "Trouser",
          "Pullover",
          "Dress",
          "Coat",
          "Sandal",
          "Shirt",
          "Sneaker",
          "Bag",
          "Ankle boot");

  private DataSources() {}

  /** A training set and, where the source has one, a separate test set. */
  public record Loaded(Dataset train, Optional<Dataset> test) {}

  public static Loaded load(Path data, TrainingSpec spec) throws IOException {
    return load(data, spec.preprocessing().input(), spec.task());
  }

  /** Reads the data set for a pipeline input and task. */
  public static Loaded load(Path data, InputSpec input, TrainingSpec.Task task) throws IOException {
    data = resolveAlias(data);
    if (!Files.exists(data)) {
      throw StrataException.notFound("data %s: no such file or directory", data);
    }
    if (input instanceof InputSpec.Tabular t) {
      if (Files.isDirectory(data)) {
        Path train = data.resolve("train.csv");
        Path test = data.resolve("test.csv");
        if (!Files.exists(train)) {
          throw StrataException.notFound("data %s: no train.csv in this directory", data);
        }
        return new Loaded(
            readCsv(train, t, task),
            Files.exists(test) ? Optional.of(readCsv(test, t, task)) : Optional.empty());
      }
      return new Loaded(readCsv(data, t, task), Optional.empty());
    }
    if (Files.isRegularFile(data)) {
      throw StrataException.invalid(
          "data %s: a file, but the spec reads images (expected: a directory of IDX files or of"
              + " image folders)",
          data);
    }
    Optional<Path> idx = idxFile(data, "train-images-idx3-ubyte");
    if (idx.isPresent()) {
      Dataset.Images train = readIdx(data, "train");
      Optional<Dataset> test =
          idxFile(data, "t10k-images-idx3-ubyte").isPresent()
              ? Optional.of(readIdx(data, "t10k"))
              : Optional.empty();
      return new Loaded(train, test);
    }
    if (Files.isDirectory(data.resolve("train"))) {
      Path test = data.resolve("test");
      return new Loaded(
          readImageFolders(data.resolve("train")),
          Files.isDirectory(test) ? Optional.of(readImageFolders(test)) : Optional.empty());
    }
    return new Loaded(readImageFolders(data), Optional.empty());
  }

  /**
   * The scheme of {@code data} when it is a URI of another file system ({@code hdfs://}, {@code
   * s3a://}, ...), read through Spark by cluster training; empty for a path, a {@code file:} URI or
   * a Windows drive letter.
   */
  public static Optional<String> remoteScheme(String data) {
    return scheme(data).filter(s -> !s.equalsIgnoreCase("file"));
  }

  /**
   * {@code data} as a local path: the path itself, or the path of its {@code file:} URI.
   *
   * @throws IllegalArgumentException when {@code data} is a URI of another file system
   */
  public static Path localPath(String data) {
    Optional<String> s = scheme(data);
    if (s.isEmpty()) {
      return Path.of(data);
    }
    if (!s.get().equalsIgnoreCase("file")) {
      throw new IllegalArgumentException(data + " is on a " + s.get() + " file system");
    }
    return Path.of(URI.create(data));
  }

  private static Optional<String> scheme(String data) {
    if (!data.contains(":/")) {
      return Optional.empty();
    }
    try {
      String s = new URI(data).getScheme();
      return s == null || s.length() < 2 ? Optional.empty() : Optional.of(s);
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }

  /**
   * {@code fashion-mnist} (when no such file exists) names the full data set from Debian's {@code
   * dataset-fashion-mnist} package.
   */
  public static Path resolveAlias(Path data) {
    if (data.toString().equals("fashion-mnist") && !Files.exists(data)) {
      if (!Files.isDirectory(DEBIAN_FASHION_MNIST)) {
        throw StrataException.notFound(
            "data fashion-mnist: %s is missing (install it with: apt-get install"
                + " dataset-fashion-mnist; a small subset ships in data/fashion-mnist-subset)",
            DEBIAN_FASHION_MNIST);
      }
      return DEBIAN_FASHION_MNIST;
    }
    return data;
  }

  /** Reads one IDX pair ({@code prefix} is {@code train} or {@code t10k}). */
  public static Dataset.Images readIdx(Path dir, String prefix) throws IOException {
    Path images =
        idxFile(dir, prefix + "-images-idx3-ubyte")
            .orElseThrow(
                () -> StrataException.notFound("%s: no %s-images-idx3-ubyte[.gz]", dir, prefix));
    Path labels =
        idxFile(dir, prefix + "-labels-idx1-ubyte")
            .orElseThrow(
                () -> StrataException.notFound("%s: no %s-labels-idx1-ubyte[.gz]", dir, prefix));
    List<RawImage> im = IdxFiles.readImages(images);
    int[] lb = IdxFiles.readLabels(labels);
    if (im.size() != lb.length) {
      throw StrataException.invalid(
          "%s has %d images but %s has %d labels (expected: the same count)",
          images, im.size(), labels, lb.length);
    }
    List<String> classes = classNames(dir, lb);
    for (int i = 0; i < lb.length; i++) {
      if (lb[i] >= classes.size()) {
        throw StrataException.invalid(
            "%s: label %d at byte %d (expected: 0..%d)", labels, lb[i], 8 + i, classes.size() - 1);
      }
    }
    return new Dataset.Images(images.toString(), im, lb, classes);
  }

  private static List<String> classNames(Path dir, int[] labels) throws IOException {
    Path names = dir.resolve("labels.txt");
    if (Files.exists(names)) {
      return Files.readAllLines(names).stream()
          .map(String::strip)
          .filter(s -> !s.isEmpty())
          .toList();
    }
    if (dir.toAbsolutePath().toString().toLowerCase(Locale.ROOT).contains("fashion")) {
      return FASHION_MNIST_CLASSES;
    }
    int max = 0;
    for (int l : labels) {
      max = Math.max(max, l);
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i <= max; i++) {
      out.add(Integer.toString(i));
    }
    return out;
  }

  static Optional<Path> idxFile(Path dir, String base) {
    for (String name : List.of(base + ".gz", base)) {
      if (Files.isRegularFile(dir.resolve(name))) {
        return Optional.of(dir.resolve(name));
      }
    }
    return Optional.empty();
  }

  /** Reads one folder per class (sorted by name) of PNG/JPEG files (sorted by name). */
  public static Dataset.Images readImageFolders(Path dir) throws IOException {
    List<Path> classDirs;
    try (Stream<Path> s = Files.list(dir)) {
      classDirs = s.filter(Files::isDirectory).sorted().toList();
    }
    if (classDirs.isEmpty()) {
      throw StrataException.invalid(
          "data %s: no class folders (expected: one folder of PNG/JPEG images per class)", dir);
    }
    List<RawImage> images = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    for (int c = 0; c < classDirs.size(); c++) {
      classes.add(classDirs.get(c).getFileName().toString());
      List<Path> files;
      try (Stream<Path> s = Files.list(classDirs.get(c))) {
        files = s.filter(DataSources::isImageFile).sorted().toList();
      }
      for (Path f : files) {
        images.add(ImageCodec.decode(Files.readAllBytes(f), f.toString()));
        labels.add(c);
      }
    }
    if (images.isEmpty()) {
      throw StrataException.invalid("data %s: no .png/.jpg/.jpeg files in the class folders", dir);
    }
    return new Dataset.Images(
        dir.toString(), images, labels.stream().mapToInt(Integer::intValue).toArray(), classes);
  }

  private static boolean isImageFile(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(p)
        && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
  }

  /**
   * Reads a CSV file: the feature columns named by the pipeline's input (in its order) and the
   * label column (class names sorted, or numbers for regression).
   */
  public static Dataset.Rows readCsv(Path file, InputSpec.Tabular input, TrainingSpec.Task task)
      throws IOException {
    CsvFiles.Table t = CsvFiles.read(file);
    if (input.label().isEmpty()) {
      throw StrataException.invalid("preprocessing.input.label: missing (expected: a column name)");
    }
    int labelCol = t.column(input.label());
    int[] cols = input.columns().stream().mapToInt(c -> t.column(c.name())).toArray();
    List<List<String>> rows = new ArrayList<>(t.rows().size());
    List<String> raw = new ArrayList<>(t.rows().size());
    for (int r = 0; r < t.rows().size(); r++) {
      List<String> row = t.rows().get(r);
      String label = row.get(labelCol);
      if (Cells.isMissing(label)) {
        throw StrataException.invalid(
            "%s: line %d: label '%s' is missing", file, t.lines()[r], input.label());
      }
      raw.add(label.strip());
      List<String> cells = new ArrayList<>(cols.length);
      for (int c : cols) {
        cells.add(row.get(c));
      }
      rows.add(cells);
    }
    if (task == TrainingSpec.Task.REGRESSION) {
      float[] targets = new float[raw.size()];
      for (int r = 0; r < targets.length; r++) {
        try {
          targets[r] = Float.parseFloat(raw.get(r));
        } catch (NumberFormatException e) {
          throw StrataException.invalid(
              "%s: line %d: label '%s' is not a number", file, t.lines()[r], raw.get(r));
        }
      }
      return new Dataset.Rows(file.toString(), rows, new int[0], targets, List.of());
    }
    List<String> classes = List.copyOf(new TreeSet<>(raw));
    int[] labels = raw.stream().mapToInt(classes::indexOf).toArray();
    return new Dataset.Rows(file.toString(), rows, labels, new float[0], classes);
  }
}
