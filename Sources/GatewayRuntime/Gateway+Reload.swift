import Foundation
import IPsecCore
import Logging
import NetlinkKit

/// Reloading: the configuration read again (on SIGHUP, or when a watched file changes), validated first,
/// and only the difference applied: unchanged tunnels are not touched, a refused file changes nothing.
extension Gateway {
    /// Serves reload requests one at a time until `run()` ends.
    func serveReloads() async {
        for await reason in reloadRequests {
            await performReload(because: reason)
        }
    }

    /// Watches the folders of the configuration's files (a Kubernetes ConfigMap or Secret is updated by
    /// swapping a `..data` symlink in its folder, so the folder is what changes) and asks for a reload
    /// when what they hold differs from what was loaded. The watch is renewed every few seconds so that
    /// the files of a reloaded configuration are watched too.
    func watchConfigurationFiles(_ reloading: ConfigurationReloading) async {
        var warned = false
        while !Task.isCancelled {
            let files = reloading.watchedFiles(config)
            // Each file's own folder (where Kubernetes swaps its `..data` link). A file that is a link into
            // another folder is not followed there: edits made in that other folder take effect on SIGHUP.
            let folders = Array(Set(files.map { ($0 as NSString).deletingLastPathComponent })).sorted()
            guard !files.isEmpty, let watch = FolderChanges(folders: folders, events: FolderChanges.anyChange,
                                                            until: .now + .seconds(5)) else {
                if !files.isEmpty, !warned {
                    logger.warning("cannot watch \(folders.joined(separator: ", ")) for changes; reload with SIGHUP")
                    warned = true
                }
                try? await Task.sleep(for: .seconds(5))
                continue
            }
            // Once at once: a change made while the previous watch was being replaced is not missed.
            compareWithLoaded(files)
            for await _ in watch.changes {
                try? await Task.sleep(for: reloading.settleTime)
                compareWithLoaded(files)
            }
        }
    }

    /// Asks for a reload when the files hold something else than what was loaded.
    private func compareWithLoaded(_ files: [String]) {
        let loaded = state.withLock { $0.fingerprint }
        // Empty only without a way to reload: nothing to compare with.
        if !loaded.isEmpty, Self.fingerprint(of: files) != loaded.filter({ files.contains($0.key) }) {
            reload(because: "a configuration file changed")
        }
    }

    /// Remembers what the watched files hold now: the state the running configuration was read from.
    func recordFingerprint(of config: GatewayConfig) {
        guard let reloading = options.reloading else { return }
        let fingerprint = Self.fingerprint(of: reloading.watchedFiles(config))
        state.withLock { $0.fingerprint = fingerprint }
    }

    static func fingerprint(of files: [String]) -> [String: [UInt8]?] {
        Dictionary(files.map { ($0, FileManager.default.contents(atPath: $0).map { Array($0) }) }) { first, _ in first }
    }

    func performReload(because reason: String) async {
        guard let reloading = options.reloading else {
            logger.notice("\(reason): this gateway was started without a way to reload; the running configuration stays")
            return
        }
        let old = config
        guard !old.isManual else {
            logger.warning("\(reason): in manual mode (IPSEC_USE_MANUAL_CONFIG) the mounted files are strongSwan's; restart the gateway to apply them")
            return
        }
        let loaded: LoadedConfiguration
        do {
            loaded = try reloading.load()
        } catch {
            let problems = (error as? ConfigurationErrors)?.problems.map(\.description) ?? ["\(error)"]
            // What the files hold now is remembered, so the same broken file is not read again and again.
            recordFingerprint(of: old)
            logger.error("reload (\(reason)) refused; the running configuration stays: \(problems.count == 1 ? problems[0] : problems.joined(separator: "; "))")
            finishReload(reason: reason, succeeded: false, summary: "refused; the running configuration stays", problems: problems)
            return
        }
        for warning in loaded.warnings { logger.warning("\(warning)") }
        var new = loaded.config
        var change = ConfigurationChange(from: old, to: new)
        if !change.needsRestart.isEmpty {
            if old.isRouteBased != new.isRouteBased {
                recordFingerprint(of: new)
                let why = "switching between route-based and policy-based tunnels needs a restart of the gateway"
                logger.error("reload (\(reason)) refused: \(why); the running configuration stays")
                finishReload(reason: reason, succeeded: false, summary: "refused; the running configuration stays", problems: [why])
                return
            }
            logger.warning("reload (\(reason)): \(change.needsRestart.joined(separator: ", ")) changed; that is read when the gateway starts (by charon or by run itself), so it takes effect at the next restart")
            new.interfaces = old.interfaces
            new.debug = old.debug
            new.setRouteDefaultTable = old.setRouteDefaultTable
            new.charonSettings = old.charonSettings
            new.metricsListen = old.metricsListen
            new.logFormat = old.logFormat
            new.reloadOnChange = old.reloadOnChange
            new.failClosed = old.failClosed
            new.vtiFollowsSA = old.vtiFollowsSA
            new.retransmission = old.retransmission
            change = ConfigurationChange(from: old, to: new)
        }
        recordFingerprint(of: new)
        guard !change.isEmpty else {
            logger.info("reload (\(reason)): no tunnel changed")
            state.withLock { $0.config = new }
            finishReload(reason: reason, succeeded: true, summary: "no tunnel changed", problems: [])
            return
        }
        do {
            try prepareKernel(for: change, config: new)
            try await backend.apply(change, config: new)
            cleanUpKernel(after: change, config: new)
            state.withLock { state in
                state.config = new
                state.status = ConfigurationStatus(new, counting: state.status)
            }
            let summary = Self.summary(change)
            logger.notice("reloaded (\(reason)): \(summary)")
            finishReload(reason: reason, succeeded: true, summary: summary, problems: [])
            backend.afterReload(new)
        } catch {
            logger.error("reload (\(reason)) failed part-way: \(error); what was applied before stays, the rest of the running configuration too; correct it and reload again")
            finishReload(reason: reason, succeeded: false, summary: "failed part-way", problems: ["\(error)"])
        }
    }

    static func summary(_ change: ConfigurationChange) -> String {
        var parts: [String] = []
        if !change.added.isEmpty { parts.append("added " + change.added.map(\.name).joined(separator: ", ")) }
        for tunnel in change.changed {
            parts.append("changed \(tunnel.new.name) (\(tunnel.what.joined(separator: ", "))\(tunnel.renegotiate ? "; negotiated again" : ""))")
        }
        if !change.removed.isEmpty { parts.append("removed " + change.removed.map(\.name).joined(separator: ", ")) }
        parts.append("\(change.unchanged.count) unchanged")
        return parts.joined(separator: "; ")
    }

    private func finishReload(reason: String, succeeded: Bool, summary: String, problems: [String]) {
        state.withLock {
            $0.status.lastReload = ConfigurationStatus.ReloadOutcome(at: Date().formatted(.iso8601), reason: reason, succeeded: succeeded,
                                                                     summary: summary, problems: problems)
            if succeeded { $0.status.reloads += 1 } else { $0.status.failedReloads += 1 }
            $0.generation += 1
        }
        writeStatusFile()
    }

    /// Before charon is told: the VTIs of added tunnels, and of changed ones as they are now (a VTI whose
    /// key or endpoints changed is replaced; one that follows its SA stays down until the tunnel is up),
    /// and their fail-closed guards.
    private func prepareKernel(for change: ConfigurationChange, config: GatewayConfig) throws {
        let handle = try NetlinkHandle()
        for tunnel in change.changed where tunnel.old.vti != nil {
            let before = VTISetup(tunnel.old), after = VTISetup(tunnel.new)
            if let before, after?.link != before.link {
                try before.remove(handle)
                logger.info("removed \(before.link.attributes.name)", metadata: ["connection": "\(tunnel.new.name)"])
            }
        }
        let guards = FailClosedGuards(config)
        for tunnel in change.added + change.changed.filter({ $0.kernel || $0.renegotiate }).map(\.new) {
            for policy in guards.byTunnel[tunnel.name]?.policies ?? [] { try handle.xfrmPolicyUpdate(policy) }
            for route in guards.byTunnel[tunnel.name]?.routes ?? [] { try handle.routeReplace(route) }
            guard let setup = VTISetup(tunnel) else { continue }
            let up = !config.vtiFollowsSA || state.withLock { $0.vtiUp[tunnel.name] == true }
            for line in try setup.apply(handle, up: up) where !line.hasSuffix("already present") && !line.hasSuffix("already set") && !line.hasSuffix("already down") {
                logger.info("\(line)", metadata: ["connection": "\(tunnel.name)"])
            }
        }
        // A changed tunnel's main-table routes are put back by the next state update, as they now are.
        removeInstalledRoutes(of: Set(change.changed.filter { $0.kernel || $0.renegotiate }.map(\.new.name)))
    }

    /// After charon let them go: removed tunnels' VTIs, main-table routes and guards (and a changed tunnel's
    /// guards for selectors it no longer has).
    private func cleanUpKernel(after change: ConfigurationChange, config: GatewayConfig) {
        removeInstalledRoutes(of: Set(change.removed.map(\.name)))
        state.withLock { state in for tunnel in change.removed { state.vtiUp[tunnel.name] = nil } }
        guard let handle = try? NetlinkHandle() else { return }
        do {
            let removed = try FailClosedGuards(config).apply(handle)
            if removed > 0 { logger.info("removed \(removed) fail-closed guards of removed or changed tunnels") }
        } catch {
            logger.warning("fail-closed guards: \(error)")
        }
        for tunnel in change.removed {
            guard let setup = VTISetup(tunnel) else { continue }
            do {
                try setup.remove(handle)
                logger.info("removed \(setup.link.attributes.name)", metadata: ["connection": "\(tunnel.name)"])
            } catch {
                logger.warning("removing \(setup.link.attributes.name): \(error)", metadata: ["connection": "\(tunnel.name)"])
            }
        }
    }

    /// The status file `status` reads (`ConfigurationStatus` as JSON), written after every load.
    func writeStatusFile() {
        guard let path = options.statusFile else { return }
        let status = state.withLock { $0.status }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(status) else { return }
        let folder = (path as NSString).deletingLastPathComponent, name = (path as NSString).lastPathComponent
        do {
            try ConfigurationFiles.write([RenderedFile(path: name, contents: String(decoding: data, as: UTF8.self) + "\n", mode: 0o644)], into: folder)
        } catch {
            logger.warning("\(error)")
        }
    }
}
