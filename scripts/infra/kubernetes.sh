#!/usr/bin/env bash
# Real Kubernetes control plane for local development and tests (no Docker, no kubelet):
# etcd + kube-apiserver + kube-controller-manager + kube-scheduler, all built from the Go module
# proxy, plus kwok simulating one fake node: pods bound to it become Running/Ready, deleted pods go
# away, and `kubectl logs` / `kubectl exec` are answered by kwok's kubelet-like server.
#
# Usage: scripts/infra/kubernetes.sh build|start|stop|status|kubeconfig
#   start prints the admin kubeconfig path as its last stdout line; everything else goes to stderr.
# Settings (environment):
#   PODS_INFRA_HOME       state root (default ~/.cache/pods-infra); binaries in kubernetes/bin,
#                         PKI, etcd data, logs and pids in kubernetes/run (rm -rf it, after stop, to reset)
#   PODS_K8S_PORT         API server port on 127.0.0.1 (6443)
#   PODS_K8S_ETCD_PORT    etcd client port (2379; the peer port is the next one)
#   PODS_K8S_KWOK_PORT    kwok's kubelet-like server (10250)
#   PODS_K8S_KCM_PORT, PODS_K8S_SCHEDULER_PORT   health ports (10257, 10259)
#   PODS_K8S_TIMEOUT      seconds to wait for each component (120)
# Simulated pods (node kwok-node-0: 32 CPU, 256Gi, 2000 pods, 8 nvidia.com/gpu):
#   - no image is pulled and nothing runs; a pod bound to the node is Running/Ready within ~1 s;
#   - pods/log of any container returns run/pod-logs/all.log (CRI format: append
#     "<RFC3339Nano time> stdout F <text>" lines to it);
#   - pods/exec runs the command on THIS machine in run/exec, as the user running this script.
set -euo pipefail

K8S_VERSION=1.36.3    # k8s.io/kubernetes; its staging modules are v0.36.3
ETCD_VERSION=v3.6.16  # kwok v0.8.0 pairs Kubernetes 1.34-1.36 with etcd 3.6
KWOK_VERSION=v0.8.0   # built against k8s 0.36 libraries
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok) # start order

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/kubernetes"
KWOK_PATCH="$(sha256sum "$HERE/kwok-exec.patch" | cut -c1-12)"
STAMP="k8s=v$K8S_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION+patch.$KWOK_PATCH"
BASE="${PODS_INFRA_HOME:-$HOME/.cache/pods-infra}/kubernetes"
BIN="$BASE/bin" RUN="$BASE/run"
PKI="$RUN/pki" LOGS="$RUN/logs" PIDS="$RUN/pids" KUBECONFIG_OUT="$RUN/kubeconfig"
PORT="${PODS_K8S_PORT:-6443}" ETCD_PORT="${PODS_K8S_ETCD_PORT:-2379}"
KWOK_PORT="${PODS_K8S_KWOK_PORT:-10250}" KCM_PORT="${PODS_K8S_KCM_PORT:-10257}"
SCHED_PORT="${PODS_K8S_SCHEDULER_PORT:-10259}" TIMEOUT="${PODS_K8S_TIMEOUT:-120}"
# A /16: tests and benchmarks create hundreds of Services (a /24 is full after 254). The
# "kubernetes" Service keeps 10.0.0.1, as with the /24 that clusters made by older runs have.
SERVICE_CIDR=10.0.0.0/16
NODE=kwok-node-0 LEASE=/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/kwok-node-0

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
fail() { # $1 = component whose log explains the failure
  log "error: $2; last lines of $LOGS/$1.log:"
  tail -n 30 "$LOGS/$1.log" >&2 || true
  exit 1
}
lock() { mkdir -p "$BASE" && exec 9>"$BASE/.lock" && flock -w 3600 9 || die "could not lock $BASE/.lock"; }

# ---------------------------------------------------------------- build

build_needed() {
  [[ "$(cat "$BIN/.stamp" 2>/dev/null)" == "$STAMP" ]] || return 0
  local c
  for c in "${COMPONENTS[@]}"; do [[ -x "$BIN/$c" ]] || return 0; done
  [[ -s "$BIN/kwok-stages.yaml" ]] || return 0
  return 1
}

check_go() {
  command -v go >/dev/null || die "go is not installed (Go >= 1.26 is needed to build Kubernetes $K8S_VERSION)"
  local v
  v="$(go env GOVERSION)" # e.g. go1.26.8
  [[ $v =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 26)) || die "$v is too old: kwok $KWOK_VERSION needs Go >= 1.26"
}

# Go prints nothing for minutes while compiling Kubernetes: show that we are alive.
with_ticker() {
  local what="$1" t0=$SECONDS ticker rc=0
  shift
  # The ticker's sleep must not outlive it holding our lock (fd 9) or the caller's stderr.
  (
    trap 'kill "$s" 2>/dev/null; exit 0' TERM
    while :; do sleep 60 & s=$!; wait "$s"; log "  ... $what: $(((SECONDS - t0) / 60)) min"; done
  ) 9>&- &
  ticker=$!
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null; wait "$ticker" 2>/dev/null || true
  ((rc == 0)) && log "  $what: done in $((SECONDS - t0)) s"
  return $rc
}

# k8s.io/kubernetes's go.mod points its staging modules (k8s.io/api, ...) at ./staging/src with
# replace lines, which `go install pkg@version` refuses. A wrapper module replaces each of them with
# its published v0.N.P version instead, derived from the real go.mod.
build_kubernetes() { # $1 = output dir
  local w="$BASE/build/k8s" gomod m minor ldf
  rm -rf "$w" && mkdir -p "$w" && cd "$w"
  go mod init local/k8s-build 2>/dev/null
  gomod="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | jq -r .GoMod)"
  for m in $(awk '/=> \.\/staging\/src\//{print $1}' "$gomod"); do
    go mod edit -replace "$m=$m@v0.${K8S_VERSION#1.}"
  done
  log "resolving k8s.io/kubernetes@v$K8S_VERSION dependencies"
  go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION" 2> >(grep -v '^go: added' >&2)
  minor="$(cut -d. -f2 <<<"$K8S_VERSION")"
  # Without these /version reports v0.0.0-master.
  ldf="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION"
  ldf+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ldf+=" -X k8s.io/component-base/version.gitTreeState=clean"
  log "compiling kube-apiserver, kube-controller-manager, kube-scheduler v$K8S_VERSION (cold: about 5 min on 2 cores)"
  with_ticker "kubernetes" go build -trimpath -ldflags "$ldf" -o "$1/" k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
}

# go.etcd.io/etcd/server/v3 is the etcd binary's main package, but its go.mod has replace lines too.
build_etcd() {
  local w="$BASE/build/etcd"
  rm -rf "$w" && mkdir -p "$w" && cd "$w"
  go mod init local/etcd-build 2>/dev/null
  go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION" 2> >(grep -v '^go: added' >&2)
  log "compiling etcd $ETCD_VERSION"
  with_ticker "etcd" go build -trimpath -ldflags "-s -w" -o "$1/etcd" go.etcd.io/etcd/server/v3
}

# kwok is built from its module source with kwok-exec.patch applied (exec exit codes and stdin EOF,
# see the patch), through a wrapper module that replaces sigs.k8s.io/kwok with the patched copy.
# The kwok binary has no built-in stages; the default ones ship in the module: copy them too.
build_kwok() {
  local w="$BASE/build/kwok" dir f
  dir="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | jq -r .Dir)"
  rm -rf "$w" && mkdir -p "$w/mod" && cp -r "$dir" "$w/src" && chmod -R u+w "$w/src"
  patch -d "$w/src" -p1 --quiet <"$HERE/kwok-exec.patch" || return 1
  cd "$w/mod"
  go mod init local/kwok-build 2>/dev/null
  go mod edit -require="sigs.k8s.io/kwok@$KWOK_VERSION" -replace="sigs.k8s.io/kwok=../src"
  go get -tool sigs.k8s.io/kwok/cmd/kwok 2> >(grep -v '^go: added' >&2)
  log "compiling kwok $KWOK_VERSION (patched)"
  with_ticker "kwok" go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
    -o "$1/kwok" sigs.k8s.io/kwok/cmd/kwok
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "# from sigs.k8s.io/kwok@$KWOK_VERSION kustomize/stage/$f"
    cat "$dir/kustomize/stage/$f"
    echo "---"
  done >"$1/kwok-stages.yaml"
}

build() {
  if ! build_needed; then log "binaries up to date in $BIN ($STAMP)"; return 0; fi
  check_go
  local t
  for t in jq patch; do command -v $t >/dev/null || die "$t is missing (apt-get install $t)"; done
  log "building $STAMP into $BIN (Go caches: $(go env GOMODCACHE), $(go env GOCACHE))"
  local out="$BASE/build/out" t0=$SECONDS
  rm -rf "$out" && mkdir -p "$out"
  # CGO off: static binaries, no C toolchain needed. GOTOOLCHAIN=local: never fetch another Go.
  (
    export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOWORK=off
    build_kubernetes "$out" && build_etcd "$out" && build_kwok "$out"
  ) || die "build failed"
  mkdir -p "$BIN"
  mv -f "$out"/* "$BIN/"
  echo "$STAMP" >"$BIN/.stamp" # last: a half-finished build is never taken as done
  log "build finished in $((SECONDS - t0)) s"
}

# ---------------------------------------------------------------- processes

is_ours() { # pid $1 runs $BIN/$2 (argv[0] is the absolute path we launched); no forks: called in loops
  local argv0=""
  { IFS= read -r -d '' argv0 <"/proc/$1/cmdline"; } 2>/dev/null || true
  [[ $argv0 == "$BIN/$2" ]] && alive "$1"
}
pid_of() { # pid of our running component $1, or fail; a stale pid file is repaired
  local pid p
  pid="$(cat "$PIDS/$1.pid" 2>/dev/null)" || pid=""
  if [[ $pid =~ ^[0-9]+$ ]] && is_ours "$pid" "$1"; then echo "$pid"; return 0; fi
  rm -f "$PIDS/$1.pid"
  for p in /proc/[0-9]*; do # pid file lost: look for the process itself
    p="${p#/proc/}"
    if is_ours "$p" "$1"; then mkdir -p "$PIDS"; echo "$p" >"$PIDS/$1.pid"; echo "$p"; return 0; fi
  done
  return 1
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

curl_ca() { curl -fsS --max-time 5 --cacert "$PKI/ca.crt" "$@"; }
api() { curl_ca -H "Authorization: Bearer $(cat "$PKI/admin.token")" "https://127.0.0.1:$PORT$1" "${@:2}"; }

healthy() {
  case $1 in
    etcd) curl -fsS --max-time 3 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"' ;;
    kube-apiserver) [[ "$(curl_ca "https://127.0.0.1:$PORT/readyz" 2>/dev/null)" == ok ]] ;;
    # KCM and the scheduler serve /healthz with their own self-signed certificate.
    kube-controller-manager) curl -fsSk --max-time 3 "https://127.0.0.1:$KCM_PORT/healthz" >/dev/null 2>&1 ;;
    kube-scheduler) curl -fsSk --max-time 3 "https://127.0.0.1:$SCHED_PORT/healthz" >/dev/null 2>&1 ;;
    kwok) curl -fsS --max-time 3 "http://127.0.0.1:$KWOK_PORT/healthz" >/dev/null 2>&1 ;;
  esac
}
ports_of() {
  case $1 in
    etcd) echo "$ETCD_PORT $((ETCD_PORT + 1))" ;;
    kube-apiserver) echo "$PORT" ;;
    kube-controller-manager) echo "$KCM_PORT" ;;
    kube-scheduler) echo "$SCHED_PORT" ;;
    kwok) echo "$KWOK_PORT" ;;
  esac
}

args_of() { # command line flags of component $1
  case $1 in
    etcd) echo --name=pods --data-dir="$RUN/etcd" \
      --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls="http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-advertise-peer-urls="http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-cluster="pods=http://127.0.0.1:$((ETCD_PORT + 1))" \
      --unsafe-no-fsync --auto-compaction-retention=1 --quota-backend-bytes=8589934592 --log-level=warn ;;
    # The kubelet address types: kwok reports InternalIP 127.0.0.1 where its server listens.
    kube-apiserver) echo --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
      --bind-address=127.0.0.1 --secure-port="$PORT" --advertise-address=127.0.0.1 \
      --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
      --client-ca-file="$PKI/ca.crt" --token-auth-file="$PKI/tokens.csv" \
      --service-cluster-ip-range="$SERVICE_CIDR" --service-account-issuer=https://kubernetes.default.svc.cluster.local \
      --service-account-key-file="$PKI/sa.key" --service-account-signing-key-file="$PKI/sa.key" \
      --authorization-mode=RBAC --allow-privileged=true --endpoint-reconciler-type=none \
      --kubelet-preferred-address-types=InternalIP,Hostname --kubelet-certificate-authority="$PKI/ca.crt" \
      --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
      --kubelet-client-key="$PKI/apiserver-kubelet-client.key" --profiling=false ;;
    # No --authentication/authorization-kubeconfig: their /healthz is always allowed, and the API
    # server has no front-proxy CA, which they would complain about every few seconds.
    kube-controller-manager) echo --kubeconfig="$RUN/kubeconfigs/kube-controller-manager" \
      --leader-elect=false --controllers='*' --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
      --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
      --use-service-account-credentials=true --kube-api-qps=200 --kube-api-burst=400 --profiling=false ;;
    kube-scheduler) echo --kubeconfig="$RUN/kubeconfigs/kube-scheduler" \
      --leader-elect=false --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --profiling=false ;;
    # Manage only nodes annotated kwok.x-k8s.io/node=fake. --node-name/--node-ip become the node's
    # Hostname/InternalIP addresses, which the API server dials for logs and exec.
    kwok) echo --kubeconfig="$RUN/kubeconfigs/kwok" \
      --config="$BIN/kwok-stages.yaml" --config="$HERE/kwok-image-pull-error.yaml" --config="$RUN/kwok-debug.yaml" \
      --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
      --node-ip=127.0.0.1 --node-name=localhost --node-port="$KWOK_PORT" --server-address="127.0.0.1:$KWOK_PORT" \
      --tls-cert-file="$PKI/kwok.crt" --tls-private-key-file="$PKI/kwok.key" \
      --cidr=10.244.0.0/16 --node-lease-duration-seconds=40 ;;
  esac
}

launch() { # start component $1 in its own session, so it outlives this shell
  local c="$1" p
  for p in $(ports_of "$c"); do
    port_busy "$p" && die "port $p (for $c) is used by another process; see the PODS_K8S_*PORT settings"
  done
  [[ -f "$LOGS/$c.log" ]] && mv -f "$LOGS/$c.log" "$LOGS/$c.log.1" # keep the previous run's log
  # A new kwok only manages the node once it holds the node's Lease, i.e. after the lease of the
  # kwok that ran before expires (40 s). No kwok runs now, so release that lease at once.
  [[ $c == kwok ]] && { api "$LEASE" -X DELETE -o /dev/null 2>/dev/null || true; }
  # shellcheck disable=SC2046 # the flags contain no spaces
  # HOME: kwok would also read ~/.kwok/kwok.yaml. 3>&- 9>&-: don't hold the caller's stdout pipe
  # (a $(...) around start would never end) nor our lock.
  HOME="$RUN/home" setsid "$BIN/$c" $(args_of "$c") </dev/null >"$LOGS/$c.log" 2>&1 3>&- 9>&- &
  echo "$!" >"$PIDS/$c.pid"
}

wait_healthy() { # $1 component, $2 pid; fails with the component's log
  local i
  for ((i = 0; i < TIMEOUT * 4; i++)); do
    healthy "$1" && return 0
    alive "$2" || fail "$1" "$1 exited during startup"
    sleep 0.25
  done
  fail "$1" "$1 (pid $2) not healthy after ${TIMEOUT}s"
}

ensure() { # reuse component $1 if running and healthy, else (re)start it
  local c="$1" pid
  if pid="$(pid_of "$c")"; then
    if healthy "$c"; then log "$c: reusing pid $pid"; return 0; fi
    log "$c: pid $pid running but not healthy yet; waiting"
  else
    log "$c: starting (log: $LOGS/$c.log)"
    launch "$c"
    pid="$(cat "$PIDS/$c.pid")"
  fi
  wait_healthy "$c" "$pid"
  log "$c: healthy (pid $pid)"
}

stop_component() {
  local c="$1" pid i grace=10
  pid="$(pid_of "$c")" || { rm -f "$PIDS/$c.pid"; return 0; }
  # The API server may wait for open exec/log/watch streams; nothing is lost by not waiting long.
  # etcd gets longer to close its database cleanly.
  [[ $c == etcd ]] && grace=30
  log "$c: stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do alive "$pid" || break; sleep 0.1; done
  if alive "$pid"; then log "$c: still running after ${grace}s; sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  rm -f "$PIDS/$c.pid"
}

stop_all() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "${COMPONENTS[i]}"; done
}

# ---------------------------------------------------------------- PKI, tokens, kubeconfigs

sign() { # $1 name, $2 CN, $3 extensions: a key and a certificate signed by our CA
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
  printf '%b\n' "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile "$1.ext" \
    -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

make_pki() {
  [[ -f "$PKI/.complete" ]] && return 0
  log "generating PKI and tokens in $PKI"
  rm -rf "$PKI" && mkdir -p "$PKI" && chmod 700 "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=pods-test-ca" -keyout ca.key -out ca.crt 2>/dev/null
    local server='keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth'
    sign apiserver kube-apiserver "$server\nsubjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign kwok kwok-node "$server\nsubjectAltName=IP:127.0.0.1,DNS:localhost"
    sign apiserver-kubelet-client kube-apiserver-kubelet-client \
      'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth'
    openssl genrsa -out sa.key 2048 2>/dev/null
    # Static bearer tokens: admin for clients; one identity per component (bootstrap RBAC roles exist
    # for system:kube-controller-manager and system:kube-scheduler; kwok needs cluster-wide writes).
    local t
    for u in admin kube-controller-manager kube-scheduler kwok; do
      t="$(openssl rand -hex 24)"
      echo "$t" >"$u.token"
      case $u in
        admin) echo "$t,admin,admin,\"system:masters\"" ;;
        kwok) echo "$t,kwok-controller,kwok-controller,\"system:masters\"" ;;
        *) echo "$t,system:$u,system:$u" ;;
      esac
    done >tokens.csv
    chmod 600 ./*.key ./*.token tokens.csv
  ) || die "PKI generation failed"
  touch "$PKI/.complete"
}

write_kubeconfig() { # $1 file, $2 token file
  local tmp="$1.tmp"
  (
    umask 077
    cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pods-local
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $(basename "$2" .token)
  user:
    token: $(cat "$2")
contexts:
- name: pods-local
  context: {cluster: pods-local, user: $(basename "$2" .token)}
current-context: pods-local
EOF
  )
  mv -f "$tmp" "$1"
}

write_configs() {
  mkdir -p "$RUN/kubeconfigs" "$RUN/home" "$RUN/exec" "$RUN/pod-logs"
  write_kubeconfig "$KUBECONFIG_OUT" "$PKI/admin.token"
  local c
  for c in kube-controller-manager kube-scheduler kwok; do write_kubeconfig "$RUN/kubeconfigs/$c" "$PKI/$c.token"; done
  # CRI log format, as kubelet writes it; kwok serves this file as every container's log.
  [[ -s "$RUN/pod-logs/all.log" ]] || printf '%s stdout F %s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "kwok: simulated container started" \
    "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "kwok: this log is $RUN/pod-logs/all.log" >"$RUN/pod-logs/all.log"
  sed -e "s#@LOGS_FILE@#$RUN/pod-logs/all.log#" -e "s#@EXEC_DIR@#$RUN/exec#" "$HERE/kwok-debug.yaml" >"$RUN/kwok-debug.yaml"
}

# Ports and versions the running processes were started with: if they change, restart everything.
# (Not the Service CIDR: ensure_service_cidr adapts a running cluster to it.)
settings() { echo "$STAMP port=$PORT etcd=$ETCD_PORT kwok=$KWOK_PORT kcm=$KCM_PORT scheduler=$SCHED_PORT"; }

# The API server never changes the default ServiceCIDR stored by an earlier run (etcd data
# outlives restarts): if that one is narrower, add ours as an extra ServiceCIDR.
ensure_service_cidr() {
  local cidrs
  cidrs="$(api /apis/networking.k8s.io/v1/servicecidrs/kubernetes | jq -r '.spec.cidrs | join(",")')" || return 0
  [[ $cidrs == "$SERVICE_CIDR" ]] && return 0
  api /apis/networking.k8s.io/v1/servicecidrs/pods-local -o /dev/null 2>/dev/null && return 0
  log "default ServiceCIDR is $cidrs (from an earlier run): adding ServiceCIDR pods-local $SERVICE_CIDR"
  api /apis/networking.k8s.io/v1/servicecidrs -X POST -H 'Content-Type: application/json' -o /dev/null \
    --data-binary "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"ServiceCIDR\",\"metadata\":{\"name\":\"pods-local\"},\"spec\":{\"cidrs\":[\"$SERVICE_CIDR\"]}}" \
    || log "warning: could not add ServiceCIDR $SERVICE_CIDR"
}

# ---------------------------------------------------------------- the fake node

ensure_node() {
  if api "/api/v1/nodes/$NODE" -o /dev/null 2>/dev/null; then
    # Keep an existing node's capacity in step with node.json.
    sed "s/@NODE@/$NODE/g" "$HERE/node.json" | jq '{status: {capacity: .status.capacity, allocatable: .status.allocatable}}' \
      | api "/api/v1/nodes/$NODE/status" -X PATCH -H 'Content-Type: application/merge-patch+json' --data-binary @- -o /dev/null \
      || log "warning: could not update the capacity of node $NODE"
    return 0
  fi
  log "creating fake node $NODE"
  # Node status (capacity/allocatable, incl. nvidia.com/gpu) may be set on create; kwok keeps it.
  sed "s/@NODE@/$NODE/g" "$HERE/node.json" | api /api/v1/nodes -X POST -H 'Content-Type: application/json' \
    --data-binary @- -o /dev/null || api "/api/v1/nodes/$NODE" -o /dev/null || die "could not create node $NODE"
}

wait_node_ready() { # Ready, and kwok holds its lease (else it ignores the node's pods)
  local i ready holder
  for ((i = 0; i < TIMEOUT * 4; i++)); do
    ready="$(api "/api/v1/nodes/$NODE" 2>/dev/null \
      | jq -r '[.status.conditions[]? | select(.type == "Ready") | .status][0] // ""')" || ready=""
    holder="$(api "$LEASE" 2>/dev/null | jq -r '.spec.holderIdentity // ""')" || holder=""
    [[ $ready == True && -n $holder ]] && return 0
    sleep 0.25
  done
  fail kwok "node $NODE not Ready (Ready=$ready, lease holder '$holder') after ${TIMEOUT}s"
}

# ---------------------------------------------------------------- commands

start() {
  exec 3>&1 1>&2 # only the kubeconfig path goes to stdout (fd 3), whatever the tools print
  lock
  build
  command -v jq >/dev/null || die "jq is missing (apt-get install jq)"
  mkdir -p "$RUN" "$LOGS" "$PIDS" && chmod 700 "$RUN"
  local running=0 c
  for c in "${COMPONENTS[@]}"; do pid_of "$c" >/dev/null && running=1; done
  if ((running)) && { [[ ! -f "$PKI/.complete" ]] || [[ "$(cat "$RUN/settings" 2>/dev/null)" != "$(settings)" ]]; }; then
    log "versions, ports or PKI changed since the last start: restarting everything"
    stop_all
  fi
  make_pki
  write_configs
  settings >"$RUN/settings"
  local t0=$SECONDS
  for c in "${COMPONENTS[@]}"; do ensure "$c"; done
  ensure_service_cidr
  ensure_node
  wait_node_ready
  log "ready in $((SECONDS - t0)) s: API server https://127.0.0.1:$PORT, node $NODE Ready"
  echo "$KUBECONFIG_OUT" >&3
}

stop() {
  lock
  stop_all
  log "stopped"
}

case "${1:-}" in
  build) lock; build >&2 ;;
  start) start ;;
  stop) stop ;;
  status)
    if [[ -f "$PKI/ca.crt" ]] && healthy kube-apiserver; then log "running: https://127.0.0.1:$PORT (kubeconfig $KUBECONFIG_OUT)"
    else log "not running"; exit 1; fi ;;
  kubeconfig) echo "$KUBECONFIG_OUT" ;;
  *) echo "usage: $0 build|start|stop|status|kubeconfig" >&2; exit 2 ;;
esac
