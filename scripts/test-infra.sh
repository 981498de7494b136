#!/usr/bin/env bash
# Runs the suites against real infrastructure: the whole suite again on MariaDB
# (started or reused by scripts/infra/mariadb.sh), plus the infra-only suites
# under test/infra. Extra arguments go to mocha, e.g. --grep kubernetes.
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
PODS_TEST_MYSQL_URL="$(scripts/infra/mariadb.sh start)"
export PODS_TEST_MYSQL_URL
echo "test-infra: MariaDB at ${PODS_TEST_MYSQL_URL%%@*}@${PODS_TEST_MYSQL_URL#*@}" | sed 's#//[^:]*:[^@]*@#//***@#' >&2
exec npx mocha 'dist/test/**/*.test.js' "$@"
