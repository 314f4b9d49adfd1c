#!/usr/bin/env bash
# Installs the n8n the end-to-end suite and the demo run in, into a cache outside the repo:
#   $N8N_MTLS_CACHE (default ~/.cache/n8n-nodes-mtls)/node24       Node 24, from the `node` npm package
#   $N8N_MTLS_CACHE/n8n-2.40.7                                       n8n, native modules built for Node 24
# Idempotent: a marker is written only once everything works, so a half-finished install is redone.
# test/e2e/n8n.ts computes the same paths; keep the two in step.
set -euo pipefail

NODE_VERSION=24.21.0
N8N_VERSION=2.40.7 # pinned exactly: 2.41.x does not install here

CACHE="${N8N_MTLS_CACHE:-$HOME/.cache/n8n-nodes-mtls}"
NODE_DIR="$CACHE/node24"
NODE_BIN_DIR="$NODE_DIR/node_modules/node/bin"
NODE24="$NODE_BIN_DIR/node"
N8N_DIR="$CACHE/n8n-$N8N_VERSION"
MARKER="$CACHE/.complete-n8n-$N8N_VERSION-node-$NODE_VERSION"
LOG="$CACHE/ensure-n8n.log"

say() { echo "[ensure-n8n] $*"; }

fail() {
	say "FAILED: $*"
	[[ -f "$LOG" ]] && tail -n 40 "$LOG" | sed 's/^/  | /'
	say "full log: $LOG"
	exit 1
}

# Where the `node` package keeps the platform build; its include/ lets node-gyp compile offline.
node_headers() {
	local dir
	for dir in "$NODE_DIR"/node_modules/node/node_modules/node-*; do
		[[ -f "$dir/include/node/node.h" ]] && { echo "$dir"; return 0; }
	done
	return 1
}

node24_works() {
	[[ -x "$NODE24" ]] && [[ "$("$NODE24" --version 2>/dev/null)" == "v$NODE_VERSION" ]] && node_headers >/dev/null
}

n8n_runs() {
	[[ "$("$NODE24" "$N8N_DIR/node_modules/n8n/bin/n8n" --version 2>/dev/null | tail -n 1)" == "$N8N_VERSION" ]]
}

natives_load() {
	"$NODE24" -e "require('$N8N_DIR/node_modules/sqlite3'); require('$N8N_DIR/node_modules/isolated-vm')" >>"$LOG" 2>&1
}

# `npm run` exports the repo's ignore-scripts=true to child npm processes; the `node` package needs
# its install script, so it is switched back on explicitly here.
install_node24() {
	say "installing Node $NODE_VERSION into $NODE_DIR"
	rm -rf "$NODE_DIR"
	npm install --prefix "$NODE_DIR" --ignore-scripts=false --no-audit --no-fund "node@$NODE_VERSION" >>"$LOG" 2>&1 ||
		fail "npm install node@$NODE_VERSION"
}

install_n8n() {
	say "installing n8n $N8N_VERSION into $N8N_DIR (a few minutes)"
	rm -rf "$N8N_DIR"
	mkdir -p "$N8N_DIR"
	echo '{"private":true}' >"$N8N_DIR/package.json"
	(cd "$N8N_DIR" && npm install --prefix "$N8N_DIR" --save-exact --ignore-scripts --no-audit --no-fund "n8n@$N8N_VERSION") >>"$LOG" 2>&1 ||
		fail "npm install n8n@$N8N_VERSION"
}

# Prebuilt binaries cannot be downloaded everywhere, so the two native modules n8n needs at start-up
# are compiled against Node 24's own headers.
rebuild_natives() {
	local headers
	headers="$(node_headers)"
	say "building sqlite3 and isolated-vm for Node $NODE_VERSION (a few minutes)"
	(cd "$N8N_DIR" && PATH="$NODE_BIN_DIR:$PATH" npm rebuild sqlite3 isolated-vm --prefix "$N8N_DIR" \
		--ignore-scripts=false --nodedir="$headers") >>"$LOG" 2>&1 || fail "npm rebuild sqlite3 isolated-vm"
}

main() {
	mkdir -p "$CACHE"
	exec 9>"$CACHE/.lock"
	if ! flock -n 9; then
		say "another install is running; waiting for it"
		flock 9
	fi
	if [[ -f "$MARKER" ]]; then
		say "n8n $N8N_VERSION on Node $NODE_VERSION is ready ($CACHE)"
		return 0
	fi
	: >"$LOG"
	local started=$SECONDS
	node24_works || install_node24
	node24_works || fail "Node $NODE_VERSION is not usable at $NODE24"
	n8n_runs || install_n8n
	natives_load || rebuild_natives
	n8n_runs || fail "n8n $N8N_VERSION does not start on Node $NODE_VERSION"
	natives_load || fail "sqlite3 or isolated-vm does not load on Node $NODE_VERSION"
	date -u +%FT%TZ >"$MARKER"
	say "n8n $N8N_VERSION on Node $NODE_VERSION is ready ($CACHE, $((SECONDS - started))s)"
}

main "$@"
