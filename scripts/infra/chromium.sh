#!/usr/bin/env bash
# Debian's Chromium, for the headless browser test of the tapis_auth login (driven by playwright-core;
# no browser is ever downloaded).
# Usage: scripts/infra/chromium.sh start|stop|status
# start: installs chromium when missing, checks that it starts headless, and prints its path on
#   stdout. Tests start their own browser from it, with a new empty profile each, so nothing keeps
#   running between suites.
# stop: ends headless Chromium processes a suite killed midway left behind (their profiles are under
#   runs/), and removes those profiles.
set -euo pipefail

BASE="${PODS_INFRA_HOME:-$HOME/.cache/pods-infra}/chromium"
CHROMIUM=/usr/bin/chromium
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

apt_install() {
  [[ $EUID -eq 0 ]] || die "$* missing and not root; install it manually"
  export DEBIAN_FRONTEND=noninteractive
  apt-cache show "$@" >/dev/null 2>&1 || apt-get update >&2
  apt-get install -y --no-install-recommends "$@" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "$@" >&2; } \
    || die "apt-get install $* failed"
}

start() {
  [[ -x $CHROMIUM ]] || { log "installing chromium from Debian packages..."; apt_install chromium; }
  mkdir -p "$BASE/runs"
  local profile
  profile="$(mktemp -d "$BASE/runs/check-XXXXXX")"
  local version
  version="$(timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --no-first-run --user-data-dir="$profile" --dump-dom 'data:text/html,<p>chromium-ok</p>' 2>/dev/null)" || true
  rm -rf "$profile"
  [[ $version == *chromium-ok* ]] || die "$CHROMIUM does not render a page headless"
  log "ready: $("$CHROMIUM" --version 2>/dev/null)"
  echo "$CHROMIUM"
}

stop() {
  local pid
  for pid in $(pgrep -f -- "--user-data-dir=$BASE/runs/" || true); do
    [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == chrom* ]] && kill "$pid" 2>/dev/null || true
  done
  rm -rf "$BASE/runs"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if [[ -x $CHROMIUM ]]; then log "installed: $("$CHROMIUM" --version 2>/dev/null)"; else log "not installed"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
