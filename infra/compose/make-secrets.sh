#!/usr/bin/env bash
# Write the secret files compose.yaml reads (infra/compose/secrets/, mode 600), random, once:
# an existing file is kept, so running it again never changes a password or a key.
# The TLS pair is the province's: copy it to secrets/tls_certificate.pem and
# secrets/tls_private_key.pem (with --self-signed, a throwaway pair for a trial).
#
# Keep a copy of siaga_field_keys and siaga_search_key in the province's key escrow: without
# them the encrypted personal data (NIK, names) cannot be read back.
set -euo pipefail
dir=${SECRETS_DIR:-$(cd "$(dirname "$0")" && pwd)/secrets}
mkdir -p "$dir"
chmod 700 "$dir"
umask 077
random() { python3 -c "import secrets; print(secrets.token_urlsafe($1))"; }
key32() { python3 -c "import base64, os; print(base64.b64encode(os.urandom(32)).decode())"; }
put() { [ -s "$dir/$1" ] || printf '%s' "$2" >"$dir/$1"; }

put postgres_password "$(random 24)"
put siaga_owner_password "$(random 24)"
put siaga_web_password "$(random 24)"
put siaga_backup_password "$(random 24)"  # `siaga backup` reads as siaga_backup
put keycloak_db_password "$(random 24)"
put keycloak_admin_password "$(random 24)"
put siaga_secret_key "$(random 48)"
put siaga_field_keys "k1:$(key32)"
put siaga_search_key "$(key32)"
put siaga_keycloak_client_secret "${SIAGA_KEYCLOAK_CLIENT_SECRET:-change-me-to-the-keycloak-client-secret}"
# The app connects as siaga_web (row-level security applies), migrations as the owner.
put siaga_database_url \
  "postgresql+psycopg://siaga_web:$(cat "$dir/siaga_web_password")@postgres:5432/siaga"
put siaga_migration_database_url \
  "postgresql+psycopg://siaga_owner:$(cat "$dir/siaga_owner_password")@postgres:5432/siaga"
put siaga_backup_database_url \
  "postgresql+psycopg://siaga_backup:$(cat "$dir/siaga_backup_password")@postgres:5432/siaga"

if [ "${1:-}" = --self-signed ] && [ ! -s "$dir/tls_certificate.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=${SIAGA_PUBLIC_HOST:-siaga.local}" \
    -addext "subjectAltName=DNS:${SIAGA_PUBLIC_HOST:-siaga.local},DNS:${SIAGA_SSO_HOST:-sso.siaga.local}" \
    -keyout "$dir/tls_private_key.pem" -out "$dir/tls_certificate.pem" 2>/dev/null
fi
ls "$dir"
