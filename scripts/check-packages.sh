#!/usr/bin/env bash
# Installs the packages scripts/package.sh made (target/packages/) into a clean Debian root made
# with debootstrap (minbase: no WebKitGTK, no GTK, no SQLite), with apt and without recommended
# packages, as a clinic's IT person would (`apt install ./plkk-desk_*.deb`). Then checks, inside
# that root:
#   - every shared library of plkk-desk, plkk and plkk-branch resolves (the Depends pulled them in);
#   - the menu entry and icon are there; the branch's unit is installed and enabled, its system
#     user and owner-only data directory exist;
#   - the branch starts with its unit's exact ExecStart line, as its user; `plkk --version` runs;
#     a desk set up, enrolled and synced against it gets its case confirmed, and the branch holds it;
#     `plkk backup`, `plkk status` and `plkk-branch status` work on the installed programs and find
#     no problem (exit 0; exit 10 accepted only for a nearly full disk of this machine).
# Runs as root (debootstrap, chroot). Prints "packages: N passed, N failed"; exits 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
arch=$(dpkg --print-architecture)
desk_deb="target/packages/plkk-desk_${version}_${arch}.deb"
branch_deb="target/packages/plkk-branch_${version}_${arch}.deb"
for package in "$desk_deb" "$branch_deb"; do
  [ -f "$package" ] || { echo "check-packages: $package is missing: run scripts/package.sh" >&2; exit 1; }
done
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

work=$(mktemp -d /tmp/plkk-package-check.XXXXXX)
root="$work/root"
branch_pid=""
cleanup() {
  [ -n "$branch_pid" ] && kill "$branch_pid" 2>/dev/null && wait "$branch_pid" 2>/dev/null || true
  for mount in proc dev; do
    mountpoint -q "$root/$mount" && umount -l "$root/$mount" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() {
  local what=$1
  shift
  if "$@" >"$work/check.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $what"
  else
    failed=$((failed + 1))
    echo "FAILED: $what"
    sed 's/^/    /' "$work/check.log" | tail -n 20
  fi
}
in_root() { chroot "$root" "$@"; }

# The release this machine runs (bookworm on Debian 12); debootstrap's default mirror.
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
echo "check-packages: a clean $suite root (debootstrap minbase)"
debootstrap --variant=minbase "$suite" "$root" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log"; exit 1; }
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp "$desk_deb" "$branch_deb" "$root/tmp/"

echo "check-packages: apt install of both packages (no recommends)"
install_packages() {
  in_root apt-get update -qq &&
    in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "/tmp/$(basename "$desk_deb")" "/tmp/$(basename "$branch_deb")"
}
check "apt installs plkk-desk and plkk-branch with their dependencies" install_packages

# Output is captured before it is searched: `cmd | grep -q` under pipefail fails whenever grep has
# found its match and left before cmd wrote its last line (cmd then meets a closed pipe).
declares() { grep -q "$2" <<<"$(dpkg-deb --field "$1" Depends)"; }
check "plkk-desk depends on WebKitGTK 4.1" declares "$desk_deb" 'libwebkit2gtk-4.1-0'
check "plkk-desk depends on GTK 3" declares "$desk_deb" 'libgtk-3-0'
no_missing_libraries() {
  local binary
  for binary in /usr/bin/plkk-desk /usr/bin/plkk /usr/bin/plkk-branch; do
    in_root ldd "$binary" >"$work/ldd.txt"
    if grep 'not found' "$work/ldd.txt"; then
      echo "$binary lacks libraries"
      return 1
    fi
  done
}
check "every library of plkk-desk, plkk and plkk-branch resolves" no_missing_libraries
menu_entry() {
  grep -l '^Exec=plkk-desk' "$root"/usr/share/applications/*.desktop &&
    ls "$root"/usr/share/icons/hicolor/*/apps/plkk-desk.png
}
check "the menu entry and icon are installed" menu_entry
check "plkk --version runs" in_root plkk --version

unit="$root/lib/systemd/system/plkk-branch.service"
branch_set_up() {
  [ -f "$unit" ] &&
    [ -L "$root/etc/systemd/system/multi-user.target.wants/plkk-branch.service" ] &&
    in_root getent passwd plkk-branch &&
    [ "$(in_root stat -c '%U %a' /var/lib/plkk-branch)" = "plkk-branch 750" ] &&
    grep -q '^LimitNOFILE=' "$unit" && grep -q '^ProtectSystem=strict' "$unit" &&
    grep -q '^NoNewPrivileges=yes' "$unit" &&
    grep -q '^ConditionPathExists=/etc/plkk-branch.toml' "$unit"
}
check "the branch's unit is installed and enabled, with its user and data directory" branch_set_up

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$root/etc/plkk-branch.toml" <<EOF
listen = "127.0.0.1:$port"
EOF
uid=$(in_root id -u plkk-branch)
gid=$(in_root id -g plkk-branch)
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
echo "check-packages: starting the branch as its unit does: $exec_start"
# shellcheck disable=SC2086  # the unit's command line, split as systemd splits it (no quotes in it)
chroot --userspec="$uid:$gid" "$root" env PLKK_BRANCH_LOG=info $exec_start >"$work/branch.log" 2>&1 &
branch_pid=$!
branch_answers() {
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/api/v1/health" && return 0
    sleep 0.2
  done
  cat "$work/branch.log"
  return 1
}
check "the branch answers its health check" branch_answers

as_branch() { chroot --userspec="$uid:$gid" "$root" plkk-branch --data-dir /var/lib/plkk-branch "$@"; }
desk() {
  in_root env HOME=/root PLKK_DATA_DIR=/root/desk PLKK_KDF=fast PLKK_USER=admin \
    PLKK_PASSWORD=paket-sandi-1 plkk "$@"
}
desk_syncs() {
  desk setup --admin-user admin --admin-name "Admin Klinik" >/dev/null &&
    as_branch clinic add --code PLKK-PKG --name "Klinik Paket" &&
    code=$(as_branch enroll-code --clinic PLKK-PKG | tail -n 1) &&
    desk enroll --branch "http://127.0.0.1:$port" --code "$code" &&
    desk intake add <<'EOF' &&
{"nik":"3216055708900003","kpj":"12345678901","full_name":"Siti Rahmawati","sex":"female",
 "birth_date":"1990-08-17","segment":"PU","employer_name":"PT Maju Jaya",
 "accident_at":"2025-06-10T08:30:00+07:00","admitted_at":"2025-06-10T09:10:00+07:00",
 "case_category":"work_accident","place_type":"workplace",
 "accident_location":"Gudang PT Maju Jaya, Cikarang",
 "chronology":"Terjatuh dari tangga saat memindahkan barang di gudang",
 "injury":"Patah tulang lengan kiri","contact_name":"Budi Santoso",
 "contact_phone":"081298765432","consent":"patient"}
EOF
    desk sync &&
    cases=$(as_branch case list --clinic PLKK-PKG --json) &&
    grep -q '"Siti Rahmawati"' <<<"$cases"
}
check "a desk enrols, admits a case and syncs it to the installed branch" desk_syncs
# `plkk status` and `plkk-branch status` exit 10 when something needs attention. The clean root
# lives on this machine's disk, so a nearly full build disk is a true finding about the machine,
# not about the packages: that one problem (and only it) is accepted, and said.
healthy() {
  local answer status=0
  answer=$("$@" --json) || status=$?
  [ "$status" -eq 0 ] && return 0
  [ "$status" -eq 10 ] || { echo "$answer"; echo "exit status $status"; return 1; }
  echo "$answer" | python3 -c '
import json, sys
codes = sorted({problem["code"] for problem in json.load(sys.stdin)["problems"]})
print("problems:", codes)
sys.exit(0 if codes == ["disk_almost_full"] else 1)'
  echo "note: this machine's disk has less than 5 % free; status said so (exit 10)"
}
desk_healthy() { desk backup --output /root/backup.tar && healthy desk status; }
check "plkk backup, then plkk status reports no problem (but this machine's disk)" desk_healthy
check "plkk-branch status reports no problem (but this machine's disk)" healthy as_branch status

echo "packages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
