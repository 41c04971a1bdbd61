package dev.strata.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ByteRangeTest {
  private static ByteRange.Parsed parse(String header, long size) {
    return ByteRange.parse(Optional.ofNullable(header), size);
  }

  private static ByteRange part(String header, long size) {
    return ((ByteRange.Part) parse(header, size)).range();
  }

  @Test
  void openClosedAndSuffixRanges() {
    assertThat(part("bytes=100-", 1000)).isEqualTo(new ByteRange(100, 900));
    assertThat(part("bytes=0-9", 1000)).isEqualTo(new ByteRange(0, 10));
    assertThat(part("bytes=990-2000", 1000)).isEqualTo(new ByteRange(990, 10));
    assertThat(part("bytes=-10", 1000)).isEqualTo(new ByteRange(990, 10));
    assertThat(part("bytes=-5000", 1000)).isEqualTo(new ByteRange(0, 1000));
    assertThat(part("bytes=100-", 1000).contentRange(1000)).isEqualTo("bytes 100-999/1000");
  }

  @Test
  void rangesPastTheEndAreUnsatisfiable() {
    assertThat(parse("bytes=1000-", 1000)).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThat(parse("bytes=-0", 1000)).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThat(parse("bytes=0-", 0)).isInstanceOf(ByteRange.Unsatisfiable.class);
  }

  @Test
  void whatTheServerMayIgnoreServesTheWhole() {
    for (String h :
        new String[] {null, "items=0-1", "bytes=0-1,5-6", "bytes=x-", "bytes=5-1", "bytes"}) {
      assertThat(parse(h, 1000)).as(String.valueOf(h)).isInstanceOf(ByteRange.Whole.class);
    }
  }
}
