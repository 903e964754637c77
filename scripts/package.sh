#!/usr/bin/env bash
# Builds the two Debian packages of PLKK Desk into target/packages/ (release builds):
#   plkk-desk_VERSION_ARCH.deb    the desktop app with its menu entry and icon, and `plkk` on the
#                                 PATH; depends on WebKitGTK 4.1 and GTK 3, so
#                                 `apt install ./plkk-desk_*.deb` pulls them in
#   plkk-branch_VERSION_ARCH.deb  the branch server, its systemd unit and system user
# The desk package comes from the Tauri bundler's deb target (the @tauri-apps/cli npm package,
# which works offline), the branch package from cargo-deb. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo-deb >/dev/null; then
  echo "package: installing cargo-deb (Debian packages from Cargo metadata)"
  cargo install cargo-deb --version '^3' --locked
fi

step() { printf '\n==> %s\n' "$*"; }

step "UI build"
(cd ui && npm run build)

step "Release build of the workspace's programs"
# One cargo run for the three packaged programs (the desk in production mode): shared crates are
# built once.
cargo build --release --locked -p plkk-desk -p plkk -p plkk-branch --features plkk-desk/custom-protocol

step "plkk-desk: the Tauri bundler's deb (with plkk in /usr/bin)"
ui/node_modules/.bin/tauri bundle --bundles deb --ci --features custom-protocol

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
arch=$(dpkg --print-architecture)
out=target/packages
mkdir -p "$out"
rm -f "$out"/plkk-desk_*.deb "$out"/plkk-branch_*.deb
bundled=$(ls -t target/release/bundle/deb/*_"${version}"_"${arch}".deb | head -n 1)
cp "$bundled" "$out/plkk-desk_${version}_${arch}.deb"

step "plkk-branch: cargo-deb"
cargo deb -p plkk-branch --no-build --output "$out/plkk-branch_${version}_${arch}.deb"

step "Packages"
for package in "$out"/plkk-desk_"${version}"_"${arch}".deb "$out"/plkk-branch_"${version}"_"${arch}".deb; do
  dpkg-deb --field "$package" Package Version Architecture Depends
  echo "$package ($(du -h "$package" | cut -f1))"
done
