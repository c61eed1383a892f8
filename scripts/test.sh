#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs the Swift tests (unit, golden,
# netlink-in-namespace, charon-on-host) and the user-mode-Linux lab. Exit non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
bash scripts/setup.sh
swift build
swift test 2>&1 | tee /tmp/vnf-ipsec-swift-test.log
if [ -x Tests/Lab/run.sh ]; then
  bash Tests/Lab/run.sh
fi
