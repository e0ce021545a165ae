#!/usr/bin/env bash
# Backend benchmark (the catalog and orders API of microservices/backend), in one run:
#   1. Catalog reads against the seed's Python stack: GET /api/v1/products/{id} (the ids of
#      the active products in turn, bench/backend_product.lua) and GET /api/v1/products?limit=20,
#      each with a customer's bearer token, served by
#        - micromax --target auth,backend, one process, one io thread, SQLite in a temp dir;
#        - FastAPI + uvicorn, one worker (bench/baselines/backend_fastapi.py): the same SQLite
#          data (a copy of micromax's backend.db taken after the catalog is loaded), the same
#          RS256 verification (PyJWT against the auth service's JWKS: iss, aud, exp, roles),
#          the same JSON and ETag / If-None-Match logic.
#      Before measuring, both answer every product and several list pages, with and without
#      tokens, and must agree on status, ETag and JSON (keys in order); the run fails if not.
#      wrk rounds alternate the servers; medians are reported. Targets (one worker each):
#      micromax throughput >= 20x FastAPI's, and its p99 <= 1/10 of FastAPI's.
#      micromax serves GET /api/v1/products/{id} from its product cache (serialised JSON,
#      invalidated by every write); FastAPI has none. For information, a second micromax
#      (--target backend, verifying tokens with the first one's JWKS, on its own copy of the
#      data) runs with MMX_CACHE_ENTRIES=1, so that nearly every read misses the cache and
#      does what FastAPI does: read the row, serialise it.
#   2. Orders: POST /api/v1/orders per second (one line, a distinct Idempotency-Key on every
#      request, bench/backend_orders.lua) on SQLite, then on PostgreSQL 15 (a private server
#      on loopback from the test harness, tests/harness/with_servers.py). After each run the
#      orders in the database and the stock taken from the products are checked against the
#      number of 201 answers.
# Prints Markdown tables for docs/benchmarks.md. A missed target prints MISS and does not fail
# the script; a server that does not start, a wrong answer or a failing tool does.
#
# Usage: bench/backend.sh                                          full run (about 5 minutes)
#        BENCH_DURATION=2s BENCH_WARMUP=1s BENCH_ROUNDS=1 BENCH_ORDER_DURATION=2s \
#          bench/backend.sh                                        quick smoke run
#        BENCH_MAX_LOAD=0.5 bench/backend.sh                       wait for a quiet machine first
#
# Settings (environment):
#   BENCH_BUILD_DIR          build tree for micromax (default build-release, configured with
#                            the release preset when missing); built if out of date
#   BENCH_BUILD_JOBS         parallel compile jobs (2)
#   BENCH_MICROMAX           a micromax binary to use as it is (no build), e.g. another tree's
#   BENCH_PRODUCTS           products in the catalog, every 10th inactive (500)
#   BENCH_DURATION           wrk duration of one read measurement (10s)
#   BENCH_WARMUP             wrk warm-up of each server and endpoint, and of each orders run (2s)
#   BENCH_ROUNDS             rounds over the servers and endpoints, order alternating; the
#                            medians are reported (3)
#   BENCH_CONNECTIONS        wrk connections for the reads (64)
#   BENCH_WRK_THREADS        wrk threads (1: wrk needs a core of the two for itself)
#   BENCH_SERVER_THREADS     micromax io threads (1; uvicorn always runs one worker)
#   BENCH_NOCACHE            0 skips the micromax row with the product cache defeated (1)
#   BENCH_FASTAPI_MODES      FastAPI variants measured: async (handlers on the event loop, the
#                            faster, so the baseline of the ratios) and/or sync (def handlers
#                            in the thread pool, for information) ("async")
#   BENCH_ORDER_DURATION     wrk duration of one orders measurement (10s)
#   BENCH_ORDER_CONNECTIONS  wrk connections for the orders (32)
#   BENCH_POSTGRES           0 skips the PostgreSQL orders run (1)
#   BENCH_SERVERS            "micromax fastapi"; "fastapi" alone runs the baseline against a
#                            backend.db made from the migrations (for when micromax has no
#                            backend target), measuring nothing else
#   BENCH_MAX_LOAD           when set, first wait (at most 10 min) for the 1-min load average
#                            to drop below it, e.g. 0.5
#   BENCH_KEEP_TMP           when set, keep the temp dir (logs, databases, wrk outputs)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"

# The exact command, for the report: the BENCH_* settings given, then the script.
COMMAND="$(env | grep -E '^BENCH_[A-Z_]+=' | sort | tr '\n' ' ')bench/backend.sh"

BUILD_DIR=${BENCH_BUILD_DIR:-$ROOT/build-release}
JOBS=${BENCH_BUILD_JOBS:-2}
PRODUCTS=${BENCH_PRODUCTS:-500}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
ROUNDS=${BENCH_ROUNDS:-3}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
SERVER_THREADS=${BENCH_SERVER_THREADS:-1}
FASTAPI_MODES=${BENCH_FASTAPI_MODES:-async}
ORDER_DURATION=${BENCH_ORDER_DURATION:-10s}
ORDER_CONNECTIONS=${BENCH_ORDER_CONNECTIONS:-32}
WITH_POSTGRES=${BENCH_POSTGRES:-1}
WITH_NOCACHE=${BENCH_NOCACHE:-1}
SERVERS=${BENCH_SERVERS:-micromax fastapi}
HARNESS="$ROOT/tests/harness/with_servers.py"
CLIENT=("$BENCH_PY" "$ROOT/bench/backend_client.py")

ADMIN_EMAIL=root@example.com
ADMIN_PASSWORD="Bench-Admin-$RANDOM-Passw0rd"
KEY_SECRET="bench-backend-key-encryption-secret-$RANDOM$RANDOM"
# Targets, one worker each: throughput at least this multiple of FastAPI's, p99 at most
# this share of FastAPI's.
TARGET_RPS=20
TARGET_P99=0.10

bench_need cmake ninja wrk curl setsid awk "$BENCH_PY"
"$BENCH_PY" -c 'import fastapi, uvicorn, jwt, pydantic' 2>/dev/null ||
  bench_die "FastAPI baseline needs python3-fastapi python3-uvicorn python3-jwt (scripts/bootstrap.sh)"
FASTAPI_LOOP=(--loop uvloop --http httptools)
"$BENCH_PY" -c 'import uvloop, httptools' 2>/dev/null || {
  bench_log "uvloop/httptools missing: uvicorn runs asyncio + h11 (a weaker baseline)"
  FASTAPI_LOOP=(--loop asyncio --http h11)
}
wants_micromax() { [[ " $SERVERS " == *" micromax "* ]]; }
bench_init
# The servers' configuration is this script's alone: no MMX_* setting leaks in from the
# caller's environment (an Argon2 cost, a rate limit, a log level).
while read -r v; do unset "$v"; done < <(compgen -e | grep '^MMX_' || true)

# ---------------------------------------------------------------------------- build
# micromax is needed in every mode: its auth service issues the tokens and the JWKS.
if [[ -n ${BENCH_MICROMAX:-} ]]; then
  MICROMAX=$BENCH_MICROMAX
  [[ -x $MICROMAX ]] || bench_die "BENCH_MICROMAX=$MICROMAX is not an executable"
  BUILD_DIR=$(cd "$(dirname "$MICROMAX")/.." && pwd)
  commit="? (a binary given by BENCH_MICROMAX, not built by this run: $("$MICROMAX" version 2>/dev/null | head -n 1))"
else
  bench_build_targets micromax
  MICROMAX="$BUILD_DIR/bin/micromax"
  commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" (+ uncommitted changes)"
fi
HAS_BACKEND=0
"$MICROMAX" targets 2>/dev/null | grep -qw backend && HAS_BACKEND=1
if wants_micromax && ((HAS_BACKEND == 0)); then
  bench_die "$MICROMAX has no backend target yet (micromax targets); BENCH_SERVERS=fastapi runs the baseline alone"
fi
TARGETS=auth
((HAS_BACKEND)) && wants_micromax && TARGETS=auth,backend

# ---------------------------------------------------------------------------- helpers
# start_micromax NAME [SETTING=VALUE...]: auth (+ backend) with data dir $DATA, on port
# $PORT when KEEP_PORT=1 (a restart: the issuer, http://127.0.0.1:PORT, and so the tokens
# stay valid) or else a free one; the first superuser set, cheap Argon2 (sign-ins are set-up,
# not measured), tokens valid for a day. Sets PORT, URL, BENCH_PID, MMX_PID.
start_micromax() {
  local name=$1
  shift
  mkdir -p "$DATA"
  [[ ${KEEP_PORT:-0} == 1 ]] || PORT=$(bench_free_port)
  URL="http://127.0.0.1:$PORT"
  bench_start "$name" env MMX_LOG_LEVEL=warn MMX_DATA_DIR="$DATA" \
    MMX_AUTH_KEY_ENCRYPTION_KEY="$KEY_SECRET" MMX_AUTH_RATE_LIMIT=0 \
    MMX_AUTH_KEY_ACTIVATION_DELAY=0s MMX_AUTH_ACCESS_TOKEN_TTL=24h \
    MMX_AUTH_ARGON2_MEMORY=64KiB MMX_AUTH_ARGON2_ITERATIONS=1 \
    MMX_FIRST_SUPERUSER="$ADMIN_EMAIL" MMX_FIRST_SUPERUSER_PASSWORD="$ADMIN_PASSWORD" "$@" \
    "$MICROMAX" --target "$TARGETS" --listen "127.0.0.1:$PORT" --threads "$SERVER_THREADS"
  MMX_PID=$BENCH_PID
  bench_wait_http "$URL/healthz" "$MMX_PID" 60 ||
    bench_die "$name did not become ready: $(tail -n 20 "$BENCH_TMP/$name.log")"
  bench_wait_http "$URL/readyz" "$MMX_PID" 60 ||
    bench_die "$name is not ready (/readyz): $(tail -n 20 "$BENCH_TMP/$name.log")"
}

# setup_accounts: a customer and a staff account, their tokens, the JWKS; sets
# CUSTOMER_TOKEN STAFF_TOKEN ISSUER.
setup_accounts() {
  local vars
  vars=$("${CLIENT[@]}" setup "$URL" "$ADMIN_EMAIL" "$ADMIN_PASSWORD" "$BENCH_TMP/jwks.json") ||
    bench_die "setting up the accounts failed"
  eval "$vars"
}

# load_catalog NAME DATABASE [SETTING=VALUE...]: the benchmark catalog through the staff API
# when the service has one (an empty body must be refused as invalid), else as SQL INSERTs:
# SQLite with micromax stopped, restarted afterwards on the same data dir and port (nothing
# of the old process's state survives); PostgreSQL while it runs. Sets CATALOG_VIA.
load_catalog() {
  local name=$1 db=$2 code
  shift 2
  code=$(curl -s -o "$BENCH_TMP/probe.json" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $STAFF_TOKEN" -H 'Content-Type: application/json' \
    -d '{}' "$URL/api/v1/products")
  if [[ $code == 422 || $code == 400 ]]; then
    CATALOG_VIA="the staff API (POST /api/v1/products)"
    "${CLIENT[@]}" catalog-api "$URL" "$STAFF_TOKEN" "$PRODUCTS" || bench_die "loading the catalog failed"
  else
    bench_log "POST /api/v1/products answered $code to an empty body: loading the catalog as SQL"
    CATALOG_VIA="SQL INSERTs (POST /api/v1/products answered $code)"
    if [[ $db == postgresql://* ]]; then
      "${CLIENT[@]}" catalog-pg "$db" "$PRODUCTS" || bench_die "loading the catalog failed"
    else
      bench_stop "$MMX_PID"
      "${CLIENT[@]}" catalog-sql "$db" "$PRODUCTS" || bench_die "loading the catalog failed"
      KEEP_PORT=1 start_micromax "$name" "$@"
    fi
  fi
  "${CLIENT[@]}" catalog-check "$URL" "$STAFF_TOKEN" "$PRODUCTS" || bench_die "catalog check failed"
}

# run_wrk NAME URL DURATION CONNECTIONS [wrk args...]: wrk --latency; sets WRK_* like bench_wrk.
run_wrk() {
  local name=$1 url=$2 duration=$3 connections=$4 out="$BENCH_TMP/wrk-$1.txt"
  shift 4
  wrk -t"$WRK_THREADS" -c"$connections" -d"$duration" --latency "$@" "$url" >"$out" 2>&1 ||
    bench_die "wrk failed for $name: $(cat "$out")"
  bench_parse_wrk "$out"
  [[ -n $WRK_RPS ]] || bench_die "could not parse wrk output for $name: $(cat "$out")"
  ((WRK_ERRORS == 0)) || bench_log "$name: $WRK_ERRORS errors during the run"
}

# median [FORMAT] < "v1 v2 ...": printf FORMAT (default %.0f) of the median.
median() {
  tr ' ' '\n' | grep -v '^$' | sort -g | awk -v f="${1:-%.0f}" '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf f "\n", m
  }'
}

if [[ -n ${BENCH_MAX_LOAD:-} ]]; then
  bench_wait_low_load "$BENCH_MAX_LOAD" 600 || true
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%MZ)
T0=$(date +%s)

# ---------------------------------------------------------------- servers for the reads
bench_log "micromax --target $TARGETS (SQLite)"
DATA=$BENCH_TMP/data-sqlite
SQLITE_DATA=$DATA
start_micromax sqlite
setup_accounts
if wants_micromax; then
  load_catalog sqlite "$SQLITE_DATA/backend.db"
else
  # No backend service: the database its migrations describe, built here.
  CATALOG_VIA="SQL INSERTs into a backend.db made from the migrations (no micromax backend)"
  "$BENCH_PY" - "$ROOT/microservices/backend/migrations" "$SQLITE_DATA/backend.db" <<'EOF' ||
import pathlib, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
conn.execute("PRAGMA journal_mode=WAL")
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.sqlite.sql")):
    conn.executescript(f.read_text())
conn.close()
EOF
    bench_die "creating backend.db from the migrations failed"
  "${CLIENT[@]}" catalog-sql "$SQLITE_DATA/backend.db" "$PRODUCTS" || bench_die "loading the catalog failed"
fi
READ_CATALOG_VIA=$CATALOG_VIA
MMX_URL=$URL
SQLITE_PID=$MMX_PID
"${CLIENT[@]}" snapshot "$SQLITE_DATA/backend.db" "$BENCH_TMP/fastapi.db" ||
  bench_die "copying backend.db failed"
IDS=$("${CLIENT[@]}" ids "$BENCH_TMP/fastapi.db")
N_ACTIVE=$(tr ',' '\n' <<<"$IDS" | grep -c .)

if wants_micromax && ((WITH_NOCACHE)); then
  # Backend only, tokens checked against the first process's JWKS (its issuer), the data a
  # copy like FastAPI's; an LRU of one entry, so reads cycling over the catalog miss.
  mkdir -p "$BENCH_TMP/data-nocache"
  cp "$BENCH_TMP/fastapi.db" "$BENCH_TMP/data-nocache/backend.db"
  NOCACHE_PORT=$(bench_free_port)
  NOCACHE_URL="http://127.0.0.1:$NOCACHE_PORT"
  bench_log "micromax --target backend with MMX_CACHE_ENTRIES=1 on port $NOCACHE_PORT"
  bench_start nocache env MMX_LOG_LEVEL=warn MMX_DATA_DIR="$BENCH_TMP/data-nocache" \
    MMX_AUTH_ISSUER="$ISSUER" MMX_CACHE_ENTRIES=1 \
    "$MICROMAX" --target backend --listen "127.0.0.1:$NOCACHE_PORT" --threads "$SERVER_THREADS"
  NOCACHE_PID=$BENCH_PID
  bench_wait_http "$NOCACHE_URL/readyz" "$NOCACHE_PID" 60 ||
    bench_die "micromax (backend, cache of 1) did not become ready: $(tail -n 20 "$BENCH_TMP/nocache.log")"
fi

declare -A FA_URL FA_PID
for mode in $FASTAPI_MODES; do
  port=$(bench_free_port)
  bench_log "FastAPI ($mode) on port $port"
  bench_start "fastapi-$mode" env BACKEND_FASTAPI_DB="$BENCH_TMP/fastapi.db" \
    BACKEND_FASTAPI_JWKS="$BENCH_TMP/jwks.json" BACKEND_FASTAPI_ISSUER="$ISSUER" \
    BACKEND_FASTAPI_AUDIENCE=micromax BACKEND_FASTAPI_MODE="$mode" \
    "$BENCH_PY" -m uvicorn backend_fastapi:app --app-dir "$ROOT/bench/baselines" \
    --host 127.0.0.1 --port "$port" --workers 1 "${FASTAPI_LOOP[@]}" \
    --log-level warning --no-access-log
  FA_PID[$mode]=$BENCH_PID
  FA_URL[$mode]="http://127.0.0.1:$port"
  bench_wait_http "${FA_URL[$mode]}/healthz" "$BENCH_PID" 60 ||
    bench_die "FastAPI ($mode) did not start: $(tail -n 20 "$BENCH_TMP/fastapi-$mode.log")"
done

# ---------------------------------------------------------------- same answers
read -r -a modes <<<"$FASTAPI_MODES"
declare -A SAME FA_RSS
if wants_micromax; then
  for mode in "${modes[@]}"; do
    bench_log "comparing micromax and FastAPI ($mode) answers"
    SAME[$mode]=$("${CLIENT[@]}" compare "$MMX_URL" "${FA_URL[$mode]}" "$CUSTOMER_TOKEN" \
      "$STAFF_TOKEN" "$BENCH_TMP/fastapi.db") || bench_die "micromax and FastAPI ($mode) disagree"
  done
  if [[ -n ${NOCACHE_PID:-} ]]; then
    bench_log "comparing the two micromax processes' answers"
    SAME[nocache]=$("${CLIENT[@]}" compare "$MMX_URL" "$NOCACHE_URL" "$CUSTOMER_TOKEN" \
      "$STAFF_TOKEN" "$BENCH_TMP/fastapi.db") || bench_die "the two micromax processes disagree"
  fi
elif ((${#modes[@]} > 1)); then
  SAME[${modes[1]}]=$("${CLIENT[@]}" compare "${FA_URL[${modes[0]}]}" "${FA_URL[${modes[1]}]}" \
    "$CUSTOMER_TOKEN" "$STAFF_TOKEN" "$BENCH_TMP/fastapi.db") || bench_die "the FastAPI modes disagree"
fi

# ---------------------------------------------------------------- 1. reads
# Servers in measuring order: micromax, then the FastAPI modes; the cache-defeated micromax
# only where there is a cache (the single product).
ENDPOINTS=(product list)
declare -A SERVERS_OF
for ep in "${ENDPOINTS[@]}"; do
  list=()
  wants_micromax && list+=(micromax)
  [[ $ep == product && -n ${NOCACHE_PID:-} ]] && list+=(micromax-nocache)
  for mode in "${modes[@]}"; do list+=("fastapi-$mode"); done
  SERVERS_OF[$ep]="${list[*]}"
done
server_url() {
  case $1 in
    micromax) echo "$MMX_URL" ;;
    micromax-nocache) echo "$NOCACHE_URL" ;;
    *) echo "${FA_URL[${1#fastapi-}]}" ;;
  esac
}

endpoint_label() {
  case $1 in
    product) echo "GET /api/v1/products/{id}" ;;
    list) echo "GET /api/v1/products?limit=20" ;;
  esac
}
# read_wrk NAME SERVER ENDPOINT DURATION
read_wrk() {
  local name=$1 server=$2 ep=$3 duration=$4 url
  url=$(server_url "$server")
  case $ep in
    product)
      BENCH_TOKEN=$CUSTOMER_TOKEN BENCH_IDS=$IDS \
        run_wrk "$name" "$url" "$duration" "$CONNECTIONS" -s "$ROOT/bench/backend_product.lua" ;;
    list)
      run_wrk "$name" "$url/api/v1/products?limit=20" "$duration" "$CONNECTIONS" \
        -H "Authorization: Bearer $CUSTOMER_TOKEN" ;;
  esac
}

ROWS=() # "server|endpoint|round|rps|p50|p99|errors|load1|notes"
declare -A RPS P50 P99
for ep in "${ENDPOINTS[@]}"; do
  for server in ${SERVERS_OF[$ep]}; do
    bench_log "warm-up: $server $(endpoint_label "$ep") ($WARMUP)"
    read_wrk "$server-$ep-warmup" "$server" "$ep" "$WARMUP"
  done
done
for ((r = 1; r <= ROUNDS; r++)); do
  for ep in "${ENDPOINTS[@]}"; do
    read -r -a order <<<"${SERVERS_OF[$ep]}"
    if ((r % 2 == 0)); then # every other round the other way round
      rev=()
      for ((i = ${#order[@]} - 1; i >= 0; i--)); do rev+=("${order[$i]}"); done
      order=("${rev[@]}")
    fi
    for server in "${order[@]}"; do
      bench_log "round $r/$ROUNDS: $server $(endpoint_label "$ep") (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION)"
      load=$(bench_load1)
      read_wrk "$server-$ep-$r" "$server" "$ep" "$DURATION"
      ROWS+=("$server|$ep|$r|$WRK_RPS|$WRK_P50_MS|$WRK_P99_MS|$WRK_ERRORS|$load|")
      RPS[$server-$ep]+=" $WRK_RPS"
      P50[$server-$ep]+=" $WRK_P50_MS"
      P99[$server-$ep]+=" $WRK_P99_MS"
    done
  done
done
if wants_micromax; then
  MMX_RSS=$(bench_rss_kb "$SQLITE_PID")
  MMX_STATEMENTS=$(curl -s "$MMX_URL/metrics" | awk '/^mmx_db_statements_total/ { print $1 "=" $2 }' | tr '\n' ' ')
  MMX_CACHE=$(curl -s "$MMX_URL/metrics" | awk '/^mmx_cache/ && !/^#/ { print $1 "=" $2 }' | tr '\n' ' ')
fi
if [[ -n ${NOCACHE_PID:-} ]]; then
  NOCACHE_CACHE=$(curl -s "$NOCACHE_URL/metrics" | awk '/^mmx_cache/ && !/^#/ { print $1 "=" $2 }' | tr '\n' ' ')
  bench_stop "$NOCACHE_PID"
fi
for mode in "${modes[@]}"; do
  FA_RSS[$mode]=$(bench_rss_kb "${FA_PID[$mode]}")
  bench_stop "${FA_PID[$mode]}"
done

# ---------------------------------------------------------------- 2. orders
ORDER_ROWS=() # "database|pool|connections|orders/s|p50|p99|errors|load1|notes"
# orders_run DB_LABEL CHECK_CMD...: warm-up and one measured run against $URL with the
# customer's token; then CHECK_CMD prints "orders|units taken from stock" from the database,
# which must match the 201 answers of both runs.
orders_run() {
  local label=$1 made before_orders before_units after_orders after_units ok note
  shift
  IFS='|' read -r before_orders before_units < <("$@") || bench_die "$label: reading the orders failed"
  bench_log "orders on $label: warm-up $WARMUP, then wrk -c$ORDER_CONNECTIONS -d$ORDER_DURATION"
  BENCH_TOKEN=$CUSTOMER_TOKEN BENCH_IDS=$IDS \
    run_wrk "orders-$label-warmup" "$URL" "$WARMUP" "$ORDER_CONNECTIONS" -s "$ROOT/bench/backend_orders.lua"
  made=$((WRK_REQUESTS - WRK_ERRORS))
  local load
  load=$(bench_load1)
  BENCH_TOKEN=$CUSTOMER_TOKEN BENCH_IDS=$IDS \
    run_wrk "orders-$label" "$URL" "$ORDER_DURATION" "$ORDER_CONNECTIONS" -s "$ROOT/bench/backend_orders.lua"
  made=$((made + WRK_REQUESTS - WRK_ERRORS))
  IFS='|' read -r after_orders after_units < <("$@") || bench_die "$label: reading the orders failed"
  ok=$((after_orders - before_orders))
  # wrk counts the answers it read; requests still in flight when it stops may have made
  # orders too (at most one per connection per run).
  if ((ok < made || ok > made + 2 * ORDER_CONNECTIONS)); then
    bench_die "$label: $ok orders in the database after $made answers without error"
  fi
  ((after_units - before_units == ok)) ||
    bench_die "$label: stock went down by $((after_units - before_units)) for $ok one-unit orders"
  note="$ok orders made in warm-up + run ($made answered 2xx); stock down by exactly as many units"
  note+="; mean wait for a database connection $(pool_wait) ms"
  ORDER_ROWS+=("$label|$(pool_size)|$ORDER_CONNECTIONS|$WRK_RPS|$WRK_P50_MS|$WRK_P99_MS|$WRK_ERRORS|$load|$note")
}

# pool_size: the backend's open database connections (idle + busy), from /metrics.
pool_size() {
  curl -s "$URL/metrics" | awk '/^mmx_db_connections\{/ && /db="backend"/ { n += $2; seen = 1 }
    END { print (seen ? n : "n/a") }'
}
# pool_wait: mean wait for a backend database connection so far, in ms, from /metrics.
pool_wait() {
  curl -s "$URL/metrics" | awk '/^mmx_db_pool_wait_seconds_sum/ && /db="backend"/ { s = $2 }
    /^mmx_db_pool_wait_seconds_count/ && /db="backend"/ { c = $2 }
    END { if (c > 0) printf "%.2f", s / c * 1000; else print "n/a" }'
}

if wants_micromax; then
  URL=$MMX_URL
  orders_run "SQLite" "${CLIENT[@]}" order-stats "sqlite:$SQLITE_DATA/backend.db"
  SQLITE_RSS_AFTER=$(bench_rss_kb "$SQLITE_PID")
  bench_stop "$SQLITE_PID"

  if ((WITH_POSTGRES)); then
    bench_log "PostgreSQL: a private server from the test harness"
    # The harness starts PostgreSQL, runs the keeper (which hands us the admin URL through a
    # file and sleeps), and stops the server when the keeper's group gets SIGTERM.
    # shellcheck disable=SC2016 # expanded by the inner bash
    bench_start postgres "$BENCH_PY" "$HARNESS" --postgres -- bash -c \
      'umask 077; printf "%s\n" "$MMX_TEST_POSTGRES_URL" >"$0.tmp" && mv "$0.tmp" "$0" && exec sleep infinity' \
      "$BENCH_TMP/pg-admin-url"
    PG_PID=$BENCH_PID
    for ((i = 0; i < 1200; i++)); do
      [[ -s $BENCH_TMP/pg-admin-url ]] && break
      bench_alive "$PG_PID" || bench_die "the harness did not start PostgreSQL: $(tail -n 20 "$BENCH_TMP/postgres.log")"
      sleep 0.05
    done
    [[ -s $BENCH_TMP/pg-admin-url ]] || bench_die "PostgreSQL did not start in 60 s"
    PG_ADMIN_URL=$(<"$BENCH_TMP/pg-admin-url")
    # The service's own role and database, made by the script the postgres image runs.
    PG_SERVICE_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    eval "$("${CLIENT[@]}" pg-env "$PG_ADMIN_URL")"
    PGHOST=$PG_HOST PGPORT=$PG_PORT PGUSER=$PG_USER PGPASSWORD=$PG_PASSWORD PGDATABASE=postgres \
      MMX_SERVICE_DATABASES=backend MMX_DB_PASSWORD_BACKEND="$PG_SERVICE_PASSWORD" \
      bash "$ROOT/infra/docker/postgres/initdb.d/10-create-service-databases.sh" \
      >"$BENCH_TMP/pg-init.log" 2>&1 || bench_die "creating the backend database failed: $(cat "$BENCH_TMP/pg-init.log")"
    PG_URL="postgresql://backend:$PG_SERVICE_PASSWORD@$PG_HOST:$PG_PORT/backend"
    bench_log "micromax --target $TARGETS (backend on PostgreSQL)"
    DATA=$BENCH_TMP/data-postgres
    start_micromax postgres MMX_BACKEND_DATABASE_URL="$PG_URL"
    PG_MMX_PID=$MMX_PID
    setup_accounts
    load_catalog postgres "$PG_URL"
    PG_CATALOG_VIA=$CATALOG_VIA
    IDS=$("${CLIENT[@]}" ids "$PG_URL")
    orders_run "PostgreSQL" "${CLIENT[@]}" order-stats "$PG_URL"
    PG_RSS_AFTER=$(bench_rss_kb "$PG_MMX_PID")
    bench_stop "$PG_MMX_PID"
    bench_stop "$PG_PID"
  fi
fi

SECONDS_TOOK=$(($(date +%s) - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------- report
# wrk_table H1 H2 H3 ROW...: a table of rows "c1|c2|c3|req/s|p50|p99|errors|load1|notes".
wrk_table() {
  local h1=$1 h2=$2 h3=$3 h4=$4 row a b c rps p50 p99 err load note
  shift 4
  echo "| $h1 | $h2 | $h3 | $h4 | p50 ms | p99 ms | errors | load1 at start | notes |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
  for row in "$@"; do
    IFS='|' read -r a b c rps p50 p99 err load note <<<"$row"
    printf '| %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s |\n' "$a" "$b" "$c" "$rps" "$p50" "$p99" "$err" "$load" "$note"
  done
}
server_label() {
  case $1 in
    micromax) echo "micromax" ;;
    micromax-nocache) echo "micromax, MMX_CACHE_ENTRIES=1 (information)" ;;
    fastapi-async) echo "FastAPI (async def)" ;;
    fastapi-sync) echo "FastAPI (def, thread pool)" ;;
  esac
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
pyver=$("$BENCH_PY" -c 'import platform, sqlite3, fastapi, uvicorn, pydantic, starlette, jwt
print(f"FastAPI {fastapi.__version__}, Starlette {starlette.__version__}, pydantic {pydantic.VERSION}, uvicorn {uvicorn.__version__}, PyJWT {jwt.__version__}, Python {platform.python_version()} (sqlite3 {sqlite3.sqlite_version})")')

echo "## Backend (bench/backend.sh)"
echo
echo "- date: $STARTED, $SECONDS_TOOK s"
echo "- command: \`$COMMAND\`"
echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r)"
echo "- micromax: $MICROMAX ($(grep '^CMAKE_BUILD_TYPE' "$BUILD_DIR/CMakeCache.txt" | cut -d= -f2)), \`--target $TARGETS --threads $SERVER_THREADS\`, MMX_LOG_LEVEL=warn; work tree at $commit"
echo "- baseline: $pyver; uvicorn \`--workers 1 ${FASTAPI_LOOP[*]} --no-access-log\`; $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
echo "- load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
echo

echo "### Catalog reads against FastAPI"
echo
echo "Catalog: $PRODUCTS products ($N_ACTIVE active) loaded through $READ_CATALOG_VIA; FastAPI reads a copy of that backend.db taken after loading. Each request carries a customer's bearer token (RS256, verified by both: micromax's shared/auth, PyJWT in FastAPI). GET /api/v1/products/{id} cycles through the $N_ACTIVE active ids (bench/backend_product.lua); the list is the first page of 20. wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency after a $WARMUP warm-up of each server and endpoint; rounds alternate the servers' order."
echo
for mode in "${modes[@]}"; do
  [[ -n ${SAME[$mode]:-} ]] && echo "- answers checked before measuring (micromax vs FastAPI $mode): ${SAME[$mode]}"
done
[[ -n ${SAME[nocache]:-} ]] && echo "- answers checked (micromax vs micromax with MMX_CACHE_ENTRIES=1): ${SAME[nocache]}"
echo
rows=()
for row in "${ROWS[@]}"; do
  IFS='|' read -r s e rest <<<"$row"
  rows+=("$(server_label "$s")|$(endpoint_label "$e")|$rest")
done
wrk_table server endpoint round req/s "${rows[@]}"
echo

echo "| endpoint | server | req/s (median) | p50 ms | p99 ms |"
echo "|---|---|---:|---:|---:|"
for ep in "${ENDPOINTS[@]}"; do
  for server in ${SERVERS_OF[$ep]}; do
    echo "| $(endpoint_label "$ep") | $(server_label "$server") | $(median <<<"${RPS[$server-$ep]}") | $(median %.2f <<<"${P50[$server-$ep]}") | $(median %.2f <<<"${P99[$server-$ep]}") |"
  done
done
echo
if wants_micromax; then
  base=fastapi-${modes[0]}
  echo "| target (one worker each; baseline: $(server_label "$base")) | measured | verdict |"
  echo "|---|---:|---|"
  for ep in "${ENDPOINTS[@]}"; do
    m_rps=$(median <<<"${RPS[micromax-$ep]}")
    f_rps=$(median <<<"${RPS[$base-$ep]}")
    m_p99=$(median %.3f <<<"${P99[micromax-$ep]}")
    f_p99=$(median %.3f <<<"${P99[$base-$ep]}")
    ratio=$(bench_ratio "$m_rps" "$f_rps")
    p99_share=$(awk -v a="$m_p99" -v b="$f_p99" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.3f", a / b }')
    inverse=$(bench_ratio "$f_p99" "$m_p99")
    echo "| $(endpoint_label "$ep"): micromax req/s >= ${TARGET_RPS}x FastAPI | ${ratio}x ($m_rps / $f_rps) | $(bench_verdict "$ratio" "$TARGET_RPS") |"
    echo "| $(endpoint_label "$ep"): micromax p99 <= $TARGET_P99 x FastAPI's | ${p99_share}x ($m_p99 / $f_p99 ms) | $(bench_verdict "$inverse" "$(awk -v t="$TARGET_P99" 'BEGIN { print 1 / t }')") |"
  done
  echo
  echo "- micromax RSS after the reads: $MMX_RSS kB; database statements by path: ${MMX_STATEMENTS:-n/a}"
  echo "- micromax product cache counters: ${MMX_CACHE:-n/a}"
  [[ -n ${NOCACHE_PID:-} ]] && echo "- the same counters of the MMX_CACHE_ENTRIES=1 process: ${NOCACHE_CACHE:-n/a}"
fi
for mode in "${modes[@]}"; do
  echo "- FastAPI ($mode) RSS after the reads: ${FA_RSS[$mode]} kB"
done
echo

if wants_micromax; then
  echo "### Orders (POST /api/v1/orders)"
  echo
  echo "\`micromax --target $TARGETS --threads $SERVER_THREADS\`, default worker pool; each request orders one unit of one product (the active ids in turn) with a customer's token and a distinct \`Idempotency-Key\` (bench/backend_orders.lua). wrk -t$WRK_THREADS -c$ORDER_CONNECTIONS -d$ORDER_DURATION --latency after a $WARMUP warm-up. SQLite: WAL file in the temp dir ($(df -P "$BENCH_TMP" | awk 'NR == 2 { print $1 }')); PostgreSQL: $(/usr/lib/postgresql/15/bin/postgres --version 2>/dev/null | awk '{ print $3 }') on loopback from the test harness (fsync=off, synchronous_commit=off, full_page_writes=off), the service's own role and database."
  echo
  wrk_table database "db connections" "wrk connections" "orders/s" "${ORDER_ROWS[@]}"
  echo
  echo "- catalog: the same $PRODUCTS products; on PostgreSQL loaded through ${PG_CATALOG_VIA:-n/a}"
  echo "- RSS after the orders: SQLite run ${SQLITE_RSS_AFTER:-n/a} kB, PostgreSQL run ${PG_RSS_AFTER:-n/a} kB"
fi
