#!/bin/sh
# Entry point of the Cairn image. The control plane reads its PostgreSQL URL, password included, from
# DATABASE_URL only; a Docker secret is a file. When DATABASE_URL_FILE names one, its contents become
# DATABASE_URL for the process alone, so the password stays out of the container's configuration
# (`docker inspect`, compose files).
set -eu
if [ -n "${DATABASE_URL_FILE:-}" ]; then
  if [ ! -r "$DATABASE_URL_FILE" ]; then
    echo "cairn-entrypoint: cannot read DATABASE_URL_FILE ($DATABASE_URL_FILE); check the database_url secret" >&2
    exit 1
  fi
  DATABASE_URL="$(cat "$DATABASE_URL_FILE")"
  export DATABASE_URL
  unset DATABASE_URL_FILE
fi
exec "$@"
