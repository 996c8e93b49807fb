#!/usr/bin/env bash
# Installs the Debian packages nms needs on this machine (the lab's hosts see them through
# their overlay's lower layer) and the npm dependencies. Safe to run again: it only acts on
# what is missing. Services are not started by the packages' maintainer scripts (policy-rc.d),
# so a fresh install does not leave daemons running in the machine's own namespace.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(openssh-server openssh-client redis-server redis-tools mariadb-server mariadb-client
  memcached libmemcached-tools rrdcached rrdtool snmpd snmp snmpsim nginx nftables iproute2
  curl openssl procps sudo ca-certificates
  fping monitoring-plugins-basic rsyslog redis-sentinel git chromium)
if [ "${NMS_BENCH:-}" = 1 ]; then
  PKGS+=(prometheus-snmp-exporter ansible hyperfine)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "nms: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "nms: installing Debian packages: ${missing[*]}"
  policy_set=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy_set=1
  fi
  trap '[ "$policy_set" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "nms: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
