#!/usr/bin/env bash
# mxir ingest on the lines a real Postfix + Dovecot write for issue #18's cases
# (postfix-lines-lab.sh makes them): every case must give its event, with the client named, and
# the message still queued at the end must come out once (state queued), also on a re-read.
# Exit 0 pass, 77 skip (no lab here), else fail.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INGEST=${MXIR_BIN_DIR:?}/mxir-ingest
[[ -x $INGEST ]] || { echo "FAIL: $INGEST not built" >&2; exit 1; }
LAB=$(mktemp -d /tmp/mxir-lines-lab-XXXXXX) || exit 1
WORK=$(mktemp -d /tmp/mxir-lines-work-XXXXXX) || exit 1
cleanup() {
  bash "$HERE/../lab/mail-lab.sh" stop "$LAB" >/dev/null 2>&1
  rm -rf "$LAB" "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- postfix.log" >&2; cat "$LAB/postfix.log" >&2
  echo "--- dovecot.log" >&2; cat "$LAB/dovecot.log" >&2
  exit 1
}
bash "$HERE/postfix-lines-lab.sh" "$LAB" "$WORK"
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "postfix-lines-lab.sh exited $rc"

CASE=$WORK/lines.case
"$INGEST" --case "$CASE" --create "$LAB/postfix.log" "$LAB/dovecot.log" --format jsonl \
  --stats json >"$WORK/events.jsonl" 2>"$WORK/stats.json" || fail "mxir ingest failed: $(cat "$WORK/stats.json")"
"$INGEST" --case "$CASE" "$LAB/postfix.log" "$LAB/dovecot.log" --stats json 2>"$WORK/stats2.json" ||
  fail "second ingest failed"

python3 - "$WORK/events.jsonl" "$WORK/stats.json" "$WORK/stats2.json" <<'PY' || fail "events disagree with what the lab did"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
stats, stats2 = json.loads(open(sys.argv[2]).read()), json.loads(open(sys.argv[3]).read())
problems = []
def expect(what, got, want):
    if got != want:
        problems.append("%s: got %r, want %r" % (what, got, want))
def find(**kw):
    return [e for e in events if all(e.get(k) == v for k, v in kw.items())]
pf = [e for e in events if e["source"] == "postfix"]

r = find(kind="reply", text="non-SMTP command")
expect("non-SMTP command reply", [(e["client_ip"], e.get("command")) for e in r], [("127.0.0.51", "GET")])
r = find(kind="reply", command="VRFY")
expect("VRFY reject", [(e["client_ip"], e.get("code"), e.get("rcpt_to"), e.get("helo")) for e in r],
       [("127.0.0.52", 550, "nobody@lab.example", "probe.example")])
if r and "to=<" in r[0].get("text", ""):
    problems.append("VRFY reject keeps the tail in its text: %r" % r[0]["text"])
ends = {e["client_ip"]: e for e in pf if e["kind"] == "session_end" and "client_ip" in e
        and e.get("session", "").startswith("postfix:")}
expect("session end after lost connection in AUTH", ends.get("127.0.0.53", {}).get("state"), "reset")
r = find(kind="reply", text="TLS handshake failed")
expect("SSL_accept error", [(e["client_ip"], e.get("command")) for e in r], [("127.0.0.54", "STARTTLS")])
ps = [e for e in pf if e.get("session", "").startswith("postscreen:")]
starts = sorted(e["client_ip"] for e in ps if e["kind"] == "session_start")
expect("postscreen CONNECTs", starts, ["127.0.0.55", "127.0.0.56", "127.0.0.57", "127.0.0.58"])
verdicts = sorted((e["client_ip"], e["text"]) for e in ps if e["kind"] == "reply")
expect("postscreen verdicts", verdicts, [("127.0.0.55", "HANGUP"), ("127.0.0.55", "PREGREET"),
       ("127.0.0.56", "HANGUP"), ("127.0.0.57", "DENYLISTED")])
ps_starts = sorted(e["session"] for e in ps if e["kind"] == "session_start")
ps_ends = sorted(e["session"] for e in ps if e["kind"] == "session_end")
expect("each postscreen connection is one session, started and ended once", ps_ends, ps_starts)
passed = [(e["client_ip"], e.get("text")) for e in ps if e["kind"] == "session_end" and e.get("text") == "PASS NEW"]
expect("postscreen PASS NEW", passed, [("127.0.0.58", "PASS NEW")])
r = [e for e in pf if e["kind"] == "reply" and e.get("reason") == "before-queue content filter"]
expect("proxy-reject", [(e.get("client_ip"), e.get("code"), e.get("mail_from"), e.get("rcpt_to")) for e in r],
       [("127.0.0.59", 554, "carol@outside.example", "alice@lab.example")])
r = find(kind="reply", command="header")
expect("header check reject", [(e.get("client_ip"), e.get("code"), e.get("user"), e.get("text")) for e in r],
       [("127.0.0.60", 550, "alice", "no spam here")])
queued = [e for e in pf if e["kind"] == "message" and e.get("state") == "queued"]
expect("queued at the end", sorted((e.get("client_ip"), e.get("reason", "")[:4], e.get("mail_from"))
       for e in queued), [("127.0.0.60", "held", "alice@lab.example"), ("127.0.0.61", "conn", "alice@lab.example")])
for e in queued:
    if not e.get("msg_id") or not e.get("recipients"):
        problems.append("queued message without its Message-ID or recipients: %r" % e)
anvil = [e for e in pf if e.get("reason") == "anvil statistics"]
if not anvil or any("client_ip" not in e for e in anvil):
    problems.append("anvil statistics: %r" % anvil)
dv = [e for e in events if e["source"] == "dovecot" and e["kind"] == "auth"]
expect("dovecot failures (2 from auth, 2 from the login line)", len(dv), 4)
expect("stored on first ingest", stats.get("stored"), len(events))
expect("stored on second ingest", stats2.get("stored"), 0)
for p in problems:
    print(p)
print("%d events, %d postfix" % (len(events), len(pf)))
sys.exit(1 if problems else 0)
PY
echo "PASS: a real Postfix's rejections, postscreen verdicts, connection-level lines and queued mail all become events"
