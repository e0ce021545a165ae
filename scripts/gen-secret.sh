#!/usr/bin/env bash
# Prints fresh random secrets for MicroMax settings, from /dev/urandom.
#
#   scripts/gen-secret.sh                 one secret (32 bytes, base64url, 43 characters)
#   scripts/gen-secret.sh -n 3            three of them, one per line
#   scripts/gen-secret.sh -b 48           48 random bytes each
#   scripts/gen-secret.sh --env           a block of MMX_* lines for a .env file
#
# Good for passwords (MMX_FIRST_SUPERUSER_PASSWORD), MMX_AUTH_KEY_ENCRYPTION_KEY, service
# API keys (MMX_<SERVICE>_API_KEY) and database passwords. Nothing is written anywhere.
set -euo pipefail

count=1
bytes=32
env_block=0
while (($#)); do
  case "$1" in
    -n) count="$2"; shift 2 ;;
    -b) bytes="$2"; shift 2 ;;
    --env) env_block=1; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gen-secret: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
[[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "gen-secret: -n needs a positive number" >&2; exit 2; }
[[ "$bytes" =~ ^[1-9][0-9]*$ && "$bytes" -ge 16 ]] || {
  echo "gen-secret: -b needs at least 16 bytes" >&2; exit 2; }

# base64url without padding: safe in URLs, env files and shell words alike.
secret() {
  head -c "$bytes" /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '='
}

if ((env_block)); then
  echo "MMX_FIRST_SUPERUSER_PASSWORD=$(secret)"
  echo "MMX_AUTH_KEY_ENCRYPTION_KEY=$(secret)"
  for svc in BACKEND ADMIN_PANEL DATA_PIPELINES DATA_VISUALIZATIONS; do
    echo "MMX_${svc}_API_KEY=$(secret)"
  done
  exit 0
fi
for ((i = 0; i < count; i++)); do secret; echo; done
