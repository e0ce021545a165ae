#!/usr/bin/env bash
# Installs everything MicroMax needs on Debian 12: the packages in
# scripts/debian-packages.txt, Node.js if absent, and the locked npm packages. Idempotent,
# and a fast no-op (one dpkg query) when everything is present. Needs root or sudo only
# when something is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$root/scripts/debian-packages.txt")

# Node.js may come from Debian or from elsewhere (NodeSource ships npm inside its nodejs);
# install Debian's only when there is no node/npm at all, so we never fight another source.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

# One dpkg query for all; a package dpkg has never heard of simply does not show up.
declare -A installed=()
while read -r name status; do
  [[ "$status" == "installed" ]] && installed[$name]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  [[ -n "${installed[$p]-}" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "bootstrap: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "bootstrap: need root or sudo to install: ${missing[*]}" >&2
      exit 1
    }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # Debian starts nginx on port 80 when it is installed; the benchmarks run their own.
  if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v systemctl >/dev/null 2>&1; then
    $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
else
  echo "bootstrap: all ${#packages[@]} Debian packages present"
fi

"$root/scripts/npm-install.sh" web
"$root/scripts/npm-install.sh" tests/tools
