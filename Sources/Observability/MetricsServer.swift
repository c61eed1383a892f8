import IPsecCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The HTTP endpoints (`ObservationEndpoints`) on SwiftNIO, as a service beside the gateway: one event
/// loop and one worker thread (each answer asks charon over its blocking socket, never on the event loop),
/// one request per connection, idle connections closed after 10 s. A request crosses threads twice: from
/// the event loop to the worker and back with the answer. It stops with the service group's graceful
/// shutdown or cancellation.
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
        let endpoints = self.endpoints, logger = self.logger
        let server = try await ServerBootstrap(group: loops)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: .seconds(10)))
                    try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ObservationRequests(endpoints: endpoints, workers: workers, logger: logger))
                }
            }
            .bind(host: listen.address.description, port: Int(listen.port)).get()
        logger.info("serving /metrics, /healthz and /readyz on http://\(listen)")
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await server.closeFuture.get()
        } onCancelOrGracefulShutdown: {
            // Asked to stop (the gateway's shutdown): a normal end, not a failure of `run`.
            server.close(promise: nil)
        }
    }
}

/// One connection's request: read on the event loop, answered on the worker thread, written back on the
/// event loop, then the connection closes (`Connection: close`).
private final class ObservationRequests: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let endpoints: ObservationEndpoints
    let workers: NIOThreadPool
    let logger: Logger
    private var head: HTTPRequestHead?

    init(endpoints: ObservationEndpoints, workers: NIOThreadPool, logger: Logger) {
        self.endpoints = endpoints
        self.workers = workers
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
        case .body:
            break
        case .end:
            guard let request = head else { return }
            head = nil
            let endpoints = self.endpoints
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            workers.runIfActive(eventLoop: context.eventLoop) {
                endpoints.respond(method: request.method.rawValue, path: request.uri)
            }.whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .success(let response): handler.write(response, for: request, context: context)
                case .failure(let error):
                    handler.logger.debug("metrics request not answered: \(error)")
                    context.close(promise: nil)
                }
            }
        }
    }

    private func write(_ response: ObservationEndpoints.Response, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: response.status),
                                                             headers: headers))), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: response.body)))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
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
