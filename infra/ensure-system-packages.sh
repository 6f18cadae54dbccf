#!/usr/bin/env bash
# Install the Debian packages Siaga's tests need when they are missing (as root), else say which:
# PostgreSQL, Chromium (UI tests), Maven (fetches Keycloak), zbar (QR codes in the letter tests). Keycloak's Java: see keycloak.sh.
# podman, buildah and mmdebstrap (the container image: `make image` and its test); docker-compose and
# caddy check the province's compose file and its Caddyfile (infra/compose).
# With SIAGA_BENCH=1 also wrk, the HTTP load generator of `make bench`.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # UI tests drive it with Playwright
command -v mvn >/dev/null 2>&1 || missing+=(maven)  # fetches Keycloak from Maven Central
command -v curl >/dev/null 2>&1 || missing+=(curl)  # waits for Keycloak's readiness
ldconfig -p 2>/dev/null | grep -q "libzbar.so.0 " || missing+=(libzbar0)  # decodes the letters' QR codes in tests
[ "${SIAGA_BENCH:-}" = 1 ] && { command -v wrk >/dev/null 2>&1 || missing+=(wrk); }  # benchmark load
for tool in podman buildah mmdebstrap docker-compose caddy; do  # image, compose file
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing ${missing[*]} (Debian packages)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "service missing: install the Debian packages: ${missing[*]} (their tests are skipped)" >&2
  # Under CI a missing service is a failure; on a developer's machine, a skip.
  [ "${SIAGA_REQUIRE_SERVICES:-}" = 1 ] && exit 3
  exit 0
fi
