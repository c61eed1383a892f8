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
# - every function in a section of its own (`-function-sections`, `-ffunction-sections`), and the functions
#   `run` executes (scripts/hot-functions.order, made by scripts/hot-functions.sh) placed first: the kernel
#   maps the pages around each fault, so hot code spread over the whole text keeps most of it resident.
# How it is linked besides (lld, packed relocations, no exported symbols) is in Package.swift.
# Figures: docs/benchmarks.md, 8.1 and 8.4.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
scratch=${1:-$here/.build-static}
clang="$(dirname "$(readlink -f "$(command -v swift)")")/clang"
archive=$("$clang" -print-file-name=libstdc++.a)
[ -f "$archive" ] || { echo "build-static: no libstdc++.a beside the C++ compiler (Debian: libstdc++-12-dev)" >&2; exit 1; }
mkdir -p "$scratch/static-libstdc++"
ln -sfn "$archive" "$scratch/static-libstdc++/libstdc++.a"
cd "$here"
order="$here/scripts/hot-functions.order"
ordering=(-Xlinker --symbol-ordering-file="$order" -Xlinker --no-warn-symbol-ordering)
[ -f "$order" ] || { echo "build-static: no $order (scripts/hot-functions.sh makes it): default layout" >&2; ordering=(); }
# UNORDERED=1: the default layout, for a benchmark's baseline (Benchmarks/lab.sh), never for the image.
[ "${UNORDERED:-0}" = 1 ] && ordering=()
flags=(-Xswiftc -Osize -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections)
# SwiftPM does not rebuild what it built with other compiler flags: an earlier build's objects go first.
if [ "$(cat "$scratch/compiler-flags" 2>/dev/null)" != "${flags[*]}" ]; then
  rm -rf "$scratch"/*-unknown-linux-gnu "$scratch/release"
  echo "${flags[*]}" > "$scratch/compiler-flags"
fi
# Nor does it link again when only the order file changed: the binary goes, so it is linked with this one.
rm -f "$scratch/release/vnf-ipsec"
swift build -c release --product vnf-ipsec --static-swift-stdlib --scratch-path "$scratch" "${flags[@]}" "${ordering[@]}" \
  -Xlinker -L"$scratch/static-libstdc++" 2>&1 | tail -1 >&2
binary="$scratch/release/vnf-ipsec"
# A list older than the code names functions that no longer exist (renamed, changed signatures): still
# correct, less compact. Said when more than a tenth of it is gone.
if [ ${#ordering[@]} -gt 0 ] && command -v nm >/dev/null; then
  listed=$(wc -l < "$order")
  present=$(nm --defined-only "$binary" | awk '{print $NF}' | sort -u | comm -12 - <(sort -u "$order") | wc -l)
  if [ $((present * 10)) -lt $((listed * 9)) ]; then
    echo "build-static: only $present of the $listed functions in scripts/hot-functions.order are in the binary; run scripts/hot-functions.sh" >&2
  fi
fi
# The archive must have been taken: a binary that still needs libstdc++.so would not be what was measured.
if readelf -d "$binary" | grep -q 'NEEDED.*libstdc++'; then echo "build-static: $binary still needs libstdc++.so" >&2; exit 1; fi
echo "$binary"
