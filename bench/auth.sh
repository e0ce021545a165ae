#!/usr/bin/env bash
# Auth benchmark, in one run:
#   1. JWT verification per second (shared/auth): TokenVerifier::verify on distinct RS256
#      tokens (uncached) and verify_cached on tokens already in the VerifiedTokenCache, per
#      thread count; the issuer's sign_jwt and Argon2id verify_password for scale; PyJWT
#      verifying the same tokens with the same checks as the Python stack's baseline.
#   2. The auth middleware's cost on the request path: GET /bench/protected (any valid bearer
#      token) against GET /bench/open (no requirement), the same tiny handler, in one process
#      (bench/auth_bench_server.cpp: the kit, the verifier, the auth service as issuer and
#      JWKS), wrk sending the same Authorization header to both, rounds alternating the two.
#      Target: protected throughput at most 15% below open. The same again with the token
#      cache off (MMX_AUTH_TOKEN_CACHE=0), for information.
#   3. Grants against the real auth service (micromax --target auth, SQLite in a temp dir):
#      client_credentials and refresh_token grants per second with wrk (the refresh grants
#      in rotation chains, bench/auth_refresh.lua), and the latency of sequential password
#      grants at the default Argon2id cost.
# Prints Markdown tables for docs/benchmarks.md. A missed target prints MISS and does not fail
# the script; a server that does not start, a wrong answer or a failing tool does.
#
# Usage: bench/auth.sh                                              full run (about 3 minutes)
#        BENCH_DURATION=2s BENCH_ROUNDS=1 BENCH_VERIFY_MS=300 BENCH_GRANT_DURATION=2s \
#          BENCH_PASSWORD_REQUESTS=40 bench/auth.sh                 quick smoke run
#
# Settings (environment):
#   BENCH_BUILD_DIR          build tree for auth_bench, auth_bench_server and micromax
#                            (default build-release, configured with the release preset when
#                            missing); the targets are built if out of date
#   BENCH_BUILD_JOBS         parallel compile jobs (2)
#   BENCH_VERIFY_MS          one verification measurement (1500), after a 300 ms warm-up
#   BENCH_VERIFY_ROUNDS      verification rounds; the median is reported (3)
#   BENCH_VERIFY_THREADS     thread counts for the C++ verification ("1,2")
#   BENCH_TOKENS             distinct tokens verified round-robin (1000)
#   BENCH_ARGON2_RUNS        verify_password calls timed at the default cost (8)
#   BENCH_DURATION           wrk duration of one middleware measurement (5s)
#   BENCH_WARMUP             wrk warm-up of each endpoint and grant (2s)
#   BENCH_ROUNDS             open/protected pairs, order alternating; medians reported (5)
#   BENCH_NOCACHE_ROUNDS     pairs with the token cache off; 0 skips that server (2)
#   BENCH_CONNECTIONS        wrk connections for the middleware runs (64)
#   BENCH_WRK_THREADS        wrk threads (1: wrk needs a core of the two for itself)
#   BENCH_SERVER_THREADS     io threads of the servers (1)
#   BENCH_GRANT_DURATION     wrk duration of one grant measurement (10s)
#   BENCH_GRANT_CONNECTIONS  wrk connections for the grants (32)
#   BENCH_PASSWORD_REQUESTS  sequential password grants timed; their refresh tokens seed the
#                            refresh chains, so keep it >= 2 x BENCH_GRANT_CONNECTIONS (100)
#   BENCH_MAX_LOAD           when set, first wait (at most 10 min) for the 1-min load average
#                            to drop below it, e.g. 0.5
#   BENCH_KEEP_TMP           when set, keep the temp dir (logs, tokens, wrk outputs)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib.sh
source "$ROOT/bench/lib.sh"

# The exact command, for the report: the BENCH_* settings given, then the script.
COMMAND="$(env | grep -E '^BENCH_[A-Z_]+=' | sort | tr '\n' ' ')bench/auth.sh"

BUILD_DIR=${BENCH_BUILD_DIR:-$ROOT/build-release}
JOBS=${BENCH_BUILD_JOBS:-2}
VERIFY_MS=${BENCH_VERIFY_MS:-1500}
VERIFY_ROUNDS=${BENCH_VERIFY_ROUNDS:-3}
VERIFY_THREADS=${BENCH_VERIFY_THREADS:-1,2}
TOKENS=${BENCH_TOKENS:-1000}
ARGON2_RUNS=${BENCH_ARGON2_RUNS:-8}
DURATION=${BENCH_DURATION:-5s}
WARMUP=${BENCH_WARMUP:-2s}
ROUNDS=${BENCH_ROUNDS:-5}
NOCACHE_ROUNDS=${BENCH_NOCACHE_ROUNDS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WRK_THREADS=${BENCH_WRK_THREADS:-1}
SERVER_THREADS=${BENCH_SERVER_THREADS:-1}
GRANT_DURATION=${BENCH_GRANT_DURATION:-10s}
GRANT_CONNECTIONS=${BENCH_GRANT_CONNECTIONS:-32}
PASSWORD_REQUESTS=${BENCH_PASSWORD_REQUESTS:-100}

ISSUER_PLACEHOLDER=http://127.0.0.1:8000 # auth_bench's tokens; PyJWT checks the same value
AUDIENCE=micromax
ADMIN_EMAIL=root@example.com
ADMIN_PASSWORD="Bench-Admin-$RANDOM-Passw0rd"
KEY_SECRET="bench-auth-key-encryption-secret-$RANDOM$RANDOM"
EXPECTED_BODY='{"status":"ok"}'
# Protected throughput must keep at least this share of the open endpoint's (at most 15% lower).
TARGET_KEEP=0.85

bench_need cmake ninja wrk curl setsid base64 awk "$BENCH_PY"
"$BENCH_PY" -c 'import jwt' 2>/dev/null || bench_die "PyJWT missing: apt-get install python3-jwt"
bench_init
# The servers' configuration is this script's alone: no MMX_* setting leaks in from the
# caller's environment (an Argon2 cost, a rate limit, a log level).
while read -r v; do unset "$v"; done < <(compgen -e | grep '^MMX_' || true)

# ---------------------------------------------------------------------------- build
bench_build_targets auth_bench auth_bench_server micromax
AUTH_BENCH="$BUILD_DIR/bin/auth_bench"
BENCH_SERVER="$BUILD_DIR/bin/auth_bench_server"
MICROMAX="$BUILD_DIR/bin/micromax"
GRANTS=("$BENCH_PY" "$ROOT/bench/auth_grants.py")
# The tree the binaries were built from (others may commit while it runs).
commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit+=" (+ uncommitted changes)"

if [[ -n ${BENCH_MAX_LOAD:-} ]]; then
  bench_wait_low_load "$BENCH_MAX_LOAD" 600 || true
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date -u +%Y-%m-%dT%H:%MZ)
T0=$(date +%s)

# ---------------------------------------------------------------- 1. verification
bench_log "verification: auth_bench (threads $VERIFY_THREADS, $VERIFY_ROUNDS x ${VERIFY_MS} ms each)"
VERIFY_LOAD=$(bench_load1)
"$AUTH_BENCH" --out-dir "$BENCH_TMP" --tokens "$TOKENS" --duration-ms "$VERIFY_MS" --warmup-ms 300 \
  --rounds "$VERIFY_ROUNDS" --threads "$VERIFY_THREADS" --argon2-runs "$ARGON2_RUNS" \
  --issuer "$ISSUER_PLACEHOLDER" --audience "$AUDIENCE" >"$BENCH_TMP/verify.txt" ||
  bench_die "auth_bench failed"
bench_log "verification: PyJWT, same tokens"
"$BENCH_PY" "$ROOT/bench/auth_pyjwt.py" "$BENCH_TMP/tokens.txt" "$BENCH_TMP/jwks.json" \
  "$ISSUER_PLACEHOLDER" "$AUDIENCE" "$VERIFY_MS" 300 "$VERIFY_ROUNDS" >"$BENCH_TMP/pyjwt.txt" ||
  bench_die "the PyJWT baseline failed"

# ---------------------------------------------------------------------------- servers
# start_auth NAME BINARY TARGETS [SETTING=VALUE...]: an auth service (and whatever else
# TARGETS names) on a free port, a fresh SQLite data dir, the first superuser set; sets PORT,
# URL, BENCH_PID and the accounts of auth_grants.py setup (USER_*, CLIENT_*).
start_auth() {
  local name=$1 binary=$2 targets=$3 data
  shift 3
  data="$BENCH_TMP/data-$name"
  mkdir -p "$data"
  PORT=$(bench_free_port)
  URL="http://127.0.0.1:$PORT"
  bench_start "$name" env MMX_LOG_LEVEL=warn MMX_DATA_DIR="$data" \
    MMX_AUTH_KEY_ENCRYPTION_KEY="$KEY_SECRET" MMX_AUTH_RATE_LIMIT=0 \
    MMX_FIRST_SUPERUSER="$ADMIN_EMAIL" MMX_FIRST_SUPERUSER_PASSWORD="$ADMIN_PASSWORD" "$@" \
    "$binary" --target "$targets" --listen "127.0.0.1:$PORT" --threads "$SERVER_THREADS"
  bench_wait_http "$URL/healthz" "$BENCH_PID" 60 ||
    bench_die "$name did not become ready: $(tail -n 20 "$BENCH_TMP/$name.log")"
  local vars
  vars=$("${GRANTS[@]}" setup "$URL" "$ADMIN_EMAIL" "$ADMIN_PASSWORD") ||
    bench_die "$name: setting up the accounts failed"
  eval "$vars"
}

# A counter of the server's /metrics, 0 when absent.
metric() {
  curl -s "$URL/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { printf "%.0f", v + 0 }'
}

# auth_wrk NAME PATH DURATION CONNECTIONS [wrk args...]: wrk --latency against $URL; sets
# WRK_* like bench_wrk.
auth_wrk() {
  local name=$1 path=$2 duration=$3 connections=$4 out="$BENCH_TMP/wrk-$1.txt"
  shift 4
  wrk -t"$WRK_THREADS" -c"$connections" -d"$duration" --latency "$@" "$URL$path" >"$out" 2>&1 ||
    bench_die "wrk failed for $name: $(cat "$out")"
  bench_parse_wrk "$out"
  [[ -n $WRK_RPS ]] || bench_die "could not parse wrk output for $name: $(cat "$out")"
  ((WRK_ERRORS == 0)) || bench_log "$name: $WRK_ERRORS errors during the run"
}

# ---------------------------------------------------------------- 2. middleware
ROWS=() # "token cache|endpoint|round|rps|p50|p99|errors|load1|notes"
declare -A RPS_LIST

# Checks the two endpoints answer the same bytes with the token, and that the protected one
# is protected; then warms both up and runs `pairs` alternating pairs.
measure_pair() {
  local server=$1 pairs=$2 token=$3 ep r load order body label=on
  [[ $server == uncached ]] && label="off (MMX_AUTH_TOKEN_CACHE=0)"
  local auth=(-H "Authorization: Bearer $token")
  for ep in open protected; do
    body=$(curl -s "${auth[@]}" "$URL/bench/$ep")
    [[ $body == "$EXPECTED_BODY" ]] || bench_die "$server: /bench/$ep answered '$body'"
  done
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$URL/bench/protected") == 401 ]] ||
    bench_die "$server: /bench/protected answers without a token"
  for ep in open protected; do
    bench_log "$server: warm-up /bench/$ep ($WARMUP)"
    auth_wrk "$server-$ep-warmup" "/bench/$ep" "$WARMUP" "$CONNECTIONS" "${auth[@]}"
  done
  for ((r = 1; r <= pairs; r++)); do
    order="open protected"
    ((r % 2 == 0)) && order="protected open"
    for ep in $order; do
      bench_log "$server: round $r/$pairs /bench/$ep (wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION)"
      load=$(bench_load1)
      auth_wrk "$server-$ep-$r" "/bench/$ep" "$DURATION" "$CONNECTIONS" "${auth[@]}"
      ROWS+=("$label|$ep|$r|$WRK_RPS|$WRK_P50_MS|$WRK_P99_MS|$WRK_ERRORS|$load|")
      RPS_LIST[$server-$ep]+=" $WRK_RPS"
    done
  done
}

# median [FORMAT] < "v1 v2 ...": printf FORMAT (default %.0f) of the median.
median() {
  tr ' ' '\n' | grep -v '^$' | sort -g | awk -v f="${1:-%.0f}" '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf f "\n", m
  }'
}

# Per pair protected/open, then the median of those ratios (drift cancels within a pair).
pair_ratios() {
  local server=$1 o p i out=""
  read -r -a o <<<"${RPS_LIST[$server-open]}"
  read -r -a p <<<"${RPS_LIST[$server-protected]}"
  for ((i = 0; i < ${#o[@]}; i++)); do out+=" $(bench_ratio "${p[$i]}" "${o[$i]}")"; done
  echo "$out"
}

bench_log "middleware: auth_bench_server (token cache on)"
start_auth mw "$BENCH_SERVER" auth,bench
TOKEN=$("${GRANTS[@]}" access "$URL" "$USER_EMAIL" "$USER_PASSWORD") || bench_die "no access token"
TOKEN_BYTES=${#TOKEN}
measure_pair cached "$ROUNDS" "$TOKEN"
MW_FULL=$(metric 'auth_token_verifications_total{outcome="ok"}')
MW_HITS=$(metric 'auth_token_cache_total{result="hit"}')
MW_MISSES=$(metric 'auth_token_cache_total{result="miss"}')
MW_JWKS=$(metric 'auth_jwks_fetches_total{outcome="ok"}')
MW_RSS=$(bench_rss_kb "$BENCH_PID")
bench_stop "$BENCH_PID"

if ((NOCACHE_ROUNDS > 0)); then
  bench_log "middleware: auth_bench_server with MMX_AUTH_TOKEN_CACHE=0"
  start_auth mw-nocache "$BENCH_SERVER" auth,bench MMX_AUTH_TOKEN_CACHE=0
  token=$("${GRANTS[@]}" access "$URL" "$USER_EMAIL" "$USER_PASSWORD") || bench_die "no access token"
  measure_pair uncached "$NOCACHE_ROUNDS" "$token"
  NC_FULL=$(metric 'auth_token_verifications_total{outcome="ok"}')
  bench_stop "$BENCH_PID"
fi

# ---------------------------------------------------------------- 3. grants
bench_log "grants: micromax --target auth"
start_auth grants "$MICROMAX" auth
GRANT_ROWS=() # "grant|client|connections|rps|p50|p99|errors|load1|notes"

bench_log "password grant: $PASSWORD_REQUESTS sequential requests (default Argon2id cost)"
load=$(bench_load1)
pw=$("${GRANTS[@]}" password "$URL" "$USER_EMAIL" "$USER_PASSWORD" "$PASSWORD_REQUESTS" \
  "$BENCH_TMP/refresh-0.txt") || bench_die "password grants failed"
IFS='|' read -r _ pw_n pw_p50 pw_p90 pw_p99 pw_min pw_max pw_mean <<<"$pw"
pw_rps=$(awk -v m="$pw_mean" 'BEGIN { printf "%.0f", 1000 / m }')
GRANT_ROWS+=("password (one after the other)|auth_grants.py (Python)|1|$pw_rps|$pw_p50|$pw_p99|0|$load|$pw_n requests; p90 $pw_p90, min $pw_min, max $pw_max, mean $pw_mean ms")

basic=$(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)
cc=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials "$URL/auth/token")
[[ $cc == *'"access_token":"'* ]] || bench_die "client_credentials answered: $cc"
bench_log "client_credentials: warm-up $WARMUP, then wrk -c$GRANT_CONNECTIONS -d$GRANT_DURATION"
export BENCH_BASIC=$basic
auth_wrk cc-warmup / "$WARMUP" "$GRANT_CONNECTIONS" -s "$ROOT/bench/auth_client_credentials.lua"
load=$(bench_load1)
auth_wrk cc / "$GRANT_DURATION" "$GRANT_CONNECTIONS" -s "$ROOT/bench/auth_client_credentials.lua"
GRANT_ROWS+=("client_credentials (HTTP Basic)|wrk + auth_client_credentials.lua|$GRANT_CONNECTIONS|$WRK_RPS|$WRK_P50_MS|$WRK_P99_MS|$WRK_ERRORS|$load|")
unset BENCH_BASIC

# Each run continues the chains the previous one left (tokens in flight at its end are lost).
refresh_run() {
  local name=$1 duration=$2 in=$3 out=$4 n c
  n=$(grep -c . "$in" || true)
  c=$((n < GRANT_CONNECTIONS ? n : GRANT_CONNECTIONS))
  ((c > 0)) || bench_die "no refresh token left for $name"
  ((c == GRANT_CONNECTIONS)) || bench_log "$name: only $n refresh tokens left: $c connections"
  BENCH_REFRESH_TOKENS=$in BENCH_REFRESH_TOKENS_OUT=$out \
    auth_wrk "$name" / "$duration" "$c" -s "$ROOT/bench/auth_refresh.lua"
  REFRESH_CONNECTIONS=$c
}
bench_log "refresh_token: warm-up $WARMUP, then wrk -c$GRANT_CONNECTIONS -d$GRANT_DURATION (rotation chains)"
refresh_run refresh-warmup "$WARMUP" "$BENCH_TMP/refresh-0.txt" "$BENCH_TMP/refresh-1.txt"
load=$(bench_load1)
refresh_run refresh "$GRANT_DURATION" "$BENCH_TMP/refresh-1.txt" "$BENCH_TMP/refresh-2.txt"
GRANT_ROWS+=("refresh_token (each use rotates)|wrk + auth_refresh.lua|$REFRESH_CONNECTIONS|$WRK_RPS|$WRK_P50_MS|$WRK_P99_MS|$WRK_ERRORS|$load|chains seeded by the password grants")
GRANTS_RSS=$(bench_rss_kb "$BENCH_PID")
bench_stop "$BENCH_PID"

SECONDS_TOOK=$(($(date +%s) - T0))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------- report
# wrk_table H1 H2 H3 ROW...: a table of rows "c1|c2|c3|req/s|p50|p99|errors|load1|notes".
wrk_table() {
  local h1=$1 h2=$2 h3=$3 row a b c rps p50 p99 err load note
  shift 3
  echo "| $h1 | $h2 | $h3 | req/s | p50 ms | p99 ms | errors | load1 at start | notes |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
  for row in "$@"; do
    IFS='|' read -r a b c rps p50 p99 err load note <<<"$row"
    printf '| %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s |\n' "$a" "$b" "$c" "$rps" "$p50" "$p99" "$err" "$load" "$note"
  done
}

cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
IFS='|' read -r _ py_rps py_us py_rounds py_ver crypto_ver <"$BENCH_TMP/pyjwt.txt"
IFS='|' read -r _ n_tokens token_len < <(grep '^T|' "$BENCH_TMP/verify.txt")
declare -A VR
while IFS='|' read -r _ case threads rps us rounds; do
  VR[$case-$threads]="$rps|$us|$rounds"
done < <(grep '^R|' "$BENCH_TMP/verify.txt")
IFS='|' read -r _ a_runs a_p50 a_min a_max < <(grep '^A|' "$BENCH_TMP/verify.txt" || echo "A|0|n/a|n/a|n/a")
read -r -a vthreads <<<"${VERIFY_THREADS//,/ }"

echo "## Auth (bench/auth.sh)"
echo
echo "- date: $STARTED, $SECONDS_TOOK s"
echo "- command: \`$COMMAND\`"
echo "- machine: $(nproc) CPUs, $cpu, Linux $(uname -r)"
echo "- binaries: $BUILD_DIR/bin/{auth_bench,auth_bench_server,micromax} ($(grep '^CMAKE_BUILD_TYPE' "$BUILD_DIR/CMakeCache.txt" | cut -d= -f2)); work tree at $commit"
echo "- $(openssl version 2>/dev/null || echo 'OpenSSL ?'); libargon2 $(dpkg-query -W -f '${Version}' libargon2-1 2>/dev/null || echo '?'); PyJWT $py_ver, cryptography $crypto_ver, Python $("$BENCH_PY" -c 'import platform; print(platform.python_version())'); $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')"
echo "- load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
echo

echo "### JWT verification"
echo
echo "$n_tokens distinct RS256 tokens ($token_len bytes, RSA-2048, the claims the auth service mints for a customer), verified round-robin; median of $VERIFY_ROUNDS rounds of $VERIFY_MS ms (load1 $VERIFY_LOAD at start)."
echo
echo "| operation | threads | ops/s | µs per op, per thread | rounds (ops/s) |"
echo "|---|---:|---:|---:|---|"
vrow() {
  local label=$1 case=$2 t v
  for t in "${vthreads[@]}"; do
    v=${VR[$case-$t]:-}
    [[ -n $v ]] || continue
    IFS='|' read -r rps us rounds <<<"$v"
    echo "| $label | $t | $rps | $us | ${rounds//,/, } |"
  done
}
vrow "\`TokenVerifier::verify\` (uncached)" verify
vrow "\`verify_cached\` (cache hit)" verify_cached
vrow "\`sign_jwt\` (the issuer, per access token)" sign_jwt
echo "| PyJWT $py_ver \`jwt.decode\` (RS256, same checks) | 1 | $py_rps | $py_us | ${py_rounds//,/, } |"
echo "| Argon2id \`verify_password\`, default cost (m=19456 KiB, t=2, p=1) | 1 | $(awk -v m="$a_p50" 'BEGIN { if (m + 0 > 0) printf "%.0f", 1000 / m; else print "n/a" }') | $(awk -v m="$a_p50" 'BEGIN { if (m + 0 > 0) printf "%.0f", m * 1000; else print "n/a" }') | $a_runs calls: median $a_p50 ms, min $a_min, max $a_max |"
echo
v1=${VR[verify-1]%%|*}
c1=${VR[verify_cached-1]%%|*}
echo "| one core | ratio |"
echo "|---|---:|"
echo "| uncached \`verify\` / PyJWT | $(bench_ratio "$v1" "$py_rps")x |"
echo "| cached \`verify_cached\` / PyJWT (a FastAPI service verifies every request) | $(bench_ratio "$c1" "$py_rps")x |"
echo "| cached / uncached | $(bench_ratio "$c1" "$v1")x |"
echo

echo "### Auth middleware on the request path"
echo
echo "\`auth_bench_server\`, $SERVER_THREADS io thread(s), MMX_LOG_LEVEL=warn; the same handler answers $EXPECTED_BODY at GET /bench/open (no requirement) and GET /bench/protected (\`authenticated\`); wrk -t$WRK_THREADS -c$CONNECTIONS -d$DURATION --latency sends the same \`Authorization: Bearer\` header ($TOKEN_BYTES-byte access token from the in-process auth service) to both, after a $WARMUP warm-up of each; pairs alternate which endpoint goes first."
echo
wrk_table "token cache" endpoint round "${ROWS[@]}"
echo
open_med=$(median <<<"${RPS_LIST[cached-open]}")
prot_med=$(median <<<"${RPS_LIST[cached-protected]}")
ratios=$(pair_ratios cached)
ratio_med=$(median %.2f <<<"$ratios")
verdict=$(bench_verdict "$ratio_med" "$TARGET_KEEP")
echo "| target | measured | verdict |"
echo "|---|---:|---|"
echo "| protected >= ${TARGET_KEEP}x open req/s (token cache on; median of the $ROUNDS pairs' ratios) | ${ratio_med}x | $verdict |"
echo
echo "- cache on: medians $prot_med protected / $open_med open req/s (ratio of medians $(bench_ratio "$prot_med" "$open_med")); per pair:$ratios"
echo "- cache on, the server's own counters: $MW_FULL full verifications, $MW_HITS cache hits, $MW_MISSES misses, $MW_JWKS JWKS fetch(es); RSS $MW_RSS kB after the run"
if ((NOCACHE_ROUNDS > 0)); then
  echo "- cache off (information, another process): medians $(median <<<"${RPS_LIST[uncached-protected]}") protected / $(median <<<"${RPS_LIST[uncached-open]}") open req/s; per pair:$(pair_ratios uncached); $NC_FULL full verifications"
fi
echo

echo "### Grants (micromax --target auth, SQLite)"
echo
echo "\`micromax --target auth\`, $SERVER_THREADS io thread(s), default worker pool, SQLite in a temp dir, MMX_LOG_LEVEL=warn, **MMX_AUTH_RATE_LIMIT=0** (the default, 30 requests a minute per client IP, would measure the limiter), Argon2id at its default cost. wrk -t$WRK_THREADS -d$GRANT_DURATION --latency after a $WARMUP warm-up."
echo
wrk_table grant client connections "${GRANT_ROWS[@]}"
echo
echo "- password grant latency at the default Argon2id cost: p50 $pw_p50 ms, p99 $pw_p99 ms over $pw_n requests (p99 by nearest rank); Argon2id alone: $a_p50 ms"
echo "- RSS of the auth service after the grant runs: $GRANTS_RSS kB"
