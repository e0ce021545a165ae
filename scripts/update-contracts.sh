#!/usr/bin/env bash
# Usage: scripts/update-contracts.sh [BUILD_DIR]
# Regenerates shared/contracts/asyncapi.yaml from the event DTOs (shared/models): builds only
# the mmx-contracts tool in BUILD_DIR (default build/, configured like `cmake --preset dev`
# when it is not configured yet) and writes its output. Commit the file with the DTO change;
# the ctest contracts.asyncapi_up_to_date fails until you do.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
out="$root/shared/contracts/asyncapi.yaml"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target mmx-contracts -j "${JOBS:-$(nproc)}"

# Through a temporary file: a failed run must not leave a truncated contract behind.
tmp="$(mktemp "$out.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
"$build/bin/mmx-contracts" >"$tmp"
if cmp -s "$tmp" "$out"; then
  echo "update-contracts: shared/contracts/asyncapi.yaml is up to date"
else
  chmod 0644 "$tmp"
  mv "$tmp" "$out"
  echo "update-contracts: wrote shared/contracts/asyncapi.yaml; review and commit it"
fi
