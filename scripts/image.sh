#!/usr/bin/env bash
# Builds the container image localhost/vnf-ipsec:latest from Docker/Dockerfile with podman, on a machine
# without a registry: the Debian base comes from debootstrap (scripts/base-image.sh), and the static
# vnf-ipsec binary from this machine's Swift toolchain, handed to the Dockerfile's binary-from-context stage.
# Run scripts/setup.sh first (podman, runc, debootstrap). Prints the image's size.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
image=${IMAGE:-localhost/vnf-ipsec:latest}
bash scripts/base-image.sh
# The same build as the Dockerfile's binary-from-source stage (scripts/build-static.sh), stripped as there.
binary=$(bash scripts/build-static.sh "$here/.build-static")
install -s -D -m 0755 "$binary" .build-image/vnf-ipsec
# runc, not crun (crun refuses this host's hybrid cgroups); ulimits within the hard limits here.
# --format docker: the OCI image format has no HEALTHCHECK, podman drops it there.
podman --runtime runc build --format docker --network host --pull=never \
  --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
  --build-arg BINARY_FROM=context -f Docker/Dockerfile -t "$image" . > .build-image/build.log 2>&1 \
  || { tail -30 .build-image/build.log >&2; exit 1; }
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "image: $image, $((size / 1000000)) MB"
