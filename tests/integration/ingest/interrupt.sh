#!/usr/bin/env bash
# P11: long ingests show progress on a terminal and stay silent otherwise; Ctrl-C ends with
# "interrupted after N events (committed ...); run the same command again to continue", an audit
# record, exit 130; running the same command again completes the case.
set -u -o pipefail
BIN=${MXIR_BIN_DIR:?}
S=${MXIR_SOURCE_DIR:?}/samples
T=$(mktemp -d /tmp/mxir-interrupt-XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v script >/dev/null || { echo "skip: script(1) not installed" >&2; exit 77; }
# ~700k lines: the sample Postfix logs again and again, each copy on another day (distinct events).
python3 - "$S" "$T/big.log" <<'PY'
import sys, glob
lines = []
for f in sorted(glob.glob(sys.argv[1] + "/*/postfix.log")):
    lines += [l for l in open(f, encoding="utf-8", errors="replace") if l[:4] == "Nov "]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"]
with open(sys.argv[2], "w") as out:
    for rep in range(150):
        stamp = "%s %2d" % (months[rep // 28], 1 + rep % 28)
        for l in lines:
            out.write(stamp + l[6:])
PY
[[ $(wc -l <"$T/big.log") -gt 500000 ]] || fail "generator made too few lines"

# No terminal: no progress line on stderr.
"$BIN/mxir" ingest --year 2026 --tz UTC --format jsonl "$T/big.log" >/dev/null 2>"$T/quiet.err" || true
grep -q $'\r' "$T/quiet.err" && fail "progress drawn without a terminal"
grep -q "reading" "$T/quiet.err" && fail "progress text without a terminal"

# A terminal (script(1) gives one): a progress line with the file, bytes and rate.
script -qec "'$BIN/mxir' ingest --year 2026 --tz UTC --format jsonl '$T/big.log' >/dev/null" /dev/null \
  >"$T/tty.out" 2>&1 || true
grep -q "reading $T/big.log: .*%.*B" "$T/tty.out" || fail "no progress on a terminal: $(head -c 400 "$T/tty.out")"

# Ctrl-C (SIGINT) in the middle of a run into a case.
"$BIN/mxir" case new --case "$T/c.case" --title interrupt >/dev/null || fail "case new"
timeout --preserve-status -s INT 0.7 "$BIN/mxir-ingest" --year 2026 --tz UTC --case "$T/c.case" "$T/big.log" \
  >/dev/null 2>"$T/int.err"
rc=$?
if [[ $rc == 0 ]]; then echo "skip: the ingest finished before the interrupt (machine too fast)" >&2; exit 77; fi
[[ $rc == 130 ]] || fail "interrupted ingest exited $rc: $(cat "$T/int.err")"
grep -Eq "interrupted after [0-9]+ events \(committed to the case\); run the same command again to continue" \
  "$T/int.err" || fail "no interruption message: $(cat "$T/int.err")"
n=$(grep -oE "interrupted after [0-9]+" "$T/int.err" | grep -oE "[0-9]+$")
"$BIN/mxir" case timeline --case "$T/c.case" --format json >"$T/tl.json" || fail "timeline"
python3 - "$T/tl.json" "$n" <<'PY' || fail "audit record of the interruption"
import json, sys
rows = json.load(open(sys.argv[1]))
acts = [r["record"] for r in rows if r["type"] == "action" and r["what"] == "ingest logs"]
assert acts and acts[-1]["outcome"] == "interrupted", acts
assert acts[-1]["details"]["stored"] == int(sys.argv[2]), (acts[-1], sys.argv[2])
PY
# The same command again completes it.
"$BIN/mxir-ingest" --year 2026 --tz UTC --case "$T/c.case" "$T/big.log" >/dev/null 2>"$T/again.err" ||
  fail "re-run: $(cat "$T/again.err")"
total=$("$BIN/mxir" ingest --year 2026 --tz UTC --format jsonl "$T/big.log" 2>/dev/null | wc -l)
stored=$("$BIN/mxir" case show --case "$T/c.case" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["events"])')
[[ $stored == "$total" ]] || fail "after the re-run the case holds $stored events, the log $total"
echo ok
