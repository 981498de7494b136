#!/usr/bin/env bash
# Runs the suites against real infrastructure: the whole suite again on MariaDB
# (scripts/infra/mariadb.sh), plus the infra-only suites under test/infra
# against a real Kubernetes API server (scripts/infra/kubernetes.sh), a
# real Kafka broker (scripts/infra/kafka.sh), nginx from Debian's packages as
# the edge proxy (scripts/infra/nginx.sh) and Debian's headless Chromium
# (scripts/infra/chromium.sh). Each
# script starts its service or reuses a running one; builds are cached under
# ~/.cache/pods-infra. Extra arguments go to mocha, e.g. --grep kubernetes.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
PODS_TEST_MYSQL_URL="$(scripts/infra/mariadb.sh start)"
PODS_TEST_KUBECONFIG="$(scripts/infra/kubernetes.sh start)"
PODS_TEST_KAFKA="$(scripts/infra/kafka.sh start)"
PODS_TEST_NGINX="$(scripts/infra/nginx.sh start)"
PODS_TEST_CHROMIUM="$(scripts/infra/chromium.sh start)"
# kwok serves this file as every simulated container's output.
PODS_TEST_KWOK_LOG_FILE="$(dirname "$PODS_TEST_KUBECONFIG")/pod-logs/all.log"
export PODS_TEST_MYSQL_URL PODS_TEST_KUBECONFIG PODS_TEST_KWOK_LOG_FILE PODS_TEST_KAFKA PODS_TEST_NGINX PODS_TEST_CHROMIUM
exec npx mocha 'dist/test/**/*.test.js' "$@"
