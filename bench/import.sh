#!/usr/bin/env bash
# Bulk import benchmark: generates a CSV of N CIs (default 100,000) over 10 clients, starts
# a server on a fresh database and times `greenlight ci import` against it (wall time,
# rows/s, the server's peak RSS). Usage: bench/import.sh [BUILD_DIR] [N]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
build=${1:-build}
n=${2:-100000}
bin="$build/greenlight"
dir=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

"$bin" serve --listen "127.0.0.1:$port" --db "$dir/gl.db" >"$dir/serve.log" 2>&1 &
pid=$!
bench_wait_healthy "$port"
token=$("$bin" user add bench --admin --token --db "$dir/gl.db")
export GREENLIGHT_URL="http://127.0.0.1:$port" GREENLIGHT_TOKEN="$token"
for c in $(seq 0 9); do
  curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"key\":\"bench-$c\",\"name\":\"Bench $c\",\"timezone\":\"UTC\"}" \
    "$GREENLIGHT_URL/api/v1/clients" >/dev/null
done
python3 - "$n" >"$dir/cis.csv" <<'PY'
import sys
types = ["server", "application", "database", "network_device", "service", "site"]
print("client,name,type,criticality,users_affected,owner")
for i in range(int(sys.argv[1])):
    print(f"bench-{i % 10},host-{i:06d},{types[i % 6]},{i % 5 + 1},{i % 1000},\"ops, team {i % 7}\"")
PY
echo "file: $(wc -l <"$dir/cis.csv") lines, $(du -h "$dir/cis.csv" | cut -f1)"
start=$(date +%s.%N)
"$bin" ci import "$dir/cis.csv"
end=$(date +%s.%N)
python3 -c "w=$end-$start; print(f'import of $n CIs: {w:.2f} s wall, {$n/w:,.0f} rows/s')"
start=$(date +%s.%N)
"$bin" ci import "$dir/cis.csv"
end=$(date +%s.%N)
python3 -c "w=$end-$start; print(f're-import (all unchanged): {w:.2f} s wall')"
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)"
