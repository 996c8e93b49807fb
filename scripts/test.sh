#!/usr/bin/env bash
# The README's test command (`npm test`): installs what the tests need on a fresh Debian
# machine, builds, type-checks and lints, then runs the tiers.
#   bash scripts/test.sh all|unit|integration|e2e [test files...]
# unit: no services. integration: real MariaDB, Redis, memcached, rrdcached, snmpd and snmpsim
# on loopback (scripts/test-services.sh). e2e: the lab (network namespaces, real sshd).
set -uo pipefail
cd "$(dirname "$0")/.."
tier=${1:-all}; shift || true

bash scripts/install-deps.sh || exit 1
node scripts/build.mjs || exit 1

status=0
if [ "$tier" = all ] || [ "$tier" = unit ]; then
  # Both run before the tests; a failure fails the run but the tests still run, so one
  # report shows everything that is wrong.
  echo "== typecheck"; npx tsc --noEmit -p tsconfig.json || { echo "typecheck failed"; status=1; }
  echo "== lint (eslint, prettier, import cycles)"; npm run -s lint || { echo "lint failed"; status=1; }
fi

results=$(mktemp -d)
run_tier() { # name, dir, [files...]
  local name=$1 dir=$2; shift 2
  local files=("$@")
  if [ "${#files[@]}" -eq 0 ]; then mapfile -t files < <(find "$dir" -name '*.test.ts' 2>/dev/null | sort); fi
  # A tier without tests has tested nothing: that fails the run.
  if [ "${#files[@]}" -eq 0 ]; then echo "== $name: no test files (a tier with no tests fails)"; return 1; fi
  echo "== $name (${#files[@]} files)"
  local conc=2; [ "$name" = unit ] || conc=1
  node --import tsx --test --test-concurrency="$conc" --test-timeout="${NMS_TEST_TIMEOUT:-600000}" \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$results/$name.tap" "${files[@]}"
}

if [ "$tier" = all ] || [ "$tier" = unit ]; then run_tier unit test/unit "$@" || status=1; fi
integration_tier() {
  bash scripts/test-services.sh start || return 1
  set -a; eval "$(bash scripts/test-services.sh env)"; set +a
  run_tier integration test/integration "$@"
}
e2e_tier() {
  # Start from a fresh lab: one left by another clone or an earlier session (its processes
  # gone, its namespaces, mounts and databases maybe not) must not leak state into these tests.
  # One lab per machine: the lock keeps two runs (two clones) from taking it down under each other.
  exec 9>/var/lock/nms-lab.lock; flock 9
  node bin/nms.js lab down >/dev/null 2>&1 || true
  run_tier e2e test/e2e "$@"; local rc=$?
  # and leave none behind (its agents and simulator would go on using the machine);
  # NMS_TEST_KEEP_LAB=1 keeps it for a look after a failure
  [ "${NMS_TEST_KEEP_LAB:-}" = 1 ] || node bin/nms.js lab down >/dev/null 2>&1 || true
  flock -u 9
  return $rc
}
if [ "$tier" = all ] && [ "${NMS_TEST_SERIAL:-}" != 1 ]; then
  # The two tiers share nothing (loopback services against the lab's namespaces) and mostly
  # wait (on cycles, deploys, SSH): run at once, they keep the whole run well under 30 minutes.
  # The integration tier's report is printed when both are done; NMS_TEST_SERIAL=1 runs them
  # one after the other instead.
  integration_tier "$@" >"$results/integration.out" 2>&1 &
  integration_pid=$!
  e2e_tier "$@" || status=1
  wait "$integration_pid" || status=1
  cat "$results/integration.out"
else
  if [ "$tier" = all ] || [ "$tier" = integration ]; then integration_tier "$@" || status=1; fi
  if [ "$tier" = all ] || [ "$tier" = e2e ]; then e2e_tier "$@" || status=1; fi
fi

pass=0; fail=0; skip=0
for f in "$results"/*.tap; do
  [ -f "$f" ] || continue
  p=$(grep -E '^# pass ' "$f" | tail -1 | awk '{print $3}'); pass=$((pass + ${p:-0}))
  x=$(grep -E '^# fail ' "$f" | tail -1 | awk '{print $3}'); fail=$((fail + ${x:-0}))
  # tests cancelled because their setup (a before hook) failed are failures
  c=$(grep -E '^# cancelled ' "$f" | tail -1 | awk '{print $3}'); fail=$((fail + ${c:-0}))
  s=$(grep -E '^# skipped ' "$f" | tail -1 | awk '{print $3}'); skip=$((skip + ${s:-0}))
done
# Skips are listed; in CI (CI=true) one not on test/allowed-skips.txt (with its reason) fails the run.
node scripts/check-skips.mjs test/allowed-skips.txt "$results"/*.tap || status=1
# the failures again, with their errors, at the end where a truncated log still shows them
node scripts/failures.mjs "$results"/*.tap
rm -rf "$results"
[ "$fail" -gt 0 ] && status=1
echo "tests: $pass passed, $fail failed, $skip skipped"
exit $status
