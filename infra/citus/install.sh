#!/usr/bin/env bash
# Installs Citus (the distributed PostgreSQL extension, AGPL-3.0) into the machine's PostgreSQL 15
# when it is missing, from a source tarball (never from the network):
#   CITUS_SOURCE_TARBALL  default: ../shared/citus/citus-13.2.2.tar.gz beside the repository
#   CITUS_PATCHES         default: every *.patch beside the tarball (applied with patch -p1)
# Exit codes: 0 installed (or already there), 4 no Citus and no tarball (the caller says so and
# moves on), other = the build failed. Needs root for apt-get and make install. ~3 min of CPU.
#
# Why a patch for 13.2.2: PostgreSQL 15.20 exports have_createdb_privilege(), and Citus 13.2.2
# still declares its own static copy for PG 15, so it does not compile; the patch drops that copy.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
pg_config=${PG_CONFIG:-pg_config}
tarball=${CITUS_SOURCE_TARBALL:-$repo/../shared/citus/citus-13.2.2.tar.gz}

if command -v "$pg_config" >/dev/null 2>&1; then
  libdir=$("$pg_config" --pkglibdir)
  if [ -f "$libdir/citus.so" ]; then
    exit 0
  fi
fi
if [ ! -f "$tarball" ]; then
  exit 4  # the caller says so (make test-citus: one line)
fi
if [ "$(id -u)" != 0 ]; then
  exit 5  # building needs root (apt-get, make install); the caller says so
fi
if ! command -v "$pg_config" >/dev/null 2>&1 || [ ! -d /usr/include/postgresql/15/server ]; then
  apt-get update -qq
  apt-get install -y -qq postgresql-15 postgresql-server-dev-15 >/dev/null
fi
libdir=$("$pg_config" --pkglibdir)
missing=""
for p in build-essential postgresql-server-dev-15 liblz4-dev libzstd-dev libkrb5-dev \
  libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev libssl-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null
fi
patches=${CITUS_PATCHES:-$(ls "$(dirname "$tarball")"/*.patch 2>/dev/null || true)}
work=$(mktemp -d -t citus-build.XXXX)
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
cd "$src"
for p in $patches; do
  patch -p1 -s <"$p"
done
echo "citus: building from $tarball (about 3 minutes)" >&2
PG_CONFIG="$pg_config" ./configure --without-libcurl >"$work/configure.log" 2>&1 \
  || { tail -n 20 "$work/configure.log"; exit 1; }
make -j"$(nproc)" >"$work/make.log" 2>&1 || { grep -n ' error' "$work/make.log" | head; exit 1; }
make install >"$work/install.log" 2>&1 || { tail -n 20 "$work/install.log"; exit 1; }
echo "citus: installed in $libdir" >&2
