#!/usr/bin/env bash
# Builds the binary the image ships, the one way: Docker/Dockerfile, scripts/image.sh and the benchmarks call
# this script, so what is measured is what ships. Prints the binary's path (build output on stderr).
#   bash scripts/build-static.sh [SCRATCH_PATH (.build-static)]
# - `--static-swift-stdlib`: the Swift runtime and Foundation inside the binary (no Swift runtime in the image);
# - `-Xswiftc -Osize`, every Swift module: 1.0 MB less resident memory, no measurable loss of speed;
# - libstdc++ as an archive: `--static-swift-stdlib` still links it as a shared library (the toolchain's
#   static-stdlib-args.lnk says `-lstdc++`), and that library's pages cost `run` 1.4 MB of RSS for the
#   little of it the ICU and runtime code call; a folder holding only libstdc++.a, searched before the
#   compiler's own (where libstdc++.so is), makes that `-lstdc++` the archive: 1.1 MB less RSS.
# How it is linked besides (lld, packed relocations, no exported symbols) is in Package.swift.
# Figures: docs/benchmarks.md, 8.1.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$here/.build-static}
clang="$(dirname "$(readlink -f "$(command -v swift)")")/clang"
archive=$("$clang" -print-file-name=libstdc++.a)
[ -f "$archive" ] || { echo "build-static: no libstdc++.a beside the C++ compiler (Debian: libstdc++-12-dev)" >&2; exit 1; }
mkdir -p "$scratch/static-libstdc++"
ln -sfn "$archive" "$scratch/static-libstdc++/libstdc++.a"
cd "$here"
swift build -c release --product vnf-ipsec --static-swift-stdlib -Xswiftc -Osize --scratch-path "$scratch" \
  -Xlinker -L"$scratch/static-libstdc++" 2>&1 | tail -1 >&2
binary="$scratch/release/vnf-ipsec"
# The archive must have been taken: a binary that still needs libstdc++.so would not be what was measured.
if readelf -d "$binary" | grep -q 'NEEDED.*libstdc++'; then echo "build-static: $binary still needs libstdc++.so" >&2; exit 1; fi
echo "$binary"
