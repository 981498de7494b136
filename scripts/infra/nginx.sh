#!/usr/bin/env bash
# nginx from Debian's packages, for the edge proxy (node dist/edge-proxy/main.js) and its tests.
# Usage: scripts/infra/nginx.sh start|stop|status
# start: installs nginx and its stream module (libnginx-mod-stream) when missing, checks that every
#   module the edge proxy's configuration uses is there (stream with ssl_preread, auth_request,
#   realip, ssl), and prints the nginx binary's path on stdout. Test suites run nginx processes of
#   their own from it, each under a folder in runs/, so none keeps running between suites.
# stop: ends nginx processes a suite killed midway left behind, and removes their folders.
set -euo pipefail

BASE="${PODS_INFRA_HOME:-$HOME/.cache/pods-infra}/nginx"
NGINX=/usr/sbin/nginx
STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

apt_install() {
  [[ $EUID -eq 0 ]] || die "$* missing and not root; install it manually"
  export DEBIAN_FRONTEND=noninteractive
  apt-cache show "$@" >/dev/null 2>&1 || apt-get update >&2
  # Debian's policy-rc.d, where present, keeps the package from starting a system nginx on port 80.
  apt-get install -y --no-install-recommends "$@" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "$@" >&2; } \
    || die "apt-get install $* failed"
}

# Loads every module and directive the edge proxy's configuration uses, without listening anywhere.
check() {
  local dir="$BASE/check"
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=check.localhost" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || die "openssl could not make a test certificate"
  cat >"$dir/nginx.conf" <<CONF
load_module $STREAM_MODULE;
pid $dir/nginx.pid;
error_log stderr;
events {}
http {
  access_log off;
  server {
    listen unix:$dir/http.sock ssl proxy_protocol;
    ssl_certificate $dir/cert.pem;
    ssl_certificate_key $dir/key.pem;
    set_real_ip_from unix:;
    real_ip_header proxy_protocol;
    location / { auth_request /auth; proxy_pass http://127.0.0.1:9; }
    location = /auth { internal; proxy_pass http://127.0.0.1:9; }
  }
}
stream {
  server { listen unix:$dir/stream.sock; ssl_preread on; proxy_protocol on; proxy_pass unix:$dir/http.sock; }
  server { listen unix:$dir/tls.sock ssl proxy_protocol; ssl_certificate $dir/cert.pem; ssl_certificate_key $dir/key.pem; proxy_pass 127.0.0.1:9; }
}
CONF
  local output
  output="$("$NGINX" -t -q -e stderr -p "$dir" -c "$dir/nginx.conf" 2>&1)" \
    || die "nginx at $NGINX lacks a module or directive the edge proxy needs: $output"
}

start() {
  if [[ ! -x $NGINX || ! -f $STREAM_MODULE ]]; then
    log "installing nginx and libnginx-mod-stream from Debian packages..."
    apt_install nginx libnginx-mod-stream
  fi
  mkdir -p "$BASE/runs"
  check
  log "ready: $("$NGINX" -v 2>&1)"
  echo "$NGINX"
}

stop() {
  local pidfile pid
  for pidfile in "$BASE"/runs/*/nginx.pid; do
    [[ -f $pidfile ]] || continue
    pid="$(cat "$pidfile" 2>/dev/null)"
    if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == nginx ]]; then
      log "stopping nginx $pid left by $(dirname "$pidfile")"
      kill -QUIT "$pid" || true
    fi
  done
  local link
  for link in "$BASE"/runs/*; do
    [[ -L $link ]] && rm -rf "$(readlink -f "$link")"
  done
  rm -rf "$BASE/runs"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if [[ -x $NGINX && -f $STREAM_MODULE ]]; then log "installed: $("$NGINX" -v 2>&1)"; else log "not installed"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
