# shellcheck shell=bash
# Shared helpers for the bench/*.sh scripts. Source it; do not run it.
#
#   bench_init                      temp dir in $BENCH_TMP, cleanup trap on EXIT/INT/TERM/HUP
#   bench_free_port                 print a free loopback TCP port
#   bench_start NAME CMD...         start CMD in its own session, output to $BENCH_TMP/NAME.log;
#                                   sets BENCH_PID
#   bench_adopt PID                 register a process started some other way for cleanup
#   bench_stop PID                  SIGTERM its process group, SIGKILL after 5 s
#   bench_wait_http URL PID [S]     wait until URL answers 200 while PID lives (timeout S s)
#   bench_rss_kb PID                VmRSS of PID in kB
#   bench_wait_low_load MAX [S]     wait (at most S s) until the 1-min load average < MAX
#   bench_wrk NAME URL DURATION CONNECTIONS [THREADS]
#                                   run wrk --latency; output kept in $BENCH_TMP/wrk-NAME.txt;
#                                   sets WRK_RPS WRK_P50_MS WRK_P99_MS WRK_REQUESTS WRK_ERRORS
#   bench_ratio A B                 A/B with 2 decimals ("n/a" when B is 0 or empty)
#   bench_ge A B                    exit 0 when A >= B (decimals)
#   bench_verdict A B               "PASS" when A >= B else "MISS"
#
# Every process is started with setsid, so stopping its process group (by the PID we got)
# also stops the workers it forked (nginx, uvicorn --workers) and nothing else.

BENCH_PIDS=()
BENCH_TMP=""
BENCH_PY=${BENCH_PY:-/usr/bin/python3}

bench_log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

bench_die() {
  bench_log "error: $*"
  exit 1
}

bench_need() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || bench_die "'$c' not found (see docs/benchmarks.md)"
  done
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    bench_stop "$pid"
  done
  BENCH_PIDS=()
  if [[ -n $BENCH_TMP && -d $BENCH_TMP && -z ${BENCH_KEEP_TMP:-} ]]; then
    rm -rf -- "$BENCH_TMP"
  fi
}

bench_init() {
  BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mmx-bench.XXXXXX")
  # Temp dirs of mktemp are 0700; nginx workers run as nobody and need to traverse it.
  chmod 0755 "$BENCH_TMP"
  trap bench_cleanup EXIT
  trap 'bench_log "interrupted"; exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

bench_free_port() {
  "$BENCH_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_start() {
  local name=$1
  shift
  # Not a process group leader here, so setsid does not fork and $! is the server itself.
  setsid "$@" >"$BENCH_TMP/$name.log" 2>&1 </dev/null &
  BENCH_PID=$!
  BENCH_PIDS+=("$BENCH_PID")
}

bench_adopt() { BENCH_PIDS+=("$1"); }

bench_alive() { kill -0 "$1" 2>/dev/null; }

bench_stop() {
  local pid=$1 i
  bench_alive "$pid" || return 0
  # The group first (workers), then the pid itself in case it left its group.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    bench_alive "$pid" || break
    sleep 0.05
  done
  if bench_alive "$pid"; then
    bench_log "pid $pid ignored SIGTERM for 5 s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  local rest=() p
  for p in "${BENCH_PIDS[@]}"; do
    [[ $p == "$pid" ]] || rest+=("$p")
  done
  BENCH_PIDS=("${rest[@]}")
}

bench_wait_http() {
  local url=$1 pid=$2 timeout=${3:-30} i code
  for ((i = 0; i < timeout * 20; i++)); do
    bench_alive "$pid" || return 1
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" 2>/dev/null) || true
    [[ $code == 200 ]] && return 0
    sleep 0.05
  done
  return 1
}

bench_rss_kb() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

bench_load1() { cut -d' ' -f1 /proc/loadavg; }

bench_wait_low_load() {
  local max=$1 timeout=${2:-600} waited=0
  while ! bench_ge "$max" "$(bench_load1)"; do
    if ((waited >= timeout)); then
      bench_log "load average still $(bench_load1) after ${timeout}s; measuring anyway"
      return 1
    fi
    ((waited == 0)) && bench_log "load average $(bench_load1) > $max: waiting (at most ${timeout}s)"
    sleep 10
    waited=$((waited + 10))
  done
  return 0
}

# wrk prints latencies as 812.00us, 1.23ms or 1.02s.
bench_to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000
    else if (v ~ /ms$/) n = n
    else if (v ~ /m$/) n = n * 60000
    else if (v ~ /s$/) n = n * 1000
    printf "%.3f", n
  }'
}

# Results go to the caller in WRK_* globals.
# shellcheck disable=SC2034
bench_parse_wrk() {
  local f=$1 line
  WRK_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
  WRK_P50_MS=$(bench_to_ms "$(awk '$1 == "50%" { print $2 }' "$f")")
  WRK_P99_MS=$(bench_to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")
  WRK_REQUESTS=$(awk '/requests in/ { print $1 }' "$f")
  # Socket errors (connect/read/write/timeout) plus non-2xx/3xx answers.
  WRK_ERRORS=0
  line=$(grep 'Socket errors:' "$f" || true)
  if [[ -n $line ]]; then
    WRK_ERRORS=$(awk -F'[ ,]+' '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s }' <<<"$line")
  fi
  line=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$f")
  WRK_ERRORS=$((WRK_ERRORS + ${line:-0}))
}

bench_wrk() {
  local name=$1 url=$2 duration=$3 connections=$4 threads=${5:-1}
  local out="$BENCH_TMP/wrk-$name.txt"
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url" >"$out" 2>&1 ||
    bench_die "wrk failed for $name: $(cat "$out")"
  bench_parse_wrk "$out"
  [[ -n $WRK_RPS ]] || bench_die "could not parse wrk output for $name: $(cat "$out")"
}

bench_ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}

bench_ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

bench_verdict() {
  if [[ $1 != n/a ]] && bench_ge "$1" "$2"; then echo PASS; else echo MISS; fi
}

# Configures BUILD_DIR as a Release tree when it has none (the release preset for
# build-release), then builds the given targets with -j JOBS. Uses ROOT, BUILD_DIR, JOBS.
bench_build_targets() {
  if [[ ! -f $BUILD_DIR/CMakeCache.txt ]]; then
    bench_log "configuring $BUILD_DIR (Release)"
    if [[ $BUILD_DIR == "$ROOT/build-release" ]]; then
      (cd "$ROOT" && cmake --preset release >&2) || bench_die "cmake --preset release failed"
    else
      cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2 ||
        bench_die "configuring $BUILD_DIR failed"
    fi
  fi
  grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$BUILD_DIR/CMakeCache.txt" ||
    bench_log "warning: $BUILD_DIR is not a Release build"
  bench_log "building $* in $BUILD_DIR (-j$JOBS)"
  cmake --build "$BUILD_DIR" --target "$@" -j "$JOBS" >&2 || bench_die "building $* failed"
}
