#!/usr/bin/env bash
# HTTP benchmark: micromax's GET /healthz against nginx and FastAPI + uvicorn serving the
# same JSON, on loopback with wrk, with 1 then 2 workers; plus micromax's idle RSS and its
# start-to-ready time. Prints Markdown tables (results, ratios, targets) for
# docs/benchmarks.md. A missed target is reported as MISS; it does not fail the script.
#
# Usage: bench/http.sh                       full run (10 s per measurement, under 2 min)
#        BENCH_DURATION=2s bench/http.sh     quick smoke run (CI)
#
# Settings (environment):
#   MICROMAX           binary (default build-release/bin/micromax; built with the release
#                      preset when missing)
#   BENCH_DURATION     wrk duration per measurement (10s)
#   BENCH_WARMUP       wrk warm-up per server before it is measured (2s)
#   BENCH_CONNECTIONS  wrk connections (64)
#   BENCH_WRK_THREADS  wrk threads (1: wrk needs a core of the two for itself)
#   BENCH_WORKERS      worker counts to measure ("1 2")
#   BENCH_SERVERS      servers to measure ("micromax nginx fastapi")
#   BENCH_START_RUNS   cold starts measured for start-to-ready and idle RSS (5)
#   BENCH_MAX_LOAD     when set, first wait (at most 10 min) for the 1-min load average to
#                      drop below it, e.g. 0.5
#   BENCH_KEEP_TMP     when set, keep the temp dir (logs, wrk outputs, configs)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"

DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
read -r -a WORKERS <<<"${BENCH_WORKERS:-1 2}"
SERVERS=" ${BENCH_SERVERS:-micromax nginx fastapi} "
START_RUNS=${BENCH_START_RUNS:-5}
MICROMAX_FROM_ENV=${MICROMAX:+yes}
MICROMAX=${MICROMAX:-$ROOT/build-release/bin/micromax}
BASELINES="$ROOT/bench/baselines"
EXPECTED_BODY='{"status":"ok"}'

# Targets (1 worker).
TARGET_VS_NGINX=0.9
TARGET_VS_FASTAPI=12
TARGET_RSS_MB=15
TARGET_READY_MS=100

wants() { [[ $SERVERS == *" $1 "* ]]; }

bench_need wrk curl awk setsid "$BENCH_PY"
wants nginx && bench_need nginx
bench_init

# ---------------------------------------------------------------------------- setup
if wants micromax && [[ ! -x $MICROMAX ]]; then
  if [[ -z $MICROMAX_FROM_ENV ]]; then
    bench_log "$MICROMAX missing: building it (release preset)"
    (cd "$ROOT" && cmake --preset release >&2 && cmake --build --preset release --target micromax >&2) ||
      bench_die "release build of micromax failed"
  fi
  [[ -x $MICROMAX ]] || bench_die "micromax binary not found: $MICROMAX"
fi

# uvicorn as production FastAPI runs it: uvloop + httptools when Debian has them installed.
UVICORN_OPTS=()
UVICORN_STACK="asyncio + h11"
RESPONSE_CLASS="n/a"
if wants fastapi; then
  "$BENCH_PY" -c 'import fastapi, uvicorn' 2>/dev/null ||
    bench_die "FastAPI/uvicorn missing: apt-get install python3-fastapi python3-uvicorn"
  loop=asyncio http=h11
  "$BENCH_PY" -c 'import uvloop' 2>/dev/null && loop=uvloop
  "$BENCH_PY" -c 'import httptools' 2>/dev/null && http=httptools
  UVICORN_OPTS=(--loop "$loop" --http "$http")
  UVICORN_STACK="$loop + $http"
  [[ $loop == uvloop && $http == httptools ]] ||
    bench_log "uvloop/httptools missing (apt-get install python3-uvloop python3-httptools): using $UVICORN_STACK"
  RESPONSE_CLASS=$(cd "$BASELINES" && "$BENCH_PY" fastapi_app.py)
fi

if [[ -n ${BENCH_MAX_LOAD:-} ]]; then
  bench_wait_low_load "$BENCH_MAX_LOAD" 600 || true
fi

# ---------------------------------------------------------------------------- servers
# Each start_* sets PORT and BENCH_PID and returns once GET /healthz answers 200.

start_micromax() {
  local workers=$1 level=$2 data
  data=$(mktemp -d "$BENCH_TMP/micromax-data.XXXXXX")
  PORT=$(bench_free_port)
  bench_start "micromax-$workers-$level" env MMX_ENV=local MMX_WORKER_THREADS=1 \
    MMX_LOG_LEVEL="$level" MMX_DATA_DIR="$data" \
    "$MICROMAX" --listen "127.0.0.1:$PORT" --threads "$workers"
  bench_wait_http "http://127.0.0.1:$PORT/healthz" "$BENCH_PID" 30 ||
    bench_die "micromax did not become ready: $(tail -n 20 "$BENCH_TMP/micromax-$workers-$level.log")"
}

start_nginx() {
  local workers=$1 dir="$BENCH_TMP/nginx-$1"
  mkdir -p "$dir"
  PORT=$(bench_free_port)
  sed -e "s|@WORKERS@|$workers|g" -e "s|@PORT@|$PORT|g" -e "s|@DIR@|$dir|g" \
    "$BASELINES/nginx.conf" >"$dir/nginx.conf"
  bench_start "nginx-$workers" nginx -c "$dir/nginx.conf" -p "$dir/" -e "$dir/error.log"
  bench_wait_http "http://127.0.0.1:$PORT/healthz" "$BENCH_PID" 30 ||
    bench_die "nginx did not become ready: $(cat "$BENCH_TMP/nginx-$workers.log" "$dir/error.log" 2>/dev/null)"
}

start_fastapi() {
  local workers=$1
  PORT=$(bench_free_port)
  bench_start "fastapi-$workers" "$BENCH_PY" -m uvicorn fastapi_app:app --app-dir "$BASELINES" \
    --host 127.0.0.1 --port "$PORT" --workers "$workers" --log-level warning --no-access-log \
    "${UVICORN_OPTS[@]}"
  bench_wait_http "http://127.0.0.1:$PORT/healthz" "$BENCH_PID" 60 ||
    bench_die "uvicorn did not become ready: $(tail -n 20 "$BENCH_TMP/fastapi-$workers.log")"
}

# Same bytes everywhere: body and media type checked before a server is measured.
check_response() {
  local name=$1 url=$2 body ctype
  body=$(curl -s "$url")
  ctype=$(curl -s -o /dev/null -w '%{content_type}' "$url")
  [[ $body == "$EXPECTED_BODY" ]] || bench_die "$name: body is '$body', expected '$EXPECTED_BODY'"
  [[ $ctype == application/json* ]] || bench_die "$name: Content-Type is '$ctype'"
  RESP_BYTES=$(curl -s -o /dev/null -w '%{size_header} %{size_download}' "$url" | awk '{ print $1 + $2 }')
}

# ------------------------------------------------------------------- start-to-ready, RSS
# Spawns micromax, polls every 1 ms (connect + GET /healthz) until it answers 200, then
# leaves it running and prints "PID MS". The clock starts just before fork/exec.
READY_PROBE=$(
  cat <<'EOF'
import os, signal, socket, subprocess, sys, time

port, log_path, timeout = int(sys.argv[1]), sys.argv[2], 10.0
cmd = sys.argv[3:]
request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

def ready():
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(request)
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"HTTP/1.1 200") or data.startswith(b"HTTP/1.0 200")
    except OSError:
        return False

with open(log_path, "wb") as log:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
try:
    while True:
        if ready():
            ms = (time.perf_counter() - t0) * 1000
            break
        if proc.poll() is not None:
            sys.exit("micromax exited with %d before it was ready" % proc.returncode)
        if time.perf_counter() - t0 > timeout:
            raise TimeoutError("not ready after %.0f s" % timeout)
        time.sleep(0.001)
except BaseException:
    os.killpg(proc.pid, signal.SIGKILL)
    raise
print(proc.pid, "%.1f" % ms)
EOF
)

# ready_ms from micromax's own {"msg":"listening",...,"ready_ms":N} line, if it logged one.
ready_ms_from_log() {
  "$BENCH_PY" -c '
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        rec = json.loads(line)
    except ValueError:
        continue
    if isinstance(rec, dict) and rec.get("msg") == "listening" and "ready_ms" in rec:
        print("%.1f" % float(rec["ready_ms"]))
        break
else:
    print("n/a")
' "$1"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

EXT_MS_ALL="" READY_MS_ALL="" RSS_KB_ALL="" TARGETS_RUN="n/a"
if wants micromax; then
  bench_log "micromax: $START_RUNS cold starts (start-to-ready, idle RSS)"
  for ((run = 1; run <= START_RUNS; run++)); do
    data=$(mktemp -d "$BENCH_TMP/micromax-data.XXXXXX")
    port=$(bench_free_port)
    log="$BENCH_TMP/micromax-start-$run.log"
    # Logged at info only so that the "listening" line (with ready_ms) is printed.
    # The settings go through the poller's environment: no `env` exec inside the timing.
    out=$(MMX_ENV=local MMX_WORKER_THREADS=1 MMX_LOG_LEVEL=info MMX_DATA_DIR="$data" \
      "$BENCH_PY" -c "$READY_PROBE" "$port" "$log" "$MICROMAX" --listen "127.0.0.1:$port" --threads 1) ||
      bench_die "micromax start probe failed: $(tail -n 20 "$log")"
    read -r pid ext_ms <<<"$out"
    bench_adopt "$pid"
    sleep 1 # idle: let start-up tasks settle before reading RSS
    rss=$(bench_rss_kb "$pid")
    bench_stop "$pid"
    EXT_MS_ALL+=" $ext_ms"
    READY_MS_ALL+=" $(ready_ms_from_log "$log")"
    RSS_KB_ALL+=" $rss"
    TARGETS_RUN=$(awk -F'"targets":"' 'NF > 1 { split($2, a, "\""); print a[1]; exit }' "$log")
  done
fi

# ---------------------------------------------------------------------------- wrk runs
ROWS=() # "server|workers|note|rps|p50|p99|errors|bytes|load1"
declare -A RPS

measure() {
  local server=$1 workers=$2 label=$3 note=$4 url load
  url="http://127.0.0.1:$PORT/healthz"
  check_response "$label" "$url"
  bench_log "$label, $workers worker(s): warm-up $WARMUP, then wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION"
  bench_wrk "$label-$workers-warmup" "$url" "$WARMUP" "$CONNECTIONS" "$WRK_THREADS"
  load=$(bench_load1)
  bench_wrk "$label-$workers" "$url" "$DURATION" "$CONNECTIONS" "$WRK_THREADS"
  ROWS+=("$label|$workers|$note|$WRK_RPS|$WRK_P50_MS|$WRK_P99_MS|$WRK_ERRORS|$RESP_BYTES|$load")
  RPS[$server-$workers]=$WRK_RPS
  [[ $WRK_ERRORS == 0 ]] || bench_log "$label: $WRK_ERRORS errors during the run"
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
MMX_RSS_AFTER=""
for w in "${WORKERS[@]}"; do
  if wants nginx; then
    start_nginx "$w"
    measure nginx "$w" nginx "access_log off"
    bench_stop "$BENCH_PID"
  fi
  if wants fastapi; then
    start_fastapi "$w"
    measure fastapi "$w" "FastAPI" "uvicorn $UVICORN_STACK, $RESPONSE_CLASS"
    bench_stop "$BENCH_PID"
  fi
  if wants micromax; then
    start_micromax "$w" warn
    measure micromax "$w" micromax "MMX_LOG_LEVEL=warn (no access log)"
    MMX_RSS_AFTER+=" $w:$(bench_rss_kb "$BENCH_PID")"
    bench_stop "$BENCH_PID"
  fi
done
# The cost of the access log: one JSON line per request to stdout (a file here).
if wants micromax; then
  start_micromax 1 info
  measure micromax-info 1 "micromax" "MMX_LOG_LEVEL=info (access log on)"
  bench_stop "$BENCH_PID"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------- report
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" (+ uncommitted changes)"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

echo "## HTTP server (bench/http.sh)"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r)"
echo "- wrk: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency, after a $WARMUP warm-up"
wants nginx && echo "- nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //')"
if wants fastapi; then
  echo "- FastAPI $("$BENCH_PY" -c 'import fastapi; print(fastapi.__version__)'), uvicorn $("$BENCH_PY" -c 'import uvicorn; print(uvicorn.__version__)') ($UVICORN_STACK), Python $("$BENCH_PY" -c 'import platform; print(platform.python_version())'), $RESPONSE_CLASS"
fi
wants micromax && echo "- micromax: $("$MICROMAX" version 2>/dev/null | head -n 1) at $MICROMAX; work tree at $commit; targets: $TARGETS_RUN"
echo "- load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
echo
echo "| server | workers | config | req/s | p50 ms | p99 ms | errors | bytes/response | load1 at start |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
  IFS='|' read -r s w n rps p50 p99 err bytes load <<<"$row"
  printf '| %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s |\n' "$s" "$w" "$n" "$rps" "$p50" "$p99" "$err" "$bytes" "$load"
done
echo

if wants micromax; then
  echo "| workers | micromax / nginx | micromax / FastAPI |"
  echo "|---:|---:|---:|"
  for w in "${WORKERS[@]}"; do
    echo "| $w | $(bench_ratio "${RPS[micromax-$w]:-}" "${RPS[nginx-$w]:-}") | $(bench_ratio "${RPS[micromax-$w]:-}" "${RPS[fastapi-$w]:-}") |"
  done
  echo
  ext_med=$(median <<<"$EXT_MS_ALL")
  ready_med=$(median <<<"$READY_MS_ALL")
  rss_med=$(median <<<"$RSS_KB_ALL")
  rss_mb=$(awk -v k="$rss_med" 'BEGIN { printf "%.1f", k / 1024 }')
  vs_nginx=$(bench_ratio "${RPS[micromax-1]:-}" "${RPS[nginx-1]:-}")
  vs_fastapi=$(bench_ratio "${RPS[micromax-1]:-}" "${RPS[fastapi-1]:-}")
  log_cost=$(bench_ratio "${RPS[micromax-info-1]:-}" "${RPS[micromax-1]:-}")
  times() { if [[ $1 == n/a ]]; then echo "n/a (baseline not run)"; else echo "${1}x"; fi; }
  verdict() { if [[ $1 == n/a ]]; then echo n/a; else bench_verdict "$1" "$2"; fi; }
  ready_ok=MISS
  if [[ $ext_med != n/a ]] && ! bench_ge "$ext_med" "$TARGET_READY_MS"; then ready_ok=PASS; fi
  rss_ok=MISS
  if [[ $rss_med != n/a ]] && ! bench_ge "$rss_mb" "$TARGET_RSS_MB"; then rss_ok=PASS; fi
  echo "| target (1 worker) | measured | verdict |"
  echo "|---|---:|---|"
  echo "| micromax >= ${TARGET_VS_NGINX}x nginx req/s | $(times "$vs_nginx") | $(verdict "$vs_nginx" "$TARGET_VS_NGINX") |"
  echo "| micromax >= ${TARGET_VS_FASTAPI}x FastAPI req/s | $(times "$vs_fastapi") | $(verdict "$vs_fastapi" "$TARGET_VS_FASTAPI") |"
  echo "| idle RSS < ${TARGET_RSS_MB} MB (median of $START_RUNS starts, 1 io thread) | $rss_mb MB | $rss_ok |"
  echo "| start-to-ready < ${TARGET_READY_MS} ms (spawn to /healthz 200, polled every 1 ms; median of $START_RUNS) | $ext_med ms | $ready_ok |"
  echo "| ready_ms logged by micromax (median) | $ready_med ms | (info) |"
  echo
  echo "- start-to-ready per start, external ms:$EXT_MS_ALL; logged ready_ms:$READY_MS_ALL"
  echo "- idle RSS per start, kB:$RSS_KB_ALL; RSS after the measured run (workers:kB):$MMX_RSS_AFTER"
  echo "- access log on (MMX_LOG_LEVEL=info) keeps ${log_cost}x of the req/s of the warn run"
fi
