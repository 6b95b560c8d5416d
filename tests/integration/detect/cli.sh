#!/usr/bin/env bash
# mxir detect's command line: --help, bad input counted not fatal, --fail-on exit status,
# --config, unknown thresholds refused, --follow on a case stops at --duration (and keeps freed
# memory for its next pass).
set -u
BIN=${MXIR_BIN_DIR:?}
D=$BIN/mxir-detect
[[ -x $D && -x $BIN/mxir-case ]] || { echo "skip: mxir-detect or mxir-case not built" >&2; exit 77; }
WORK=$(mktemp -d /tmp/mxir-detect-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$D" --help | grep -q -- "--brute-min-failures" || fail "--help lacks the thresholds"
"$D" --help | grep -q "Exit status" || fail "--help lacks exit statuses"
"$D" >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "no input must be a usage error (2)"
"$D" --events - --no-such-threshold 1 </dev/null >/dev/null 2>&1; [[ $? -eq 2 ]] || fail "unknown option"

# Twelve failures of one account with twelve passwords, plus bad lines of every kind.
{
  for i in $(seq 10 21); do
    printf '{"ts":"2026-11-23T01:00:%02dZ","source":"dovecot","session":"s%d","client_ip":"203.0.113.9","kind":"auth","user":"alice","outcome":"failure","secret_fp":"dovecot-sha1:%06d"}\n' "$i" "$i" "$i"
  done
  echo 'not json'
  echo '{"ts":"2026-11-23T01:00:00Z","kind":"warp"}'
  echo '{"kind":"auth"}'
  echo '{"ts":"2026-11-23T01:00:00Z","kind":"auth","client_port":"x"}'
  echo '{"ts":"2026-11-23T00:59:00Z","kind":"auth","source":"dovecot","user":"bob","outcome":"failure"}'
} >"$WORK/events.jsonl"
"$D" --events "$WORK/events.jsonl" --format jsonl --stats json >"$WORK/out.jsonl" 2>"$WORK/err"
rc=$?
[[ $rc -eq 0 ]] || fail "exit $rc: $(cat "$WORK/err")"
grep -q '"kind":"brute_force"' "$WORK/out.jsonl" || fail "no brute_force finding"
tail -1 "$WORK/err" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
assert s["skipped"]["bad_event"] == 4, s
assert s["skipped"]["auth_without_client_ip"] == 1, s
assert s["out_of_order"] == 1, s
' || fail "counters: $(tail -1 "$WORK/err")"
"$D" --events "$WORK/events.jsonl" --fail-on high >/dev/null 2>&1; [[ $? -eq 1 ]] || fail "--fail-on high"
"$D" --events "$WORK/events.jsonl" --fail-on critical >/dev/null 2>&1; [[ $? -eq 0 ]] || fail "--fail-on critical"
printf '[detect]\nbrute_min_failures = 50\n' >"$WORK/d.ini"
"$D" --events "$WORK/events.jsonl" --config "$WORK/d.ini" --format jsonl 2>/dev/null | grep -q brute_force \
  && fail "--config threshold ignored"
printf '[detect]\nbrute_min_failure = 5\n' >"$WORK/bad.ini"
"$D" --events "$WORK/events.jsonl" --config "$WORK/bad.ini" >/dev/null 2>"$WORK/err"; [[ $? -eq 2 ]] || fail "bad config key"
grep -q "brute-min-failure" "$WORK/err" || fail "bad config key not named"

# --follow on a case stops at --duration and prints each finding once.
"$BIN/mxir-case" new --case "$WORK/c.case" --title t >/dev/null 2>&1 || fail "case new"
timeout 30 "$D" --case "$WORK/c.case" --follow --interval 0.5 --duration 2 --format jsonl \
  >"$WORK/follow.jsonl" 2>/dev/null
[[ $? -eq 0 ]] || fail "--follow did not stop cleanly"

# --follow keeps the pages a pass frees for the next pass (core/freed_memory.h) when mxir-detect
# runs on jemalloc (not in a sanitizer build): jemalloc's own report at exit shows decay off for
# arenas made later and for the first arena, made before the setting (its "dirty:" decay time
# N/A, not the default 10000 ms).
arena0_decay() { awk '/^arenas\[0\]:/ { a = 1 } a && /^ *dirty:/ { print $2; exit }' "$1"; }
if ldd "$D" | grep -q libjemalloc; then
  MALLOC_CONF=stats_print:true timeout 30 "$D" --case "$WORK/c.case" --follow --interval 0.5 \
    --duration 1 >/dev/null 2>"$WORK/jemalloc.txt"
  grep -q "arenas.dirty_decay_ms: -1" "$WORK/jemalloc.txt" || fail "--follow left jemalloc's decay on"
  [[ $(arena0_decay "$WORK/jemalloc.txt") == N/A ]] || fail "--follow left the first arena's decay on"
  MALLOC_CONF=stats_print:true "$D" --case "$WORK/c.case" >/dev/null 2>"$WORK/jemalloc1.txt"
  grep -q "arenas.dirty_decay_ms: -1" "$WORK/jemalloc1.txt" && fail "a one-shot run turned decay off"
  [[ $(arena0_decay "$WORK/jemalloc1.txt") =~ ^[0-9]+$ ]] || fail "no decay time for a one-shot run"
fi
echo "ok"
