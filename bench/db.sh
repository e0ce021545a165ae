#!/usr/bin/env bash
# Database benchmark: the async database layer (shared/libs/db) against the raw C APIs for
# the same queries, in one run: raw sqlite3 and raw libpq (one connection, one thread,
# prepared statements reused) next to our blocking driver alone and our async API with 1
# and 16 coroutines on one io thread and a worker pool of 2 threads; plus, for the
# PostgreSQL point SELECT, a prototype of libpq's non-blocking API on the io thread (the
# alternative design). Queries: a point SELECT by primary key, a SELECT of 20 rows mapped
# to a struct, a transaction of 100 INSERTs. PostgreSQL 15 is a private server on loopback
# from the test harness. Prints Markdown tables for docs/benchmarks.md; a missed target
# prints MISS and does not fail the script.
#
# Usage: bench/db.sh                                     full run (under 3 minutes)
#        BENCH_DURATION_MS=300 BENCH_ROUNDS=1 bench/db.sh  quick smoke run
#
# Settings (environment):
#   BENCH_BUILD_DIR     build tree for db_bench (default build-release, configured with the
#                       release preset when missing); the target is built if out of date
#   BENCH_BUILD_JOBS    parallel compile jobs (2)
#   BENCH_DURATION_MS   length of one measurement (1500)
#   BENCH_WARMUP_MS     warm-up before each measurement (300)
#   BENCH_ROUNDS        rounds over all cases; the median round is reported (3)
#   BENCH_CONCURRENCY   coroutines for the async rows ("1,16")
#   BENCH_WORKERS       worker-pool threads for the async rows (2)
#   BENCH_NONBLOCKING   0 skips the non-blocking libpq prototype (1)
#   BENCH_MAX_LOAD      when set, first wait (at most 10 min) for the 1-min load average to
#                       drop below it, e.g. 0.5
#   BENCH_KEEP_TMP      when set, keep the temp dir (SQLite file, logs)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"

BUILD_DIR=${BENCH_BUILD_DIR:-$ROOT/build-release}
JOBS=${BENCH_BUILD_JOBS:-2}
DURATION_MS=${BENCH_DURATION_MS:-1500}
WARMUP_MS=${BENCH_WARMUP_MS:-300}
ROUNDS=${BENCH_ROUNDS:-3}
CONCURRENCY=${BENCH_CONCURRENCY:-1,16}
WORKERS=${BENCH_WORKERS:-2}
HARNESS="$ROOT/tests/harness/with_servers.py"

bench_need cmake ninja "$BENCH_PY"
bench_init

# ---------------------------------------------------------------------------- build
bench_build_targets db_bench
DB_BENCH="$BUILD_DIR/bin/db_bench"
# The tree the binary was built from (others may commit while it runs).
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" (+ uncommitted changes)"

if [[ -n ${BENCH_MAX_LOAD:-} ]]; then
  bench_wait_low_load "$BENCH_MAX_LOAD" 600 || true
fi

# ---------------------------------------------------------------------------- run
ARGS=(--sqlite "$BENCH_TMP/sqlite/bench.db" --duration-ms "$DURATION_MS" --warmup-ms "$WARMUP_MS"
      --rounds "$ROUNDS" --concurrency "$CONCURRENCY" --workers "$WORKERS")
[[ ${BENCH_NONBLOCKING:-1} == 0 ]] && ARGS+=(--no-nonblocking)
mkdir -p "$BENCH_TMP/sqlite"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%MZ)
T0=$(date +%s)
# The harness exports MMX_TEST_POSTGRES_URL to its child and stops the server afterwards.
# shellcheck disable=SC2016 # expanded by the inner bash
"$BENCH_PY" "$HARNESS" --postgres -- \
  bash -c 'exec "$0" --postgres "$MMX_TEST_POSTGRES_URL" "$@"' "$DB_BENCH" "${ARGS[@]}" \
  >"$BENCH_TMP/tables.md" || bench_die "db_bench failed"
SECONDS_TOOK=$(($(date +%s) - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------- report
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
pg_version=$(/usr/lib/postgresql/15/bin/postgres --version 2>/dev/null || echo "postgres ?")

echo "## Database layer (bench/db.sh)"
echo
echo "- date: $STARTED, $SECONDS_TOOK s"
echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r)"
echo "- server: $pg_version on loopback (test harness: fsync=off, synchronous_commit=off); SQLite: a WAL file in $(df -P "$BENCH_TMP" | awk 'NR == 2 { print $1 }') under ${TMPDIR:-/tmp}"
echo "- db_bench: $DB_BENCH ($(grep '^CMAKE_BUILD_TYPE' "$BUILD_DIR/CMakeCache.txt" | cut -d= -f2)); work tree at $commit"
echo "- load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
echo
cat "$BENCH_TMP/tables.md"
