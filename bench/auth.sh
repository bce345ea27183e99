#!/usr/bin/env bash
# What authentication costs a read: the same GET /api/v1/changes/{id} load against the
# normal server (Bearer token on every request) and against the benchmark-only build
# variant that skips authentication for GET (meson option bench_unauthenticated_reads,
# built into build-bench-noauth; never deploy it). Runs alternate A B A B on one database.
#
#   bash bench/auth.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD=${1:-build}
ROUNDS=${2:-3}
NOAUTH=build-bench-noauth
CHANGES=${GL_CHANGES:-1000000}
DB=bench/data/bench-$CHANGES.db
PORT=${GL_PORT:-18092}
DURATION=${GL_DURATION:-10s}

[ -f "$DB" ] || { echo "bench: run bench/run.sh first to generate $DB" >&2; exit 1; }
[ -d "$NOAUTH" ] || meson setup "$NOAUTH" -Dbench_unauthenticated_reads=true >/dev/null
ninja -C "$NOAUTH" greenlight >/dev/null

WORK=bench/data/auth.db
rm -f "$WORK" "$WORK-wal" "$WORK-shm"
cp "$DB" "$WORK"
export GL_TOKEN=$("$BUILD/greenlight" user add "auth-bench-$$" --admin --token --db "$WORK")
export GL_CHANGES=$CHANGES

run() {
  local bin=$1
  "$bin" serve --listen 127.0.0.1:$PORT --db "$WORK" 2>/dev/null &
  local pid=$!
  bench_wait_healthy "$PORT" >&2
  wrk -t1 -c8 -d2s -s bench/wrk/get_change.lua "http://127.0.0.1:$PORT" >/dev/null
  wrk -t1 -c8 -d"$DURATION" --latency -s bench/wrk/get_change.lua "http://127.0.0.1:$PORT" |
    awk '/Requests\/sec/ {rps=$2} $1 == "99%" {p99=$2} END {printf "%s %s\n", rps, p99}'
  kill $pid; wait $pid 2>/dev/null || true
}

echo "| round | with token req/s | p99 | unauthenticated req/s | p99 | ratio |"
echo "| ----- | ---------------- | --- | --------------------- | --- | ----- |"
for r in $(seq "$ROUNDS"); do
  read -r a_rps a_p99 < <(run "$BUILD/greenlight")
  read -r b_rps b_p99 < <(run "$NOAUTH/greenlight")
  ratio=$(awk -v a="$a_rps" -v b="$b_rps" 'BEGIN {printf "%.3f", a / b}')
  echo "| $r | $a_rps | $a_p99 | $b_rps | $b_p99 | $ratio |"
done
