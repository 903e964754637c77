#!/usr/bin/env bash
# Shows the sync on one machine: starts a local branch server with a demo clinic, enrols a demo
# desk to it, admits a case at the desk, sends it, sets the branch's status for it and pulls the
# status back. Leaves the branch running (its pid is printed) and a desk data directory ready for
# the app: PLKK_DATA_DIR=<dir> target/release/plkk-desk
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
(cd ui && npm run build >/dev/null)
cargo build --release -p plkk -p plkk-branch -p plkk-desk

demo=${DEMO_DIR:-$(mktemp -d -t plkk-demo-XXXX)}
branch_dir="$demo/branch"
export PLKK_DATA_DIR="$demo/desk"
address=127.0.0.1:${DEMO_PORT:-8700}
plkk_branch() { target/release/plkk-branch --data-dir "$branch_dir" "$@"; }
plkk() { target/release/plkk "$@"; }

plkk_branch clinic add --code PLKK-BKS-01 --name "Klinik Sehat Cikarang (demo)"
code=$(plkk_branch enroll-code --clinic PLKK-BKS-01 | tail -n 1)
plkk_branch serve --listen "$address" > "$demo/branch.log" 2>&1 &
branch_pid=$!
for _ in $(seq 50); do curl -fsS "http://$address/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done

# A demo desk with demo passwords (never use these at a clinic).
PLKK_PASSWORD=admin-demo-1 plkk setup --admin-user admin --admin-name "Admin Demo" > "$demo/recovery-key.txt"
PLKK_USER=admin PLKK_PASSWORD=admin-demo-1 PLKK_NEW_PASSWORD=rina-demo-1 \
  plkk account add --username rina --name "Rina (demo)" --role receptionist
export PLKK_USER=admin PLKK_PASSWORD=admin-demo-1
plkk enroll --branch "http://$address" --code "$code" --name "Meja depan (demo)"
case_id=$(plkk intake add --file tests/fixtures/intake.json | tail -n 1)
plkk sync
plkk_branch case status "$case_id" guarantee_issued --reference SJ-DEMO-0001
plkk sync
plkk intake show "$case_id" --json | grep -E '"(full_name|sync_state|status)"'

cat <<DONE

Demo ready.
  branch server:  http://$address  (pid $branch_pid, data in $branch_dir, log $demo/branch.log)
  desk data:      $PLKK_DATA_DIR
  open the app:   PLKK_DATA_DIR=$PLKK_DATA_DIR target/release/plkk-desk
  sign in as:     admin / admin-demo-1  or  rina / rina-demo-1  (recovery key in $demo/recovery-key.txt)
  stop the branch: kill $branch_pid
DONE
