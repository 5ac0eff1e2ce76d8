#!/usr/bin/env bash
# The whole check, as CI runs it: formatting and lint, types, protos, then every test against real
# servers (the Vitest global setups install and start what is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$1"; }

step 'biome'
npx biome ci .

step 'typescript'
npx tsc -p tsconfig.json

step 'layers (.dependency-cruiser.cjs)'
npm run -s lint:layers

step 'buf lint'
npx buf lint

step 'generated code is current'
npx buf generate
if ! git diff --quiet --exit-code -- packages/api/src/gen || [ -n "$(git status --porcelain -- packages/api/src/gen)" ]; then
  git status --short -- packages/api/src/gen
  echo 'packages/api/src/gen is stale: run `npm run generate` and commit the result' >&2
  exit 1
fi

step 'deploy configs'
node --import tsx deploy/scripts/check-configs.ts

step 'postgresql'
bash scripts/ensure-postgres.sh

step 'tests'
npx vitest run "$@"
