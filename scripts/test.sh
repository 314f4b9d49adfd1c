#!/usr/bin/env bash
# `npm test`: everything CI runs, building once. Each suite can also be run on its own with its
# npm script (test:unit, test:node24, test:e2e, test:ui, test:parity, test:queue, test:n8n1,
# test:n8n1:node22).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${N8N_MTLS_CACHE:-$HOME/.cache/n8n-nodes-mtls}"
NODE24="$CACHE/node24/node_modules/node/bin/node"
started=$SECONDS
suite() {
	local name=$1
	shift
	local begin=$SECONDS
	echo
	echo "=== $name"
	"$@"
	echo "=== $name: passed in $((SECONDS - begin)) s"
}

suite lint npm run --silent lint
suite build npm run --silent build
suite "build tests" npm run --silent build:test
suite "n8n 2.40.7 on Node 24" bash scripts/ensure-n8n.sh
suite "unit tests, Node $(node --version)" node --test --test-reporter=spec .test-build/test/*.test.js
suite "unit tests, Node 24" "$NODE24" --test --test-reporter=spec .test-build/test/*.test.js
suite "end-to-end, n8n 2.40.7" node --test --test-reporter=spec --test-concurrency=1 .test-build/test/e2e/*.test.js
suite "browser, n8n 2.40.7 editor" node --test --test-reporter=spec --test-concurrency=1 .test-build/test/ui/*.test.js
suite "parity with n8n's HTTP Request node" node --test --test-reporter=spec --test-concurrency=1 .test-build/test/parity/*.test.js
suite "queue mode, n8n 2.40.7" node --test --test-reporter=spec .test-build/test/queue/*.test.js
# n8n 1.x: the oldest release the README claims on the Node on PATH (Node 20 in CI), then the newest
# 1.x on the cached Node 22 with n8n's default (isolated-vm) expression engine.
N8N1_OLDEST="${N8N_MTLS_N8N_VERSION:-1.81.4}"
N8N1_NEWEST=1.123.81 # pinned exactly, as in package.json's test:n8n1:node22
CORE_E2E=(node --test --test-reporter=spec --test-concurrency=1 .test-build/test/e2e/node.e2e.test.js)
oldest=(env N8N_MTLS_N8N_VERSION="$N8N1_OLDEST")
newest=(env N8N_MTLS_N8N_VERSION="$N8N1_NEWEST" N8N_MTLS_N8N_NODE=22)
suite "n8n $N8N1_OLDEST on Node 20" "${oldest[@]}" bash scripts/ensure-n8n1.sh
suite "core end-to-end, n8n $N8N1_OLDEST" "${oldest[@]}" "${CORE_E2E[@]}"
suite "n8n $N8N1_NEWEST on Node 22" "${newest[@]}" bash scripts/ensure-n8n1.sh
suite "core end-to-end, n8n $N8N1_NEWEST on Node 22" "${newest[@]}" "${CORE_E2E[@]}"
echo
echo "=== all suites passed in $((SECONDS - started)) s"
