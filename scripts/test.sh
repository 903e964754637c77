#!/usr/bin/env bash
# Runs every check of PLKK Desk, installing what it needs first: the UI's type check, unit tests
# and build; cargo fmt and clippy; the two Debian packages built and installed in a clean Debian
# root with a desk syncing against the installed branch (scripts/package.sh, check-packages.sh);
# then every Rust test (domain rules, store, CLI, and the real desktop window driven through
# WebDriver under a virtual display), and the branch's tests a second time with the branch on
# PostgreSQL (PLKK_TEST_BACKEND=postgres: a throwaway cluster under a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"

# PLKK_PROFILE=release (CI) builds and tests the release programs the packages hold, with the desk
# in production mode, so the release build scripts/package.sh made is reused, not repeated in debug.
profile=()
if [ "${PLKK_PROFILE:-debug}" = release ]; then
  profile=(--release --features plkk-desk/custom-protocol)
fi

step() { printf '\n==> %s\n' "$*"; }

step "UI: type check, unit tests, build"
(cd ui && npm run check && npm test && npm run build)

step "Rust: format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: build the programs the tests run"
cargo build --workspace --bins --locked "${profile[@]}"

step "UI types: generated from the Rust types (ts-rs) must match ui/src/lib/bindings"
cargo test -p plkk-tests --locked --test ui_bindings

step "Packages: the two Debian packages built (release) and installed in a clean Debian root"
scripts/package.sh
scripts/check-packages.sh

step "Rust: all tests (end-to-end ones drive the real window on a virtual display)"
log=$(mktemp)
set +e
timeout 1500 xvfb-run -a -s '-screen 0 1280x800x24' cargo test --workspace --locked "${profile[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 0 ]; then
  step "Rust: the branch's tests again, on PostgreSQL (a throwaway cluster per test binary)"
  # Every test binary that runs a branch (branch_servers and migrate_store use PostgreSQL in
  # the first run already).
  PLKK_TEST_BACKEND=postgres timeout 900 xvfb-run -a -s '-screen 0 1280x800x24' \
    cargo test --locked "${profile[@]}" \
    -p plkk-branch --test api --test console --test limits --test documents \
    -p plkk-tests --test sync_clinic --test sync_faults --test sync_field_faults \
    --test sync_quarantine --test sync_pipeline --test branch_audit --test audit --test letters \
    --test sync_documents --test e2e_case_papers --test branch_status --test branch_memory \
    --test branch_slow_clients --test openapi --test sync_bpu --test sync_cli --test sync_backlog \
    --test sync_line --test desk_limits --test desk_health --test backup_restore \
    --test e2e_console --test e2e_bpu --test e2e_sync --test e2e_quarantine 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
# One closing line for the whole run (cargo prints one per test binary, the last often "0 passed").
awk '/^test result:/ { passed += $4; failed += $6 } END { print passed " passed, " failed " failed" }' "$log"
rm -f "$log"
exit "$status"
