#!/usr/bin/env bash
# Usage: scripts/run-tests.sh BUILD_DIR
# Runs every suite against one build: the GoogleTest units (ctest) and the pytest
# functional tests, which start the real binaries from BUILD_DIR/bin.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: run-tests.sh BUILD_DIR}"
cd "$root"

start=$SECONDS
echo "== unit tests (ctest, $build)"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"

# The harness is plain Python, the same whatever the build: checked once, with the dev build.
if [ "$build" = build ]; then
  echo "== test harness (pytest: private PostgreSQL, Redis, RabbitMQ on loopback)"
  /usr/bin/python3 -m pytest tests/harness -q -p no:cacheprovider
fi

echo "== functional tests (pytest, $build/bin)"
# pytest's own exit code stands: 5 (nothing collected) fails the run, as it should.
MMX_BIN_DIR="$root/$build/bin" /usr/bin/python3 -m pytest tests/functional -q -p no:cacheprovider
echo "== all suites passed in $((SECONDS - start)) s ($build)"
