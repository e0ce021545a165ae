#!/usr/bin/env bash
# Usage: scripts/npm-install.sh DIR
# Installs DIR/node_modules exactly as locked in DIR/package-lock.json (web/: Swagger UI and
# Redoc embedded into the binary; tests/tools/: the contract linter). Runs `npm ci` only when
# node_modules is missing or older than the lock file; otherwise it is a fast no-op, so
# scripts/bootstrap.sh can call it every time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/${1:?usage: npm-install.sh DIR (relative to the repository)}"
name="${1%/}"
lock="$dir/package-lock.json"
# npm writes this "hidden lockfile" at the end of every install: its mtime says when
# node_modules last matched a lock file.
installed="$dir/node_modules/.package-lock.json"

if [[ ! -f "$lock" ]]; then
  echo "npm-install $name: $lock is missing; it is committed, check your checkout" >&2
  exit 1
fi

if [[ ! -d "$dir/node_modules" ]]; then
  reason="$name/node_modules is missing"
elif [[ ! -f "$installed" ]]; then
  reason="$name/node_modules was not installed by npm (no .package-lock.json)"
elif [[ "$lock" -nt "$installed" ]]; then
  reason="$name/package-lock.json is newer than $name/node_modules"
else
  echo "npm-install $name: $name/node_modules is up to date"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "npm-install $name: $reason, but npm is not installed (Debian: apt-get install nodejs npm," \
    "or run scripts/bootstrap.sh)" >&2
  exit 1
fi

echo "npm-install $name: $reason: running npm ci --no-audit --no-fund in $name/"
# web/.npmrc sets ignore-scripts: nothing we embed needs an install script, and some
# (usage analytics) would try to reach the internet.
(cd "$dir" && npm ci --no-audit --no-fund)
echo "npm-install $name: done"
