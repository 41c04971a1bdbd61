package dev.strata.train.data;

import static java.util.Objects.requireNonNull;

import dev.strata.core.StrataException;
import dev.strata.preprocess.FittedPipeline;
import dev.strata.preprocess.PipelineFitter;
import dev.strata.preprocess.RawImage;
import dev.strata.preprocess.Splitter;
import dev.strata.preprocess.Step;
import dev.strata.train.spec.TrainingSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Data ready to train on: the pipeline fitted on the training part only (so validation and test
 * data never leak into the fitted statistics), and features for the train, validation and test
 * parts. The test part is the source's own test set when it has one, else the split's test part.
 *
 * @param digest SHA-256 over the raw training and test data, for provenance
 */
public record PreparedData(
    FittedPipeline pipeline,
    List<String> classes,
    Features train,
    Optional<Features> validation,
    Optional<Features> test,
    String digest) {

  public PreparedData {
    requireNonNull(pipeline, "pipeline");
    classes = List.copyOf(classes);
  }

  /** Splits, fits and transforms a loaded data set as the spec says. */
  public static PreparedData prepare(TrainingSpec spec, DataSources.Loaded loaded) {
    return prepare(spec, loaded, Optional.empty());
  }

  /**
   * Splits a loaded data set as the spec says and transforms it with {@code fitted} when given (a
   * trained model's own pipeline, e.g. to fine-tune it), else with a pipeline fitted on the
   * training part.
   */
  public static PreparedData prepare(
      TrainingSpec spec, DataSources.Loaded loaded, Optional<FittedPipeline> fitted) {
    Dataset all = loaded.train();
    Step.Split split =
        spec.preprocessing().split().orElse(new Step.Split(0, 0, spec.training().seed(), true));
    int[] strata = all.classes().isEmpty() ? new int[all.size()] : all.labels();
    Splitter.Parts parts = Splitter.split(strata, split);
    Dataset train = subset(all, parts.train());
    Optional<Dataset> val =
        parts.validation().length > 0
            ? Optional.of(subset(all, parts.validation()))
            : Optional.empty();
    Optional<Dataset> test =
        loaded.test().isPresent()
            ? Optional.of(alignClasses(loaded.test().get(), all.classes()))
            : parts.test().length > 0 ? Optional.of(subset(all, parts.test())) : Optional.empty();

    FittedPipeline pipeline;
    Features trainFeatures;
    if (fitted.isPresent()) {
      pipeline = fitted.get();
      trainFeatures = features(pipeline, train);
    } else if (train instanceof Dataset.Images im) {
      pipeline = PipelineFitter.fitImages(spec.preprocessing(), im.images());
      trainFeatures = features(pipeline, im);
    } else {
      Dataset.Rows rows = (Dataset.Rows) train;
      PipelineFitter.TabularFit fit =
          PipelineFitter.fitRows(spec.preprocessing(), rows.rows(), rows.source());
      pipeline = fit.pipeline();
      Dataset.Rows kept = rows.subset(fit.keptRows());
      trainFeatures =
          new Features(
              flatten(fit.features()), pipeline.featureShape(), kept.labels(), kept.targets());
    }
    FittedPipeline p = pipeline;
    return new PreparedData(
        pipeline,
        all.classes(),
        trainFeatures,
        val.map(d -> features(p, d)),
        test.map(d -> features(p, d)),
        digest(loaded));
  }

  /** Runs a fitted pipeline over a raw data set. */
  public static Features features(FittedPipeline pipeline, Dataset data) {
    int per = pipeline.featureSize();
    float[] out = new float[Math.multiplyExact(data.size(), per)];
    switch (data) {
      case Dataset.Images im -> {
        for (int i = 0; i < im.size(); i++) {
          float[] f = pipeline.applyImage(im.images().get(i), im.source() + " image " + i);
          System.arraycopy(f, 0, out, i * per, per);
        }
      }
      case Dataset.Rows r -> {
        float[][] f = pipeline.applyRows(r.rows(), r.source());
        for (int i = 0; i < f.length; i++) {
          System.arraycopy(f[i], 0, out, i * per, per);
        }
      }
    }
    return new Features(out, pipeline.featureShape(), data.labels(), data.targets());
  }

  private static Dataset subset(Dataset d, int[] idx) {
    return switch (d) {
      case Dataset.Images im -> im.subset(idx);
      case Dataset.Rows r -> r.subset(idx);
    };
  }

  /** Maps a separate test set's labels onto the training classes (by name). */
  public static Dataset alignClasses(Dataset test, List<String> classes) {
    if (test.classes().equals(classes) || classes.isEmpty()) {
      return test;
    }
    int[] mapped = new int[test.size()];
    for (int i = 0; i < mapped.length; i++) {
      String name = test.classes().get(test.labels()[i]);
      mapped[i] = classes.indexOf(name);
      if (mapped[i] < 0) {
        throw StrataException.invalid(
            "%s: sample %d has class '%s', which the training data does not have (classes: %s)",
            test.source(), i, name, classes);
      }
    }
    return switch (test) {
      case Dataset.Images im -> new Dataset.Images(im.source(), im.images(), mapped, classes);
      case Dataset.Rows r -> new Dataset.Rows(r.source(), r.rows(), mapped, r.targets(), classes);
    };
  }

  private static float[] flatten(float[][] rows) {
    int w = rows.length == 0 ? 0 : rows[0].length;
    float[] out = new float[rows.length * w];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * w, w);
    }
    return out;
  }

  /** SHA-256 over the raw samples and labels, in order. */
  static String digest(DataSources.Loaded loaded) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      digest(md, loaded.train());
      loaded.test().ifPresent(t -> digest(md, t));
      return "sha256:" + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void digest(MessageDigest md, Dataset d) {
    ByteBuffer b = ByteBuffer.allocate(4);
    switch (d) {
      case Dataset.Images im -> {
        for (RawImage img : im.images()) {
          md.update(b.clear().putInt(img.height() * 65536 + img.width()).array());
          md.update(img.pixels());
        }
      }
      case Dataset.Rows r -> {
        for (List<String> row : r.rows()) {
          md.update(String.join("\u001f", row).getBytes(StandardCharsets.UTF_8));
          md.update((byte) '\n');
        }
        for (float t : r.targets()) {
          md.update(b.clear().putFloat(t).array());
        }
      }
    }
    for (int l : d.labels()) {
      md.update(b.clear().putInt(l).array());
    }
  }
}
