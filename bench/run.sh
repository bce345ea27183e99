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
rm -f "$WORK" "$WORK-wal" "$WORK-shm"
cp "$DB" "$WORK"

TOKEN=$("$BIN" user add "bench-$$" --admin --token --db "$WORK")
"$BIN" serve --listen 127.0.0.1:$PORT --db "$WORK" 2>"$DATA/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done

export GL_TOKEN=$TOKEN GL_CHANGES=$CHANGES GL_CLIENTS=$CLIENTS GL_CIS_PER_CLIENT=$CIS_PER_CLIENT

rss_kib() { awk '/VmRSS/ {print $2}' /proc/$SERVER/status; }
hwm_kib() { awk '/VmHWM/ {print $2}' /proc/$SERVER/status; }

# wrk's --latency output: "Requests/sec: N" and the "50% / 90% / 99%" lines.
# One wrk thread: on a 2-CPU machine wrk and the server share the cores.
scenario() {
  local name=$1 script=$2 connections=$3
  local out
  out=$(wrk -t1 -c"$connections" -d"$DURATION" --latency -s "bench/wrk/$script" \
        "http://127.0.0.1:$PORT")
  local rps p50 p90 p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p90=$(awk '$1 == "90%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '| %-30s | %4s | %10s | %8s | %8s | %8s | %6s | %6s MiB |\n' "$name" "$connections" \
    "$rps" "$p50" "$p90" "$p99" "${errors:-0}" "$(( $(rss_kib) / 1024 ))"
}

echo
echo "data: $CLIENTS clients, $((CLIENTS * CIS_PER_CLIENT)) CIs, $CHANGES changes; wrk -t1 -d$DURATION; $(nproc) CPUs"
echo
echo "| scenario                       | conn |  req/s     |  p50     |  p90     |  p99     | non-2xx| RSS        |"
echo "| ------------------------------ | ---- | ---------- | -------- | -------- | -------- | ------ | ---------- |"
scenario "GET /healthz (HTTP floor)" health.lua 8
scenario "GET /api/v1/changes/{id}" get_change.lua 8
scenario "GET list client+state, 50" list_changes.lua 8
scenario "GET list client+state, 50" list_changes.lua 1
scenario "POST /api/v1/changes (durable)" create_change.lua 64
echo
echo "server peak RSS (VmHWM): $(( $(hwm_kib) / 1024 )) MiB"
