#!/usr/bin/env bash
# ./run demo keeps working: run its script on the built tools and check that it reaches the
# verdicts of the samples' ground truth and resets only the compromised account.
set -euo pipefail
export MXIR_DEMO_DIR="$(mktemp -d /tmp/mxir-demo-test-XXXXXX)"
trap 'rm -rf "$MXIR_DEMO_DIR"' EXIT
out="$MXIR_DEMO_DIR/out.txt"
bash "$MXIR_SOURCE_DIR/scripts/demo.sh" "$MXIR_BIN_DIR" >"$out" 2>&1 || { cat "$out"; exit 1; }
fail() { echo "FAIL: $*" >&2; cat "$out" >&2; exit 1; }
grep -qE '^critical +account_compromise +127\.0\.0\.200 +info' "$out" || fail "no account_compromise for info"
grep -qE '^high +brute_force +127\.0\.0\.200 +info' "$out" || fail "no brute_force"
grep -qE '^high +bulk_outbound +127\.0\.0\.201 +info' "$out" || fail "no bulk_outbound"
grep -qE '^medium +stale_credentials +127\.0\.0\.10 +carol' "$out" || fail "no stale_credentials for carol"
grep -qE '^info +dovecot +reset_password +done +yes' "$out" || fail "info was not reset"
grep -q 'not resetting carol' "$out" || fail "the stale device's account must not be reset"
[ "$(stat -c %a "$MXIR_DEMO_DIR/new-passwords.txt")" = 600 ] || fail "password file mode"
! grep -q "$(cut -f2 "$MXIR_DEMO_DIR/new-passwords.txt")" "$out" || fail "the new password was printed"
grep -qE 'Run run-[0-9T]+-[0-9a-f]+: completed \(outcome: resolved\)' "$out" || fail "the runbook dry run did not complete"
grep -qE '^run-[0-9T-]+[0-9a-f]+ +reset +run +skipped .*would change: mxir reset info' "$out" ||
  fail "the runbook record does not show the reset it would make"
[ ! -e "$MXIR_DEMO_DIR/pw2.txt" ] || fail "the dry run wrote a password file"
echo "demo: all verdicts as in the samples' truth"
