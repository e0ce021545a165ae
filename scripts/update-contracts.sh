#!/usr/bin/env bash
# Usage: scripts/update-contracts.sh [BUILD_DIR]
# Regenerates the committed contracts in shared/contracts/:
#   asyncapi.yaml         from the event DTOs (shared/models), printed by mmx-contracts;
#   <target>.openapi.json for every service target `micromax targets` lists, printed by
#                         `micromax openapi --target <target>` (a new service's contract
#                         appears here the first time this runs after it is registered).
# Builds only mmx-contracts and micromax in BUILD_DIR (default build/, configured like
# `cmake --preset dev` when it is not configured yet). Commit the files with the change that
# moved them; the ctests contracts.asyncapi_up_to_date, contracts.openapi_up_to_date.<target>
# and contracts.openapi_complete fail until you do.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
contracts="$root/shared/contracts"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --target mmx-contracts micromax -j "${JOBS:-$(nproc)}"

tmp=""
trap 'rm -f "$tmp"' EXIT

# Through a temporary file: a failed run must not leave a truncated contract behind.
# Usage: update FILE COMMAND...
update() {
  local out="$contracts/$1"
  shift
  tmp="$(mktemp "$out.XXXXXX")"
  "$@" >"$tmp"
  if cmp -s "$tmp" "$out"; then
    echo "update-contracts: shared/contracts/$(basename "$out") is up to date"
    rm -f "$tmp"
  else
    chmod 0644 "$tmp"
    mv "$tmp" "$out"
    echo "update-contracts: wrote shared/contracts/$(basename "$out"); review and commit it"
  fi
  tmp=""
}

update asyncapi.yaml "$build/bin/mmx-contracts"

# The service targets: the two-space-indented names of `micromax targets` that are not
# "(internal)"; "all" is every service at once, not a deployable with a contract of its own.
# The document needs no database, secret or writable directory (docs-only init), whatever
# the environment says: production settings, with a data dir that does not exist, prove it.
mapfile -t targets < <("$build/bin/micromax" targets | sed -n 's/^  \([a-z0-9_-]*\)$/\1/p' |
                         grep -vx all)
for t in "${targets[@]}"; do
  update "$t.openapi.json" env MMX_ENV=production MMX_DATA_DIR=/nonexistent/mmx-contracts \
    "$build/bin/micromax" openapi --target "$t"
done

# A contract whose target is gone is not deleted behind anyone's back; say so.
for f in "$contracts"/*.openapi.json; do
  [[ -e "$f" ]] || continue
  name="$(basename "$f" .openapi.json)"
  if [[ " ${targets[*]} " != *" $name "* ]]; then
    echo "update-contracts: $name is no longer a target; delete shared/contracts/$name.openapi.json" >&2
  fi
done
