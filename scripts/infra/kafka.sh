#!/usr/bin/env bash
# Real single-node Kafka (KRaft, combined broker+controller) for tests; no Docker needed.
# Usage: scripts/infra/kafka.sh start|stop|restart|status|bootstrap
# start prints the bootstrap address as its last stdout line; everything else goes to stderr.
# Env: PODS_INFRA_HOME (default ~/.cache/pods-infra), PODS_KAFKA_PORT (default 9092; the
# controller listens on the next port), PODS_KAFKA_TIMEOUT (start wait, s), PODS_KAFKA_STOP_TIMEOUT
# (graceful stop wait before SIGKILL, s), PODS_KAFKA_HEAP (-Xmx).
# One broker per PODS_INFRA_HOME; restart and stop+start keep its data and cluster id.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/kafka" && pwd)"
BASE="${PODS_INFRA_HOME:-$HOME/.cache/pods-infra}/kafka"
LIB="$BASE/lib" RUN="$BASE/run"
DATA="$RUN/data" CONF="$RUN/server.properties" PIDF="$RUN/kafka.pid" LOG="$RUN/kafka.out"
PORT="${PODS_KAFKA_PORT:-9092}"
CPORT=$((PORT + 1))
TIMEOUT="${PODS_KAFKA_TIMEOUT:-90}" STOP_TIMEOUT="${PODS_KAFKA_STOP_TIMEOUT:-30}"
BOOTSTRAP="127.0.0.1:$PORT"
JOPTS=(-Xms128m "-Xmx${PODS_KAFKA_HEAP:-512m}" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError
  -Djava.awt.headless=true "-Dlog4j2.configurationFile=$HERE/log4j2.properties" "-Dkafka.logs.dir=$RUN")

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fail() { log "error: $*; last lines of $LOG:"; tail -n 40 "$LOG" >&2 || true; exit 1; }
lock() { mkdir -p "$RUN"; exec 9>"$BASE/.lock"; flock -w 300 9 || die "could not lock $BASE/.lock"; }

ours() { [[ "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" == *" kafka.Kafka $CONF "* ]]; }
our_pid() { # the live broker started with our config: from the pid file, else from the process list
  local pid
  for pid in "$(cat "$PIDF" 2>/dev/null)" $(pgrep -f "kafka\.Kafka $CONF" || true); do
    [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && ours "$pid" && { echo "$pid"; return 0; }
  done
  return 1
}

# One request to the broker; prints the first $2 bytes of the reply in hex.
call() {
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; printf "$2" >&3; head -c "$3" <&3' _ "$PORT" "$1" "$2" \
    2>/dev/null | od -An -v -tx1 | tr -d ' \n'
}
# Ready = a consumer group works at once. FindCoordinator (v2) succeeds once the broker is unfenced and
# __consumer_offsets, which the first such request creates, has a leader (so no "group coordinator not
# available"); OffsetFetch (v3) succeeds once that partition is loaded (no "coordinator is loading").
# Replies: size, correlation id 42, throttle time, [topic count,] error code.
probe() {
  [[ "$(call '\0\0\0\x17\0\x0a\0\x02\0\0\0\x2a\0\x05probe\0\x05probe\0' 14)" == ????????0000002a????????0000 ]] &&
    [[ "$(call '\0\0\0\x1a\0\x09\0\x03\0\0\0\x2a\0\x05probe\0\x05probe\xff\xff\xff\xff' 18)" == ????????0000002a????????000000000000 ]]
}
wait_ready() { # $1 = broker pid
  local i
  for ((i = 0; i < TIMEOUT * 4; i++)); do
    probe && return 0
    alive "$1" || fail "broker exited during startup"
    sleep 0.25
  done
  fail "broker pid $1 not ready on $BOOTSTRAP after ${TIMEOUT}s"
}

check_bytecode() { # the pinned Kafka must run on Java 17: class file major version <= 61
  local jar cls major bad=""
  for jar in "$1"/*.jar; do
    cls="$(unzip -Z1 "$jar" | grep '\.class$' | grep -v '^META-INF/')" || continue
    major="$(od -An -j6 -N2 -tu1 <(unzip -p "$jar" "${cls%%$'\n'*}") | awk '{print $1 * 256 + $2}')"
    ((major <= 61)) || bad+=" ${jar##*/}(major $major)"
  done
  [[ -z $bad ]] || die "not Java 17 bytecode:$bad; pin an older kafka.version in $HERE/pom.xml"
}
fetch_jars() { # once per pom.xml content, so changing the pinned version re-fetches
  local stamp tmp="$BASE/lib.tmp"
  stamp="$(sha256sum "$HERE/pom.xml" | cut -c1-64)"
  [[ "$(cat "$LIB/.stamp" 2>/dev/null)" == "$stamp" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  log "fetching Kafka jars from Maven Central into $LIB"
  rm -rf "$tmp" && mkdir -p "$tmp/lib" && cp "$HERE/pom.xml" "$tmp/" # a copy: maven writes nothing into the repo
  mvn -B -f "$tmp/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$tmp/lib" -DincludeScope=runtime >"$tmp/mvn.log" 2>&1 \
    || { tail -n 30 "$tmp/mvn.log" >&2; die "maven could not fetch the jars"; }
  check_bytecode "$tmp/lib"
  echo "$stamp" >"$tmp/lib/.stamp"
  rm -rf "$LIB" && mv "$tmp/lib" "$LIB" && rm -rf "$tmp"
  local jars=("$LIB"/kafka_2.13-*.jar)
  log "fetched ${jars[0]##*/}"
}

format_once() {
  [[ -f $DATA/meta.properties ]] && return 0
  local id # like Kafka's Uuid.randomUuid(): 16 random bytes in base64url, never starting with '-'
  until id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')" && [[ $id != -* ]]; do :; done
  log "formatting $DATA (cluster id $id)"
  rm -rf "$DATA"
  java "${JOPTS[@]}" -cp "$LIB/*" kafka.tools.StorageTool format --standalone -t "$id" -c "$CONF" >>"$LOG" 2>&1 \
    || fail "storage format failed"
}
launch() {
  local p
  for p in "$PORT" "$CPORT"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && die "port $p is used by another process (set PODS_KAFKA_PORT)"
  done
  sed -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CPORT#g" -e "s#@DATA@#$DATA#g" \
    "$HERE/server.properties.in" >"$CONF"
  [[ -f $LOG ]] && mv -f "$LOG" "$LOG.prev"
  format_once
  # A class-data archive, written at the broker's first clean exit, makes later starts ~2 s faster.
  local cds="-XX:SharedArchiveFile=$LIB/broker.jsa"
  [[ -f $LIB/broker.jsa ]] || cds="-XX:ArchiveClassesAtExit=$LIB/broker.jsa"
  log "starting Kafka on $BOOTSTRAP (controller 127.0.0.1:$CPORT, log $LOG)"
  # setsid: the broker must outlive this shell and its process group; 9>&-: don't inherit our lock.
  setsid java "${JOPTS[@]}" "$cds" -cp "$LIB/*" kafka.Kafka "$CONF" </dev/null >>"$LOG" 2>&1 9>&- &
  echo $! >"$PIDF"
  wait_ready $!
}

start() {
  command -v java >/dev/null || die "java not found (Java 17 or newer is needed)"
  fetch_jars
  local pid
  if pid="$(our_pid)"; then
    grep -q "^listeners=PLAINTEXT://$BOOTSTRAP," "$CONF" || die "broker pid $pid uses another port; stop it first"
    log "reusing broker pid $pid"
    echo "$pid" >"$PIDF"
    wait_ready "$pid"
  else
    rm -f "$PIDF"
    launch
  fi
  log "ready"
  echo "$BOOTSTRAP"
}

stop() {
  local pid i
  if ! pid="$(our_pid)"; then log "not running"; rm -f "$PIDF"; return 0; fi
  log "stopping broker pid $pid"
  kill -TERM "$pid" 2>/dev/null || true # Kafka's shutdown hook flushes and closes the logs cleanly
  for ((i = 0; i < STOP_TIMEOUT * 4; i++)); do alive "$pid" || break; sleep 0.25; done
  if alive "$pid"; then
    log "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$PIDF"
  log "stopped"
}

case "${1:-}" in
  start) lock; start ;;
  stop) lock; stop ;;
  restart) lock; stop; start ;;
  bootstrap) echo "$BOOTSTRAP" ;;
  status) if probe; then log "running on $BOOTSTRAP"; else log "not answering on $BOOTSTRAP"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|restart|status|bootstrap" >&2; exit 2 ;;
esac
