#!/usr/bin/env bash
# Private MariaDB instance for local development and tests (no Docker, no systemd).
# Usage: scripts/infra/mariadb.sh start|stop|status|url
# Only the connection URL goes to stdout; everything else goes to stderr.
set -euo pipefail

BASE="${PODS_INFRA_HOME:-$HOME/.cache/pods-infra}/mariadb"
DATA="$BASE/data" SOCK="$BASE/mariadbd.sock" PIDF="$BASE/mariadbd.pid" LOG="$BASE/mariadbd.log"
PORT="${PODS_MARIADB_PORT:-3307}" TIMEOUT="${PODS_MARIADB_TIMEOUT:-60}"
URL="mysql://pods:pods@127.0.0.1:${PORT}/pods"
if [[ $EUID -eq 0 ]]; then RUN_AS=mysql ADMIN=root; else RUN_AS="" ADMIN="$(id -un)"; fi
PATH="$PATH:/usr/sbin:/sbin"

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fail() { log "error: $*; last lines of $LOG:"; tail -n 40 "$LOG" >&2 || true; exit 1; }
ping_ok() { mariadb-admin --no-defaults --socket="$SOCK" --connect-timeout=2 -u"$ADMIN" ping >/dev/null 2>&1; }
our_pid() { # pid from our pid file, if it is a live mariadbd
  local pid
  pid="$(cat "$PIDF" 2>/dev/null)" && [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" \
    && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == mariadbd ]] && echo "$pid"
}
wait_ready() { # $1 = server pid; returns 0 when answering, 1 if it died, 2 on timeout
  local i
  for ((i = 0; i < TIMEOUT * 4; i++)); do
    ping_ok && return 0
    alive "$1" || return 1
    sleep 0.25
  done
  return 2
}

apt_install() {
  [[ $EUID -eq 0 ]] || die "$* missing and not root; install it manually"
  export DEBIAN_FRONTEND=noninteractive
  # Refresh package lists only if they don't know the packages, or if the install fails (stale lists).
  apt-cache show "$@" >/dev/null 2>&1 || apt-get update >&2
  apt-get install -y --no-install-recommends "$@" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "$@" >&2; } \
    || die "apt-get install $* failed"
}

grant_traverse() { # mysql must reach $BASE even under a 0700 home such as /root
  local d="" part parts
  IFS=/ read -ra parts <<<"${BASE#/}"
  for part in "${parts[@]}"; do
    d+="/$part"
    runuser -u mysql -- test -x "$d" && continue
    command -v setfacl >/dev/null || apt_install acl
    if setfacl -m u:mysql:x "$d"; then log "granted mysql a traverse-only ACL on $d"
    else log "warning: mysql cannot reach $d; running mariadbd as root"; RUN_AS=root; return; fi
  done
}

launch() {
  rm -f "$PIDF" "$SOCK" # leftovers of a crash
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "port $PORT is used by another process (set PODS_MARIADB_PORT)"
  touch "$LOG" # before the chown, so mariadbd running as mysql can append to it
  if [[ -n $RUN_AS ]]; then chown -R mysql:mysql "$BASE"; grant_traverse; fi
  if [[ ! -d "$DATA/mysql" ]]; then
    log "initialising datadir $DATA"
    mariadb-install-db --no-defaults --datadir="$DATA" ${RUN_AS:+--user="$RUN_AS"} --skip-test-db \
      --auth-root-authentication-method=socket --auth-root-socket-user="$ADMIN" >>"$LOG" 2>&1 \
      || { find "$DATA" -mindepth 1 -delete; fail "mariadb-install-db failed"; }
  fi
  log "starting mariadbd on 127.0.0.1:$PORT (log: $LOG)"
  # setsid: the server must outlive this shell and its process group; 9>&-: don't inherit our lock.
  setsid mariadbd --no-defaults --datadir="$DATA" --socket="$SOCK" --pid-file="$PIDF" \
    --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve --log-error="$LOG" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --skip-character-set-client-handshake \
    ${RUN_AS:+--user="$RUN_AS"} </dev/null >>"$LOG" 2>&1 9>&- &
  local rc=0
  wait_ready "$!" || rc=$?
  case $rc in 1) fail "mariadbd exited during startup" ;; 2) fail "mariadbd not answering on $SOCK after ${TIMEOUT}s" ;; esac
}

provision() {
  mariadb --no-defaults --socket="$SOCK" -u"$ADMIN" --default-character-set=utf8mb4 <<'SQL'
CREATE DATABASE IF NOT EXISTS `pods` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'pods'@'127.0.0.1', 'pods'@'localhost';
ALTER USER 'pods'@'127.0.0.1' IDENTIFIED BY 'pods', 'pods'@'localhost' IDENTIFIED BY 'pods';
-- Database-level ALL includes CREATE/DROP, so pods can create and drop pods_* databases.
-- `\_` is a literal underscore in grant patterns.
GRANT ALL PRIVILEGES ON `pods`.* TO 'pods'@'127.0.0.1', 'pods'@'localhost';
GRANT ALL PRIVILEGES ON `pods\_%`.* TO 'pods'@'127.0.0.1', 'pods'@'localhost';
SQL
}

start() {
  command -v mariadbd >/dev/null || { log "installing MariaDB from Debian packages..."; apt_install mariadb-server mariadb-client; }
  mkdir -p "$DATA"
  { exec 9>"$BASE/.lock" && flock -w 300 9; } || die "could not lock $BASE/.lock"
  local pid rc=0
  if ping_ok; then
    log "reusing running instance (socket $SOCK)"
  else
    if pid="$(our_pid)"; then
      log "mariadbd pid $pid is already starting; waiting"
      wait_ready "$pid" || rc=$?
      if ((rc == 2)); then fail "mariadbd pid $pid not answering after ${TIMEOUT}s"; fi
    fi
    ping_ok || launch
  fi
  provision || die "could not create database/user pods"
  log "ready"
  echo "$URL"
}

stop() {
  [[ -d $BASE ]] && exec 9>"$BASE/.lock" && flock -w 300 9
  local pid i
  pid="$(our_pid)" || pid=""
  if [[ -z $pid ]] && ! ping_ok; then log "not running"; rm -f "$PIDF" "$SOCK"; return 0; fi
  log "stopping mariadbd ${pid:+(pid $pid)}"
  mariadb-admin --no-defaults --socket="$SOCK" -u"$ADMIN" shutdown 2>/dev/null || { [[ -n $pid ]] && kill "$pid"; } || true
  for ((i = 0; i < TIMEOUT * 4; i++)); do
    if [[ -n $pid ]]; then alive "$pid" || break; else ping_ok || break; fi
    sleep 0.25
  done
  if [[ -n $pid ]] && alive "$pid"; then log "still running after ${TIMEOUT}s; sending SIGKILL"; kill -9 "$pid"; fi
  rm -f "$PIDF" "$SOCK"
  log "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  status) if ping_ok; then log "running (socket $SOCK, port $PORT)"; else log "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
