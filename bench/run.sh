#!/usr/bin/env bash
# Loads the benchmark data set (once) and measures the API under wrk.
#
#   bash bench/run.sh [BUILD_DIR]          (make bench)
#   GL_CHANGES=100000 bash bench/run.sh    (a smaller data set)
#
# Prints, per scenario: requests/s, latency p50/p90/p99, and the server's peak RSS.
# The health endpoint of the same server is measured first: it is the HTTP floor.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD=${1:-build}
BIN=$BUILD/greenlight
GEN=$BUILD/bench/gl-bench-gen
CLIENTS=${GL_CLIENTS:-100}
CIS_PER_CLIENT=${GL_CIS_PER_CLIENT:-1000}
CHANGES=${GL_CHANGES:-1000000}
DURATION=${GL_DURATION:-15s}
PORT=${GL_PORT:-18090}
DATA=bench/data
DB=$DATA/bench-$CHANGES.db

mkdir -p "$DATA"
if [ ! -f "$DB" ]; then
  echo "bench: generating $CHANGES changes into $DB (once)" >&2
  "$GEN" --db "$DB.tmp" --clients "$CLIENTS" --cis-per-client "$CIS_PER_CLIENT" --changes "$CHANGES"
  mv "$DB.tmp" "$DB"
  rm -f "$DB.tmp-wal" "$DB.tmp-shm"
fi
# Bring the data set to the current schema once, so start-up migrations (index builds over
# a million rows) are not counted in the server's memory or timings below.
"$BIN" db migrate --db "$DB" >/dev/null
# Creates are measured on a copy so the read data set stays the same from run to run.
WORK=$DATA/work.db
bench_work_copy "$DB" "$WORK"

TOKEN=$("$BIN" user add "bench-$$" --admin --token --db "$WORK")
LOG=$DATA/server.log
bench_start --db "$WORK"

export GL_TOKEN=$TOKEN GL_CHANGES=$CHANGES GL_CLIENTS=$CLIENTS GL_CIS_PER_CLIENT=$CIS_PER_CLIENT

echo
echo "data: $CLIENTS clients, $((CLIENTS * CIS_PER_CLIENT)) CIs, $CHANGES changes; wrk -t1 -d$DURATION; $(nproc) CPUs"
echo
bench_table_header
bench_scenario "GET /healthz (HTTP floor)" health.lua 8
bench_scenario "GET /api/v1/changes/{id}" get_change.lua 8
bench_scenario "GET list client+state, 50" list_changes.lua 8
bench_scenario "GET list client+state, 50" list_changes.lua 1
bench_scenario "POST /api/v1/changes (durable)" create_change.lua 64
echo
echo "server peak RSS (VmHWM): $(( $(bench_hwm_kib) / 1024 )) MiB"
