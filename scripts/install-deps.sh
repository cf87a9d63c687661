#!/usr/bin/env bash
# Installs every Debian package Till's build and tests need, and the npm test tools pinned in
# package-lock.json. Idempotent: a machine that already has everything runs no apt command at
# all, so `make run` / `make test` stay fast after the first time.
set -euo pipefail

cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git clang-format clang-tidy
  # libraries (Boost 1.81: Asio + Beast are header-only, JSON and URL are compiled)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcurl4-openssl-dev libsqlite3-dev libpq-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev libjemalloc-dev
  # runtime services and tools used by tests
  postgresql-15 sqlite3 prometheus curl
  # Node.js runs the npm test tools (Stripe SDK compatibility tests, later issues)
  nodejs npm
  # The official Python SDK as Debian ships it (a second SDK in the compatibility tests)
  python3 python3-stripe
  # sanitizers and fuzzing (clang's libFuzzer runtime)
  clang-14 libclang-rt-14-dev
)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# node/npm may come from outside Debian's packages on some images; a working npm is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for pkg in "${missing[@]}"; do
    [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg")
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Debian postgresql package starts a cluster on install; Till's tests start their own
# throwaway servers, so make sure the packaged one does not hold port 5432 or resources.
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q online; then
  pg_ctlcluster 15 main stop 2>/dev/null || true
fi

# npm test tools, exactly as pinned in package-lock.json.
if [ -f package-lock.json ]; then
  stamp=node_modules/.till-lock-stamp
  if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json "$stamp"
  fi
fi
