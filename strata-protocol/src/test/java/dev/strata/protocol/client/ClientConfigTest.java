package dev.strata.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientConfigTest {
  @Test
  void parsesAddressesWithAndWithoutScheme() {
    assertThat(ClientConfig.parse("localhost:8000")).isEqualTo(ClientConfig.of("localhost", 8000));
    assertThat(ClientConfig.parse("http://10.0.0.5:8000").host()).isEqualTo("10.0.0.5");
    assertThat(ClientConfig.parse("grpc://edge-1:8001").port()).isEqualTo(8001);
  }

  @Test
  void httpsAndGrpcsAddressesConnectOverTls() {
    assertThat(ClientConfig.parse("https://cloud:8443").tls()).isTrue();
    assertThat(ClientConfig.parse("grpcs://cloud:8444").tls()).isTrue();
    assertThat(ClientConfig.parse("http://cloud:8080").tls()).isFalse();
    assertThat(ClientConfig.parse("cloud:8080").tls()).isFalse();
    assertThat(ClientConfig.of("h", 1).tls()).isFalse();
    ClientConfig c = ClientConfig.of("h", 1).withTls(true).withTimeout(Duration.ofSeconds(3));
    assertThat(c.tls()).as("kept by the other withers").isTrue();
    assertThat(c.withHeader("a", "b").tls()).isTrue();
    assertThat(c.toString()).contains("tls=true");
  }

  @Test
  void rejectsBadValuesNamingThem() {
    assertThatThrownBy(() -> ClientConfig.parse("localhost"))
        .hasMessageContaining("address: 'localhost' (expected: host:port)");
    assertThatThrownBy(() -> ClientConfig.of("h", 0))
        .hasMessageContaining("port: 0 (expected: 1..65535)");
    assertThatThrownBy(() -> ClientConfig.of("h", 1).withMaxConnections(0))
        .hasMessageContaining("maxConnections: 0 (expected: > 0)");
    assertThatThrownBy(() -> ClientConfig.of("h", 1).withTimeout(Duration.ZERO))
        .hasMessageContaining("timeout: PT0S (expected: > 0)");
  }

  @Test
  void headersReplaceByNameAndNeverShowTheirValues() {
    ClientConfig c =
        ClientConfig.of("h", 1)
            .withHeader("Authorization", "Bearer one")
            .withHeader("authorization", "Bearer two");
    assertThat(c.headers()).containsExactly(java.util.Map.entry("authorization", "Bearer two"));
    assertThat(c.toString()).contains("headers=[authorization]").doesNotContain("Bearer");
    assertThat(ClientConfig.of("h", 1).headers()).isEmpty();
    assertThatThrownBy(() -> ClientConfig.of("h", 1).withHeader("bad name", "v"))
        .hasMessageContaining("header name: 'bad name' (expected: an HTTP token)");
    assertThatThrownBy(() -> ClientConfig.of("h", 1).withHeader("x-token", "a\nb"))
        .hasMessageContaining("header x-token: value has a control or non-ASCII character");
  }
}
