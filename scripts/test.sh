#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs the Swift tests (unit, golden, strongSwan
# acceptance, netlink in namespaces, gateways on the host; NetlinkKit's again under AddressSanitizer), the
# user-mode-Linux lab (two guests at a time, the timing-sensitive scenarios alone), and the image tests
# (set-up on a fresh Debian container, the container image under podman). Non-zero on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
swift build
swift test
# NetlinkKit is a public library that must be memory-safe on any input: its tests again under
# AddressSanitizer (leak reports off: Foundation's Process in the test helpers leaks by design).
ASAN_OPTIONS=detect_leaks=0 swift test --sanitize=address --scratch-path .build-asan --filter NetlinkKitTests
bash Tests/Lab/run.sh
bash scripts/image.sh
bash Tests/Image/run.sh
