#!/usr/bin/env bash
# `make image`: build the Containerfile on these machines (no registry; see
# /work/shared/containers/README.md and infra/compose/README.md):
#   1. a Debian bookworm base from Debian's own packages (mmdebstrap), imported once as
#      localhost/siaga-base:bookworm; the tarball is kept in var/image/ and the image in podman's
#      store, so only the first build pays for it (~40 s);
#   2. buildah bud --isolation chroot on that base, with --layers so an unchanged pyproject.toml
#      reuses the dependency layer (--force-rm: a failed build leaves no working container).
# Elsewhere, `podman build .` (or docker build .) uses the official slim Python image instead.
#   infra/image/build.sh [TAG]        (default localhost/siaga:dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
tag=${1:-${SIAGA_IMAGE_TAG:-localhost/siaga:dev}}
base=localhost/siaga-base:bookworm
cache=var/image
tarball=$cache/base-bookworm.tar

infra/ensure-system-packages.sh
for tool in podman buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "service missing: $tool (Debian package)" >&2; exit 3; }
done

if ! podman image exists "$base"; then
  if [ ! -s "$tarball" ]; then
    mkdir -p "$cache"
    echo "building the Debian base ($tarball, once)"
    # python3-venv: the build stage's venv; ca-certificates: pip and the htmx download verify TLS.
    mmdebstrap --quiet --variant=minbase --format=tar \
      --include=python3,python3-venv,ca-certificates bookworm "$tarball.partial"
    mv "$tarball.partial" "$tarball"
  fi
  podman import --quiet "$tarball" "$base" >/dev/null
fi

previous=$(podman image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
# The RUN steps need the host's network (PyPI, npm); chroot isolation needs no container runtime.
# They also see the host's CA bundle (here it holds the egress proxy's CA); a -v mount is
# there during RUN steps only, never in a layer.
buildah bud --quiet --layers --force-rm --isolation chroot --network host \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  --build-arg BASE="$base" -f Containerfile -t "$tag" .
# The image this tag named before, now untagged, would stay in the store for nothing (it is
# refused, and kept, while another tag names it).
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect --format '{{.Id}}' "$tag")" ]; then
  podman rmi "$previous" >/dev/null || true
fi
echo "built $tag ($(podman image inspect --format '{{.Size}}' "$tag" | numfmt --to=iec) on $base)"
