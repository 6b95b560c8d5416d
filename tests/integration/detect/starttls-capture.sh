#!/usr/bin/env bash
# Encrypted AUTH storms found from a STARTTLS capture alone, on a port in no list (issue #11).
# A real Postfix + Dovecot SASL (the mail lab of tests/integration/lab) listens on a random port
# with STARTTLS required before AUTH. While `mxir capture --interface lo` records the traffic of
# this test's clients (a BPF filter on their own loopback /24, never on the port), four kinds of
# client run at once, each from its own source address (starttls_traffic.py): ten users sending
# their mail with swaks, a device with an old saved password (one failing AUTH per connection,
# one connection at a time), a brute-forcer (dozens of connections, several in parallel, several
# AUTH attempts in each) and a dictionary attack (many more such connections over many accounts).
# A second live capture with --any-port (every TCP connection) must see the same sessions.
# Counts, parallelism, attempts per connection, pace and message sizes come from a seed
# (MXIR_TEST_SEED, else random; printed). Then `mxir detect` runs on the captured events with no
# port named anywhere (no --smtp-port for capture, no --submission-port for detect), on the live
# run's events and on a re-reading of the packets it kept (--write): each attacking host must get
# a session_burst, and no finding of severity medium or worse may name a normal user's host.
# Exit 0 pass, 77 skip (no postfix/dovecot/swaks or not root), else fail.
set -u -o pipefail
LAB_SH=$MXIR_SOURCE_DIR/tests/integration/lab/mail-lab.sh
HERE=$(cd "$(dirname "$0")" && pwd)
TRAFFIC=$HERE/starttls_traffic.py
CAPTURE=$MXIR_BIN_DIR/mxir-capture
DETECT=$MXIR_BIN_DIR/mxir-detect
for t in swaks python3; do
  command -v "$t" >/dev/null || { echo "skipped: $t is not installed (./run deps test)" >&2; exit 77; }
done
for t in "$CAPTURE" "$DETECT"; do [[ -x $t ]] || { echo "FAIL: $t not built" >&2; exit 1; }; done

SEED=${MXIR_TEST_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "seed: $SEED (MXIR_TEST_SEED=$SEED repeats this run)"
LAB=$(mktemp -d /tmp/mxir-starttls-lab-XXXXXX) || exit 1
WORK=$(mktemp -d /tmp/mxir-starttls-work-XXXXXX) || exit 1
CAP_PID='' ANY_PID=''
cleanup() {
  [[ -n $CAP_PID ]] && kill "$CAP_PID" 2>/dev/null
  [[ -n $ANY_PID ]] && kill "$ANY_PID" 2>/dev/null
  bash "$LAB_SH" stop "$LAB" >/dev/null 2>&1
  rm -rf "$LAB" "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL (seed $SEED): $*" >&2
  for f in "$WORK"/*.err "$WORK/traffic.json"; do
    [[ -f $f ]] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }
  done
  exit 1
}

read -r PORT OTHER <<<"$(bash "$LAB_SH" free-ports 2)" || exit 1
# Ten users, and an account the brute-forcer wants (lab passwords are test fixtures).
for i in $(seq -w 1 10); do echo "user$i:User-$i-pw-$RANDOM"; done >"$WORK/users"
echo "boss:Boss-pw-$RANDOM" >>"$WORK/users"
# Postfix answers a failed AUTH at once (no error sleep) and tolerates the guesses of one
# connection, so the scenario runs in seconds; the clients' behaviour is what matters here.
printf '%s\n' 'smtpd_error_sleep_time = 0s' 'smtpd_soft_error_limit = 10' \
  'smtpd_hard_error_limit = 30' >"$WORK/main-extra"
# The STARTTLS-only listener (AUTH only after TLS) is the one on the port under test.
bash "$LAB_SH" start "$LAB" --smtp-port "$OTHER" --submission-port "$PORT" --users "$WORK/users" \
  --main-extra "$WORK/main-extra"
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "mail-lab.sh start exited $rc"

# This test's clients only (other tests may use loopback at the same time): their own /24.
PREFIX=127.$((100 + RANDOM % 150)).$((RANDOM % 250))
openssl rand -hex 32 >"$WORK/fp.key" && chmod 600 "$WORK/fp.key"
"$CAPTURE" --interface lo --filter "tcp and net $PREFIX.0/24" --duration 150 \
  --write "$WORK/live.pcap" --fp-key "$WORK/fp.key" --format jsonl --stats json \
  >"$WORK/live.jsonl" 2>"$WORK/live.err" &
CAP_PID=$!
# At the same time, what a user gets with --any-port (every TCP connection on lo, other tests'
# too): it must see this test's sessions on the unlisted port as well.
"$CAPTURE" --interface lo --any-port --duration 150 --fp-key "$WORK/fp.key" --format jsonl \
  --stats json >"$WORK/any.jsonl" 2>"$WORK/any.err" &
ANY_PID=$!
# Both say what they capture once the interface is open.
for ((i = 0; i < 100; i++)); do
  grep -q 'capturing on lo' "$WORK/live.err" && grep -q 'capturing on lo' "$WORK/any.err" && break
  sleep 0.1
done
grep -q 'every TCP connection' "$WORK/any.err" || fail "mxir capture --any-port did not start"
grep -q "matching 'tcp and net $PREFIX.0/24'" "$WORK/live.err" || fail "mxir capture did not start"
sleep 0.5

timeout 120 python3 "$TRAFFIC" run "$PORT" "$PREFIX" "$WORK/users" "$SEED" \
  >"$WORK/traffic.json" 2>"$WORK/traffic.err" || fail "the traffic did not run as planned"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print("traffic (%ss): stale %s conns; brute %s conns x %s attempts, %s at once; dict %s conns x %s, %s at once; normal %s messages" % (p["seconds"], p["stale"]["connections"], p["brute"]["connections"], p["brute"]["attempts_per_connection"], p["brute"]["parallel"], p["dict"]["connections"], p["dict"]["attempts_per_connection"], p["dict"]["parallel"], sum(u["messages"] for u in p["normal"])))' "$WORK/traffic.json"
sleep 1
kill -INT "$CAP_PID" "$ANY_PID"
wait "$CAP_PID"
rc=$?
wait "$ANY_PID"
rc_any=$?
CAP_PID='' ANY_PID=''
[[ $rc -eq 0 ]] || fail "live mxir capture exited $rc after SIGINT"
[[ $rc_any -eq 0 ]] || fail "live mxir capture --any-port exited $rc_any after SIGINT"

# SMTP recognised by its content: no port was named to mxir capture.
python3 - "$WORK/live.err" "$WORK/live.jsonl" "$PORT" <<'PY' || fail "the capture did not see the sessions as SMTP"
import json, sys
stats = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
events = [json.loads(l) for l in open(sys.argv[2])]
port = int(sys.argv[3])
tls = [e for e in events if e["kind"] == "tls" and e.get("server_port") == port]
ok = stats.get("smtp.smtp_recognised_by_content", stats.get("smtp_recognised_by_content", 0)) > 0 and tls
print(f"captured: {len(events)} events, {len(tls)} STARTTLS sessions on port {port}, "
      f"kernel drops {stats.get('kernel_drops')}")
if not ok:
    print("counters:", stats, file=sys.stderr)
sys.exit(0 if ok else 1)
PY

# --any-port saw the same STARTTLS sessions of this test's clients on the port in no list.
# It takes other tests' loopback traffic too: if the kernel dropped packets for it (a busy
# machine), sessions hit by a drop may be missing, and only "nothing invented" is checked.
python3 - "$WORK/live.jsonl" "$WORK/any.jsonl" "$PORT" "$PREFIX." "$WORK/any.err" <<'PY' ||
import json, sys
def tls(path):
    return sorted((e["client_ip"], e["client_port"]) for e in map(json.loads, open(path))
                  if e["kind"] == "tls" and e.get("server_port") == int(sys.argv[3])
                  and e["client_ip"].startswith(sys.argv[4]))
a, b = tls(sys.argv[1]), tls(sys.argv[2])
stats = json.loads(open(sys.argv[5]).read().strip().splitlines()[-1])
drops = stats.get("kernel_drops", 0) + stats.get("interface_drops", 0)
print(f"--any-port: {len(b)} of the {len(a)} STARTTLS sessions on port {sys.argv[3]} "
      f"({stats.get('packets')} packets, {drops} dropped by the kernel)")
if drops and set(b) <= set(a):
    print("--any-port: the kernel dropped packets, so only 'nothing invented' is checked")
    sys.exit(0)
sys.exit(0 if a and a == b else 1)
PY
  fail "--any-port did not see the same sessions"

# The same packets read back from the file the live run kept.
"$CAPTURE" --read "$WORK/live.pcap" --fp-key "$WORK/fp.key" --format jsonl \
  >"$WORK/file.jsonl" 2>"$WORK/file.err" || fail "mxir capture --read of the kept packets exited $?"

for run in live file; do
  "$DETECT" --events "$WORK/$run.jsonl" --format jsonl >"$WORK/$run.findings.jsonl" \
    2>"$WORK/$run.detect.err" || fail "mxir detect on the $run events exited $?"
  python3 "$TRAFFIC" check "$WORK/traffic.json" "$WORK/$run.findings.jsonl" "$run" ||
    fail "findings on the $run events do not match the traffic"
done
echo "starttls capture test: OK"
