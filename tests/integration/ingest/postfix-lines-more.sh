#!/usr/bin/env bash
# mxir ingest on more lines a real Postfix writes for issue #18 (postfix-lines-more-lab.sh makes
# them): a milter's end-of-message refusal tied to the queue id's client, account, sender and
# recipient; postscreen DNSBL rank (when a private network namespace could be made), its
# blocklist refusal, PASS NEW then PASS OLD; qmgr status=expired with sender, recipients and age;
# NOQUEUE refusals without from= (CONNECT, HELO); smtpd connect/disconnect with the command
# counts; the To and Cc headers header_checks INFO logged, in the message event.
# Exit 0 pass, 77 skip (no lab here), else fail.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INGEST=${MXIR_BIN_DIR:?}/mxir-ingest
[[ -x $INGEST ]] || { echo "FAIL: $INGEST not built" >&2; exit 1; }
LAB=$(mktemp -d /tmp/mxir-more-lab-XXXXXX) || exit 1
WORK=$(mktemp -d /tmp/mxir-more-work-XXXXXX) || exit 1
cleanup() {
  bash "$HERE/../lab/mail-lab.sh" stop "$LAB" >/dev/null 2>&1
  rm -rf "$LAB" "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- postfix.log" >&2; cat "$LAB/postfix.log" >&2
  exit 1
}
bash "$HERE/postfix-lines-more-lab.sh" "$LAB" "$WORK"
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "postfix-lines-more-lab.sh exited $rc"

"$INGEST" --format jsonl "$LAB/postfix.log" >"$WORK/events.jsonl" 2>"$WORK/err" ||
  fail "mxir ingest failed: $(cat "$WORK/err")"
python3 - "$WORK/events.jsonl" "$(cat "$WORK/dnsbl")" <<'PY' || fail "events disagree with what the lab did"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
dnsbl = sys.argv[2] == "yes"
problems = []
def expect(what, got, want):
    if got != want:
        problems.append("%s: got %r, want %r" % (what, got, want))
def of(kind, ip=None):
    return [e for e in events if e["kind"] == kind and (ip is None or e.get("client_ip") == ip)]

# The milter refused the message at its end: the client, account and sender of that queue id.
r = [e for e in of("reply") if e.get("command") == "END-OF-MESSAGE"]
expect("milter-reject", [(e.get("client_ip"), e.get("code"), e.get("enhanced"), e.get("user"),
                          e.get("mail_from"), e.get("rcpt_to"), e.get("helo"), e.get("text"))
                         for e in r],
       [("127.0.0.62", 550, "5.7.1", "alice", "alice@lab.example", "carol@lab.example", "ws62",
         "Refused by the lab milter")])
if r:
    starts = [e for e in of("session_start", "127.0.0.62")]
    expect("milter-reject in the smtpd session of its client",
           [e["session"] for e in starts], [r[0]["session"]])
    expect("milter-reject names its queue id", bool(r[0].get("queue_id")), True)
expect("refused message not emitted as a message", of("message", "127.0.0.62"), [])

# The expired message: sender, recipients, age and the last deferral.
x = [e for e in of("delivery") if e.get("status") == "expired"]
expect("status=expired", [(e.get("client_ip"), e.get("mail_from"), e.get("recipients"))
                          for e in x],
       [("127.0.0.64", "alice@lab.example", ["friend@remote.example"])])
if x:
    if not (x[0].get("duration_s", -1) >= 0 and "Connection refused" in x[0].get("reason", "")):
        problems.append("expired: no age or last deferral: %r" % x[0])

# NOQUEUE refusals without a sender.
r = [e for e in of("reply") if e.get("command") in ("CONNECT", "HELO") and "code" in e
     and not e.get("session", "").startswith("postscreen")]
expect("NOQUEUE without from=", sorted((e["client_ip"], e["command"], e["code"], e.get("helo", ""))
                                       for e in r),
       [("127.0.0.71", "CONNECT", 554, ""), ("127.0.0.72", "HELO", 501, "bad!name")])
for e in r:
    if "proto=" in e.get("text", "") or "helo=" in e.get("text", ""):
        problems.append("NOQUEUE tail left in the text: %r" % e["text"])

# postscreen: DNSBL rank (with the client), its refusal, PASS NEW then PASS OLD.
ps = [e for e in events if e.get("session", "").startswith("postscreen:")]
if dnsbl:
    rank = [(e["client_ip"], e.get("text")) for e in ps if e["kind"] == "reply"
            and e.get("text", "").startswith("DNSBL rank")]
    expect("DNSBL rank", rank, [("127.0.0.70", "DNSBL rank 3")])
    refused = [(e["client_ip"], e.get("code"), e.get("mail_from"), e.get("rcpt_to"), e.get("helo"))
               for e in ps if e["kind"] == "reply" and e.get("code")]
    expect("postscreen blocklist refusal", refused,
           [("127.0.0.70", 550, "x@outside.example", "bob@lab.example", "ws70")])
else:
    print("note: no private network namespace here: DNSBL rank not checked")
passes = [(e["client_ip"], e.get("text")) for e in ps if e["kind"] == "session_end"
          and e.get("text", "").startswith("PASS")]
expect("postscreen PASS NEW then PASS OLD", passes,
       [("127.0.0.58", "PASS NEW"), ("127.0.0.58", "PASS OLD")])

# smtpd connect/disconnect: a session per connection, its end with the command counts.
for ip, counts in (("127.0.0.63", "commands=6"), ("127.0.0.71", "commands=1")):
    s, e = of("session_start", ip), of("session_end", ip)
    expect("sessions of %s" % ip, (len(s), len(e)), (1, 1))
    if e and counts not in e[0].get("text", ""):
        problems.append("session end of %s without its command counts: %r" % (ip, e[0]))
smtpd58 = [e for e in of("session_start", "127.0.0.58") if e["session"].startswith("postfix:")]
expect("smtpd sessions after postscreen", len(smtpd58), 2)

# header_checks INFO: the To and Cc headers in the message event.
m = of("message", "127.0.0.63")
expect("message with its To and Cc", [(e.get("to"), e.get("cc")) for e in m],
       [(["bob@lab.example"], ["Carol <carol@lab.example>", "dave@outside.example"])])
for p in problems:
    print(p)
print("%d events" % len(events))
sys.exit(1 if problems else 0)
PY
echo "PASS: a real Postfix's milter, postscreen DNSBL and cache, expiry, NOQUEUE and header lines all become events"
