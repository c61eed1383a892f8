#!/usr/bin/env bash
# Pins Docker/runtime-packages.txt to the versions Debian offers now (upstream's "freeze versions" habit).
# Rewrites each `name` or `name=version` line as `name=<candidate>`, keeping comments. Run as root, review
# the diff, commit it; scripts/setup.sh and the Dockerfile then install exactly these versions.
set -euo pipefail
file="$(cd "$(dirname "$0")/.." && pwd)/Docker/runtime-packages.txt"
apt-get update -qq
tmp=$(mktemp)
while IFS= read -r line; do
  case "$line" in
    ''|'#'*) printf '%s\n' "$line" ;;
    *) name=${line%%=*}
       version=$(apt-cache policy "$name" | awk '/Candidate:/ {print $2}')
       [ -n "$version" ] && [ "$version" != "(none)" ] || { echo "freeze: no candidate for $name" >&2; exit 1; }
       printf '%s=%s\n' "$name" "$version" ;;
  esac
done < "$file" > "$tmp"
mv "$tmp" "$file"
echo "freeze: $(grep -c '^[^#].*=' "$file") packages pinned in $file"
