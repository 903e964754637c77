#!/usr/bin/env bash
# Installs everything PLKK Desk needs to build, run and test on a fresh Debian/Ubuntu machine:
# system packages (apt; chromium and chromium-driver drive the branch console's browser test),
# the UI's npm packages, and tauri-driver. Safe to run again: it skips what
# is already there. Called by run-desk.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential pkg-config curl ca-certificates libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev
  xvfb xauth webkit2gtk-driver
  # Real key events into the window for plkk-bench --typing.
  xdotool
  faketime
  chromium chromium-driver
  poppler-utils
  # The branch tests run a second time on PostgreSQL: a throwaway cluster (initdb + pg_ctl under a
  # temporary directory, tests/src/postgres.rs), from the distribution's server package.
  postgresql
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "setup: Node.js and npm are needed (Node 20 or newer); install them first" >&2
  exit 1
fi
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund)
fi
# PouchDB, the peer plkk-bench --sync measures beside our backlog figure.
if [ ! -d tests/pouch/node_modules ] || [ tests/pouch/package-lock.json -nt tests/pouch/node_modules/.package-lock.json ]; then
  echo "setup: installing the benchmark's PouchDB peer (tests/pouch)"
  (cd tests/pouch && npm ci --no-audit --no-fund)
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver (WebDriver for the desktop window)"
  cargo install tauri-driver --version '^2' --locked
fi
