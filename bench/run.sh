#!/usr/bin/env bash
# npm run bench: every benchmark, each printing its figures as JSON.
#   goals        the performance goals with their peers in the same run (GET pod, create on SQLite and
#                MariaDB, 100 pods at once, lists, events to the agent, memory, 1,000 pods into Kubernetes),
#                appended as a table to bench/RESULTS.md (bench/goals.ts)
#   embedded     always (SQLite, simulated cluster)
#   kubernetes   against the real API server of scripts/infra/kubernetes.sh (built on first use)
#   distributed  two replicas on MariaDB and Kafka (scripts/infra/mariadb.sh, kafka.sh)
#   resync       what one agent resync of 2,000 pods costs (embedded, SQLite)
#   volumes      1 GiB into a volume and back through the gateway, beside cp (MariaDB, Kafka)
# BENCH=embedded (or goals, kubernetes, distributed, resync, volumes) runs only that one.
# BENCH=quick runs the goals alone, shorter (under 5 minutes), without memory and Kubernetes.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
only="${BENCH:-all}"
if [[ $only == quick ]]; then
  BENCH_QUICK=1 PODS_BENCH_KUBECONFIG="$(scripts/infra/kubernetes.sh start)" PODS_TEST_MYSQL_URL="$(scripts/infra/mariadb.sh start)" \
    PODS_TEST_KAFKA="$(scripts/infra/kafka.sh start)" node dist/bench/goals.js
  exit 0
fi
if [[ $only == all || $only == goals ]]; then
  echo "== goals" >&2
  PODS_BENCH_KUBECONFIG="$(scripts/infra/kubernetes.sh start)" PODS_TEST_MYSQL_URL="$(scripts/infra/mariadb.sh start)" \
    PODS_TEST_KAFKA="$(scripts/infra/kafka.sh start)" node dist/bench/goals.js
fi
if [[ $only == all || $only == embedded ]]; then
  echo "== embedded" >&2
  node dist/bench/embedded-lifecycle.js 100
fi
if [[ $only == all || $only == kubernetes ]]; then
  echo "== kubernetes" >&2
  node --expose-gc dist/bench/kubernetes-lifecycle.js "$(scripts/infra/kubernetes.sh start)" 100 1000 1024
fi
if [[ $only == all || $only == distributed ]]; then
  echo "== distributed" >&2
  PODS_TEST_MYSQL_URL="$(scripts/infra/mariadb.sh start)" PODS_TEST_KAFKA="$(scripts/infra/kafka.sh start)" \
    node dist/bench/distributed.js 1000 50
fi
if [[ $only == all || $only == resync ]]; then
  echo "== resync" >&2
  node dist/bench/resync-cost.js 2000 5
fi
if [[ $only == all || $only == volumes ]]; then
  echo "== volumes" >&2
  PODS_TEST_MYSQL_URL="$(scripts/infra/mariadb.sh start)" PODS_TEST_KAFKA="$(scripts/infra/kafka.sh start)" \
    node dist/bench/volume-transfer.js 1024
fi
