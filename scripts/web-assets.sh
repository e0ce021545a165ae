#!/usr/bin/env bash
# Installs web/node_modules (Swagger UI, Redoc, ...) exactly as locked in web/package-lock.json.
# Runs `npm ci` only when node_modules is missing or older than the lock file; otherwise it is a
# fast no-op, so scripts/bootstrap.sh can call it every time. The build embeds files from
# web/node_modules and fails at configure time when they are missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
web="$root/web"
lock="$web/package-lock.json"
# npm writes this "hidden lockfile" at the end of every install: its mtime says when
# node_modules last matched a lock file.
installed="$web/node_modules/.package-lock.json"

if [[ ! -f "$lock" ]]; then
  echo "web-assets: $lock is missing; it is committed, check your checkout" >&2
  exit 1
fi

if [[ ! -d "$web/node_modules" ]]; then
  reason="web/node_modules is missing"
elif [[ ! -f "$installed" ]]; then
  reason="web/node_modules was not installed by npm (no .package-lock.json)"
elif [[ "$lock" -nt "$installed" ]]; then
  reason="web/package-lock.json is newer than web/node_modules"
else
  echo "web-assets: web/node_modules is up to date"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "web-assets: $reason, but npm is not installed (Debian: apt-get install nodejs npm," \
    "or run scripts/bootstrap.sh)" >&2
  exit 1
fi

echo "web-assets: $reason: running npm ci --no-audit --no-fund in web/"
# web/.npmrc sets ignore-scripts: nothing we embed needs an install script, and some
# (usage analytics) would try to reach the internet.
(cd "$web" && npm ci --no-audit --no-fund)
echo "web-assets: done"
