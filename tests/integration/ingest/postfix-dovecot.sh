#!/usr/bin/env bash
# mxir ingest against a real Postfix + Dovecot (tests/integration/lab/mail-lab.sh) on loopback:
# swaks drives AUTH successes and failures, sends and relay attempts; the servers' own log lines
# are ingested into a case, and the events must agree with what swaks did (per-user AUTH
# success/failure counts, messages and their recipients, rejects). Re-ingesting adds nothing.
# Exit 0 pass, 77 skip (no postfix/dovecot/swaks, or not root), else fail.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_SH=$HERE/../lab/mail-lab.sh
INGEST=${MXIR_BIN_DIR:?}/mxir-ingest
command -v swaks >/dev/null || { echo "skipped: swaks is not installed (./run deps test)" >&2; exit 77; }
[[ -x $INGEST ]] || { echo "FAIL: $INGEST not built" >&2; exit 1; }

LAB=$(mktemp -d /tmp/mxir-ingest-lab-XXXXXX) || exit 1
WORK=$(mktemp -d /tmp/mxir-ingest-work-XXXXXX) || exit 1
cleanup() {
  bash "$LAB_SH" stop "$LAB"
  rm -rf "$LAB" "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- postfix.log" >&2; cat "$LAB/postfix.log" >&2
  echo "--- dovecot.log" >&2; cat "$LAB/dovecot.log" >&2
  exit 1
}

read -r SMTP SUB <<<"$(bash "$LAB_SH" free-ports 2)" || exit 1
# Lab passwords are test fixtures, not secrets, so they may appear on swaks's command line.
printf '%s\n' 'alice:Alice-pw-11' 'bob:Bob-pw-22' >"$WORK/users"
bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" --users "$WORK/users" \
  --auth-verbose-passwords sha1:8
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "mail-lab.sh start exited $rc"

smtp() { swaks --server 127.0.0.1 --port "$SMTP" "$@" >>"$WORK/swaks.out" 2>&1; }
# alice: two good AUTHs, each sending one message to a local and an outside recipient.
for i in 1 2; do
  smtp --local-interface 127.0.0.41 --helo ws41.lab.example --auth LOGIN --auth-user alice \
    --auth-password Alice-pw-11 --from alice@lab.example \
    --to bob@lab.example,friend$i@outside.example --header "Subject: ingest test $i" ||
    fail "send $i failed"
done
# bob: three wrong passwords; mallory (no such user): two.
for i in 1 2 3; do
  smtp --local-interface 127.0.0.42 --helo ws42 --auth LOGIN --auth-user bob \
    --auth-password wrong-$i --quit-after AUTH
done
for i in 1 2; do
  smtp --local-interface 127.0.0.43 --helo ws43 --auth PLAIN --auth-user mallory \
    --auth-password guess-$i --quit-after AUTH
done
# An unauthenticated relay attempt, and a recipient the lab rejects citing a blocklist.
smtp --local-interface 127.0.0.44 --helo relay-test --from x@outside.example \
  --to y@elsewhere.example --quit-after RCPT
smtp --local-interface 127.0.0.41 --helo ws41.lab.example --auth LOGIN --auth-user alice \
  --auth-password Alice-pw-11 --from alice@lab.example --to z@blocklisted.example --quit-after RCPT

# Wait (bounded) until Postfix has logged both messages as removed, then stop the servers.
for ((i = 0; i < 100; i++)); do
  [[ $(grep -c ': removed$' "$LAB/postfix.log") -ge 2 ]] && break
  sleep 0.1
done
bash "$LAB_SH" stop "$LAB" || fail "lab stop failed"

CASE=$WORK/lab.case
"$INGEST" --case "$CASE" --create "$LAB/postfix.log" "$LAB/dovecot.log" --format jsonl \
  --stats json >"$WORK/events.jsonl" 2>"$WORK/stats.json" || fail "mxir ingest failed: $(cat "$WORK/stats.json")"
"$INGEST" --case "$CASE" "$LAB/postfix.log" "$LAB/dovecot.log" --stats json 2>"$WORK/stats2.json" ||
  fail "second ingest failed"

python3 - "$WORK/events.jsonl" "$WORK/stats.json" "$WORK/stats2.json" <<'PY' || fail "events disagree with what swaks did"
import collections, json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
stats, stats2 = json.loads(open(sys.argv[2]).read()), json.loads(open(sys.argv[3]).read())
problems = []
def expect(what, got, want):
    if got != want:
        problems.append("%s: got %r, want %r" % (what, got, want))

pf = [e for e in events if e["source"] == "postfix"]
dv = [e for e in events if e["source"] == "dovecot"]
auth = collections.Counter((e.get("user", ""), e["outcome"]) for e in pf if e["kind"] == "auth")
expect("postfix auth successes for alice", auth[("alice", "success")], 2)
# The third good AUTH sent nothing: Postfix logs it only as "auth=1" in its disconnect line,
# without the name, so mxir counts it from the statistics with the user unknown.
expect("postfix auth successes known only from statistics", auth[("", "success")], 1)
expect("postfix auth failures for bob", auth[("bob", "failure")], 3)
expect("postfix auth failures for mallory", auth[("mallory", "failure")], 2)
expect("all postfix auth events", sum(auth.values()), 8)
for e in pf:
    if e["kind"] == "auth" and e.get("user") == "bob":
        expect("bob's client", e.get("client_ip"), "127.0.0.42")
dfail = collections.Counter(e.get("user") for e in dv if e["kind"] == "auth" and e["outcome"] == "failure")
expect("dovecot failures for bob", dfail["bob@lab.example"] + dfail["bob"], 3)
expect("dovecot failures for mallory", dfail["mallory@lab.example"] + dfail["mallory"], 2)
fps = {e.get("secret_fp") for e in dv if e.get("user", "").startswith("bob")}
expect("bob's three different wrong passwords", len(fps), 3)
if not all(f and f.startswith("dovecot-sha1:") for f in fps):
    problems.append("dovecot secret_fp not of the dovecot-sha1 form: %r" % fps)
msgs = [e for e in pf if e["kind"] == "message"]
expect("messages", len(msgs), 2)
for m in msgs:
    expect("message user", m.get("user"), "alice")
    expect("message sender", m.get("mail_from"), "alice@lab.example")
    expect("message client", m.get("client_ip"), "127.0.0.41")
    expect("recipient count", len(m.get("recipients", [])), 2)
    if "bob@lab.example" not in m.get("recipients", []):
        problems.append("bob@lab.example missing from %r" % m.get("recipients"))
sessions = {m["session"] for m in msgs}
expect("messages in distinct sessions", len(sessions), 2)
deliveries = [e for e in pf if e["kind"] == "delivery"]
expect("deliveries", len(deliveries), 4)
for d in deliveries:
    if d["session"] not in sessions:
        problems.append("delivery not joined to its message's session: %r" % d)
replies = [e for e in pf if e["kind"] == "reply" and e.get("command") == "RCPT"]
relay = [r for r in replies if "Relay access denied" in r.get("text", "")]
expect("relay denials", [(r["client_ip"], r["code"], r.get("rcpt_to")) for r in relay],
       [("127.0.0.44", 554, "y@elsewhere.example")])
block = [r for r in replies if "zen.spamhaus.org" in r.get("text", "")]
expect("blocklist-style rejects", [(r["client_ip"], r["code"]) for r in block], [("127.0.0.41", 554)])
for e in events:
    for k in ("origin",):
        # origin.sha256 is optional (the case keeps it in `sources`; events never wait for it)
        if not e[k].get("file") or e[k].get("line", 0) < 1:
            problems.append("event without origin: %r" % e)
            break
if "Alice-pw-11" in open(sys.argv[1]).read() or "wrong-1" in open(sys.argv[1]).read():
    problems.append("a password appears in the events")
expect("stored on first ingest", stats.get("stored"), len(events))
expect("stored on second ingest", stats2.get("stored"), 0)
expect("already in case on second ingest", stats2.get("already_in_case"), len(events))
for p in problems:
    print(p)
print("%d events: %d postfix, %d dovecot" % (len(events), len(pf), len(dv)))
sys.exit(1 if problems else 0)
PY
echo "PASS: ingest of a real Postfix+Dovecot log agrees with swaks (AUTH per user, messages, recipients, rejects; re-ingest adds nothing)"
