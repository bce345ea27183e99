#!/usr/bin/env bash
# Risk assessment on the graph data set: gathering + scoring a change of 20 CIs.
#
#   bash bench/risk.sh [BUILD_DIR]
#
# Needs bench/data/graph-500000-100000.db (bench/graph.sh generates it). Works on a copy
# (bench/data/risk-work.db): the benchmark creates changes and assessments in it. See
# bench/risk.c for what is timed.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD=${1:-build}
SRC=bench/data/graph-${GL_RELATIONS:-500000}-${GL_CHANGES:-100000}.db
WORK=bench/data/risk-work.db
if [ ! -f "$SRC" ]; then
  echo "bench: $SRC is missing: run bash bench/graph.sh $BUILD first" >&2
  exit 1
fi
bench_work_copy "$SRC" "$WORK"
"$BUILD/bench/gl-bench-risk" --db "$WORK" --changes "${GL_RISK_CHANGES:-100}" --cis 20 \
  --iterations "${GL_RISK_ITERATIONS:-5000}"
echo "--- the same, every change planned a week ahead (the calendar's summary included):"
bench_work_copy "$SRC" "$WORK"
"$BUILD/bench/gl-bench-risk" --db "$WORK" --changes "${GL_RISK_CHANGES:-100}" --cis 20 \
  --iterations "${GL_RISK_ITERATIONS:-5000}" --planned
echo "--- the same (not planned) with the in-memory graph off (every walk reads SQL):"
bench_work_copy "$SRC" "$WORK"
GL_GRAPH_CACHE=off "$BUILD/bench/gl-bench-risk" --db "$WORK" --changes "${GL_RISK_CHANGES:-100}" \
  --cis 20 --iterations "${GL_RISK_ITERATIONS:-5000}"
rm -f "$WORK" "$WORK-wal" "$WORK-shm"
