/// A comma-separated list of IKE or ESP proposals, each a `-`-joined list of algorithm tokens
/// (`aes256gcm16-prfsha384-ecp384,aes256-sha256-modp3072`). An ipsec.conf-style trailing `!` (strict) is
/// accepted and kept for ipsec.conf; swanctl.conf is always strict.
public struct ProposalList: Sendable, Hashable, CustomStringConvertible, Codable {
    public enum Kind: String, Sendable { case ike, esp }

    public var proposals: [[String]]
    public var strict: Bool

    public init(proposals: [[String]], strict: Bool = false) {
        self.proposals = proposals
        self.strict = strict
    }

    /// The default IKE proposals of the upstream image.
    public static let upstreamIKEDefault = ProposalList(parsingKnownGood: "aes192gcm16-aes128gcm16-prfsha256-ecp256-ecp521,aes192-sha256-modp3072")
    /// The default ESP proposals of the upstream image.
    public static let upstreamESPDefault = ProposalList(parsingKnownGood: "aes192gcm16-aes128gcm16-ecp256,aes192-sha256-modp3072")

    private init(parsingKnownGood text: String) {
        proposals = text.split(separator: ",").map { $0.split(separator: "-").map(String.init) }
        strict = false
    }

    /// What is wrong with the text, as an operator would want to read it.
    public enum ParseError: Error, Sendable, Equatable {
        case empty
        case emptyProposal(position: Int)
        case unknownAlgorithm(String)
        /// The proposal lacks an algorithm type charon requires for this kind (e.g. an IKE proposal without
        /// a key exchange group, an ESP proposal without encryption).
        case incomplete(position: Int, missing: String)
        /// AEAD (GCM, CCM, ChaCha20-Poly1305) and classic ciphers in one proposal: charon refuses the mix.
        case mixesAEAD(position: Int)
        /// ESP with a classic cipher and no integrity algorithm: charon accepts it, but the packets can be
        /// altered undetected (RFC 8221 forbids it), so it counts as a weak cipher.
        case unauthenticated(position: Int)
    }

    /// Parses and checks the list as charon would; `requireIntegrity: false` lets ESP encrypt without
    /// integrity (weak, for IPSEC_ALLOW_WEAK_CIPHERS).
    public static func parse(_ text: String, kind: Kind, requireIntegrity: Bool = true) -> Result<ProposalList, ParseError> {
        var body = text.trimmingSpaces.lowercased()
        var strict = false
        if body.hasSuffix("!") {
            strict = true
            body.removeLast()
        }
        guard !body.isEmpty else { return .failure(.empty) }
        var proposals: [[String]] = []
        for (index, proposal) in body.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let tokens = String(proposal).trimmingSpaces.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard !tokens.isEmpty, tokens.allSatisfy({ !$0.isEmpty }) else { return .failure(.emptyProposal(position: index + 1)) }
            if tokens == ["default"] {
                proposals.append(tokens)
                continue
            }
            for token in tokens where !StrongSwanAlgorithms.isKnown(token, kind: kind) {
                return .failure(.unknownAlgorithm(token))
            }
            switch StrongSwanAlgorithms.structuralProblem(tokens, kind: kind, position: index + 1) {
            case nil: break
            case .unauthenticated? where !requireIntegrity: break
            case let problem?: return .failure(problem)
            }
            proposals.append(tokens)
        }
        return .success(ProposalList(proposals: proposals, strict: strict))
    }

    /// Algorithm tokens that are broken today (single DES, 3DES, MD5, null encryption, DH groups ≤ 1024 bits).
    public var brokenAlgorithms: [String] {
        var seen: [String] = []
        for token in proposals.joined() where StrongSwanAlgorithms.broken.contains(token) && !seen.contains(token) {
            seen.append(token)
        }
        return seen
    }

    /// The list as strongSwan expects it in swanctl.conf (no strict marker: swanctl is always strict).
    public var swanctlValue: String { proposals.map { $0.joined(separator: "-") }.joined(separator: ",") }

    /// The list as ipsec.conf expects it, with the strict marker when the operator gave one.
    public var ipsecConfValue: String { swanctlValue + (strict ? "!" : "") }

    public var description: String { ipsecConfValue }
}

/// The algorithm names strongSwan 5.9 understands in proposals (its `proposal_keywords`), so a typo is refused
/// here, with the variable named, instead of by charon at connection time.
enum StrongSwanAlgorithms {
    static let encryption: Set<String> = {
        var names: Set<String> = ["null", "des", "3des", "cast128", "blowfish128", "blowfish192", "blowfish256",
                                  "blowfish", "chacha20poly1305", "idea", "rc5", "aes", "camellia", "serpent", "twofish"]
        for bits in ["128", "192", "256"] {
            names.formUnion(["aes\(bits)", "aes\(bits)ctr", "camellia\(bits)", "camellia\(bits)ctr", "serpent\(bits)",
                             "twofish\(bits)", "aes\(bits)gmac", "null_aes\(bits)gmac"])
            for icv in ["", "8", "12", "16", "64", "96", "128"] {
                names.insert("aes\(bits)gcm\(icv)")
                names.insert("aes\(bits)ccm\(icv)")
                names.insert("camellia\(bits)ccm\(icv)")
            }
        }
        return names
    }()

    static let integrity: Set<String> = ["md5", "md5_128", "sha", "sha1", "sha1_160", "sha256", "sha2_256", "sha384",
                                         "sha2_384", "sha512", "sha2_512", "sha256_96", "sha2_256_96", "aesxcbc",
                                         "aescmac", "aes128gmac", "aes192gmac", "aes256gmac", "camelliaxcbc"]

    static let pseudoRandom: Set<String> = ["prfmd5", "prfsha1", "prfsha256", "prfsha384", "prfsha512", "prfaesxcbc",
                                            "prfaescmac", "prfcamelliaxcbc"]

    static let keyExchange: Set<String> = ["modp768", "modp1024", "modp1536", "modp2048", "modp3072", "modp4096",
                                           "modp6144", "modp8192", "modp1024s160", "modp2048s224", "modp2048s256",
                                           "ecp192", "ecp224", "ecp256", "ecp384", "ecp521", "ecp224bp", "ecp256bp",
                                           "ecp384bp", "ecp512bp", "curve25519", "x25519", "curve448", "x448"]

    static let sequenceNumbers: Set<String> = ["esn", "noesn"]

    static let broken: Set<String> = ["des", "3des", "md5", "md5_128", "prfmd5", "null", "modp768", "modp1024",
                                      "modp1024s160"]

    /// AEAD ciphers: they authenticate themselves, so they take no integrity algorithm (null_aes*gmac too).
    static func isAEAD(_ token: String) -> Bool {
        token.contains("gcm") || token.contains("ccm") || token == "chacha20poly1305" || token.hasPrefix("null_aes")
    }

    /// What charon's proposal check (libstrongswan's proposal.c) refuses when the connection is loaded:
    /// every proposal needs an encryption algorithm; classic ciphers need an integrity algorithm; IKE needs
    /// a key exchange group and a PRF (given, or derived from the integrity algorithm); AEAD and classic
    /// ciphers do not mix.
    static func structuralProblem(_ tokens: [String], kind: ProposalList.Kind, position: Int) -> ProposalList.ParseError? {
        let ciphers = tokens.filter { encryption.contains($0) }
        guard !ciphers.isEmpty else { return .incomplete(position: position, missing: "an encryption algorithm") }
        let aead = ciphers.filter(isAEAD)
        if !aead.isEmpty, aead.count != ciphers.count { return .mixesAEAD(position: position) }
        let hasIntegrity = tokens.contains { integrity.contains($0) }
        if aead.isEmpty, !hasIntegrity {
            return kind == .esp ? .unauthenticated(position: position) : .incomplete(position: position, missing: "an integrity algorithm (e.g. sha256)")
        }
        if kind == .ike {
            if !tokens.contains(where: { keyExchange.contains($0) }) {
                return .incomplete(position: position, missing: "a key exchange group (e.g. ecp256 or modp3072)")
            }
            if !aead.isEmpty, !hasIntegrity, !tokens.contains(where: { pseudoRandom.contains($0) }) {
                return .incomplete(position: position, missing: "a PRF (e.g. prfsha256), which AEAD ciphers need")
            }
        }
        return nil
    }

    static func isKnown(_ token: String, kind: ProposalList.Kind) -> Bool {
        if encryption.contains(token) || integrity.contains(token) || keyExchange.contains(token) { return true }
        switch kind {
        case .ike: return pseudoRandom.contains(token)
        case .esp: return sequenceNumbers.contains(token)
        }
    }
}
