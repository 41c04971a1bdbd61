package dev.strata.train.cli;

import dev.strata.preprocess.RawImage;
import dev.strata.preprocess.Splitter;
import dev.strata.preprocess.Step;
import dev.strata.train.data.DataSources;
import dev.strata.train.data.Dataset;
import dev.strata.train.data.IdxFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code strata make-subset}: writes a seeded, stratified subset of an IDX data set (the shipped
 * {@code data/fashion-mnist-subset} is made with it).
 */
@Command(
    name = "make-subset",
    mixinStandardHelpOptions = true,
    description = {
      "Write a seeded, stratified subset of an IDX data set (train and t10k pairs) as .gz IDX",
      "files, keeping each class's share."
    })
public final class MakeSubsetCommand implements Callable<Integer> {
  @Option(names = "--data", required = true, paramLabel = "DIR", description = "IDX directory.")
  Path data;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.")
  Path out;

  @Option(names = "--train", defaultValue = "2000", description = "Training images to keep.")
  int train;

  @Option(names = "--test", defaultValue = "1000", description = "Test images to keep.")
  int test;

  @Option(names = "--seed", defaultValue = "20240601", description = "Random seed.")
  long seed;

  @Override
  public Integer call() throws Exception {
    Files.createDirectories(out);
    write(DataSources.readIdx(data, "train"), train, "train");
    write(DataSources.readIdx(data, "t10k"), test, "t10k");
    System.out.printf("wrote %d training and %d test images to %s%n", train, test, out);
    return 0;
  }

  private void write(Dataset.Images all, int keep, String prefix) throws java.io.IOException {
    double fraction = (double) keep / all.size();
    // the "validation" part of a stratified split is exactly a stratified sample
    int[] idx = Splitter.split(all.labels(), new Step.Split(fraction, 0, seed, true)).validation();
    List<RawImage> images = new ArrayList<>();
    int[] labels = new int[idx.length];
    for (int i = 0; i < idx.length; i++) {
      images.add(all.images().get(idx[i]));
      labels[i] = all.labels()[idx[i]];
    }
    IdxFiles.writeImages(out.resolve(prefix + "-images-idx3-ubyte.gz"), images);
    IdxFiles.writeLabels(out.resolve(prefix + "-labels-idx1-ubyte.gz"), labels);
  }
}
