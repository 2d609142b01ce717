#!/usr/bin/env bash
# Proves `npm run new-service` (issue 23): in a scratch copy of the committed tree, `new-service demo`
# gives a service that builds, whose tests pass, that validate-deploy accepts, and that `npm start`
# runs behind the gateway with its /openapi.json merged into /docs — with no other file edited by
# hand. Cleans up after itself. Uses the ports of services.json (nothing else may be running).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scratch=$(mktemp -d)
supervisor=""
# `npm start` gives demo its default database, finance_demo: a run stopped halfway, or one before
# with another migration timestamp, must not leave it for this one (nor this one for the next).
drop_demo_database() {
  (cd "$root" && node -e "
    const { Client } = require('pg');
    const client = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    client.connect()
      .then(() => client.query('DROP DATABASE IF EXISTS finance_demo WITH (FORCE)'))
      .finally(() => client.end());
  ") || true
}
cleanup() {
  if [[ -n "$supervisor" ]] && kill -0 "$supervisor" 2>/dev/null; then
    kill -TERM "$supervisor" 2>/dev/null || true
    wait "$supervisor" 2>/dev/null || true
  fi
  git -C "$root" worktree remove --force "$scratch/repo" >/dev/null 2>&1 || true
  rm -rf "$scratch"
  drop_demo_database
}
trap cleanup EXIT

drop_demo_database
echo "check-new-service: scratch copy of HEAD in $scratch/repo"
git worktree add --quiet --detach "$scratch/repo" HEAD
# The installed dependencies, as they are (their workspace links are relative, so they point into the copy).
cp -a node_modules "$scratch/repo/"
for dir in shared/node_modules services/*/node_modules; do
  [[ -d "$dir" ]] && mkdir -p "$scratch/repo/$(dirname "$dir")" && cp -a "$dir" "$scratch/repo/$dir"
done
cd "$scratch/repo"

node scripts/new-service.js demo --skip-install --description "a demonstration service"
npx tsc -b services/*/tsconfig.json
npx jest services/demo
node scripts/validate-deploy.js | tail -1

gateway_port=$(node -p "require('./scripts/lib/services').registeredServices().find((s) => s.role === 'edge').port")
log="$scratch/start.log"
RAW_LOGS=1 node scripts/start.js >"$log" 2>&1 &
supervisor=$!
for _ in $(seq 1 240); do
  grep -q 'services ready' "$log" && break
  kill -0 "$supervisor" 2>/dev/null || { cat "$log"; echo "check-new-service: npm start exited" >&2; exit 1; }
  sleep 0.5
done
grep -q 'services ready' "$log" || { tail -50 "$log"; echo "check-new-service: not ready in 120 s" >&2; exit 1; }

docs=$(curl -fsS "http://127.0.0.1:$gateway_port/openapi.json")
echo "$docs" | node -e "
  const doc = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  if (!doc.paths['/demo/items']) { console.error('check-new-service: /demo/items is not in the gateway\'s /openapi.json'); process.exit(1); }
  console.log('check-new-service: /docs has /demo/items');
"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gateway_port/demo/items")
[[ "$status" == 401 ]] || { echo "check-new-service: GET /demo/items without a token answered $status, not 401" >&2; exit 1; }
echo "check-new-service: the gateway routes /demo/items (401 without a token)"
echo "check-new-service: passed"
