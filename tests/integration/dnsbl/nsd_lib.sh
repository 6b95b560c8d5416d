# Shared by the dnsbl integration tests: a private nsd on 127.0.0.1 under a temp directory.
#   nsd_setup DIR PORT ZONE...   write nsd.conf for the zones (zone files DIR/ZONE.zone)
#   nsd_start / nsd_stop         start (and wait until it answers) / stop it
# Zone files are written by the test with zone_file ZONE "RECORD..." lines.

NSD_BIN=${NSD_BIN:-/usr/sbin/nsd}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

need_tools() {
  if [ ! -x "$NSD_BIN" ]; then
    echo "skip: nsd is not installed (Debian package nsd, deps/test-servers.txt)" >&2
    exit 77
  fi
  if [ ! -x "$MXIR_BIN_DIR/mxir-dnsbl" ]; then
    echo "skip: mxir-dnsbl was not built (c-ares missing?)" >&2
    exit 77
  fi
}

nsd_setup() {
  NSD_DIR=$1
  NSD_PORT=$2
  shift 2
  NSD_ZONES=("$@")
  {
    echo "server:"
    echo "  ip-address: 127.0.0.1@$NSD_PORT"
    echo "  port: $NSD_PORT"
    echo "  username: \"\""
    echo "  chroot: \"\""
    echo "  zonesdir: \"$NSD_DIR\""
    echo "  pidfile: \"$NSD_DIR/nsd.pid\""
    echo "  database: \"\""
    echo "  xfrdfile: \"$NSD_DIR/xfrd.state\""
    echo "  xfrdir: \"$NSD_DIR\""
    echo "  zonelistfile: \"$NSD_DIR/zone.list\""
    echo "  logfile: \"$NSD_DIR/nsd.log\""
    echo "  server-count: 1"
    echo "  verbosity: 0"
    echo "  hide-version: yes"
    echo "  do-ip6: no"
    echo "remote-control:"
    echo "  control-enable: no"
    for z in "${NSD_ZONES[@]}"; do
      echo "zone:"
      echo "  name: \"$z\""
      echo "  zonefile: \"$z.zone\""
    done
  } > "$NSD_DIR/nsd.conf"
}

# zone_file ZONE [RECORD...]: a zone with SOA and NS plus the given records ("NAME TYPE DATA").
zone_file() {
  local z=$1
  shift
  {
    echo "\$ORIGIN $z."
    echo "\$TTL 60"
    echo "@ IN SOA ns.$z. hostmaster.$z. 1 3600 600 86400 60"
    echo "@ IN NS ns.$z."
    echo "ns IN A 127.0.0.1"
    for r in "$@"; do echo "$r"; done
  } > "$NSD_DIR/$z.zone"
}

nsd_start() {
  "$NSD_BIN" -c "$NSD_DIR/nsd.conf" -d >> "$NSD_DIR/nsd.stdout" 2>&1 &
  NSD_PID=$!
  if ! python3 "$HERE/dns_helpers.py" wait "$NSD_PORT" "${NSD_ZONES[0]}" 10; then
    echo "nsd did not start; its log:" >&2
    cat "$NSD_DIR/nsd.log" "$NSD_DIR/nsd.stdout" >&2 2>/dev/null
    return 1
  fi
}

nsd_stop() {
  if [ -n "${NSD_PID:-}" ]; then
    kill "$NSD_PID" 2>/dev/null
    for _ in $(seq 1 50); do
      kill -0 "$NSD_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$NSD_PID" 2>/dev/null
    wait "$NSD_PID" 2>/dev/null
    NSD_PID=
  fi
}
