#!/usr/bin/env bash
# mxir ingest on bad input: binary garbage, a 10 MB line, invalid UTF-8, a truncated .gz, a
# missing file, an empty file and stdin. Each is counted or a clear error, never a crash.
set -u -o pipefail
INGEST=${MXIR_BIN_DIR:?}/mxir-ingest
[[ -x $INGEST ]] || { echo "FAIL: $INGEST not built" >&2; exit 1; }
DIR=$(mktemp -d /tmp/mxir-badinput-XXXXXX) || exit 1
trap 'rm -rf "$DIR"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
GOOD='Nov 23 10:00:00 mx dovecot: auth: passwd-file(bob,192.0.2.1): Password mismatch'
run() {  # run NAME ARGS...: exit status in $rc, stdout in $DIR/NAME.out, stderr in $DIR/NAME.err
  local name=$1
  shift
  timeout 60 "$INGEST" "$@" --format jsonl --stats json >"$DIR/$name.out" 2>"$DIR/$name.err"
  rc=$?
  [[ $rc -lt 124 ]] || fail "$name: crashed or hung (exit $rc): $(cat "$DIR/$name.err")"
}

# 1. Binary garbage: no events, lines counted as unknown, and said: not a mail log (exit 2).
head -c 2000000 /dev/urandom >"$DIR/garbage.log"
run garbage "$DIR/garbage.log"
[[ $rc -eq 2 ]] || fail "garbage: exit $rc"
grep -q '"unknown_format":' "$DIR/garbage.err" || fail "garbage: not counted: $(cat "$DIR/garbage.err")"
grep -q "does not look like a mail log: none of its .* lines is in a known format (formats: .*postfix" \
  "$DIR/garbage.err" || fail "garbage: not said: $(cat "$DIR/garbage.err")"
# The same for a file of another kind, and for a log read with the wrong --log-format.
printf 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n' >"$DIR/passwd"
run passwd "$DIR/passwd"
[[ $rc -eq 2 ]] && grep -q "does not look like a mail log" "$DIR/passwd.err" || fail "passwd: exit $rc"
printf '%s\n' "$GOOD" >"$DIR/dovecot.log"
run wrongfmt --log-format exim "$DIR/dovecot.log"
[[ $rc -eq 2 ]] && grep -q "does not hold exim log lines" "$DIR/wrongfmt.err" || fail "wrong --log-format: exit $rc $(cat "$DIR/wrongfmt.err")"
# One understood line is enough: a mail log with noise in it is fine.
printf 'garbage line\n%s\n' "$GOOD" >"$DIR/mixed.log"
run mixed "$DIR/mixed.log"
[[ $rc -eq 0 ]] || fail "a mail log with one unknown line: exit $rc"

# 2. A 10 MB line between two good ones: cut and counted, both good lines still read.
python3 -c "
import sys
good = sys.argv[1]
with open(sys.argv[2], 'w') as f:
    f.write(good + '\n' + 'Nov 23 10:00:01 mx postfix/smtpd[1]: ' + 'x' * 10_000_000 + '\n' + good + '\n')
" "$GOOD" "$DIR/long.log"
run long "$DIR/long.log"
[[ $rc -eq 0 ]] || fail "long line: exit $rc"
[[ $(wc -l <"$DIR/long.out") -eq 2 ]] || fail "long line: the good lines around it were not both read"
grep -q '"lines_cut":1' "$DIR/long.err" || fail "long line: not counted: $(cat "$DIR/long.err")"

# 3. Invalid UTF-8 in a user name: valid JSON out, the bytes escaped or replaced.
printf 'Nov 23 10:00:00 mx dovecot: auth: passwd-file(b\xff\xfeob,192.0.2.1): unknown user\n' >"$DIR/utf8.log"
run utf8 "$DIR/utf8.log"
[[ $rc -eq 0 ]] || fail "invalid UTF-8: exit $rc"
python3 -c "
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8')]
assert len(rows) == 1 and rows[0]['kind'] == 'auth', rows
" "$DIR/utf8.out" || fail "invalid UTF-8: output is not valid UTF-8 JSON: $(cat "$DIR/utf8.out")"

# 4. A truncated .gz: the readable lines are ingested, then a clear error and exit 2.
for i in $(seq 1 30000); do echo "$GOOD"; done | gzip -c >"$DIR/full.gz"
head -c $(($(stat -c %s "$DIR/full.gz") / 2)) "$DIR/full.gz" >"$DIR/cut.log.gz"
run truncated "$DIR/cut.log.gz"
[[ $rc -eq 2 ]] || fail "truncated gzip: exit $rc, want 2"
grep -q "truncated gzip" "$DIR/truncated.err" || fail "truncated gzip: unclear error: $(cat "$DIR/truncated.err")"
n=$(wc -l <"$DIR/truncated.out")
[[ $n -gt 0 && $n -lt 30000 ]] || fail "truncated gzip: $n events, want the readable part"

# 5. A missing file among good ones: the others are read, exit 2, the message names the file.
echo "$GOOD" >"$DIR/good.log"
run missing "$DIR/no-such.log" "$DIR/good.log"
[[ $rc -eq 2 ]] || fail "missing file: exit $rc, want 2"
grep -q "no-such.log" "$DIR/missing.err" || fail "missing file: unclear error"
[[ $(wc -l <"$DIR/missing.out") -eq 1 ]] || fail "missing file: the good file was not read"

# 6. Empty file and stdin.
: >"$DIR/empty.log"
run empty "$DIR/empty.log"
[[ $rc -eq 0 && ! -s $DIR/empty.out ]] || fail "empty file: exit $rc"
echo "$GOOD" | timeout 30 "$INGEST" - --format jsonl >"$DIR/stdin.out" 2>/dev/null || fail "stdin failed"
grep -q '"file":"-"' "$DIR/stdin.out" || fail "stdin: origin is not '-'"

# 7. Bad usage is exit 2 with a hint.
timeout 10 "$INGEST" --log-format nosuch "$DIR/good.log" >/dev/null 2>"$DIR/usage.err"
[[ $? -eq 2 ]] && grep -q "unknown log format" "$DIR/usage.err" || fail "bad --log-format not a usage error"
echo "PASS: garbage, 10 MB line, invalid UTF-8, truncated gzip, missing/empty file, stdin"
