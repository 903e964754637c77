#!/usr/bin/env bash
# Builds and starts PLKK Desk (the desktop app) on this machine, installing what it needs first.
# Data goes to the platform's app-data folder unless PLKK_DATA_DIR or --data-dir says otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd ui && npm run build)
cargo build --release -p plkk-desk -p plkk
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-desk: no display found; starting the app on a virtual one (xvfb-run)"
  exec xvfb-run -a -s '-screen 0 1280x800x24' target/release/plkk-desk "$@"
fi
exec target/release/plkk-desk "$@"
