#!/bin/bash
# End-to-end benchmark: smtp-source -> the relay's Postfix -> smtp-sink, with and without the
# policy service, on a bench-only instance: `mxir relay config` + `mxir relay up` on loopback
# (private directories, random ports, upstream = smtp-sink), plus one bench listener that needs
# no STARTTLS (smtp-source can do neither TLS nor AUTH). bench_relay_xclient_shim logs each
# smtp-source session in as the relay login with XCLIENT, so Postfix relays it and the policy
# service sees the login exactly as after AUTH (the shim is in both runs). "Without" = the same
# instance with the three check_policy_service lookups removed (postconf + postfix reload).
# Messages/s = messages / (first connection .. the queue empty: every message delivered to the
# sink). E2E_ROUNDS rounds (default 8) of one run each, in the order without,with / with,without /
# without,with ... (so neither side always runs first, after the other's reload); the medians are
# compared, and each round's with/without (two runs seconds apart, under the same load from
# whatever else runs on the machine) is printed with the median and range of those ratios.
# Target: with >= 90 % of without.
# Usage: bench/relay/e2e.sh BUILD_DIR [MESSAGES]   (root: a private Postfix is started)
set -u -o pipefail
BUILD=${1:?usage: bench/relay/e2e.sh BUILD_DIR [MESSAGES]}
N=${2:-${E2E_MESSAGES:-2000}}
ROUNDS=${E2E_ROUNDS:-8}
# 20 sessions at once: Postfix's default concurrency per destination, i.e. what a company MTA
# opens to its relayhost.
SESSIONS=${E2E_SESSIONS:-20}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(cd "$BUILD" && pwd)/bin
export PATH=$PATH:/usr/sbin
echo
echo "End to end: smtp-source -> Postfix (the relay's generated instance) -> smtp-sink"
for t in postfix postconf postqueue smtp-source smtp-sink dovecot openssl; do
  command -v "$t" >/dev/null || { echo "  not run: $t is not installed (./run deps test)"; exit 0; }
done
[[ $(id -u) -eq 0 ]] || { echo "  not run: a private Postfix must be started as root"; exit 0; }
for b in mxir bench_relay_xclient_shim; do
  [[ -x $BIN/$b ]] || { echo "  not run: build $b first"; exit 0; }
done
W=$(mktemp -d /tmp/mxir-relay-e2e-XXXXXX) || exit 1
chmod 755 "$W"
SINK_PID= SHIM_PID=
cleanup() {
  [[ -f $W/relay.ini ]] && "$BIN/mxir" relay down --config "$W/relay.ini" >/dev/null 2>&1
  for p in $SHIM_PID $SINK_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [[ -n ${MXIR_KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT
read -r SUB BENCH SHIM SINK <<<"$(bash "$ROOT/tests/integration/lab/mail-lab.sh" free-ports 4)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=relay.bench.test" -keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1
chmod 644 "$W/cert.pem"
echo "Bench-pw-1" >"$W/relay.pw"
chmod 600 "$W/relay.pw"
# Limits far above the run: the policy does all its work (windows, commits, audit) and permits.
cat >"$W/relay.ini" <<INI
[relay]
listen_ip = 127.0.0.1
hostname = relay.bench.test
domains = company.example
submission_port = $SUB
submissions_port = 0
instance_dir = $W/inst
tls_cert_file = $W/cert.pem
tls_key_file = $W/key.pem
upstream = 127.0.0.1:$SINK
upstream_tls = none
dns = no
max_recipients_per_message = 100
max_recipients_per_hour = 10000000
max_messages_per_hour = 10000000
max_recipient_domains_per_hour = 100000
max_recipients_per_hour_per_client = 10000000
[logins]
relay = secret_file:$W/relay.pw
INI
"$BIN/mxir" case new --case "$W/bench.case" --title "relay e2e bench" >/dev/null || exit 1
smtp-sink -u postfix 127.0.0.1:"$SINK" 256 </dev/null >/dev/null 2>&1 &
SINK_PID=$!
"$BIN/mxir" relay config --config "$W/relay.ini" >"$W/config.out" 2>&1 ||
  { cat "$W/config.out"; exit 1; }
ETC=$W/inst/etc
# The bench listener: plain SMTP on loopback, XCLIENT allowed from loopback (the shim only).
# XCLIENT LOGIN needs SASL active in the session, i.e. AUTH offered without TLS: bench only.
postconf -c "$ETC" -M "127.0.0.1:$BENCH/inet=127.0.0.1:$BENCH inet n - n - - smtpd"
postconf -c "$ETC" -P "127.0.0.1:$BENCH/inet/syslog_name=mxir-relay/bench" \
  "127.0.0.1:$BENCH/inet/smtpd_tls_security_level=none" \
  "127.0.0.1:$BENCH/inet/smtpd_tls_auth_only=no" \
  "127.0.0.1:$BENCH/inet/smtpd_sasl_security_options=noanonymous" \
  "127.0.0.1:$BENCH/inet/smtpd_authorized_xclient_hosts=127.0.0.1"
# The relay's anvil backstop counts per client IP: everything here comes from 127.0.0.1.
postconf -c "$ETC" -e "smtpd_client_connection_count_limit = 0" \
  "smtpd_client_recipient_rate_limit = 0" "smtpd_client_message_rate_limit = 0"
"$BIN/mxir" relay up --config "$W/relay.ini" --case "$W/bench.case" >"$W/up.out" 2>&1 ||
  { cat "$W/up.out"; tail -5 "$W/inst/postfix.log" 2>/dev/null; exit 1; }
"$BIN/bench_relay_xclient_shim" --listen "$SHIM" --to "$BENCH" --login relay 2>"$W/shim.log" &
SHIM_PID=$!
WITH_RCPT=$(postconf -c "$ETC" -h smtpd_recipient_restrictions)
WITH_DATA=$(postconf -c "$ETC" -h smtpd_data_restrictions)
WITH_EOD=$(postconf -c "$ETC" -h smtpd_end_of_data_restrictions)
policy() {  # on|off
  if [[ $1 == on ]]; then
    postconf -c "$ETC" -e "smtpd_recipient_restrictions = $WITH_RCPT" \
      "smtpd_data_restrictions = $WITH_DATA" "smtpd_end_of_data_restrictions = $WITH_EOD"
  else
    postconf -c "$ETC" -e "smtpd_recipient_restrictions = reject_non_fqdn_recipient" \
      "smtpd_data_restrictions = reject_unauth_pipelining" "smtpd_end_of_data_restrictions ="
  fi
  postfix -c "$ETC" reload >/dev/null 2>&1
  sleep 1
}
queue_empty() { postqueue -c "$ETC" -p 2>/dev/null | grep -q 'Mail queue is empty'; }
sent_count() { grep -c 'status=sent' "$W/inst/postfix.log"; }
# run: sends N messages (SESSIONS sessions, 1 recipient, 2 KB each); prints messages/s, or FAIL.
run() {
  local before t0 t1 i
  before=$(sent_count)
  t0=$(date +%s.%N)
  smtp-source -s "$SESSIONS" -m "$N" -l 2048 -f bench@company.example -t rcpt@partner.example \
    -M client.bench.test 127.0.0.1:"$SHIM" >"$W/source.log" 2>&1 || { echo "FAIL"; return; }
  for ((i = 0; i < 600; i++)); do queue_empty && break; sleep 0.05; done
  t1=$(date +%s.%N)
  local got=$(($(sent_count) - before))
  if [[ $got -ne $N ]]; then
    echo "FAIL($got/$N delivered; $(tail -1 "$W/source.log"))"
    return
  fi
  python3 -c "import sys; print('%.0f' % ($N / ($t1 - $t0)))"
}
without=() with=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 0; r < ROUNDS; r++)); do
  if ((r % 2 == 0)); then
    policy off
    without+=("$(run)")
    policy on
    with+=("$(run)")
  else
    policy on
    with+=("$(run)")
    policy off
    without+=("$(run)")
  fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
decisions=$(sqlite3 "$W/bench.case" "SELECT count(*) FROM actions WHERE action LIKE 'policy %'")
python3 - "$N" "${without[*]}" "${with[*]}" "$decisions" "$SESSIONS" "$load_before" "$load_after" <<'PY'
import statistics, sys
n, wo, wi, dec, ses = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), sys.argv[4], sys.argv[5]
print("  %s messages per run (%s sessions, 1 recipient, 2 KB), %d rounds, each a run without and "
      "one with, the order alternating; messages/s:" % (n, ses, len(wo)))
print("  %-40s %s" % ("Postfix alone (policy lookups removed)", " ".join(wo)))
print("  %-40s %s" % ("Postfix + mxir relay policy", " ".join(wi)))
try:
    a = [float(x) for x in wo]
    b = [float(x) for x in wi]
    ma, mb = statistics.median(a), statistics.median(b)
    print("  without: median %.0f, range %.0f-%.0f; with: median %.0f, range %.0f-%.0f"
          % (ma, min(a), max(a), mb, min(b), max(b)))
    pairs = [100 * y / x for x, y in zip(a, b)]
    print("  with / without per round: %s %%" % " ".join("%.0f" % p for p in pairs))
    print("  with / without (medians %.0f / %.0f): %.0f %% (target >= 90 %%); per round: median "
          "%.0f %%, range %.0f-%.0f %%; %s policy decisions in the case"
          % (mb, ma, 100 * mb / ma, statistics.median(pairs), min(pairs), max(pairs), dec))
except ValueError:
    print("  a run failed: no ratio")
print("  load average (1, 5, 15 min) before: %s, after: %s" % (sys.argv[6], sys.argv[7]))
PY
