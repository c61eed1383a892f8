#if canImport(Glibc)
import Glibc
#endif

/// Bytes read from a VICI socket and not yet returned as packets: the transport's frames (a 32-bit big-endian
/// length, then the packet) are cut from it, so one read can serve many packets and a frame may arrive in pieces.
struct ReceiveBuffer {
    /// Room for many of charon's packets (a `list-sa` event for one IKE_SA is well under 1 kB); grows to the
    /// largest frame received, at most ``VICIConnection/maximumPacket`` plus its length.
    static let initialCapacity = 32 * 1024

    /// The storage; `start..<end` is what was received and not yet taken. Pages are only touched as bytes are
    /// received into them.
    private(set) var bytes: [UInt8] = [UInt8](unsafeUninitializedCapacity: Self.initialCapacity) { _, initialized in
        initialized = Self.initialCapacity  // never read outside start..<end, which only received bytes fill
    }
    private(set) var start = 0
    /// Where the next received bytes go: `bytes[end...]` is free.
    private(set) var end = 0

    /// Bytes received and not yet taken.
    var count: Int { end - start }

    /// The length of the next frame's packet. - Precondition: `count >= 4`.
    var packetLength: Int {
        Int(bytes[start]) << 24 | Int(bytes[start + 1]) << 16 | Int(bytes[start + 2]) << 8 | Int(bytes[start + 3])
    }

    /// The next frame's packet, decoded and taken, when all `length` bytes of it are here; `nil` otherwise.
    /// - Throws: `.malformed` for a packet that is not VICI (what is left is then meaningless).
    mutating func takePacket(_ length: Int) throws(VICIError) -> VICIPacket? {
        guard count >= 4 + length else { return nil }
        let packet = try VICIPacket.decode(bytes[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        if start == end { start = 0; end = 0 }
        return packet
    }

    /// Makes sure a frame of `frame` bytes starting at `start` fits and that there is free space to receive
    /// into: moves what is left to the front, grows the storage if the frame is larger than it.
    mutating func makeRoom(for frame: Int) {
        guard start + frame > bytes.count || end == bytes.count else { return }
        if start > 0 {
            let (from, left) = (start, count)
            bytes.withUnsafeMutableBytes { raw in
                _ = memmove(raw.baseAddress!, raw.baseAddress! + from, left)  // the ranges may overlap
            }
            start = 0
            end = left
        }
        if frame > bytes.count { bytes.append(contentsOf: repeatElement(0, count: frame - bytes.count)) }
    }

    /// Calls `read` with the free space; a positive result is the number of bytes `read` put there.
    mutating func receive<Result: BinaryInteger>(_ read: (UnsafeMutableRawBufferPointer) -> Result) -> Result {
        let received = bytes.withUnsafeMutableBytes { read(UnsafeMutableRawBufferPointer(rebasing: $0[end...])) }
        if received > 0 { end += Int(received) }
        return received
    }
}
