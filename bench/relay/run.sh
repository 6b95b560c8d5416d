#!/bin/bash
# Benchmark: the mxir relay policy service against Debian's policyd-rate-limit and postfwd2, with
# equivalent limits (150 messages per hour per SASL login, counted at RCPT; every message has one
# recipient, so messages = recipients), fed the same request stream by bench_relay_policy_load:
# RCPT, DATA and END-OF-MESSAGE for 100 000 messages from 500 accounts over 8 connections (one
# request outstanding per connection, as Postfix's smtpd does; a deferred message ends at its
# RCPT, as in Postfix). Each listens as its Debian package sets it up: mxir and policyd-rate-limit
# on a unix socket (the relay's Postfix reaches mxir at private/mxir-policy), postfwd2 on TCP
# (127.0.0.1; it is also faster there than on a unix socket in our runs). Prints requests/s and p50/p99 latency side by side. Targets: >= 10x the
# faster peer's throughput, p99 < 1 ms. mxir runs as in production: counters on disk (group
# commit: an END-OF-MESSAGE is answered only once its counts are written) and every decision in
# the case's audit trail (--case).
# The peers are far slower (policyd-rate-limit commits to SQLite and counts its table on every
# request), so they get a prefix of the same stream (PEER_MESSAGES, default 3000 for
# policyd-rate-limit, 10x that for postfwd2); mxir is also run on the same prefixes. Rates are per
# second either way.
# Then end to end (bench/relay/e2e.sh): smtp-source -> Postfix -> smtp-sink with and without the
# policy service.
# postfwd2 always daemonizes; this script runs as a child subreaper (PR_SET_CHILD_SUBREAPER) so
# the daemons it starts stay its descendants and are reaped here, never left defunct.
# The load generator drives its connections from one thread (--client events, still one request
# outstanding per connection); RELAY_BENCH_CLIENT=threads gives it a blocking thread per
# connection instead (on 2 cores, those threads' wake-ups cost about as much CPU as the service
# measured). Every service gets the same client. RELAY_BENCH_E2E=no skips the end-to-end part.
# Usage: bench/relay/run.sh BUILD_DIR [MESSAGES [PEER_MESSAGES]]
set -u
if [[ -z ${MXIR_BENCH_SUBREAPER:-} ]]; then
  export MXIR_BENCH_SUBREAPER=1
  exec python3 -c 'import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
    sys.stderr.write("warning: cannot become a child subreaper; daemons may stay defunct\n")
os.execvp("bash", ["bash"] + sys.argv[1:])' "$0" "$@"
fi
BUILD=${1:?usage: bench/relay/run.sh BUILD_DIR [MESSAGES [PEER_MESSAGES]]}
MESSAGES=${2:-100000}
PRL_MESSAGES=${3:-3000}
PFW_MESSAGES=$((PRL_MESSAGES * 10))
# The load generator's client: events (one thread, epoll over all connections; default) or
# threads (a blocking thread per connection). The same for every service measured.
CLIENT=${RELAY_BENCH_CLIENT:-events}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "$BUILD" && pwd)/bin
LOAD=$BIN/bench_relay_policy_load
[ -x "$LOAD" ] || { echo "build bench_relay_policy_load first" >&2; exit 2; }
T=$(mktemp -d /tmp/mxir-relay-bench-XXXXXX)
chmod 755 "$T"
PIDS=()
# stop_wait PID...: TERM, then wait (reaps it); KILL after 5 s.
stop_wait() {
  local p i
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for p in "$@"; do
    for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
}
stop_postfwd() {
  [[ -s $T/postfwd.pid ]] || return 0
  local master
  master=$(cat "$T/postfwd.pid")
  kill -TERM "$master" 2>/dev/null
  for ((i = 0; i < 50; i++)); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
  # Its cache and server daemons end with it; whatever still holds its sockets is killed.
  fuser -k -n tcp "$PFW_PORT" >/dev/null 2>&1
  fuser -k "$T/pfw/cache.sock" >/dev/null 2>&1
  rm -f "$T/postfwd.pid"
}
cleanup() {
  stop_postfwd
  stop_wait "${PIDS[@]}"
  # Reap every descendant that was re-parented to this subreaper (daemons' exited processes).
  wait 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
# wait_sock PATH|PORT: until a policy service answers connections there (at most 10 s).
wait_sock() {
  local how=(--unix "$1")
  [[ $1 == /* ]] || how=(--port "$1")
  for _ in $(seq 1 100); do
    "$LOAD" "${how[@]}" --messages 0 --connections 1 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
PFW_PORT=$(bash "$ROOT/tests/integration/lab/mail-lab.sh" free-ports 1)
row() { printf '%-34s %s\n' "$1" "$2"; }

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
# mxir_run NAME MESSAGES: a fresh policy service (new counters, new case), one load run.
mxir_run() {
  rm -rf "$T/inst" "$T/$1.case"* && mkdir -p "$T/inst"
  "$BIN/mxir" case new --case "$T/$1.case" --title bench >/dev/null
  "$BIN/mxir" relay policy --config "$T/relay.ini" --listen "unix:$T/mxir.sock" \
    --case "$T/$1.case" 2>"$T/mxir-$1.log" &
  local pid=$!
  if ! wait_sock "$T/mxir.sock"; then
    cat "$T/mxir-$1.log" >&2
    stop_wait "$pid"
    echo '"did not start"'
    return
  fi
  "$LOAD" --unix "$T/mxir.sock" --messages "$2" --client "$CLIENT"
  stop_wait "$pid"
  # Every decision must be in the case once the service stopped.
  local n
  n=$(sqlite3 "$T/$1.case" "SELECT count(*) FROM actions WHERE action LIKE 'policy %'")
  echo "  ($1: $n decisions in the case's audit trail)" >&2
}
MXIR=$(mxir_run full "$MESSAGES")
MXIR_PRL=$(mxir_run prl "$PRL_MESSAGES")
MXIR_PFW=$(mxir_run pfw "$PFW_MESSAGES")

# --- policyd-rate-limit (Debian) --------------------------------------------------------------
PRL='"not run: policyd-rate-limit is not installed (./run deps bench)"'
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
SOCKET: "$T/prl/policy.sock"
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
  prl_pid=$!
  if wait_sock "$T/prl/policy.sock"; then
    PRL=$("$LOAD" --unix "$T/prl/policy.sock" --messages "$PRL_MESSAGES" --client "$CLIENT")
  else
    PRL="\"did not start: $(tail -1 "$T/prl.log")\""
  fi
  stop_wait "$prl_pid"
fi

# --- postfwd2 (Debian) -----------------------------------------------------------------------
PFW='"not run: postfwd2 is not installed (./run deps bench)"'
if command -v postfwd2 >/dev/null; then
  cat >"$T/postfwd.cf" <<CF
id=RATE150; protocol_state==RCPT; sasl_username=~.; action=rate(sasl_username/150/3600/defer_if_permit rate limit reached)
CF
  mkdir -p "$T/pfw" && chown nobody "$T/pfw"  # it makes its sockets after dropping to nobody
  postfwd2 --file "$T/postfwd.cf" --server_socket "tcp:127.0.0.1:$PFW_PORT" --user nobody \
    --group nogroup --cache_socket "unix::$T/pfw/cache.sock" --nodns --pidfile "$T/postfwd.pid" \
    >"$T/postfwd.log" 2>&1
  if wait_sock "$PFW_PORT"; then
    PFW=$("$LOAD" --port "$PFW_PORT" --messages "$PFW_MESSAGES" --client "$CLIENT")
  else
    PFW="\"did not start: $(tail -1 "$T/postfwd.log")\""
  fi
  stop_postfwd
fi

echo "Policy service: RCPT, DATA, END-OF-MESSAGE per message, 500 accounts, 8 connections"
echo "(limit 150 messages/hour per login in all three; mxir also counts recipients, domains and"
echo " clients, keeps counters on disk and writes every decision to the case; mxir and"
echo " policyd-rate-limit on unix sockets, postfwd2 on TCP, as their packages set them up):"
row "mxir relay policy ($MESSAGES msgs)" "$MXIR"
row "mxir relay policy ($PFW_MESSAGES msgs)" "$MXIR_PFW"
row "postfwd2 ($PFW_MESSAGES msgs)" "$PFW"
row "mxir relay policy ($PRL_MESSAGES msgs)" "$MXIR_PRL"
row "policyd-rate-limit ($PRL_MESSAGES msgs)" "$PRL"
python3 - "$MXIR" "$MXIR_PFW" "$PFW" "$MXIR_PRL" "$PRL" <<'PY'
import json, sys
def load(s):
    try:
        v = json.loads(s)
        return v if isinstance(v, dict) else None
    except Exception:
        return None
full, m_pfw, pfw, m_prl, prl = (load(x) for x in sys.argv[1:6])
peers = [(n, p) for n, p in (("postfwd2", pfw), ("policyd-rate-limit", prl)) if p]
if full and peers:
    name, best = max(peers, key=lambda np: np[1]["requests_per_second"])
    print("mxir (whole stream) / faster peer (%s): %.1fx requests/s (target >= 10x); "
          "mxir p99 %d us (target < 1000 us)"
          % (name, full["requests_per_second"] / best["requests_per_second"],
             full["p99_us"]))
    for n, m, p in (("postfwd2", m_pfw, pfw), ("policyd-rate-limit", m_prl, prl)):
        if m and p:
            print("same prefix as %s: mxir %.1fx its requests/s" %
                  (n, m["requests_per_second"] / p["requests_per_second"]))
PY
[[ ${RELAY_BENCH_E2E:-yes} == no ]] && exit 0
bash "$ROOT/bench/relay/e2e.sh" "$BUILD" 2>&1 || echo "end-to-end benchmark failed (above)"
