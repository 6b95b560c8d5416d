#!/usr/bin/env bash
# mxir case, end to end through the built tools: every command, every --format json output
# parses, exit statuses of the contract, private files, concurrent writers, bad case files.
set -euo pipefail
BIN="${MXIR_BIN_DIR:?}"
T="$(mktemp -d /tmp/mxir-case-cli-XXXXXX)"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
json_ok() { python3 -c 'import json,sys; json.load(sys.stdin)' || fail "not JSON: $1"; }
expect_rc() {  # expect_rc CODE CMD...
  local want="$1"; shift
  set +e; "$@" >"$T/out" 2>"$T/err"; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat "$T/err" >&2; fail "'$*' exited $rc, want $want"; }
}
C="$T/acme.case"

expect_rc 0 "$BIN/mxir" case new --case "$C" --title "Acme" --domain acme.example \
  --ip 203.0.113.25 --account bob@acme.example --format json
json_ok "case new" <"$T/out"
[ "$(stat -c %a "$C")" = 600 ] || fail "case file mode $(stat -c %a "$C")"
[ "$(stat -c %a "$C.key")" = 600 ] || fail "key file mode"

expect_rc 2 "$BIN/mxir" case new --case "$C" --title "again"      # exists
expect_rc 2 "$BIN/mxir" case new --case "$T/x.case"                 # no title
expect_rc 2 "$BIN/mxir" case new --case "$T/y.case" --title t --ip 999.1.1.1
[ ! -e "$T/y.case" ] || fail "a refused case left a file behind"

expect_rc 0 "$BIN/mxir-case" show --case "$C" --format json
json_ok "case show" <"$T/out"
MXIR_CASE="$C" expect_rc 0 "$BIN/mxir" case show
grep -q "acme.example" "$T/out" || fail "show (table, via MXIR_CASE) lacks the domain"

expect_rc 0 "$BIN/mxir" case add-asset --case "$C" --ip 198.51.100.7 --network 198.51.100.0/28 \
  --note "office NAT"
expect_rc 0 "$BIN/mxir" case add-asset --case "$C" --ip 198.51.100.7
grep -q "already there" "$T/out" || fail "re-adding an asset should say it is there"
expect_rc 2 "$BIN/mxir" case add-asset --case "$C" --domain "bad domain"
expect_rc 2 "$BIN/mxir" case add-asset --case "$C"

# Concurrent writers: ten notes at once all land.
for i in $(seq 1 10); do "$BIN/mxir" case note --case "$C" "note number $i" >/dev/null & done
wait
expect_rc 0 "$BIN/mxir" case timeline --case "$C" --format json
json_ok "timeline" <"$T/out"
n=$(python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["what"]=="note"))' <"$T/out")
[ "$n" = 10 ] || fail "expected 10 notes in the timeline, got $n"
for f in table jsonl csv; do expect_rc 0 "$BIN/mxir" case timeline --case "$C" --format "$f"; done
expect_rc 2 "$BIN/mxir" case timeline --case "$C" --format xml
expect_rc 2 "$BIN/mxir" case timeline --case "$C" --since yesterday

expect_rc 0 "$BIN/mxir" case export --case "$C" --format json
json_ok "export" <"$T/out"
key=$(head -c 32 "$C.key")
! grep -q "$key" "$T/out" || fail "the export contains the fingerprint key"
expect_rc 0 "$BIN/mxir" case export --case "$C" --output "$T/export.json"
[ "$(stat -c %a "$T/export.json")" = 600 ] || fail "export file mode"
json_ok "export file" <"$T/export.json"

# Missing, empty, corrupt and foreign files: exit 2 with a message, never a crash.
expect_rc 2 "$BIN/mxir" case show --case "$T/missing.case"
grep -q "no such case — create it with mxir case new" "$T/err" || fail "missing-case message"
: >"$T/empty.case"; expect_rc 2 "$BIN/mxir" case show --case "$T/empty.case"
head -c 20000 /dev/urandom >"$T/random.case"; expect_rc 2 "$BIN/mxir" case show --case "$T/random.case"
head -c 2000 "$C" >"$T/cut.case"; expect_rc 2 "$BIN/mxir" case show --case "$T/cut.case"
expect_rc 2 "$BIN/mxir" case show

# The dispatcher.
expect_rc 0 "$BIN/mxir" --help
grep -q "case" "$T/out" || fail "mxir --help lists no tools"
expect_rc 0 "$BIN/mxir" --version
expect_rc 2 "$BIN/mxir" no-such-tool
expect_rc 0 "$BIN/mxir" case --help
expect_rc 0 "$BIN/mxir" case new --help
echo "mxir case: all checks passed"
