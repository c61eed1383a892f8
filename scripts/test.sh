#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs the Swift tests (unit, golden, strongSwan
# acceptance, netlink in namespaces, gateways on the host), the user-mode-Linux lab, and the image tests
# (set-up on a fresh Debian container, the container image under podman). Non-zero on failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
swift build
swift test
bash Tests/Lab/run.sh
bash scripts/image.sh
bash Tests/Image/run.sh
