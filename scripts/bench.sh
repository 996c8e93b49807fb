#!/usr/bin/env bash
# npm run bench [-- NAME...]: runs the benchmarks (default: all) and writes each one's section
# into docs/benchmarks.md. None is pass/fail; each prints its table and ratio.
#   rrd     values/s into rrdcached over TCP: nms client vs rrdtool (needs rrdtool, rrdcached)
#   poll    nms Poller vs Prometheus snmp_exporter on the same simulated fleet
#   scale   100 / 1,000 (/ 10,000) simulated devices through one agent end to end
#   deploy  nms deploy vs ansible-playbook on the lab (needs a lab: nms lab up)
#   status  nms status on the deployed lab (hyperfine)
#   web     web UI pages and graphs (test services, chromium)
#   ping    one poller's ping round of 1,000 and 10,000 devices (fping, MariaDB, rrdcached)
#   inventory  nms inventory check on a generated 40,000-device inventory (≤ 1 s, ≤ 200 MiB)
#   agent   real nms-agent processes end to end: 1,000 and 10,000 devices on one agent, 30,000 on
#           three, three 300 s cycles each (not in the default list); NMS_BENCH_AGENT_COMPARE=1000 adds
#           agent-vs-exporter (nms-agent vs snmp_exporter on the same work; alone with NMS_BENCH_AGENT_RUNS="")
# Sizes: NMS_BENCH_POLL_DEVICES, NMS_BENCH_SCALE_SIZES (e.g. "100 1000 10000"); see bench/*.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(rrd poll scale deploy status web inventory)
node scripts/build.mjs
status=0
for n in "${names[@]}"; do
  if [ ! -f "bench/$n.ts" ]; then echo "bench: no benchmark named $n (bench/*.ts)" >&2; exit 2; fi
  echo "== bench $n" >&2
  # one bench failing does not stop the others; the exit code says that one failed.
  # Exit 3 is a bench that had nothing to run on (deploy/status without a healthy lab).
  rc=0
  timeout "${NMS_BENCH_TIMEOUT:-3600}" node --import tsx "bench/$n.ts" || rc=$?
  if [ $rc -eq 3 ]; then echo "bench $n skipped" >&2
  elif [ $rc -ne 0 ]; then echo "bench $n failed (exit $rc)" >&2; status=1; fi
done
exit $status
