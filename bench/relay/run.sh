#!/bin/bash
# Benchmark: the mxir relay policy service against Debian's policyd-rate-limit and postfwd, with
# equivalent limits (150 messages per hour per SASL account), fed the same request stream by
# bench_relay_policy_load: RCPT, DATA and END-OF-MESSAGE for 100 000 messages from 500 accounts
# over 8 connections (one request outstanding per connection, as Postfix's smtpd does).
# Prints requests/s and p50/p99 latency side by side. Targets: >= 10x the faster peer's
# throughput, p99 < 1 ms. mxir runs with --case (every decision in the audit trail).
# The peers are far slower (policyd-rate-limit answers ~120 requests/s here), so they get the
# first PEER_MESSAGES messages of the same stream (default 3000); rates are per second either way.
# Usage: bench/relay/run.sh BUILD_DIR [MESSAGES [PEER_MESSAGES]]
set -u
BUILD=${1:?usage: bench/relay/run.sh BUILD_DIR [MESSAGES [PEER_MESSAGES]]}
MESSAGES=${2:-100000}
PEER_MESSAGES=${3:-3000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "$BUILD" && pwd)/bin
LOAD=$BIN/bench_relay_policy_load
[ -x "$LOAD" ] || { echo "build bench_relay_policy_load first" >&2; exit 2; }
T=$(mktemp -d /tmp/mxir-relay-bench-XXXXXX)
chmod 755 "$T"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  # postfwd2 daemonizes: stop the processes listening on the two ports this run gave it.
  [ -n "${P3:-}" ] && fuser -k -n tcp "$P3" "$P4" >/dev/null 2>&1
  sleep 0.3
  rm -rf "$T"
}
trap cleanup EXIT
read -r P1 P2 P3 P4 <<<"$(bash "$ROOT/tests/integration/lab/mail-lab.sh" free-ports 4)"
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
row() { printf '%-22s %s\n' "$1" "$2"; }

# --- mxir relay policy ---------------------------------------------------------------------
echo x >"$T/pw" && chmod 600 "$T/pw"
cat >"$T/relay.ini" <<INI
[relay]
listen_ip = 127.0.0.1
hostname = relay.company.example
domains = company.example
instance_dir = $T/inst
tls_cert_file = /dev/null
tls_key_file = /dev/null
max_messages_per_hour = 150
max_recipients_per_hour = 100000
max_recipients_per_hour_per_client = 10000000
max_recipient_domains_per_hour = 100000
max_recipients_per_message = 100
[logins]
relay = secret_file:$T/pw
INI
mkdir -p "$T/inst"
"$BIN/mxir" case new --case "$T/bench.case" --title bench >/dev/null
"$BIN/mxir" relay policy --config "$T/relay.ini" --listen "inet:127.0.0.1:$P1" --case "$T/bench.case" \
  2>"$T/mxir.log" &
PIDS+=($!)
wait_port "$P1" || { cat "$T/mxir.log"; exit 1; }
MXIR=$("$LOAD" --port "$P1" --messages "$MESSAGES")

# --- policyd-rate-limit (Debian) --------------------------------------------------------------
PRL="not run (apt-get install policyd-rate-limit)"
if command -v policyd-rate-limit >/dev/null; then
  mkdir -p "$T/prl" && chown nobody "$T/prl"
  cat >"$T/prl.yaml" <<YAML
debug: False
user: "nobody"
group: "nogroup"
pidfile: "$T/prl/prl.pid"
sqlite_config:
    database: "$T/prl/db.sqlite3"
backend: 0
SOCKET: ["127.0.0.1", $P2]
socket_permission: 0666
limits:
    - [150, 3600]
limits_by_id: {}
limit_by_sasl: True
limit_by_sender: False
limit_by_ip: False
limited_networks: []
success_action: "dunno"
fail_action: "defer_if_permit Rate limit reach, retry later"
db_error_action: "dunno"
report: False
delay_to_close: 300
YAML
  policyd-rate-limit --file "$T/prl.yaml" >"$T/prl.log" 2>&1 &
  PIDS+=($!)
  if wait_port "$P2"; then
    PRL=$("$LOAD" --port "$P2" --messages "$PEER_MESSAGES")
  else
    PRL="did not start: $(tail -3 "$T/prl.log")"
  fi
fi

# --- postfwd (Debian) ------------------------------------------------------------------------
PFW="not run (apt-get install postfwd)"
if command -v postfwd2 >/dev/null; then
  cat >"$T/postfwd.cf" <<CF
id=RATE150; protocol_state==RCPT; sasl_username=~.; action=rate(sasl_username/150/3600/defer_if_permit rate limit reached)
CF
  postfwd2 --file "$T/postfwd.cf" --interface 127.0.0.1 --port "$P3" --user nobody --group nogroup \
    --cache_port "$P4" --nodns >"$T/postfwd.log" 2>&1
  if wait_port "$P3"; then
    PFW=$("$LOAD" --port "$P3" --messages "$PEER_MESSAGES")
  else
    PFW="did not start: $(tail -3 "$T/postfwd.log")"
  fi
fi

echo "Policy service: messages x (RCPT, DATA, END-OF-MESSAGE) from 500 accounts, 8 connections"
echo "(mxir: $MESSAGES messages; peers: the first $PEER_MESSAGES of the same stream):"
row "mxir relay policy" "$MXIR"
row "policyd-rate-limit" "$PRL"
row "postfwd2" "$PFW"
python3 - "$MXIR" "$PRL" "$PFW" <<'PY'
import json, sys
def load(s):
    try: return json.loads(s)
    except Exception: return None
m, a, b = (load(x) for x in sys.argv[1:4])
peers = [p for p in (a, b) if p]
if m and peers:
    best = max(p["requests_per_second"] for p in peers)
    print("mxir / faster peer: %.1fx requests/s (target >= 10x); mxir p99 %d us (target < 1000 us)"
          % (m["requests_per_second"] / best, m["p99_us"]))
PY
