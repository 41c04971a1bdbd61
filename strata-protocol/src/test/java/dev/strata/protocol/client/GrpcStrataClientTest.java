package dev.strata.protocol.client;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.concurrent.TimeUnit;

/** The gRPC client against an in-process server. */
class GrpcStrataClientTest extends StrataClientContract {
  private Server server;

  @Override
  protected StrataClient start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(new FakeGrpcService(models))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return new GrpcStrataClient(channel, ClientConfig.of("in-process", 1));
  }

  @Override
  protected void stop() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
