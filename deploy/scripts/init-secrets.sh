#!/bin/sh
# Creates deploy/secrets/, the files compose.yml hands to the containers as Docker secrets. Random values;
# an existing file is never replaced (the database and Vault already know its value).
#   postgres-password            the PostgreSQL password of the "cairn" role
#   database-url                 the control plane's DATABASE_URL, with that password
#   vault-token-controlplane     the control plane's Vault token (created in Vault by vault/setup.sh)
#   vault-token-cas              the CAS's read-only Vault token (likewise)
# The directory is 0700; the files are 0644 because Docker bind-mounts secret files with their host owner
# and mode, and each container reads them as its own user (postgres, node, vault).
set -eu
dir=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)/secrets
mkdir -p "$dir"
chmod 0700 "$dir"

random_hex() {
  od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

# write NAME VALUE — without a trailing newline, so the value is exactly what a reader gets.
write() {
  if [ -e "$dir/$1" ]; then
    echo "kept    secrets/$1"
    return
  fi
  (umask 022 && printf '%s' "$2" >"$dir/$1")
  echo "created secrets/$1"
}

if [ -e "$dir/postgres-password" ]; then
  password=$(cat "$dir/postgres-password")
else
  password=$(random_hex)
fi
write postgres-password "$password"
write database-url "postgres://cairn:${password}@postgres:5432/cairn"
write vault-token-controlplane "$(random_hex)"
write vault-token-cas "$(random_hex)"
