#!/usr/bin/env bash
# Findings with a life (issue #17, P4), end to end through the built tools on the
# dictionary-attack sample: the settings given to detect are stored in the case and reused (a
# later `detect --explain` keeps the verdicts); a run that no longer supports a finding marks it
# resolved with why; `case findings` lists them; `case dismiss` marks a false positive (audited);
# reset --from-findings acts only on active, undismissed findings and says what it skipped.
set -euo pipefail
BIN="${MXIR_BIN_DIR:?}"
S="${MXIR_SOURCE_DIR:?}/samples/dictionary-attack"
T="$(mktemp -d /tmp/mxir-findings-life-XXXXXX)"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
C="$T/acme.case"
export MXIR_TZ=UTC
# status_of KIND -> "severity status" of the stored finding of that kind
status_of() {
  "$BIN/mxir" case findings --case "$C" --format json | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["kind"] == sys.argv[1]:
        print(r["severity"], r["status"]); break
else:
    print("none")' "$1"
}

"$BIN/mxir" case new --case "$C" --title "findings life" >/dev/null
"$BIN/mxir" ingest --year 2026 --tz UTC --case "$C" "$S/postfix.log" "$S/dovecot.log" 2>/dev/null
out=$("$BIN/mxir" case findings --case "$C")
[[ $out == *"No findings stored"*"mxir detect --case"* ]] || fail "empty findings: $out"

"$BIN/mxir" detect --case "$C" --internal 127.0.0.0/25 --local-domain acme.example \
  >"$T/first" 2>"$T/err"
grep -q "settings stored in the case" "$T/err" || fail "settings not announced: $(cat "$T/err")"
[[ $(status_of account_compromise) == "critical active" ]] || fail "compromise: $(status_of account_compromise)"
[[ $(status_of brute_force) == "high active" ]] || fail "brute force from outside: $(status_of brute_force)"

# A later run without the options uses the stored ones: same verdicts, nothing resolved.
"$BIN/mxir" detect --case "$C" --explain >"$T/explain" 2>"$T/err"
grep -q "using the settings stored in the case: --internal 127.0.0.0/25 --local-domain acme.example" \
  "$T/err" || fail "stored settings not reused: $(cat "$T/err")"
grep -q "password guessing from outside" "$T/explain" || fail "--explain changed the verdict"
grep -q "resolved\|changed from" "$T/err" && fail "a re-run with the same settings changed findings"
[[ $(status_of brute_force) == "high active" ]] || fail "brute force after --explain: $(status_of brute_force)"

# Raised thresholds: the bulk sending is no longer a finding -> resolved, kept, with why.
"$BIN/mxir" detect --case "$C" --bulk-min-recipients 100000 --bulk-min-messages 100000 \
  >/dev/null 2>"$T/err"
grep -q "no longer supported by the events and now resolved" "$T/err" || fail "no resolve note: $(cat "$T/err")"
[[ $(status_of bulk_outbound) == "high resolved" ]] || fail "not resolved: $(status_of bulk_outbound)"
"$BIN/mxir" case findings --case "$C" --status resolved --format json | python3 -c '
import json, sys
rs = json.load(sys.stdin)
assert rs and all(r["status"] == "resolved" for r in rs), rs
assert any("--bulk-min-messages 100000" in r["status_why"] for r in rs), rs
' || fail "resolved findings lack why"

# Back to the normal thresholds: supported again -> active again.
"$BIN/mxir" detect --case "$C" --bulk-min-recipients 100 --bulk-min-messages 50 >/dev/null 2>"$T/err"
grep -q "active again" "$T/err" || fail "no reactivation note: $(cat "$T/err")"
[[ $(status_of bulk_outbound) == "high active" ]] || fail "not active again"
printf 'info:{PLAIN}x::::::\n' >"$T/users"
printf '[dovecot]\npasswd_file = %s\ndoveadm =\n' "$T/users" >"$T/hooks.ini"
chmod 600 "$T/hooks.ini"
"$BIN/mxir" reset --from-findings --case "$C" --provider dovecot --hooks "$T/hooks.ini" \
  --dry-run >"$T/out" 2>"$T/err" || true
grep -q "^  info (account_compromise finding" "$T/err" || fail "active finding not planned: $(cat "$T/err")"

# Dismiss: reason required, unknown id refused, audited, kept by later runs, not acted on.
id=$("$BIN/mxir" case findings --case "$C" --format json |
  python3 -c 'import json,sys; print([r["id"] for r in json.load(sys.stdin) if r["kind"]=="account_compromise"][0])')
set +e
"$BIN/mxir" case dismiss --case "$C" "$id" >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] || fail "dismiss without --why exited $rc"
"$BIN/mxir" case dismiss --case "$C" no-such-id --why x >/dev/null 2>"$T/err"; rc=$?
[[ $rc == 2 ]] && grep -q "mxir case findings" "$T/err" || fail "unknown id: rc $rc $(cat "$T/err")"
set -e
"$BIN/mxir" case dismiss --case "$C" "$id" --why "lab exercise, not a real login" | grep -q "dismissed" ||
  fail "dismiss output"
"$BIN/mxir" case timeline --case "$C" --format json | python3 -c '
import json, sys
acts = [r for r in json.load(sys.stdin) if r["type"] == "action" and r["what"] == "dismiss finding"]
assert len(acts) == 1 and acts[0]["record"]["details"]["why"] == "lab exercise, not a real login", acts
' || fail "dismissal not in the audit trail"
"$BIN/mxir" detect --case "$C" >/dev/null 2>"$T/err"
grep -q "dismissed earlier (left dismissed)" "$T/err" || fail "re-run note: $(cat "$T/err")"
[[ $(status_of account_compromise) == "critical dismissed" ]] || fail "dismissal lost by a re-run"
"$BIN/mxir" reset --from-findings --case "$C" --provider dovecot --hooks "$T/hooks.ini" \
  --dry-run >"$T/out" 2>"$T/err" || true
grep -q "is dismissed: lab exercise" "$T/err" || fail "dismissed finding not said: $(cat "$T/err")"
grep -q "^  info (account_compromise finding" "$T/err" && fail "dismissed finding acted on: $(cat "$T/err")"
"$BIN/mxir" case dismiss --case "$C" "$id" --undo --why "it was real after all" | grep -q "active again" ||
  fail "undo"
# P16: the stale device is named by its EHLO name from the capture (only the sessions that carried
# the stale account's failures: other devices behind the same address are not named).
"$BIN/mxir" capture --read "${MXIR_SOURCE_DIR}/samples/stale-device/capture.pcap" --format jsonl 2>/dev/null |
  "$BIN/mxir" detect --events - --internal 127.0.0.0/25 --format json 2>/dev/null | python3 -c '
import json, sys
stale = [f for f in json.load(sys.stdin) if f["kind"] == "stale_credentials"]
assert len(stale) == 1, stale
assert stale[0]["evidence"].get("device_names") == ["DESKTOP-4N7QK2P"], stale[0]["evidence"]
assert "Find the device named DESKTOP-4N7QK2P" in stale[0]["next_steps"][0], stale[0]["next_steps"]
' || fail "stale device not named by its EHLO name"
echo ok
