#!/usr/bin/env bash
# Starts (or stops) the real services the integration tier talks to, on loopback ports of
# their own, with data under $NMS_TEST_DIR, so services already running on this machine are
# left alone. `start` is idempotent: a service already answering is kept.
# Ports: MariaDB 13306, Redis 16379, memcached 11311, rrdcached 42227, snmpd 16161,
#        snmpsim 16162 (59-port Cisco recording, community cisco_16_switch).
set -euo pipefail
D=${NMS_TEST_DIR:-/tmp/nms-test-services}
cmd=${1:-start}
mkdir -p "$D" && chmod 1777 "$D"

# A pid file names a live process (a zombie that was killed but not yet reaped does not count).
alive() {
  [ -f "$1" ] || return 1
  local pid; pid=$(cat "$1")
  kill -0 "$pid" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$pid/stat" 2>/dev/null
}

wait_for() { # name, command
  for _ in $(seq 1 100); do eval "$2" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "test-services: $1 did not come up; see $D/$1.log" >&2; return 1
}

start_mariadb() {
  alive "$D/mariadb.pid" && return 0
  mkdir -p "$D/mariadb-run" && chown mysql:mysql "$D/mariadb-run"
  if [ ! -d "$D/mariadb/mysql" ]; then
    rm -rf "$D/mariadb"; mkdir -p "$D/mariadb" && chown mysql:mysql "$D/mariadb"
    mariadb-install-db --user=mysql --datadir="$D/mariadb" --auth-root-authentication-method=socket >"$D/mariadb-install.log" 2>&1
  fi
  rm -f "$D/mariadb.sock"
  setsid mariadbd --user=mysql --datadir="$D/mariadb" --bind-address=127.0.0.1 --port=13306 \
    --socket="$D/mariadb.sock" --pid-file="$D/mariadb-run/mariadb.pid" --skip-name-resolve \
    --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=2 --log-error="$D/mariadb-run/mariadb.log" \
    --max-connections=500 </dev/null >/dev/null 2>&1 &
  echo $! >"$D/mariadb.pid"
  wait_for mariadb "mariadb --socket=$D/mariadb.sock -e 'select 1'"
  mariadb --socket="$D/mariadb.sock" -e "CREATE USER IF NOT EXISTS 'nmstest'@'127.0.0.1' IDENTIFIED BY 'nmstest'; GRANT ALL ON *.* TO 'nmstest'@'127.0.0.1' WITH GRANT OPTION;"
}

start_redis() {
  alive "$D/redis.pid" && return 0
  redis-server --bind 127.0.0.1 --port 16379 --daemonize yes --pidfile "$D/redis.pid" \
    --logfile "$D/redis.log" --dir "$D" --save '' --appendonly no --maxmemory-policy noeviction
  wait_for redis "redis-cli -p 16379 ping"
}

start_memcached() {
  alive "$D/memcached.pid" && return 0
  memcached -d -u nobody -l 127.0.0.1 -p 11311 -m 64 -P "$D/memcached.pid"
  wait_for memcached "test -s $D/memcached.pid"
}

rrdcached_ping() ( exec 3<>/dev/tcp/127.0.0.1/42227 && echo PING >&3 && timeout 1 head -1 <&3 | grep -q PONG )

start_rrdcached() {
  alive "$D/rrdcached.pid" && return 0
  mkdir -p "$D/rrd" "$D/rrd-journal"
  # after a kill -9 the pid file and the socket stay behind, and either blocks a restart
  rm -f "$D/rrdcached.pid" "$D/rrdcached.sock"
  rrdcached -p "$D/rrdcached.pid" -j "$D/rrd-journal" -b "$D/rrd" -B -F -R -w 60 -z 10 -t 4 \
    -l "127.0.0.1:42227" -l "unix:$D/rrdcached.sock"
  wait_for rrdcached "rrdcached_ping"
}

start_snmpd() {
  alive "$D/snmpd.pid" && return 0
  mkdir -p "$D/snmpd-persist"
  cat >"$D/snmpd.conf" <<CONF
rocommunity public 127.0.0.1
createUser nmsv3 SHA nmsv3authpass AES nmsv3privpass
rouser nmsv3 priv
sysName nms-test-snmpd
sysLocation nms test rack
CONF
  MIBS= snmpd -C -c "$D/snmpd.conf" -p "$D/snmpd.pid" -Lf "$D/snmpd.log" -u nobody -g nogroup --persistentDir="$D/snmpd-persist" udp:127.0.0.1:16161
  wait_for snmpd "snmpget -v2c -c public -t 0.3 -r 0 127.0.0.1:16161 1.3.6.1.2.1.1.5.0"
}

start_snmpsim() {
  alive "$D/snmpsim.pid" && return 0
  mkdir -p "$D/snmpsim-data" "$D/snmpsim-cache"
  [ -f "$D/snmpsim-data/cisco_16_switch.snmprec" ] || zcat /usr/share/doc/snmpsim/examples/data/cisco_16_switch.snmprec.gz >"$D/snmpsim-data/cisco_16_switch.snmprec"
  chmod -R a+rX "$D/snmpsim-data"; chown nobody "$D/snmpsim-cache"
  (setsid snmpsimd --data-dir="$D/snmpsim-data" --cache-dir="$D/snmpsim-cache" --agent-udpv4-endpoint=127.0.0.1:16162 \
    --process-user=nobody --process-group=nogroup </dev/null >"$D/snmpsim.log" 2>&1 & echo $! >"$D/snmpsim.pid")
  wait_for snmpsim "snmpget -v2c -c cisco_16_switch -t 0.5 -r 0 127.0.0.1:16162 1.3.6.1.2.1.1.5.0"
}

stop_one() { if alive "$D/$1.pid"; then kill "$(cat "$D/$1.pid")" 2>/dev/null || true; fi; rm -f "$D/$1.pid"; }

case "$cmd" in
  start)
    for s in ${NMS_TEST_SERVICES:-mariadb redis memcached rrdcached snmpd snmpsim}; do "start_$s"; done ;;
  stop)
    for s in ${2:-mariadb redis memcached rrdcached snmpd snmpsim}; do stop_one "$s"; done ;;
  start-one) "start_$2" ;;
  env)
    cat <<ENV
NMS_TEST_DB=mysql://nmstest:nmstest@127.0.0.1:13306
NMS_TEST_REDIS=127.0.0.1:16379
NMS_TEST_MEMCACHED=127.0.0.1:11311
NMS_TEST_RRDCACHED=127.0.0.1:42227
NMS_TEST_RRDCACHED_SOCK=$D/rrdcached.sock
NMS_TEST_RRD_DIR=$D/rrd
NMS_TEST_SNMPD=127.0.0.1:16161
NMS_TEST_SNMPSIM=127.0.0.1:16162
ENV
    ;;
  *) echo "usage: $0 start|stop [names]|start-one NAME|env" >&2; exit 2 ;;
esac
