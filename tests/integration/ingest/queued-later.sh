#!/usr/bin/env bash
# A message Postfix logged as queued in one read and saw leave in a later read of the grown log
# (issue #18): the first read keeps it as `state: queued`; the second read's delivery replaces
# it, so detect counts every message once. Two reads into one case give the same message count
# and the same findings as one read of the whole log; so do the two halves read as separate
# files (a log rotated at the cut: mail.log.1, then mail.log). The log is made by a seeded generator:
# an account sending to many outside domains, some messages deferred across the cut.
set -u -o pipefail
BIN=${MXIR_BIN_DIR:?}
for t in mxir-ingest mxir-detect; do
  [[ -x $BIN/$t ]] || { echo "FAIL: $BIN/$t not built" >&2; exit 1; }
done
DIR=$(mktemp -d /tmp/mxir-queued-later-XXXXXX) || exit 1
trap 'rm -rf "$DIR"' EXIT
cd "$DIR" || exit 1
fail() {
  echo "FAIL: $*" >&2
  cat "$DIR/err" >&2 2>/dev/null
  exit 1
}
export TZ=UTC MXIR_NOW=2026-11-30T00:00:00Z
ingest() { "$BIN/mxir-ingest" --year 2026 --tz UTC "$@" 2>"$DIR/err" >/dev/null || fail "ingest $*"; }
detect() {  # CASE: findings (one line each, without times), then the message count
  "$BIN/mxir-detect" --case "$1" --internal 10.0.0.0/8 --format jsonl --stats json \
    2>"$DIR/stats" | python3 -c '
import json, sys
rows = []
for line in sys.stdin:
    f = json.loads(line)
    rows.append("%s %s %s %s %s" % (f.get("severity"), f.get("kind"), f.get("client_ip"),
                                    f.get("user"), json.dumps(f.get("counts"), sort_keys=True)))
print("\n".join(sorted(rows)))'
}
counter() {  # NAME: a counter of the last detect --stats json line (0 when absent)
  python3 -c '
import json, sys
last = [l for l in open(sys.argv[1]) if l.startswith("{")][-1]
d = json.loads(last)
def find(o):
    if isinstance(o, dict):
        if sys.argv[2] in o: return o[sys.argv[2]]
        for v in o.values():
            r = find(v)
            if r is not None: return r
    return None
print(find(d) or 0)' "$DIR/stats" "$1"
}

for seed in 1 2 3; do
  python3 - "$seed" >all.log <<'PY' || fail "generator"
import random, sys
rnd = random.Random(int(sys.argv[1]))
t = 10 * 3600
lines = []  # (seconds, text)
def stamp(s):
    return "Nov 29 %02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)
n = rnd.randint(40, 70)
for i in range(n):
    t += rnd.randint(5, 40)
    q = "%010X" % rnd.getrandbits(40)
    pid = 2000 + i
    ip = "203.0.113.%d" % rnd.choice([7, 7, 7, 9])
    rcpts = ["u%d@d%d.example" % (rnd.randint(1, 999), rnd.randint(1, 300))
             for _ in range(rnd.randint(1, 4))]
    ev = [(t, "mx postfix/submission/smtpd[%d]: connect from unknown[%s]" % (pid, ip)),
          (t, "mx postfix/submission/smtpd[%d]: %s: client=unknown[%s], sasl_method=LOGIN, "
              "sasl_username=sales@acme.example" % (pid, q, ip)),
          (t, "mx postfix/cleanup[900]: %s: message-id=<%d.%s@acme.example>" % (q, i, q)),
          (t + 1, "mx postfix/qmgr[800]: %s: from=<sales@acme.example>, size=%d, nrcpt=%d "
                  "(queue active)" % (q, rnd.randint(900, 9000), len(rcpts))),
          (t + 2, "mx postfix/submission/smtpd[%d]: disconnect from unknown[%s] ehlo=1 auth=1 "
                  "mail=1 rcpt=%d data=1 quit=1 commands=%d" % (pid, ip, len(rcpts), 5 + len(rcpts)))]
    # Some messages wait in the queue for minutes (deferred, then sent).
    later = t + 3 + (rnd.randint(300, 1500) if rnd.random() < 0.4 else 0)
    for r in rcpts:
        if later > t + 3:
            ev.append((t + 3, "mx postfix/smtp[%d]: %s: to=<%s>, relay=none, delay=2, "
                              "delays=1/0/1/0, dsn=4.4.1, status=deferred (connect to "
                              "%s[192.0.2.1]:25: Connection timed out)" % (pid + 500, q, r,
                              r.split("@")[1])))
        ev.append((later, "mx postfix/smtp[%d]: %s: to=<%s>, relay=%s[192.0.2.1]:25, delay=3, "
                          "delays=1/0/1/1, dsn=2.0.0, status=sent (250 2.0.0 Ok)" % (
                          pid + 500, q, r, r.split("@")[1])))
    ev.append((later, "mx postfix/qmgr[800]: %s: removed" % q))
    lines += ev
lines.sort(key=lambda x: x[0])  # stable: a message's own lines keep their order
for s, text in lines:
    print(stamp(s), text)
PY
  total=$(wc -l <all.log)
  rm -f two.case one.case ./*.key
  # Cut where messages are queued but not yet removed.
  cut=$(python3 -c '
import sys
lines = open(sys.argv[1]).read().splitlines()
frm, gone = {}, {}
for n, l in enumerate(lines, 1):
    f = l.split()
    if len(f) > 6 and f[6].startswith("from=<"): frm[f[5]] = n
    if len(f) > 6 and f[6] == "removed": gone[f[5]] = n
# The latest line (before the last third) at which the most messages wait in the queue.
best = max(range(1, 2 * len(lines) // 3),
           key=lambda c: (sum(1 for q in frm if frm[q] <= c < gone.get(q, 0)), c))
print(best)' all.log)
  [[ -n $cut ]] || fail "seed $seed: the generator left nothing queued at any cut"
  head -n "$cut" all.log >grown.log
  ingest --case two.case --create grown.log
  queued_first=$("$BIN/mxir-ingest" --year 2026 --tz UTC --format jsonl grown.log 2>/dev/null |
    grep -c '"state":"queued"')
  [[ $queued_first -gt 0 ]] || fail "seed $seed: the first read has no queued message"
  tail -n +"$((cut + 1))" all.log >>grown.log
  ingest --case two.case grown.log
  ingest --case one.case --create grown.log
  f_two=$(detect two.case)
  m_two=$(counter messages)
  merged=$(counter queued_messages_seen_leaving_later)
  f_one=$(detect one.case)
  m_one=$(counter messages)
  [[ $m_two == "$m_one" && $m_one -gt 0 ]] ||
    fail "seed $seed: $m_two messages after two reads, $m_one in one read"
  [[ $merged -ge $queued_first ]] ||
    fail "seed $seed: $queued_first queued in the first read, $merged seen leaving later"
  [[ "$f_two" == "$f_one" ]] || fail "seed $seed: findings differ: $f_two /// $f_one"
  [[ $f_one == *bulk_outbound* ]] || fail "seed $seed: no bulk_outbound finding: $f_one"
  # The same log rotated at the cut: mail.log.1 and mail.log read in separate runs. The later
  # file has only the end of the messages queued at the cut (`continued`); each completes its
  # queued record, so the case again holds every message once with its sender and account.
  rm -f rot.case
  head -n "$cut" all.log >mail.log.1
  tail -n +"$((cut + 1))" all.log >mail.log
  ingest --case rot.case --create mail.log.1
  continued=$("$BIN/mxir-ingest" --year 2026 --tz UTC --format jsonl mail.log 2>/dev/null |
    grep -c '"continued":true')
  [[ $continued -ge $queued_first ]] ||
    fail "seed $seed: $queued_first queued in mail.log.1, only $continued continued in mail.log"
  ingest --case rot.case mail.log
  f_rot=$(detect rot.case)
  m_rot=$(counter messages)
  merged=$(counter queued_messages_seen_leaving_later)
  [[ $m_rot == "$m_one" ]] || fail "seed $seed: $m_rot messages after rotation, $m_one in one read"
  [[ $merged -ge $queued_first ]] ||
    fail "seed $seed: rotation: $queued_first queued in mail.log.1, $merged completed by mail.log"
  [[ "$f_rot" == "$f_one" ]] || fail "seed $seed: findings differ after rotation: $f_rot /// $f_one"
  echo "seed $seed: $total lines, cut at $cut, $queued_first queued, $m_one messages, findings equal (grown and rotated)"
done
echo PASS
