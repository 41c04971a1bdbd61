package dev.strata.train.data;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.strata.core.StrataException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads CSV files with a header row (RFC 4180 quoting, via Jackson's CSV parser). Every data row
 * must have as many values as the header; a ragged row fails naming the file and its line.
 */
public final class CsvFiles {
  private CsvFiles() {}

  /** A parsed CSV file. */
  public record Table(Path file, List<String> header, List<List<String>> rows, int[] lines) {
    /** The index of a header column, failing with a clear message. */
    public int column(String name) {
      int i = header.indexOf(name);
      if (i < 0) {
        throw StrataException.invalid("%s: no column '%s' (header: %s)", file, name, header);
      }
      return i;
    }
  }

  public static Table read(Path file) throws IOException {
    CsvMapper mapper = new CsvMapper();
    mapper.enable(CsvParser.Feature.WRAP_AS_ARRAY);
    List<String> header = null;
    List<List<String>> rows = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        MappingIterator<List<String>> it =
            mapper.readerForListOf(String.class).with(CsvSchema.emptySchema()).readValues(reader)) {
      while (true) {
        long line = it.getParser().currentLocation().getLineNr();
        List<String> row;
        try {
          if (!it.hasNextValue()) {
            break;
          }
          line = it.getParser().currentLocation().getLineNr();
          row = it.nextValue();
        } catch (IOException | RuntimeException e) {
          throw StrataException.invalid(
              "%s: line %d: malformed CSV (%s)", file, line, e.getMessage());
        }
        if (row.size() == 1 && row.getFirst().isBlank()) {
          continue; // blank line
        }
        if (header == null) {
          header = List.copyOf(row.stream().map(String::strip).toList());
          continue;
        }
        if (row.size() != header.size()) {
          throw StrataException.invalid(
              "%s: line %d has %d values (expected: %d, like the header)",
              file, line, row.size(), header.size());
        }
        rows.add(row);
        lines.add((int) line);
      }
    } catch (NoSuchFileException e) {
      throw StrataException.notFound("%s: no such file", file);
    }
    if (header == null) {
      throw StrataException.invalid("%s: empty (expected: a header row)", file);
    }
    return new Table(file, header, rows, lines.stream().mapToInt(Integer::intValue).toArray());
  }
}
