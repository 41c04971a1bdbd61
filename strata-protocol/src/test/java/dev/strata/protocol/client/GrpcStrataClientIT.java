package dev.strata.protocol.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gRPC client over real HTTP/2 on loopback. */
class GrpcStrataClientIT extends StrataClientContract {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private Server server;
  private final ConcurrentLinkedQueue<String> authorizations = new ConcurrentLinkedQueue<>();

  @Override
  protected StrataClient start() throws Exception {
    ServerInterceptor recordAuthorization =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String value = headers.get(AUTHORIZATION);
            if (value != null) {
              authorizations.add(value);
            }
            return next.startCall(call, headers);
          }
        };
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(
                ServerInterceptors.intercept(new FakeGrpcService(models), recordAuthorization))
            .build()
            .start();
    return StrataClient.grpc(ClientConfig.of("127.0.0.1", server.getPort()));
  }

  @Override
  protected void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void sendsTheConfiguredHeadersAsMetadata() {
    try (StrataClient withToken =
        StrataClient.grpc(
            ClientConfig.of("127.0.0.1", server.getPort())
                .withHeader("Authorization", "Bearer stn_n1.secret"))) {
      assertThat(withToken.live()).isTrue();
    }
    assertThat(authorizations).containsExactly("Bearer stn_n1.secret");
  }
}
