package dev.strata.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.strata.control.Json;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectorTest {
  private static final Map<String, String> SHANGHAI_GATEWAY =
      Map.of("site", "shanghai", "tier", "gateway", "gpu", "none");

  @Test
  void equalityAndInequality() {
    assertThat(Selector.parse("site=shanghai,tier=gateway").matches(SHANGHAI_GATEWAY)).isTrue();
    assertThat(Selector.parse("site=beijing").matches(SHANGHAI_GATEWAY)).isFalse();
    assertThat(Selector.parse("site!=beijing").matches(SHANGHAI_GATEWAY)).isTrue();
    assertThat(Selector.parse("zone!=a").matches(SHANGHAI_GATEWAY)).isTrue();
  }

  @Test
  void setsAndExistence() {
    assertThat(Selector.parse("site in (beijing, shanghai),tier").matches(SHANGHAI_GATEWAY))
        .isTrue();
    assertThat(Selector.parse("site notin (shanghai)").matches(SHANGHAI_GATEWAY)).isFalse();
    assertThat(Selector.parse("!zone").matches(SHANGHAI_GATEWAY)).isTrue();
    assertThat(Selector.parse("zone").matches(SHANGHAI_GATEWAY)).isFalse();
  }

  @Test
  void doubleEqualsAndEmptySetsAreRefusedNotReadAsSomethingElse() {
    assertThatThrownBy(() -> Selector.parse("site==shanghai"))
        .hasMessageContaining("'site==shanghai' uses ==");
    assertThatThrownBy(() -> Selector.parse("site in ()")).hasMessageContaining("empty value");
    assertThatThrownBy(() -> Selector.parse("site notin ( )")).hasMessageContaining("empty value");
    assertThatThrownBy(() -> Selector.parse("site in (a,,b)")).hasMessageContaining("empty value");
    assertThatThrownBy(() -> Selector.parse("site in (a,)")).hasMessageContaining("empty value");
  }

  @Test
  void overlapIsWhetherOneNodeCouldMatchBoth() {
    assertThat(overlap("", "site=a")).isTrue();
    assertThat(overlap("site=a", "site=a,tier=gw")).isTrue();
    assertThat(overlap("site=a", "site=b")).isFalse();
    assertThat(overlap("site in (a,b)", "site in (b,c)")).isTrue();
    assertThat(overlap("site in (a,b)", "site notin (a,b)")).isFalse();
    assertThat(overlap("site in (a,b)", "site!=a")).isTrue();
    assertThat(overlap("site", "!site")).isFalse();
    assertThat(overlap("!site", "site!=a")).isTrue();
    assertThat(overlap("site=a", "tier=gw")).isTrue();
    assertThat(overlap("site!=a", "site!=b")).isTrue();
  }

  private static boolean overlap(String a, String b) {
    boolean one = Selector.parse(a).overlaps(Selector.parse(b));
    assertThat(Selector.parse(b).overlaps(Selector.parse(a))).isEqualTo(one);
    return one;
  }

  @Test
  void emptySelectorMatchesEverything() {
    assertThat(Selector.parse("").matches(Map.of())).isTrue();
    assertThat(Selector.parse(" ")).isEqualTo(Selector.ALL);
  }

  @Test
  void canonicalTextRoundTrips() {
    Selector s = Selector.parse("tier = gateway , site in (b,a), !zone");
    assertThat(s.toString()).isEqualTo("tier=gateway,site in (a,b),!zone");
    assertThat(Selector.parse(s.toString())).isEqualTo(s);
    assertThat(Json.read(Json.write(s), Selector.class)).isEqualTo(s);
    assertThat(Json.write(s)).isEqualTo("\"tier=gateway,site in (a,b),!zone\"");
  }

  @Test
  void badSyntaxNamesTheRequirement() {
    assertThatThrownBy(() -> Selector.parse("site=shanghai,=x"))
        .hasMessageContaining("cannot parse '=x'");
    assertThatThrownBy(() -> Selector.parse("site in (a;b)")).hasMessageContaining("site in (a;b)");
    assertThatThrownBy(() -> Selector.parse("a=b,,c=d")).hasMessageContaining("empty requirement");
  }
}
