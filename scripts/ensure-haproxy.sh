#!/usr/bin/env bash
# The cluster (npm run cluster, and its test) balances replicas with Debian's HAProxy; install it if missing.
# The lock is the one every Cairn harness takes around apt, so parallel installs never race.
set -euo pipefail
command -v haproxy >/dev/null && exit 0
flock --exclusive --timeout 900 "${TMPDIR:-/tmp}/cairn-apt.lock" sh -c '
  command -v haproxy >/dev/null && exit 0
  apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 haproxy >/dev/null
'
command -v haproxy >/dev/null || { echo 'haproxy is not installed and apt-get could not install it' >&2; exit 1; }
