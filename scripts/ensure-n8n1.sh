#!/usr/bin/env bash
# Installs an n8n 1.x into a cache outside the repo, for the n8n 1.x jobs (npm run test:n8n1 and
# test:n8n1:node22), which run the core e2e workflows in it:
#   $N8N_MTLS_CACHE (default ~/.cache/n8n-nodes-mtls)/n8n-<version>-node<major>
# N8N_MTLS_N8N_VERSION: the n8n (default 1.81.4, the oldest release the README claims).
# N8N_MTLS_N8N_NODE: the Node it runs on: a path to a node binary, or a major listed in NODE_PINS
#   (the `node` npm package of that version, installed into $N8N_MTLS_CACHE/node<major>). Default:
#   the Node on PATH (Node 20 in CI), or the cached Node 20 if that one is newer than n8n 1.x accepts.
# Idempotent: a marker is written only once everything works, so a half-finished install is redone.
# test/e2e/n8n.ts computes the same paths; keep the two in step.
set -euo pipefail

N8N_VERSION="${N8N_MTLS_N8N_VERSION:-1.81.4}"
# n8n 1.x depends on xlsx from SheetJS's own CDN, which is not reachable everywhere; the registry's
# last release installs in its place (n8n only uses it in the Spreadsheet File node).
XLSX_VERSION=0.18.5

# The Node versions this script installs from the registry, by major, pinned exactly.
declare -A NODE_PINS=([20]=20.20.2 [22]=22.23.3)

CACHE="${N8N_MTLS_CACHE:-$HOME/.cache/n8n-nodes-mtls}"
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

major_of() { "$1" -p 'process.versions.node.split(".")[0]'; }

# node-gyp needs the running Node's headers and cannot download them offline. Distribution packages
# and the official tarballs ship them beside the binary; the `node` npm package keeps them in its
# platform build; otherwise the `node` npm package of the same version is fetched for them.
node_headers() {
	local prefix dir
	prefix="$(dirname "$(dirname "$(readlink -f "$NODE")")")"
	[[ -f "$prefix/include/node/node.h" ]] && { echo "$prefix"; return 0; }
	for dir in "$CACHE/headers-$NODE_VERSION"/node_modules/node/node_modules/node-* \
		"$CACHE/node${NODE_VERSION%%.*}"/node_modules/node/node_modules/node-*; do
		[[ -f "$dir/include/node/node.h" && "$(grep -m1 '"version"' "$dir/package.json")" == *"\"$NODE_VERSION\""* ]] &&
			{ echo "$dir"; return 0; }
	done
	return 1
}

# `npm run` exports the repo's ignore-scripts=true to child npm processes; the `node` package fetches
# its platform build (binary and include/) in an install script, so that is switched back on here.
install_node_package() {
	local prefix=$1 version=$2
	rm -rf "$prefix"
	npm install --prefix "$prefix" --ignore-scripts=false --no-audit --no-fund "node@$version" >>"$LOG" 2>&1 ||
		fail "npm install node@$version"
}

install_headers() {
	say "fetching the headers of Node $NODE_VERSION (the node npm package)"
	install_node_package "$CACHE/headers-$NODE_VERSION" "$NODE_VERSION"
}

# The cached Node of a pinned major; installed under its own lock, as other n8n versions share it.
cached_node() {
	local major=$1 version=${NODE_PINS[$1]:-}
	[[ -n "$version" ]] || fail "N8N_MTLS_N8N_NODE=$major: no pinned Node $major (known: ${!NODE_PINS[*]}); give a path to a node binary instead"
	NODE="$CACHE/node$major/node_modules/node/bin/node"
	[[ "$("$NODE" --version 2>/dev/null)" == "v$version" ]] && return 0
	(
		flock 8
		if [[ "$("$NODE" --version 2>/dev/null)" != "v$version" ]]; then
			say "installing Node $version into $CACHE/node$major"
			install_node_package "$CACHE/node$major" "$version"
		fi
	) 8>"$CACHE/.lock-node$major"
	[[ "$("$NODE" --version 2>/dev/null)" == "v$version" ]] || fail "Node $version is not usable at $NODE"
}

# test/e2e/n8n.ts makes the same choice.
pick_node() {
	local requested="${N8N_MTLS_N8N_NODE:-}"
	if [[ "$requested" =~ ^[0-9]+$ ]]; then
		cached_node "$requested"
	elif [[ -n "$requested" ]]; then
		NODE="$requested"
	else
		NODE="$(command -v node)"
		# n8n 1.81 refuses Node 23 and newer (engines "<= 22"; 1.110 and later accept 24).
		if (($(major_of "$NODE") > 22)); then
			say "Node on PATH is newer than n8n 1.x accepts; using the cached Node 20"
			cached_node 20
		fi
	fi
	NODE_VERSION="$("$NODE" --version)" || fail "N8N_MTLS_N8N_NODE=$NODE does not run"
	NODE_VERSION="${NODE_VERSION#v}"
	N8N_DIR="$CACHE/n8n-$N8N_VERSION-node${NODE_VERSION%%.*}"
	MARKER="$CACHE/.complete-n8n-$N8N_VERSION-node-$NODE_VERSION"
}

# sqlite3 always; isolated-vm where n8n has it (the vm expression engine of the late 1.123.x
# releases), which needs Node 22: on Node 20 such an n8n runs only with N8N_EXPRESSION_ENGINE=legacy
# (README), so it is not built there.
natives() {
	echo sqlite3
	[[ -d "$N8N_DIR/node_modules/isolated-vm" ]] && ((${NODE_VERSION%%.*} >= 22)) && echo isolated-vm
	return 0
}

n8n_runs() {
	[[ "$("$NODE" "$N8N_DIR/node_modules/n8n/bin/n8n" --version 2>/dev/null | tail -n 1)" == "$N8N_VERSION" ]]
}

# The native modules that do not load yet (isolated-vm ships prebuilt binaries for Node 22 and 24).
unloadable() {
	local module
	for module in $(natives); do
		"$NODE" -e "require('$N8N_DIR/node_modules/$module')" >>"$LOG" 2>&1 || echo "$module"
	done
}

natives_load() { [[ -z "$(unloadable)" ]]; }

# npm and the install scripts it runs on the chosen Node, so engine checks and build scripts see that one.
on_node() { PATH="$(dirname "$NODE"):$PATH" "$@"; }

install_n8n() {
	say "installing n8n $N8N_VERSION into $N8N_DIR (a few minutes)"
	rm -rf "$N8N_DIR"
	mkdir -p "$N8N_DIR"
	printf '{"private":true,"dependencies":{"n8n":"%s"},"overrides":{"xlsx":"%s"}}\n' "$N8N_VERSION" "$XLSX_VERSION" >"$N8N_DIR/package.json"
	(cd "$N8N_DIR" && on_node npm install --ignore-scripts --no-audit --no-fund) >>"$LOG" 2>&1 || fail "npm install n8n@$N8N_VERSION"
}

# Prebuilt binaries cannot be downloaded everywhere, so the native modules are compiled against the
# chosen Node's headers.
rebuild_natives() {
	local modules headers
	modules="$(unloadable | xargs)"
	headers="$(node_headers)"
	say "building $modules for Node $NODE_VERSION (a few minutes)"
	# shellcheck disable=SC2086 # one word per module
	(cd "$N8N_DIR" && on_node npm rebuild $modules --ignore-scripts=false --nodedir="$headers") >>"$LOG" 2>&1 ||
		fail "npm rebuild $modules"
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
	natives_load || fail "$(unloadable | xargs) does not load on Node $NODE_VERSION"
	date -u +%FT%TZ >"$MARKER"
	say "n8n $N8N_VERSION on Node $NODE_VERSION is ready ($N8N_DIR, $((SECONDS - started))s)"
}

main "$@"
