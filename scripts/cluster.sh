#!/usr/bin/env bash
# The README's main job: on this machine, build the lab (master, pollers, simulated devices),
# deploy the cluster into it with `nms deploy`, wait for the first polls, and show `nms status`.
#   bash scripts/cluster.sh [--pollers N] [--devices M]
set -euo pipefail
cd "$(dirname "$0")/.."
pollers=2; devices=50
while [ $# -gt 0 ]; do
  case "$1" in
    --pollers) pollers=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    *) echo "usage: $0 [--pollers N] [--devices M]" >&2; exit 2 ;;
  esac
done
bash scripts/install-deps.sh
node scripts/build.mjs
# A lab of another shape (left from an earlier run) is taken down and built again.
if ! out=$(node bin/nms.js lab up --pollers "$pollers" --devices "$devices" 2>&1); then
  if grep -q 'already up with' <<<"$out"; then
    echo "a lab of another shape is up: taking it down and building this one"
    node bin/nms.js lab down
    node bin/nms.js lab up --pollers "$pollers" --devices "$devices"
  else
    echo "$out" >&2; exit 1
  fi
else
  echo "$out"
fi
node bin/nms.js deploy -i inventories/lab
# The first cycle (discovery, then a poll of every device) takes a little while: ask
# `nms status` until it reports healthy with every device polled, for up to 5 minutes, then
# show its verdict (and its exit code).
ready() {
  node bin/nms.js status -i inventories/lab --json 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      try { const r = JSON.parse(s); process.exit(r.healthy && r.cluster?.devices?.never_polled === 0 ? 0 : 1); }
      catch { process.exit(1); }
    });'
}
deadline=$((SECONDS + 300))
until ready; do
  if [ $SECONDS -ge $deadline ]; then break; fi
  echo "waiting for every device's first poll and a healthy report..."; sleep 5
done
rc=0
node bin/nms.js status -i inventories/lab || rc=$?
# The web UI: where it is and where the first administrator's password is kept.
server_name=$(awk '/server_name:/ {print $2; exit}' inventories/lab/hosts.yaml)
echo
echo "web UI: https://198.18.0.10/ (nginx server_name ${server_name:-198.18.0.10}; self-signed certificate)"
echo "  log in as $(awk '/admin_user:/ {print $2; exit}' inventories/lab/hosts.yaml | grep . || echo admin); password: web_admin_password in inventories/lab/secrets.yaml"
echo "  e.g. awk '/^web_admin_password:/ {print \$2}' inventories/lab/secrets.yaml"
exit $rc
