#!/bin/sh
# TRIAL PROFILE ONLY. Initialises the compose Vault with ONE unseal key and keeps that key and the root token
# in the vault-trial-keys volume, right beside the data they protect: anyone with access to the Docker host
# can read every secret. It then unseals Vault (on every `up`, since Vault starts sealed) and runs setup.sh.
# A real deployment initialises and unseals by hand (deploy/README.md, "Vault").
set -eu
KEYS=/trial-keys/init.txt

# `vault status` exits 0 when unsealed, 2 when sealed and 1 when Vault does not answer (yet).
tries=0
while :; do
  code=0
  vault status >/dev/null 2>&1 || code=$?
  [ "$code" -ne 1 ] && break
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "vault-trial-init: Vault at $VAULT_ADDR did not answer within a minute" >&2
    exit 1
  fi
  sleep 1
done

if vault status -format=json | grep -Eq '"initialized": *false'; then
  umask 077
  vault operator init -key-shares=1 -key-threshold=1 >"$KEYS"
  echo "vault-trial-init: initialised Vault (trial: unseal key and root token kept in the vault-trial-keys volume)"
fi
if [ ! -s "$KEYS" ]; then
  echo "vault-trial-init: Vault was initialised outside the trial profile; unseal and set it up by hand" >&2
  exit 1
fi
unseal_key=$(awk -F': ' '/^Unseal Key 1:/ { print $2 }' "$KEYS")
root_token=$(awk -F': ' '/^Initial Root Token:/ { print $2 }' "$KEYS")

if vault status -format=json | grep -Eq '"sealed": *true'; then
  # The key on a command line is acceptable here only because this whole profile is a throwaway trial.
  vault operator unseal "$unseal_key" >/dev/null
  echo "vault-trial-init: unsealed Vault"
fi

VAULT_TOKEN=$root_token sh /setup/setup.sh
