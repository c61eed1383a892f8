#!/usr/bin/env bash
# Builds localhost/debian:bookworm-slim with podman from Debian's packages (no registry is needed): a
# debootstrap minbase with the same three sources as the official debian:bookworm-slim (bookworm,
# bookworm-updates, bookworm-security). Cached: a second run only checks that the image exists.
# The image tests and the fresh-machine set-up test start from it; the Dockerfile's runtime stage names it.
set -euo pipefail
image=localhost/debian:bookworm-slim
podman=(podman --runtime runc)
if "${podman[@]}" image exists "$image"; then exit 0; fi
command -v debootstrap >/dev/null || { echo "base-image: debootstrap missing (run scripts/setup.sh)" >&2; exit 1; }
dir=$(mktemp -d /var/tmp/vnf-ipsec-base.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "base-image: debootstrap bookworm (about a minute)"
debootstrap --variant=minbase bookworm "$dir" http://deb.debian.org/debian >"$dir.log" 2>&1 \
  || { tail -20 "$dir.log" >&2; rm -f "$dir.log"; exit 1; }
rm -f "$dir.log"
cat > "$dir/etc/apt/sources.list" <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
# Like the official slim image: no apt caches, no documentation left from the bootstrap.
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
tar -C "$dir" -c . | "${podman[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' - "$image" >/dev/null
echo "base-image: built $image"
