#!/usr/bin/env bash
# Event identity from content (spec/events.md "Identity and provenance"): a grown log, a rotated
# and compressed log, the same log through stdin and by path, --follow then a batch read, two
# overlapping capture files, and a case written before schema 6 (re-keyed when opened) each add
# exactly the new events — the same count and the same findings as one fresh read of the same
# data — and every input read leaves a `sources` record.
set -u -o pipefail
BIN=${MXIR_BIN_DIR:?}
SRC=${MXIR_SOURCE_DIR:?}
for t in mxir-ingest mxir-case mxir-detect mxir-capture; do
  [[ -x $BIN/$t ]] || { echo "FAIL: $BIN/$t not built" >&2; exit 1; }
done
DIR=$(mktemp -d /tmp/mxir-identity-XXXXXX) || exit 1
trap 'rm -rf "$DIR"' EXIT
cd "$DIR" || exit 1
fail() {
  echo "FAIL: $*" >&2
  cat "$DIR/err" >&2 2>/dev/null
  exit 1
}
export TZ=UTC MXIR_NOW=2026-11-30T00:00:00Z
ingest() { "$BIN/mxir-ingest" --year 2026 --tz UTC --stats json "$@" 2>"$DIR/err"; }
stored() {  # CASE FILE...: ingests, prints how many events were new to the case
  local c=$1
  shift
  ingest --case "$c" --create "$@" || fail "ingest $*"
  python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["stored"])' "$DIR/err"
}
events() { "$BIN/mxir-case" show --case "$1" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])'; }
findings() {  # the findings of detect on the case, one line each, without times
  "$BIN/mxir-detect" --case "$1" --internal 127.0.0.0/25 --format jsonl 2>/dev/null |
    python3 -c '
import json, sys
rows = []
for line in sys.stdin:
    f = json.loads(line)
    rows.append("%s %s %s %s %s" % (f.get("severity"), f.get("kind"), f.get("client_ip"),
                                    f.get("user"), json.dumps(f.get("counts"), sort_keys=True)))
print("\n".join(sorted(rows)))'
}
same() {  # NAME CASE REFERENCE: equal event counts and findings
  local a b
  a=$(events "$2") b=$(events "$3")
  [[ $a == "$b" ]] || fail "$1: $a events in the case, $b in one fresh read"
  [[ "$(findings "$2")" == "$(findings "$3")" ]] ||
    fail "$1: findings differ: $(findings "$2") /// $(findings "$3")"
}

# 1. A log that grew: the second read adds exactly the new lines' events.
LOG=$SRC/samples/stale-device/postfix.log
head -200 "$LOG" >grown.log
n1=$(stored grown.case grown.log)
sed -n '201,$p' "$LOG" >>grown.log
n2=$(stored grown.case grown.log)
n_ref=$(stored grown-ref.case grown.log)
[[ $((n1 + n2)) == "$n_ref" ]] || fail "grown log: $n1 + $n2 stored, one read stores $n_ref"
[[ $n2 -gt 0 && $n2 -lt 10 ]] || fail "grown log: $n2 new events from 5 new lines"
same "grown log" grown.case grown-ref.case

# 2. Rotation and compression: mail.log (first half, read live) becomes mail.log.1.gz, the rest
#    is written to a new mail.log; reading both adds only the second half's events.
BIG=$SRC/samples/dictionary-attack/postfix.log
half=$(($(wc -l <"$BIG") / 2))
mkdir rot && head -n "$half" "$BIG" >rot/mail.log
n1=$(stored rot.case rot/mail.log)
mv rot/mail.log rot/mail.log.1 && gzip rot/mail.log.1 && tail -n +"$((half + 1))" "$BIG" >rot/mail.log
n2=$(stored rot.case rot/mail.log.1.gz rot/mail.log)
n_ref=$(stored rot-ref.case rot/mail.log.1.gz rot/mail.log)
[[ $((n1 + n2)) == "$n_ref" ]] || fail "rotated log: $n1 + $n2 stored, one read stores $n_ref"
same "rotated log" rot.case rot-ref.case
n3=$(stored rot.case rot/mail.log.1.gz rot/mail.log)
[[ $n3 == 0 ]] || fail "rotated log read again: $n3 stored"

# 3. The same log through stdin and by path (either order) adds nothing the second time.
n1=$(stored stdin.case - <"$BIG")
n2=$(stored stdin.case "$BIG")
[[ $n1 -gt 0 && $n2 == 0 ]] || fail "stdin then path: $n1 then $n2 stored"
n1=$(stored path.case "$BIG")
n2=$(stored path.case - <"$BIG")
[[ $n2 == 0 ]] || fail "path then stdin: $n2 stored"
same "stdin and path" stdin.case path.case

# 4. --follow, then a batch read of the same file: nothing twice.
cp "$BIG" follow.log
ingest --case follow.case --create --follow --follow-for 2 follow.log || fail "follow"
n2=$(stored follow.case follow.log)
[[ $n2 == 0 ]] || fail "--follow then batch: $n2 stored again"
same "--follow then batch" follow.case path.case

# 5. Two overlapping capture files (sessions 1..2/3 and 1/3..end of one capture): the second adds
#    only the sessions the first did not have.
PCAP=$SRC/samples/dictionary-attack/capture.pcap
if command -v tcpdump >/dev/null; then
  mapfile -t ports < <(tcpdump -nn -r "$PCAP" 'tcp[13] & 0x12 == 0x02' 2>/dev/null |
    sed -E 's/.* IP6? [^ ]+\.([0-9]+) > .*/\1/' | sort -un)
  n=${#ports[@]}
  ((n >= 6)) || fail "only $n sessions in $PCAP"
  filter() {  # FROM TO: the packets of the sessions from client port index FROM to TO-1
    local f="" i
    for ((i = $1; i < $2; i++)); do f+="${f:+ or }port ${ports[i]}"; done
    echo "tcp and ($f)"
  }
  tcpdump -nn -r "$PCAP" -w a.pcap "$(filter 0 $((2 * n / 3)))" 2>/dev/null
  tcpdump -nn -r "$PCAP" -w b.pcap "$(filter $((n / 3)) "$n")" 2>/dev/null
  "$BIN/mxir-capture" --read a.pcap --case pcap.case --create --format table >/dev/null 2>err ||
    fail "capture a.pcap"
  "$BIN/mxir-capture" --read b.pcap --case pcap.case --format table >/dev/null 2>err ||
    fail "capture b.pcap"
  "$BIN/mxir-capture" --read "$PCAP" --case pcap-ref.case --create --format table >/dev/null \
    2>err || fail "capture whole"
  same "overlapping captures" pcap.case pcap-ref.case
  "$BIN/mxir-capture" --read b.pcap --read a.pcap --case pcap.case --format table >/dev/null \
    2>err || fail "capture both again"
  [[ $(events pcap.case) == "$(events pcap-ref.case)" ]] || fail "captures read again added events"
fi

# 6. A case written before schema 6 (events keyed by the whole file's SHA-256, the grown log read
#    twice, so every old event is in it twice): opening it re-keys the events, stores each once,
#    and reading the files again adds nothing.
head -200 "$LOG" >old.log
ingest --format jsonl old.log >old1.jsonl || fail "jsonl 1"
sha1=$(sha256sum old.log | cut -d' ' -f1)
sed -n '201,$p' "$LOG" >>old.log
ingest --format jsonl old.log >old2.jsonl || fail "jsonl 2"
sha2=$(sha256sum old.log | cut -d' ' -f1)
python3 - "$SRC/tests/unit/casedb/fixtures/case_v1.sql" old.case "$sha1" "$sha2" <<'EOF' ||
import hashlib, json, sqlite3, sys
fixture, path, sha1, sha2 = sys.argv[1:5]
db = sqlite3.connect(path)
db.executescript(open(fixture).read().replace("PRAGMA user_version = 1;", ""))
db.execute("DELETE FROM events")
n = 0
for name, sha in (("old1.jsonl", sha1), ("old2.jsonl", sha2)):
    for line in open(name):
        e = json.loads(line)
        e["origin"]["sha256"] = sha  # as mxir wrote events before schema 6
        text = json.dumps(e, separators=(",", ":"))
        key = hashlib.sha256((sha + str(e["origin"]["line"]) + str(e["origin"].get("index", 0))
                              + e["kind"]).encode()).digest()[:16]
        db.execute("INSERT INTO events (key, ts, kind, source, session, client_ip, user, json) "
                   "VALUES (?, 0, ?, ?, ?, ?, ?, ?)", (key, e["kind"], e["source"],
                   e.get("session"), e.get("client_ip"), e.get("user"), text))
        n += 1
db.execute("PRAGMA user_version = 1")
db.commit()
print(n, file=sys.stderr)
EOF
  fail "making the old case"
chmod 600 old.case
"$BIN/mxir-case" show --case old.case >/dev/null 2>err || fail "opening the old case"
n_ref=$(stored old-ref.case old.log)
[[ $(events old.case) == "$n_ref" ]] ||
  fail "old case: $(events old.case) events after the upgrade, one read of the log makes $n_ref"
n2=$(stored old.case old.log)
[[ $n2 == 0 ]] || fail "old case: reading its log again stored $n2"
same "old case" old.case old-ref.case

# 7. The same log read with another year and zone: year-less stamps get another ts, but the
#    identity (and the identity index's order, schema 8) comes from the line's bytes: nothing new.
"$BIN/mxir-ingest" --year 2025 --tz Europe/Berlin --stats json --case grown.case grown.log \
  >/dev/null 2>err || fail "ingest with another year and zone"
n=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["stored"])' err)
[[ $n == 0 ]] || fail "another year and zone: $n events stored again"

# Every read left a `sources` record with the input's SHA-256.
"$BIN/mxir-case" show --case rot.case --format json | python3 -c '
import json, sys
s = json.load(sys.stdin)["sources"]
assert len(s) == 5, s
assert [x["path"] for x in s[1:3]] == ["rot/mail.log.1.gz", "rot/mail.log"], s
assert all(len(x["sha256"]) == 64 and x["records"] > 0 and x["first_seen"] for x in s), s
' || fail "sources records"
sha=$(sha256sum "$BIG" | cut -d' ' -f1)
"$BIN/mxir-case" show --case stdin.case --format json | python3 -c '
import json, sys
s = json.load(sys.stdin)["sources"]
assert s[0]["path"] == "-" and s[0]["sha256"] == sys.argv[1] and s[1]["sha256"] == sys.argv[1], s
' "$sha" || fail "stdin sources record"
"$BIN/mxir-case" export --case rot.case | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert len(j["sources"]) == 5 and j["events"][0]["json"]["kind"]
' || fail "export sources"
[[ $(stat -c %a rot.case) == 600 ]] || fail "case mode"
echo "ok"
