#!/usr/bin/env bash
# The CI graph under wrk: impact of one CI and what-changed at depth 3 over 90 days.
#
#   bash bench/graph.sh [BUILD_DIR]
#   GL_CHANGES=1000000 bash bench/graph.sh build   (the full change set; slow to generate)
#
# Generates its own database once (bench/data/graph-R-C.db): 100 clients x 1000 CIs,
# 1000 shared CIs, 500,000 relations, 100,000 changes by default (gl-bench-gen's header
# describes the graph's shape), then serves it and measures uniformly random client CIs.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD=${1:-build}
BIN=$BUILD/greenlight
GEN=$BUILD/bench/gl-bench-gen
CLIENTS=${GL_CLIENTS:-100}
CIS_PER_CLIENT=${GL_CIS_PER_CLIENT:-1000}
SHARED=${GL_SHARED:-1000}
RELATIONS=${GL_RELATIONS:-500000}
CHANGES=${GL_CHANGES:-100000}
DURATION=${GL_DURATION:-15s}
PORT=${GL_PORT:-18091}
DATA=bench/data
DB=$DATA/graph-$RELATIONS-$CHANGES.db

mkdir -p "$DATA"
if [ ! -f "$DB" ]; then
  echo "bench: generating $RELATIONS relations and $CHANGES changes into $DB (once)" >&2
  "$GEN" --db "$DB.tmp" --clients "$CLIENTS" --cis-per-client "$CIS_PER_CLIENT" \
    --shared "$SHARED" --relations "$RELATIONS" --changes "$CHANGES"
  mv "$DB.tmp" "$DB"
  rm -f "$DB.tmp-wal" "$DB.tmp-shm"
fi
WORK=$DATA/graph-work.db
# Migrated in place once (schema and renderings), so each run copies a current database.
"$BIN" db migrate --db "$DB" >&2
bench_work_copy "$DB" "$WORK"

TOKEN=$("$BIN" user add "bench-$$" --admin --token --db "$WORK")
LOG=$DATA/graph-server.log
bench_start --db "$WORK"
export GL_TOKEN=$TOKEN GL_CLIENTS=$CLIENTS GL_CIS_PER_CLIENT=$CIS_PER_CLIENT

# The shape of what is measured: reached CIs and listed changes for a few sample CIs.
for ci in 150 450 950; do
  n=$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/cis/$ci/impact" |
      python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  w=$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/what-changed?ci=$ci" |
      python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
  echo "sample CI-$ci: impact reaches $n CIs, what-changed lists $w changes"
done

echo
echo "data: $CLIENTS clients, $((CLIENTS * CIS_PER_CLIENT)) + $SHARED shared CIs, $RELATIONS relations, $CHANGES changes; wrk -t1 -d$DURATION; $(nproc) CPUs"
echo
bench_table_header
bench_scenario "GET /healthz (HTTP floor)" health.lua 8
bench_scenario "GET /cis/{id}/impact" impact.lua 1
bench_scenario "GET /cis/{id}/impact" impact.lua 8
bench_scenario "GET /what-changed?ci=&depth=3" what_changed.lua 1
bench_scenario "GET /what-changed?ci=&depth=3" what_changed.lua 8
