#!/usr/bin/env bash
# Broker benchmark: events/s and publish-to-handler latency through the generic Broker on
# every backend (the embedded SQLite log, Redis Streams, RabbitMQ, Kafka on librdkafka's
# mock cluster), and the transactional outbox (commit + relay + consume) on SQLite and
# PostgreSQL, in one run. Latency: single publish() calls at fixed rates (open loop), on a
# fresh log; end to end: publish_batch() back to back with one consumer, the producer held
# within 20 batches of it; publish only: publish_batch() with the consumer stopped. Baselines in the same run:
# raw sqlite3 INSERTs of the same payloads in the same batches (the SQLite log's floor),
# redis-benchmark's XADD with the same payload (Redis), a raw librdkafka producer with our
# settings on the same mock cluster (Kafka); RabbitMQ has no perf tool in Debian, so no
# ratio. The SQLite log runs twice: pinned to one CPU (its targets are for one core) and on
# both. Servers are private instances on loopback from the test harness. Prints Markdown
# tables for docs/benchmarks.md; a missed target prints MISS and does not fail the script.
#
# Usage: bench/broker.sh                                      full run (under 3 minutes)
#        BENCH_DURATION_MS=500 BENCH_LATENCY_MS=500 bench/broker.sh   quick smoke run
#
# Settings (environment):
#   BENCH_BUILD_DIR     build tree for broker_bench (default build-release, configured with
#                       the release preset when missing); the target is built if out of date
#   BENCH_BUILD_JOBS    parallel compile jobs (2)
#   BENCH_DURATION_MS   one throughput round (1500; a publish-only round also stops at
#                       200,000 events)
#   BENCH_ROUNDS        throughput rounds; baseline and ours alternate, medians reported (3)
#   BENCH_LATENCY_MS    each fixed-rate latency run (2000); closed-loop runs take 1000
#   BENCH_BATCH         events per publish_batch() (500)
#   BENCH_RATES         fixed publish rates, events/s ("1000,5000")
#   BENCH_OUTBOX_RATES  fixed transaction rates for the outbox ("1000")
#   BENCH_CPU           the CPU the one-core SQLite run is pinned to (1)
#   BENCH_BACKENDS      what to run ("sqlite redis amqp kafka outbox")
#   BENCH_MAX_LOAD      when set, first wait (at most 10 min) for the 1-min load average to
#                       drop below it, e.g. 0.5
#   BENCH_KEEP_TMP      when set, keep the temp dir (log files, raw rows)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"

BUILD_DIR=${BENCH_BUILD_DIR:-$ROOT/build-release}
JOBS=${BENCH_BUILD_JOBS:-2}
DURATION_MS=${BENCH_DURATION_MS:-1500}
ROUNDS=${BENCH_ROUNDS:-3}
LATENCY_MS=${BENCH_LATENCY_MS:-2000}
BATCH=${BENCH_BATCH:-500}
RATES=${BENCH_RATES:-1000,5000}
OUTBOX_RATES=${BENCH_OUTBOX_RATES:-1000}
CPU=${BENCH_CPU:-1}
BACKENDS=" ${BENCH_BACKENDS:-sqlite redis amqp kafka outbox} "
HARNESS="$ROOT/tests/harness/with_servers.py"

wants() { [[ $BACKENDS == *" $1 "* ]]; }

bench_need cmake ninja taskset "$BENCH_PY"
wants redis && bench_need redis-benchmark
bench_init

# ---------------------------------------------------------------------------- build
bench_build_targets broker_bench
BROKER_BENCH="$BUILD_DIR/bin/broker_bench"
# The tree the binary was built from (others may commit while it runs).
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" (+ uncommitted changes)"

if [[ -n ${BENCH_MAX_LOAD:-} ]]; then
  bench_wait_low_load "$BENCH_MAX_LOAD" 600 || true
fi

# ---------------------------------------------------------------------------- run
# Everything below runs inside the harness, which exports the servers' URLs. Rows go to
# rows.txt (tagged T, L, G, N by broker_bench), redis-benchmark's figures to redis.txt.
SERVERS=()
wants redis && SERVERS+=(--redis)
wants amqp && SERVERS+=(--rabbitmq)
wants outbox && SERVERS+=(--postgres)

COMMON=(--duration-ms "$DURATION_MS" --rounds "$ROUNDS" --latency-ms "$LATENCY_MS" --batch "$BATCH"
        --rates "$RATES" --outbox-rates "$OUTBOX_RATES")

# shellcheck disable=SC2016 # expanded by the inner bash
INNER='
set -euo pipefail
bench="$1"; tmp="$2"; cpu="$3"; backends="$4"; shift 4
wants() { [[ $backends == *" $1 "* ]]; }
log() { printf "[bench %s] %s\n" "$(date +%H:%M:%S)" "$*" >&2; }
rows="$tmp/rows.txt"
if wants sqlite; then
  log "SQLite log pinned to CPU $cpu (taskset -c $cpu)"
  taskset -c "$cpu" "$bench" --sqlite "$tmp/sqlite-1cpu" --note "1 CPU (taskset -c $cpu)" "$@" >>"$rows"
  log "SQLite log on all CPUs"
  "$bench" --sqlite "$tmp/sqlite-all" --note "$(nproc) CPUs" "$@" | { grep -v "^N|" || true; } >>"$rows"
fi
args=()
if wants redis; then
  IFS=$'"'"'\t'"'"' read -r key payload < <("$bench" --print-payload)
  # The same command, payload and trimming as our backend sends; one connection like our
  # publisher; -P = our batch (a pipelined publish_batch), then -P 1 (single publishes).
  xadd=(XADD bench:native MAXLEN "~" 1000000 "*" key "$key" payload "$payload" ts 1732476000000)
  rps() { awk -F"\",\"" "END { print \$(NF-6) }"; }
  log "redis-benchmark XADD -c 1 -P $BATCH"
  pipelined=$(redis-benchmark -u "$MMX_TEST_REDIS_URL" -c 1 -P "$BATCH" -n 400000 --csv "${xadd[@]}" | rps)
  log "redis-benchmark XADD -c 1 -P 1"
  single=$(redis-benchmark -u "$MMX_TEST_REDIS_URL" -c 1 -P 1 -n 60000 --csv "${xadd[@]}" | rps)
  printf "%s %s\n" "$pipelined" "$single" >"$tmp/redis.txt"
  args+=(--redis "$MMX_TEST_REDIS_URL" --redis-baseline "$pipelined"
         --redis-baseline-note " -c 1 -P $BATCH" --redis-single-baseline "$single")
fi
wants amqp && args+=(--amqp "$MMX_TEST_AMQP_URL")
wants kafka && args+=(--kafka-mock)
wants outbox && args+=(--outbox-sqlite "$tmp/outbox" --outbox-postgres "$MMX_TEST_POSTGRES_URL")
if ((${#args[@]})); then
  "$bench" "${args[@]}" "$@" | { grep -v "^N|" || true; } >>"$rows"
fi
'
export BATCH
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%MZ)
T0=$(date +%s)
: >"$BENCH_TMP/rows.txt"
"$BENCH_PY" "$HARNESS" "${SERVERS[@]}" -- \
  bash -c "$INNER" inner "$BROKER_BENCH" "$BENCH_TMP" "$CPU" "$BACKENDS" "${COMMON[@]}" ||
  bench_die "broker_bench failed (rows so far: $(cat "$BENCH_TMP/rows.txt"))"
SECONDS_TOOK=$(($(date +%s) - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------- report
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
rows() { grep "^$1|" "$BENCH_TMP/rows.txt" | cut -c3- | sed 's/^ */| /' || true; }

echo "## Broker (bench/broker.sh)"
echo
echo "- date: $STARTED, $SECONDS_TOOK s"
echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r)"
echo "- servers (loopback, test harness): $(redis-server --version 2>/dev/null | awk '{ print $1, $2, $3 }'), RabbitMQ $(dpkg-query -W -f='${Version}' rabbitmq-server 2>/dev/null || echo '?'), $(/usr/lib/postgresql/15/bin/postgres --version 2>/dev/null); Kafka: librdkafka $(dpkg-query -W -f='${Version}' librdkafka1 2>/dev/null || echo '?') mock cluster (3 brokers, in process)"
echo "- broker_bench: $BROKER_BENCH; work tree at $commit; batch $BATCH; $ROUNDS throughput rounds of ${DURATION_MS} ms, fixed-rate runs of ${LATENCY_MS} ms"
echo "- load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
rows N | sed 's/^| /- /; s/ |$//'
echo
echo "| backend | path | publish events/s | end-to-end events/s | baseline | baseline events/s | publish / baseline | end-to-end / baseline | note |"
echo "|---|---|---:|---:|---|---:|---:|---:|---|"
rows T
echo
echo "| backend | path | rate | sent | handled | errors | p50 ms | p99 ms | max ms | note |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---|"
rows L
echo
echo "| target (SQLite log) | measured | verdict |"
echo "|---|---:|---|"
rows G
