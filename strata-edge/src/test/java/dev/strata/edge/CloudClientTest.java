package dev.strata.edge;

import static org.assertj.core.api.Assertions.assertThat;

import dev.strata.protocol.client.ClientConfig;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class CloudClientTest {
  private static ClientConfig config(String url) {
    return CloudClient.config(URI.create(url), Duration.ofSeconds(2), Duration.ofSeconds(1));
  }

  @Test
  void anHttpsCloudIsCalledOverTls() {
    ClientConfig c = config("https://cloud.example:8443");
    assertThat(c.tls()).isTrue();
    assertThat(c.host()).isEqualTo("cloud.example");
    assertThat(c.port()).isEqualTo(8443);
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.connectTimeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(config("https://cloud.example").port()).isEqualTo(443);
  }

  @Test
  void anHttpCloudIsCalledInPlainText() {
    ClientConfig c = config("http://cloud.example");
    assertThat(c.tls()).isFalse();
    assertThat(c.port()).isEqualTo(80);
  }
}
