#!/usr/bin/env bash
# Installs the oldest n8n 1.x the README claims (or $N8N_MTLS_N8N_VERSION) for the Node on PATH (Node 20
# in CI) or $N8N_MTLS_N8N_NODE, into a cache outside the repo:
#   $N8N_MTLS_CACHE (default ~/.cache/n8n-nodes-mtls)/n8n-<version>-node<major>
# The n8n 1.x job (npm run test:n8n1) runs the core e2e workflows in it.
# Idempotent: a marker is written only once everything works, so a half-finished install is redone.
# test/e2e/n8n.ts computes the same paths; keep the two in step.
set -euo pipefail

# 1.80 is not on the registry; 1.81.4 is the oldest release of the line the README names.
N8N_VERSION="${N8N_MTLS_N8N_VERSION:-1.81.4}"
# n8n 1.x depends on xlsx from SheetJS's own CDN, which is not reachable everywhere; the registry's
# last release installs in its place (n8n only uses it in the Spreadsheet File node).
XLSX_VERSION=0.18.5

# n8n 1.x refuses Node 23 and newer (engines "<= 22"); on such a machine it runs on this Node 20.
NODE20_VERSION=20.20.2

CACHE="${N8N_MTLS_CACHE:-$HOME/.cache/n8n-nodes-mtls}"
NODE20="$CACHE/node20/node_modules/node/bin/node"
LOG="$CACHE/ensure-n8n-$N8N_VERSION.log"
# Set by pick_node once the lock is held.
NODE= NODE_VERSION= N8N_DIR= MARKER=

say() { echo "[ensure-n8n1] $*"; }

fail() {
	say "FAILED: $*"
	[[ -f "$LOG" ]] && tail -n 40 "$LOG" | sed 's/^/  | /'
	say "full log: $LOG"
	exit 1
}

# node-gyp needs the running Node's headers and cannot download them offline. Distribution packages
# and the official tarballs ship them beside the binary; otherwise the `node` npm package of the same
# version carries them.
node_headers() {
	local prefix dir
	prefix="$(dirname "$(dirname "$(readlink -f "$NODE")")")"
	[[ -f "$prefix/include/node/node.h" ]] && { echo "$prefix"; return 0; }
	for dir in "$CACHE/headers-$NODE_VERSION"/node_modules/node/node_modules/node-* "$CACHE/node20"/node_modules/node/node_modules/node-*; do
		[[ -f "$dir/include/node/node.h" ]] && { echo "$dir"; return 0; }
	done
	return 1
}

install_headers() {
	say "fetching the headers of Node $NODE_VERSION (the node npm package)"
	rm -rf "$CACHE/headers-$NODE_VERSION"
	# The `node` package fetches its platform build (with include/) in an install script.
	npm install --prefix "$CACHE/headers-$NODE_VERSION" --ignore-scripts=false --no-audit --no-fund "node@$NODE_VERSION" >>"$LOG" 2>&1 ||
		fail "npm install node@$NODE_VERSION"
}

# The Node on PATH (or $N8N_MTLS_N8N_NODE); the cached Node 20 when PATH has one n8n 1.x refuses.
# test/e2e/n8n.ts makes the same choice.
pick_node() {
	NODE="${N8N_MTLS_N8N_NODE:-$(command -v node)}"
	if [[ -z "${N8N_MTLS_N8N_NODE:-}" ]] && (($("$NODE" -p 'process.versions.node.split(".")[0]') > 22)); then
		NODE="$NODE20"
		if [[ "$("$NODE" --version 2>/dev/null)" != "v$NODE20_VERSION" ]]; then
			say "Node on PATH is newer than n8n 1.x accepts; installing Node $NODE20_VERSION into $CACHE/node20"
			rm -rf "$CACHE/node20"
			# The `node` package fetches its platform build in an install script.
			npm install --prefix "$CACHE/node20" --ignore-scripts=false --no-audit --no-fund "node@$NODE20_VERSION" >>"$LOG" 2>&1 ||
				fail "npm install node@$NODE20_VERSION"
		fi
	fi
	NODE_VERSION="$("$NODE" --version)"
	NODE_VERSION="${NODE_VERSION#v}"
	N8N_DIR="$CACHE/n8n-$N8N_VERSION-node${NODE_VERSION%%.*}"
	MARKER="$CACHE/.complete-n8n-$N8N_VERSION-node-$NODE_VERSION"
}

n8n_runs() {
	[[ "$("$NODE" "$N8N_DIR/node_modules/n8n/bin/n8n" --version 2>/dev/null | tail -n 1)" == "$N8N_VERSION" ]]
}

natives_load() {
	"$NODE" -e "require('$N8N_DIR/node_modules/sqlite3')" >>"$LOG" 2>&1
}

install_n8n() {
	say "installing n8n $N8N_VERSION into $N8N_DIR (a few minutes)"
	rm -rf "$N8N_DIR"
	mkdir -p "$N8N_DIR"
	printf '{"private":true,"dependencies":{"n8n":"%s"},"overrides":{"xlsx":"%s"}}\n' "$N8N_VERSION" "$XLSX_VERSION" >"$N8N_DIR/package.json"
	(cd "$N8N_DIR" && npm install --ignore-scripts --no-audit --no-fund) >>"$LOG" 2>&1 || fail "npm install n8n@$N8N_VERSION"
}

# n8n 1.x needs only sqlite3 natively at start-up (isolated-vm arrived with n8n's 1.10x expression engine).
rebuild_natives() {
	say "building sqlite3 for Node $NODE_VERSION"
	(cd "$N8N_DIR" && npm rebuild sqlite3 --ignore-scripts=false --nodedir="$(node_headers)") >>"$LOG" 2>&1 ||
		fail "npm rebuild sqlite3"
}

main() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock-n8n-$N8N_VERSION"
	if ! flock -n 9; then
		say "another install is running; waiting for it"
		flock 9
	fi
	: >"$LOG"
	local started=$SECONDS
	pick_node
	if [[ -f "$MARKER" ]]; then
		say "n8n $N8N_VERSION on Node $NODE_VERSION is ready ($N8N_DIR)"
		return 0
	fi
	node_headers >/dev/null || install_headers
	node_headers >/dev/null || fail "no headers for Node $NODE_VERSION"
	n8n_runs || install_n8n
	natives_load || rebuild_natives
	n8n_runs || fail "n8n $N8N_VERSION does not start on Node $NODE_VERSION"
	natives_load || fail "sqlite3 does not load on Node $NODE_VERSION"
	date -u +%FT%TZ >"$MARKER"
	say "n8n $N8N_VERSION on Node $NODE_VERSION is ready ($N8N_DIR, $((SECONDS - started))s)"
}

main "$@"
