#!/usr/bin/env bash
# The change calendar on a million changes: the schedule summary (windows, blackouts, notice
# and conflicts at depth 2 against every scheduled or in-progress change) and one client's
# month calendar with windows expanded.
#
#   bash bench/calendar.sh [BUILD_DIR] [SAMPLES]
#
# Works on a COPY of bench/data/bench-1000000.db (gl-bench-gen's default data set, made by
# bench/run.sh), bench/data/cal-work.db, made once and reused; gl-bench-calendar adds the
# calendar and a CI graph to the copy on first use (see bench/calendar.c). The original is
# never written.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

BUILD=${1:-build}
SAMPLES=${2:-3000}
SRC=bench/data/bench-1000000.db
WORK=bench/data/cal-work.db

if [ ! -f "$SRC" ]; then
  echo "bench: $SRC is missing; generate it with bench/run.sh first" >&2
  exit 1
fi
if [ ! -f "$WORK" ]; then
  echo "bench: copying $SRC to $WORK (once)" >&2
  bench_work_copy "$SRC" "$WORK.tmp"
  mv "$WORK.tmp" "$WORK"
fi
echo "data: $(sqlite3 "$WORK" 'SELECT count(*) FROM changes') changes, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/gl-bench-calendar" --db "$WORK" --samples "$SAMPLES"

# The issue's case: every one of the million changes scheduled (a second copy, made once):
# each conflict check then searches all of them, not only the ~13% the generator left in
# scheduled or in_progress.
SCHED=bench/data/cal-sched-work.db
if [ ! -f "$SCHED" ]; then
  echo "bench: making $SCHED: every change scheduled (once)" >&2
  bench_work_copy "$WORK" "$SCHED.tmp"
  sqlite3 "$SCHED.tmp" "UPDATE changes SET state = 'scheduled' WHERE state <> 'scheduled'"
  mv "$SCHED.tmp" "$SCHED"
  rm -f "$SCHED.tmp-wal" "$SCHED.tmp-shm"
fi
echo "--- every change scheduled: $(sqlite3 "$SCHED" "SELECT count(*) FROM changes WHERE state = 'scheduled'") scheduled changes"
GL_BENCH_NO_MONTH=1 "$BUILD/bench/gl-bench-calendar" --db "$SCHED" --samples "$SAMPLES"
