#!/usr/bin/env bash
# Integration test of mxir capture against a real Postfix + Dovecot SASL on loopback (the mail lab
# of tests/integration/lab). While `mxir capture --interface lo` captures live (and keeps the
# packets with --write) and tcpdump records the same traffic, swaks does: an AUTH LOGIN success
# with one message, an AUTH PLAIN failure (535), a pipelined send to three recipients, and a
# STARTTLS session with SNI. The live run (stopped with SIGINT, so its flush path is tested), the
# reading of tcpdump's file and the reading of --write's file must each give events matching
# what swaks did; passwords must appear nowhere; storing in a case twice adds nothing twice.
# Exit 0 pass, 77 skip (no postfix/dovecot/swaks/tcpdump or not root), else fail.
set -u -o pipefail
LAB_SH=$MXIR_SOURCE_DIR/tests/integration/lab/mail-lab.sh
CAPTURE=$MXIR_BIN_DIR/mxir-capture
for t in swaks tcpdump python3; do
  command -v "$t" >/dev/null || { echo "skipped: $t is not installed (./run deps test)" >&2; exit 77; }
done
[[ -x $CAPTURE ]] || { echo "FAIL: $CAPTURE not built" >&2; exit 1; }

LAB=$(mktemp -d /tmp/mxir-capture-lab-XXXXXX) || exit 1
WORK=$(mktemp -d /tmp/mxir-capture-work-XXXXXX) || exit 1
CAP_PID='' DUMP_PID=''
cleanup() {
  [[ -n $CAP_PID ]] && kill "$CAP_PID" 2>/dev/null
  [[ -n $DUMP_PID ]] && kill "$DUMP_PID" 2>/dev/null
  bash "$LAB_SH" stop "$LAB" >/dev/null 2>&1
  rm -rf "$LAB" "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$WORK"/*.err "$LAB/postfix.log"; do [[ -f $f ]] && { echo "--- $f" >&2; tail -n 30 "$f" >&2; }; done
  exit 1
}

read -r SMTP SUB <<<"$(bash "$LAB_SH" free-ports 2)" || exit 1
# Lab passwords are test fixtures, not secrets: they may appear on swaks's command line.
printf '%s\n' 'dana:Dana-pw-4711' 'erik:Erik-pw-0815' >"$WORK/users"
bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" --users "$WORK/users"
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "mail-lab.sh start exited $rc"

openssl rand -hex 32 >"$WORK/fp.key" && chmod 600 "$WORK/fp.key"
FILTER="tcp port $SMTP or tcp port $SUB"
PORTS=(--smtp-port "$SMTP" --smtp-port "$SUB")

tcpdump -i lo -n -s 0 -U -w "$WORK/tcpdump.pcap" "$FILTER" 2>"$WORK/tcpdump.err" &
DUMP_PID=$!
"$CAPTURE" --interface lo --filter "$FILTER" "${PORTS[@]}" --duration 90 --write "$WORK/live.pcap" \
  --fp-key "$WORK/fp.key" --format jsonl --stats json >"$WORK/live.jsonl" 2>"$WORK/live.err" &
CAP_PID=$!
# Both capture as soon as they have opened the interface: wait for tcpdump's banner and the file
# mxir capture creates for --write (bounded).
for ((i = 0; i < 50; i++)); do
  grep -q 'listening on' "$WORK/tcpdump.err" 2>/dev/null && [[ -f $WORK/live.pcap ]] && break
  sleep 0.1
done
sleep 0.5

S=(swaks --server 127.0.0.1 --hide-all)
"${S[@]}" --port "$SMTP" --local-interface 127.0.0.31 --helo ws31.lab.example --auth LOGIN \
  --auth-user erik --auth-password Erik-pw-0815 --from erik@lab.example --to dana@lab.example \
  --header 'Subject: quarterly numbers' || fail "swaks AUTH LOGIN send failed"
"${S[@]}" --port "$SMTP" --local-interface 127.0.0.32 --helo ws32.lab.example --auth PLAIN \
  --auth-user dana --auth-password wrong-guess-1 --quit-after AUTH
"${S[@]}" --port "$SMTP" --local-interface 127.0.0.33 --helo ws33.lab.example --pipeline \
  --auth PLAIN --auth-user dana --auth-password Dana-pw-4711 --from dana@lab.example \
  --to erik@lab.example,dana@lab.example,friend@outside.example --header 'Subject: pipelined' ||
  fail "swaks pipelined send failed"
"${S[@]}" --port "$SUB" --local-interface 127.0.0.34 --helo ws34.lab.example --tls \
  --tls-sni mail.lab.example --auth LOGIN --auth-user erik --auth-password Erik-pw-0815 \
  --from erik@lab.example --to dana@lab.example || fail "swaks STARTTLS send failed"
sleep 1

kill -INT "$DUMP_PID"
wait "$DUMP_PID"
DUMP_PID=''
kill -INT "$CAP_PID"
wait "$CAP_PID"
rc=$?
CAP_PID=''
[[ $rc -eq 0 ]] || fail "live mxir capture exited $rc after SIGINT"

run_file() {  # run_file NAME PCAP
  "$CAPTURE" --read "$2" "${PORTS[@]}" --fp-key "$WORK/fp.key" --format jsonl --stats json \
    >"$WORK/$1.jsonl" 2>"$WORK/$1.err" || fail "mxir capture --read $2 exited $?"
}
run_file file "$WORK/tcpdump.pcap"
run_file written "$WORK/live.pcap"

check() {  # check NAME: the events of one run against what swaks did
  python3 - "$WORK/$1.jsonl" "$WORK/$1.err" "$SMTP" "$SUB" <<'PY' || fail "$1: events do not match (see above)"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
stats = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
smtp, sub = int(sys.argv[3]), int(sys.argv[4])
errors = []
def expect(cond, what):
    if not cond:
        errors.append(what)
def by(ip, kind):
    return [e for e in events if e.get("client_ip") == ip and e["kind"] == kind]
a = by("127.0.0.31", "auth")
expect(len(a) == 1 and a[0]["user"] == "erik" and a[0]["mechanism"] == "LOGIN" and
       a[0]["outcome"] == "success" and a[0]["code"] == 235 and len(a[0].get("secret_fp", "")) == 16,
       f"AUTH LOGIN success of erik from .31: {a}")
m = by("127.0.0.31", "message")
expect(len(m) == 1 and m[0]["accepted"] and m[0]["recipients"] == ["dana@lab.example"] and
       m[0].get("subject") == "quarterly numbers" and m[0].get("user") == "erik",
       f"one accepted message from .31: {m}")
a = by("127.0.0.32", "auth")
expect(len(a) == 1 and a[0]["user"] == "dana" and a[0]["mechanism"] == "PLAIN" and
       a[0]["outcome"] == "failure" and a[0]["code"] == 535 and "secret_fp" in a[0],
       f"AUTH PLAIN failure of dana from .32: {a}")
expect(not by("127.0.0.32", "message"), "no message from .32")
r = by("127.0.0.33", "rcpt")
expect(sorted(x["rcpt_to"] for x in r) ==
       sorted(["erik@lab.example", "dana@lab.example", "friend@outside.example"]) and
       all(x["accepted"] for x in r), f"three accepted RCPT from .33: {r}")
m = by("127.0.0.33", "message")
expect(len(m) == 1 and len(m[0]["recipients"]) == 3 and m[0]["accepted"] and
       m[0].get("user") == "dana" and m[0].get("subject") == "pipelined",
       f"one pipelined message to three recipients from .33: {m}")
t = by("127.0.0.34", "tls")
expect(len(t) == 1 and t[0]["how"] == "starttls" and t[0].get("sni") == "mail.lab.example" and
       t[0]["server_port"] == sub, f"one STARTTLS with SNI from .34: {t}")
expect(not by("127.0.0.34", "auth"), "no AUTH visible after STARTTLS")
ends = [e for e in events if e["kind"] == "session_end"]
# The TLS client may end with a RST (no TLS close_notify exchange); the others QUIT cleanly.
expect(len(ends) == 4 and all(e["gaps"] == 0 for e in ends) and
       all(e["state"] == "closed" for e in ends if e["client_ip"] != "127.0.0.34") and
       all(e["state"] in ("closed", "reset") for e in ends),
       f"four sessions ended without gaps: {ends}")
expect(not [e for e in events if e["kind"] == "gap"], "no gap events")
expect(all(e["origin"]["packet"] >= 1 for e in events), "every event names its packet")
expect(stats["smtp_sessions"] == 4 and stats["decode_errors"] == 0 and stats["gaps"] == 0,
       f"counters: {stats}")
for e in errors:
    print("mismatch:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
  if grep -q -e 'Erik-pw-0815' -e 'Dana-pw-4711' -e 'wrong-guess-1' "$WORK/$1.jsonl" "$WORK/$1.err"; then
    fail "$1: a password appears in the output"
  fi
}
check live
check file
check written
grep -q '"kernel_drops":0' "$WORK/live.err" || fail "live counters lack kernel_drops"

# The same secret gives the same fingerprint in the live run and the file run.
fp() { python3 -c 'import json,sys; print(sorted(json.loads(l).get("secret_fp","") for l in open(sys.argv[1]) if "\"auth\"" in l))' "$1"; }
[[ "$(fp "$WORK/live.jsonl")" == "$(fp "$WORK/file.jsonl")" ]] ||
  fail "fingerprints differ between live and file: $(fp "$WORK/live.jsonl") vs $(fp "$WORK/file.jsonl")"

# Into a case, twice: the second run adds nothing; an action is recorded.
"$CAPTURE" --read "$WORK/tcpdump.pcap" "${PORTS[@]}" --case "$WORK/t.case" --create --stats json \
  2>"$WORK/case1.err" >/dev/null || fail "capture into a new case failed"
"$CAPTURE" --read "$WORK/tcpdump.pcap" "${PORTS[@]}" --case "$WORK/t.case" --stats json \
  2>"$WORK/case2.err" >/dev/null || fail "capture into the case again failed"
python3 - "$WORK/case1.err" "$WORK/case2.err" <<'PY' || fail "case storage is not idempotent"
import json, sys
a = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
b = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
ok = a["case"]["inserted"] == a["events"] > 0 and b["case"]["inserted"] == 0 and b["case"]["duplicates"] == a["events"]
print(a["case"], b["case"], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
# A summary table names the hosts and accounts.
"$CAPTURE" --read "$WORK/tcpdump.pcap" "${PORTS[@]}" --fp-key "$WORK/fp.key" --format table \
  >"$WORK/table.txt" 2>/dev/null || fail "table output failed"
grep -q '^127\.0\.0\.32 *dana *1 *0 *1 ' "$WORK/table.txt" || { cat "$WORK/table.txt" >&2; fail "table row of dana's failure"; }
echo "capture live test: OK"
