import IPsecCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The HTTP endpoints (`ObservationEndpoints`) on SwiftNIO, as a service beside the gateway: one event
/// loop and one worker thread (each answer asks charon over its blocking socket, never on the event loop),
/// one request per connection, idle connections closed after 10 s. It stops with the service group's
/// graceful shutdown or cancellation.
public struct MetricsServer: Service {
    let listen: ListenAddress
    let endpoints: ObservationEndpoints
    let logger: Logger

    public init(listen: ListenAddress, endpoints: ObservationEndpoints, logger: Logger) {
        self.listen = listen
        self.endpoints = endpoints
        self.logger = logger
    }

    public func run() async throws {
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let workers = NIOThreadPool(numberOfThreads: 1)
        workers.start()
        defer {
            loops.shutdownGracefully { _ in }
            workers.shutdownGracefully { _ in }
        }
        let server = try await ServerBootstrap(group: loops)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: listen.address.description, port: Int(listen.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(10)))
                    try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
        logger.info("serving /metrics, /healthz and /readyz on http://\(listen)")
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            group.addTask { await serve(connection, on: workers) }
                        }
                    }
                }
            }
        } catch is CancellationError {
            // Asked to stop (the gateway's shutdown): a normal end, not a failure of `run`.
        }
    }

    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, on workers: NIOThreadPool) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                for try await part in inbound {
                    switch part {
                    case .head(let request):
                        head = request
                    case .body:
                        continue
                    case .end:
                        guard let request = head else { return }
                        let endpoints = self.endpoints
                        let response = try await workers.runIfActive { endpoints.respond(method: request.method.rawValue, path: request.uri) }
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: response.contentType)
                        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
                        headers.add(name: "Connection", value: "close")
                        try await outbound.write(.head(HTTPResponseHead(version: request.version,
                                                                        status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                        if request.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body)))) }
                        try await outbound.write(.end(nil))
                        return
                    }
                }
            }
        } catch {
            logger.debug("metrics connection ended: \(error)")
        }
    }
}

/// Closes a connection its idle-state handler reports idle: a client that connects and never asks must
/// not hold a connection forever.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
