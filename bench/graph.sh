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
rm -f "$WORK" "$WORK-wal" "$WORK-shm"
cp "$DB" "$WORK"

TOKEN=$("$BIN" user add "bench-$$" --admin --token --db "$WORK")
"$BIN" serve --listen 127.0.0.1:$PORT --db "$WORK" 2>"$DATA/graph-server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done
export GL_TOKEN=$TOKEN GL_CLIENTS=$CLIENTS GL_CIS_PER_CLIENT=$CIS_PER_CLIENT

rss_kib() { awk '/VmRSS/ {print $2}' /proc/$SERVER/status; }

scenario() {
  local name=$1 script=$2 connections=$3
  local out rps p50 p90 p99 errors
  out=$(wrk -t1 -c"$connections" -d"$DURATION" --latency -s "bench/wrk/$script" \
        "http://127.0.0.1:$PORT")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p90=$(awk '$1 == "90%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '| %-32s | %4s | %10s | %8s | %8s | %8s | %6s | %6s MiB |\n' "$name" "$connections" \
    "$rps" "$p50" "$p90" "$p99" "${errors:-0}" "$(( $(rss_kib) / 1024 ))"
}

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
echo "| scenario                         | conn |  req/s     |  p50     |  p90     |  p99     | non-2xx| RSS        |"
echo "| -------------------------------- | ---- | ---------- | -------- | -------- | -------- | ------ | ---------- |"
scenario "GET /healthz (HTTP floor)" health.lua 8
scenario "GET /cis/{id}/impact" impact.lua 1
scenario "GET /cis/{id}/impact" impact.lua 8
scenario "GET /what-changed?ci=&depth=3" what_changed.lua 1
scenario "GET /what-changed?ci=&depth=3" what_changed.lua 8
