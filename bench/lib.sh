# bench/lib.sh - what the benchmark scripts share: a fresh working copy of a data set, a
# server on loopback, and one wrk scenario printed as a table row. Sourced, not run.
#
# bench_work_copy SRC DEST       copies a generated database so runs start alike
# bench_start SERVE_ARGS...      starts BIN serve (BIN, PORT, LOG set by the caller), sets
#                                SERVER, waits for /healthz, stops it on exit
# bench_table_header             the header of the scenario table
# bench_scenario NAME SCRIPT CONNECTIONS
#                                runs wrk -t1 for DURATION and prints req/s, p50/p90/p99,
#                                non-2xx answers and the server's RSS

bench_work_copy() {
  rm -f "$2" "$2-wal" "$2-shm"
  cp "$1" "$2"
}

bench_wait_healthy() {
  local port=$1
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return 0
    sleep 0.1
  done
  echo "bench: the server on port $port did not become healthy" >&2
  return 1
}

bench_start() {
  "$BIN" serve --listen 127.0.0.1:$PORT "$@" 2>"$LOG" &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
  bench_wait_healthy "$PORT"
}

bench_rss_kib() { awk '/VmRSS/ {print $2}' /proc/$SERVER/status; }
bench_hwm_kib() { awk '/VmHWM/ {print $2}' /proc/$SERVER/status; }

bench_table_header() {
  echo "| scenario                         | conn |  req/s     |  p50     |  p90     |  p99     | non-2xx| RSS        |"
  echo "| -------------------------------- | ---- | ---------- | -------- | -------- | -------- | ------ | ---------- |"
}

# One wrk thread: on a 2-CPU machine wrk and the server share the cores.
bench_scenario() {
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
    "$rps" "$p50" "$p90" "$p99" "${errors:-0}" "$(( $(bench_rss_kib) / 1024 ))"
}
