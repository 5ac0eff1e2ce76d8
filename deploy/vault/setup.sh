#!/bin/sh
# Prepares an initialised, unsealed Vault for Cairn. Safe to run again: what exists is left alone.
#   - a KV version 2 engine at secret/ (the "mount" of both Cairn configs)
#   - the policies cairn-controlplane (read/write secret/cairn/*) and cairn-cas (read only)
#   - one token per service whose value is the one already in its Docker secret file (made by
#     scripts/init-secrets.sh), so the services can be started before this runs and need no restart.
# Needs VAULT_ADDR and VAULT_TOKEN; choosing a token's value (the "id") takes a root token.
set -eu
: "${VAULT_ADDR:?set VAULT_ADDR}"
: "${VAULT_TOKEN:?set VAULT_TOKEN to a root token (vault operator init prints one)}"

MOUNT=secret
POLICIES=/setup/policies
# Periodic tokens: each renewal gives one more period, without a maximum. Cairn's services renew theirs when
# half of it has passed, so a token lasts as long as its service runs; one stopped for longer than a period
# loses its token, and running this again creates it anew.
TOKEN_PERIOD=${CAIRN_VAULT_TOKEN_PERIOD:-768h}

if vault secrets list -format=json | grep -q "\"${MOUNT}/\""; then
  echo "vault-setup: secrets engine ${MOUNT}/ exists"
else
  vault secrets enable -path="${MOUNT}" -version=2 kv
fi

vault policy write cairn-controlplane "${POLICIES}/cairn-controlplane.hcl"
vault policy write cairn-cas "${POLICIES}/cairn-cas.hcl"

# ensure_token NAME POLICY FILE — the token's value travels through a 0600 file, never a command line.
ensure_token() {
  name=$1
  policy=$2
  file=$3
  if [ ! -s "$file" ]; then
    echo "vault-setup: $file is missing or empty; run deploy/scripts/init-secrets.sh first" >&2
    exit 1
  fi
  if VAULT_TOKEN="$(tr -d '\r\n' <"$file")" vault token lookup >/dev/null 2>&1; then
    echo "vault-setup: token for $name exists"
    return
  fi
  id_file=$(mktemp)
  tr -d '\r\n' <"$file" >"$id_file"
  if vault write auth/token/create id=@"$id_file" policies="$policy" no_parent=true renewable=true \
    period="$TOKEN_PERIOD" display_name="$name" >/dev/null; then
    rm -f "$id_file"
    echo "vault-setup: created the token for $name (policy $policy, period $TOKEN_PERIOD)"
  else
    rm -f "$id_file"
    echo "vault-setup: could not create the token for $name" >&2
    exit 1
  fi
}

umask 077
ensure_token cairn-controlplane cairn-controlplane /run/secrets/controlplane_vault_token
ensure_token cairn-cas cairn-cas /run/secrets/cas_vault_token
echo "vault-setup: done"
