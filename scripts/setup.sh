#!/usr/bin/env bash
# Installs the Debian packages Greenlight builds, runs and tests with.
# Idempotent: does nothing when everything is already present. Uses sudo only when not root.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libsodium-dev libical-dev
  libcurl4-openssl-dev libcmocka-dev libcsv-dev clang-tidy
  python3 curl sqlite3 openssl
)
if [ "${1:-}" = "--bench" ]; then
  packages+=(wrk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
