package dev.strata.protocol.client;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** The gRPC client over real HTTP/2 on loopback. */
class GrpcStrataClientIT extends StrataClientContract {
  private Server server;

  @Override
  protected StrataClient start() throws Exception {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(new FakeGrpcService(models))
            .build()
            .start();
    return StrataClient.grpc(ClientConfig.of("127.0.0.1", server.getPort()));
  }

  @Override
  protected void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
