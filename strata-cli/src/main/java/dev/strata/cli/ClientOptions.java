package dev.strata.cli;

import dev.strata.protocol.client.ClientConfig;
import dev.strata.protocol.client.StrataClient;
import dev.strata.serving.cli.DurationConverter;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options every command that talks to a server shares. */
final class ClientOptions {
  @Option(
      names = "--url",
      defaultValue = "http://127.0.0.1:8000",
      description =
          "The server: http://HOST:PORT (REST) or grpc://HOST:PORT (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(
      names = "--timeout",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "How long a call may take (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  StrataClient connect() {
    ClientConfig config = ClientConfig.parse(url).withTimeout(timeout);
    return url.startsWith("grpc://") ? StrataClient.grpc(config) : StrataClient.rest(config);
  }
}
