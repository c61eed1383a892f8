/// How a tunnel is started, kept and closed. The defaults are upstream's fixed choices: DPD every 30 s with
/// restart, keying tries forever, traffic-triggered start (trap), and the automatic role.
public struct TunnelBehaviour: Sendable, Hashable, Encodable {
    /// Who initiates.
    public var role: Role = .automatic
    /// Seconds between dead-peer-detection probes while nothing is received; 0 turns DPD off.
    public var dpdDelay: Lifetime = Lifetime(seconds: 30)
    /// IKEv1 only: how long without an answer before the peer is dead (IKEv2 uses charon's retransmission
    /// settings instead). nil leaves strongSwan's default (150 s).
    public var dpdTimeout: Lifetime?
    public var dpdAction: DPDAction = .restart
    /// nil: the automatic choice (trap, or none for a responder and for a peer at `%any`).
    public var startAction: StartAction?
    public var closeAction: CloseAction = .none
    /// How many times charon tries to negotiate before giving up; 0 means forever.
    public var keyingTries: UInt32 = 0

    public init(role: Role = .automatic, dpdDelay: Lifetime = Lifetime(seconds: 30), dpdTimeout: Lifetime? = nil,
                dpdAction: DPDAction = .restart, startAction: StartAction? = nil, closeAction: CloseAction = .none,
                keyingTries: UInt32 = 0) {
        self.role = role
        self.dpdDelay = dpdDelay
        self.dpdTimeout = dpdTimeout
        self.dpdAction = dpdAction
        self.startAction = startAction
        self.closeAction = closeAction
        self.keyingTries = keyingTries
    }

    public enum Role: String, Sendable, Hashable, CaseIterable, Encodable {
        /// Both may initiate: the side with the lower address at once, the other after a pause if nothing
        /// came up (so two gateways started together do not build two IKE_SAs). A peer at `%any` is waited for.
        case automatic
        /// Initiates at once and never waits for the peer.
        case initiator
        /// Never initiates: waits for the peer (start_action none unless set otherwise).
        case responder
    }

    /// swanctl's `dpd_action`.
    public enum DPDAction: String, Sendable, Hashable, CaseIterable, Encodable {
        case clear, trap, restart
    }

    /// swanctl's `start_action`.
    public enum StartAction: String, Sendable, Hashable, CaseIterable, Encodable {
        case none, trap, start
    }

    /// swanctl's `close_action`: what to do when the peer closes the CHILD_SA.
    public enum CloseAction: String, Sendable, Hashable, CaseIterable, Encodable {
        case none, clear, trap, start
    }
}

extension TunnelConfig {
    /// The start action charon is given: the explicit one, or the automatic choice. Upstream used auto=route:
    /// the kernel asks charon for the SA when traffic arrives, so the tunnel comes back by itself after any
    /// failure. A responder, and a peer at `%any` (nobody to trap traffic towards), only wait.
    public var effectiveStartAction: TunnelBehaviour.StartAction {
        if let explicit = behaviour.startAction { return explicit }
        return remote == .any || behaviour.role == .responder ? .none : .trap
    }

    /// Whether `run` initiates this tunnel itself after loading it (with start_action `start` charon does).
    public var runInitiates: Bool {
        remote != .any && behaviour.role != .responder && effectiveStartAction == .trap
    }
}
