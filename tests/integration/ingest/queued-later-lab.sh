#!/usr/bin/env bash
# A real Postfix (tests/integration/lab) leaves a message deferred in its queue, then delivers it
# once its destination comes up (issue #18): the log read when the message was still queued and
# read again after it grew give, in one case, the same message count and findings as one read
# of the whole log; the first read has the message as `state: queued`.
# Exit 0 pass, 77 skip (no lab here), else fail.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_SH=$HERE/../lab/mail-lab.sh
BIN=${MXIR_BIN_DIR:?}
for t in mxir-ingest mxir-detect; do
  [[ -x $BIN/$t ]] || { echo "FAIL: $BIN/$t not built" >&2; exit 1; }
done
command -v swaks >/dev/null || { echo "skipped: swaks is not installed" >&2; exit 77; }
LAB=$(mktemp -d /tmp/mxir-qlab-XXXXXX) || exit 1
WORK=$(mktemp -d /tmp/mxir-qlab-work-XXXXXX) || exit 1
SINK_PID=
cleanup() {
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null
  bash "$LAB_SH" stop "$LAB" >/dev/null 2>&1
  rm -rf "$LAB" "$WORK"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- postfix.log" >&2; cat "$LAB/postfix.log" >&2
  cat "$WORK/err" >&2 2>/dev/null
  exit 1
}
wait_for() {  # PATTERN: bounded wait (10 s) for a line of the Postfix log
  for ((i = 0; i < 100; i++)); do
    grep -q -e "$1" "$LAB/postfix.log" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

read -r SMTP SUB DEST <<<"$(bash "$LAB_SH" free-ports 3)" || exit 1
printf '%s\n' 'alice:Alice-pw-11' >"$WORK/users"
printf 'remote.example smtp:[127.0.0.1]:%s\n' "$DEST" >"$WORK/transport"
bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" --users "$WORK/users" \
  --transport "$WORK/transport"
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "the lab did not start ($rc)"

# Nobody listens on DEST yet: the message is deferred and stays in the queue.
timeout 30 swaks --server 127.0.0.1 --port "$SMTP" --local-interface 127.0.0.71 --helo ws71 \
  --auth LOGIN --auth-user alice --auth-password Alice-pw-11 --from alice@lab.example \
  --to friend@remote.example --header "Subject: waits for its destination" >"$WORK/swaks.out" 2>&1
wait_for 'status=deferred' || fail "no deferral"
sleep 0.3
part=$(wc -l <"$LAB/postfix.log")
head -n "$part" "$LAB/postfix.log" >"$WORK/grown.log"

# The destination comes up (a minimal SMTP server accepting one message); flush the queue.
python3 - "$DEST" <<'PY' &
import socket, sys
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(1)
srv.settimeout(20)
c, _ = srv.accept()
c.settimeout(20)
f = c.makefile("rb")
c.sendall(b"220 dest ESMTP\r\n")
data = False
for raw in f:
    line = raw.rstrip(b"\r\n")
    if data:
        if line == b".":
            data = False
            c.sendall(b"250 2.0.0 queued\r\n")
        continue
    cmd = line[:4].upper()
    if cmd == b"DATA":
        data = True
        c.sendall(b"354 go\r\n")
    elif cmd == b"QUIT":
        c.sendall(b"221 bye\r\n")
        break
    elif cmd in (b"EHLO", b"HELO"):
        c.sendall(b"250 dest\r\n")
    else:
        c.sendall(b"250 ok\r\n")
c.close()
PY
SINK_PID=$!
sleep 0.3
postqueue -c "$LAB/postfix/etc" -f >/dev/null 2>&1 || fail "postqueue -f failed"
wait_for 'status=sent' && wait_for ': removed' || fail "the queued message did not leave"
bash "$LAB_SH" stop "$LAB" >/dev/null 2>&1
tail -n +"$((part + 1))" "$LAB/postfix.log" >>"$WORK/grown.log"

cd "$WORK" || exit 1
export TZ=UTC MXIR_NOW=2026-11-30T00:00:00Z
ingest() { "$BIN/mxir-ingest" --tz UTC "$@" 2>"$WORK/err" || fail "ingest $*"; }
head -n "$part" grown.log >first.log
queued=$(ingest --format jsonl first.log | grep -c '"state":"queued"')
[[ $queued == 1 ]] || fail "the first read has $queued queued messages (expected 1)"
ingest --case two.case --create first.log >/dev/null
# The same file, grown: first.log becomes the whole log.
cp grown.log first.log
ingest --case two.case first.log >/dev/null
ingest --case one.case --create first.log >/dev/null
detect() {  # CASE: the findings without times; leaves --stats in $WORK/stats
  "$BIN/mxir-detect" --case "$1" --format jsonl --stats json 2>"$WORK/stats" | python3 -c '
import json, sys
print("\n".join(sorted("%s %s %s %s" % (f.get("kind"), f.get("client_ip"), f.get("user"),
                       json.dumps(f.get("counts"), sort_keys=True)) for f in map(json.loads, sys.stdin))))'
}
counter() {
  python3 -c '
import json, sys
d = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
def find(o):
    if isinstance(o, dict):
        if sys.argv[2] in o: return o[sys.argv[2]]
        for v in o.values():
            r = find(v)
            if r is not None: return r
    return None
print(find(d) or 0)' "$WORK/stats" "$1"
}
f_two=$(detect two.case)
m_two=$(counter messages)
left=$(counter queued_messages_seen_leaving_later)
f_one=$(detect one.case)
m_one=$(counter messages)
[[ $m_one -ge 1 && $m_two == "$m_one" ]] || fail "$m_two messages after two reads, $m_one in one read"
[[ $left == 1 ]] || fail "$left queued messages seen leaving later (expected 1)"
[[ "$f_two" == "$f_one" ]] || fail "findings differ: $f_two /// $f_one"
echo "PASS: queued in the first read, delivered in the grown log: $m_one message(s) either way"
