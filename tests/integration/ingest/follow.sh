#!/usr/bin/env bash
# mxir ingest --follow: lines written before the start, lines appended after it, a rotation by
# rename (with a last line written to the old file) and a rotation by copytruncate are each
# ingested exactly once, into the case and on stdout; SIGTERM stops it cleanly (exit 0).
set -u -o pipefail
INGEST=${MXIR_BIN_DIR:?}/mxir-ingest
[[ -x $INGEST ]] || { echo "FAIL: $INGEST not built" >&2; exit 1; }
DIR=$(mktemp -d /tmp/mxir-follow-XXXXXX) || exit 1
PID=
cleanup() {
  [[ -n $PID ]] && kill "$PID" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  cat "$DIR/err" >&2 2>/dev/null
  exit 1
}
LOG=$DIR/mail.log
line() {  # one Dovecot failure line for user u$1 (each user exactly once in the whole test)
  printf '%s mx dovecot: auth: passwd-file(u%s,192.0.2.%s): Password mismatch\n' \
    "$(LC_ALL=C date '+%b %e %H:%M:%S')" "$1" "$1"
}
line 1 >"$LOG"
line 2 >>"$LOG"
"$INGEST" --follow --follow-for 30 --case "$DIR/f.case" --create --format jsonl --stats json \
  "$LOG" >"$DIR/out.jsonl" 2>"$DIR/err" &
PID=$!
pause() { sleep 0.7; }
pause
line 3 >>"$LOG"
line 4 >>"$LOG"
pause
# Rotation by rename: the writer finishes the old file, then a new one appears.
mv "$LOG" "$LOG.1" && line 5 >>"$LOG.1" && line 6 >"$LOG"
pause
line 7 >>"$LOG"
pause
# Rotation by copytruncate: the same file is copied away and emptied.
cp "$LOG" "$LOG.2" && : >"$LOG" && line 8 >>"$LOG"
pause
# A line written in two parts is taken once, when complete.
full=$(line 9)
printf '%s' "${full:0:30}" >>"$LOG"
pause
printf '%s\n' "${full:30}" >>"$LOG"
line 10 >>"$LOG"
pause
kill -TERM "$PID"
for ((i = 0; i < 50; i++)); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
wait "$PID"
rc=$?
PID=
[[ $rc -eq 0 ]] || fail "mxir ingest --follow exited $rc after SIGTERM"
python3 - "$DIR/out.jsonl" "$DIR/err" <<'PY' || fail "not exactly once"
import collections, json, sys
users = collections.Counter(json.loads(l).get("user") for l in open(sys.argv[1]))
want = {"u%d" % i: 1 for i in range(1, 11)}
stats = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
ok = dict(users) == want and stats.get("stored") == 10
print("users seen:", dict(sorted(users.items())), "stored:", stats.get("stored"))
sys.exit(0 if ok else 1)
PY
# Following again from the start stores nothing new.
"$INGEST" --follow --follow-for 1 --case "$DIR/f.case" --stats json "$LOG" 2>"$DIR/err2" >/dev/null ||
  fail "second follow failed"
grep -q '"stored":0' "$DIR/err2" || fail "second follow stored again: $(cat "$DIR/err2")"
echo "PASS: --follow took every line once across appends, rename and copytruncate rotation"
