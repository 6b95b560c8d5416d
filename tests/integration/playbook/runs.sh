#!/usr/bin/env bash
# End-to-end runs of every shipped runbook on the samples, non-interactive with scripted
# answers (--answer/--approve), each checked in the case's record (mxir playbook status):
# states, answers, outputs, approvals. Plus: a gate is never passed without its approval; a run
# killed with kill -9 while it changes something resumes with that step unknown and resolves it
# through verify (the change is not made twice); --dry-run leaves the case's other tables and
# the sample server's files byte-identical; a changed runbook is refused on resume unless
# accepted; a repeated check waits (exit 4) until its next time. Blocklist lookups go to a fake
# DNSBL on loopback (fake_dnsbl.py), never anywhere else.
set -euo pipefail
BIN="${MXIR_BIN_DIR:?}"
SRC="${MXIR_SOURCE_DIR:?}"
HERE="$(cd "$(dirname "$0")" && pwd)"
T="$(mktemp -d /tmp/mxir-playbook-runs.XXXXXX)"
DNS_PID=""
cleanup() {
  [ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export MXIR_PLAYBOOKS="$SRC/playbooks"
unset MXIR_NOW MXIR_CASE

# The only blocklist: bl.mxir.test on a private loopback port.
PORT="$(python3 "$SRC/tests/integration/dnsbl/dns_helpers.py" freeport)"
: >"$T/listed.txt"
python3 "$HERE/fake_dnsbl.py" "$PORT" bl.mxir.test "$T/listed.txt" 200 &
DNS_PID=$!
python3 "$SRC/tests/integration/dnsbl/dns_helpers.py" wait "$PORT" 2.0.0.127.bl.mxir.test 10 ||
  fail "fake DNSBL did not start"
printf '{"zones":[{"id":"mxir-test","zone":"bl.mxir.test","kinds":["ip4"],"server":"127.0.0.1:%s","codes":[["127.0.0.2","listed","spam source"]],"txt":true,"state":"active","removal_url":"https://bl.example.test/remove"}]}\n' \
  "$PORT" >"$T/catalog.json"
export MXIR_DNSBL_CATALOG="$T/catalog.json"

PB() { "$BIN/mxir" playbook "$@"; }
# expect_rc WANT NAME CMD...: runs CMD (output in $T/NAME.out), fails unless it exits WANT.
expect_rc() {
  local want="$1" name="$2"
  shift 2
  set +e
  "$@" >"$T/$name.out" 2>&1
  local rc=$?
  set -e
  [ "$rc" = "$want" ] || { tail -40 "$T/$name.out"; fail "$name: exit $rc, want $want"; }
}
make_case() {  # NAME SAMPLE
  local c="$T/$1.case"
  "$BIN/mxir" case new --case "$c" --title "$1" --ip 127.0.0.10 --domain acme.example >/dev/null
  "$BIN/mxir" ingest --year 2026 --tz UTC --case "$c" "$SRC"/samples/"$2"/*.log 2>/dev/null
  "$BIN/mxir" detect --case "$c" --internal 127.0.0.0/25 --local-domain acme.example >/dev/null 2>&1
}
check() {  # NAME RUNBOOK CHECKS...
  local name="$1"
  shift
  PB status --case "$T/$name.case" --format json >"$T/$name.status.json"
  python3 "$HERE/check_run.py" "$T/$name.status.json" "$@" || fail "$name: record check"
}
dovecot_hooks() {  # NAME: a Dovecot passwd-file server and its hooks file
  printf 'info:{SHA512-CRYPT}$6$demo$old::::::\ncarol:{SHA512-CRYPT}$6$demo$old::::::\n' >"$T/$1.passwd"
  printf '[dovecot]\npasswd_file = %s\nscheme = SHA512-CRYPT\ndoveadm =\n' "$T/$1.passwd" >"$T/$1.hooks.ini"
  chmod 600 "$T/$1.hooks.ini"
}

# --- triage (brute force against the samples' server; a guess succeeded) ---
make_case triage dictionary-attack
expect_rc 0 triage PB run triage --case "$T/triage.case" --non-interactive \
  --answer since-when=yesterday --answer mta=postfix --answer collect-postfix=yes \
  --answer ports=587,993 --answer block-source=yes
check triage triage --status completed --outcome escalate-compromised-account \
  --state collect-postfix=done --state collect-exim= --answer mta='"postfix"' \
  --answer block-source=true --output findings.kinds='"has:brute_force"' \
  --output recheck.kinds_now='"has:account_compromise"' --state end-escalate=done
"$BIN/mxir" case timeline --case "$T/triage.case" | grep -qE 'playbook +triage run-.* step end-escalate \(end\): done' ||
  fail "case timeline does not show the playbook steps"

# --- stale credentials: fixed, and a second run where the failures go on ---
make_case stale stale-device
expect_rc 0 stale PB run stale-credentials --case "$T/stale.case" --non-interactive \
  --answer find-device=printer-scanner --answer fix-printer=yes --answer wait-and-look=yes \
  --answer stopped=yes --answer provider=yes
check stale stale-credentials --status completed --outcome resolved --state fix-printer=done \
  --answer find-device='"printer-scanner"' --output evidence.kinds='"has:stale_credentials"'
grep -q 'tries to log in as carol' "$T/stale.out" || fail "stale: inputs not taken from the finding"
expect_rc 1 stale2 PB run stale-credentials --case "$T/stale.case" --non-interactive \
  --answer find-device=phone --answer fix-phone=yes --answer wait-and-look=yes --answer stopped=no
check stale stale-credentials --status stopped --outcome still-failing --state stopped=failed \
  --answer stopped=false

# --- compromised account: waits at the gate, changes nothing until approved ---
make_case comp dictionary-attack
dovecot_hooks comp
before="$(sha256sum "$T/comp.passwd")"
# Answers apply to the invocation they are given to (resume takes them again).
COMP_ANSWERS=(--answer call-user=no --answer can-contain=no --answer hand-over=yes
              --answer forwarding=yes --answer delete-rules=yes --answer app-passwords=no)
COMP=(--input provider=dovecot --input hooks="$T/comp.hooks.ini" --input password_file="$T/comp.pw"
      "${COMP_ANSWERS[@]}")
expect_rc 3 comp1 PB run compromised-account --case "$T/comp.case" --non-interactive "${COMP[@]}"
grep -q -- '--approve approve-reset' "$T/comp1.out" || fail "comp: no hint how to approve"
[ "$before" = "$(sha256sum "$T/comp.passwd")" ] || fail "comp: password changed before approval"
[ ! -e "$T/comp.pw" ] || fail "comp: password file written before approval"
check comp compromised-account --status waiting --state approve-reset=waiting
# Approving another step, or answering, is no approval.
expect_rc 3 comp2 PB resume --case "$T/comp.case" --non-interactive --approve reset --answer approve-reset=yes "${COMP_ANSWERS[@]}"
[ "$before" = "$(sha256sum "$T/comp.passwd")" ] || fail "comp: password changed without approval"
expect_rc 0 comp3 PB resume --case "$T/comp.case" --non-interactive --approve approve-reset "${COMP_ANSWERS[@]}"
[ "$before" != "$(sha256sum "$T/comp.passwd")" ] || fail "comp: password not changed after approval"
[ "$(stat -c %a "$T/comp.pw")" = 600 ] || fail "comp: password file not 0600"
check comp compromised-account --status completed --outcome resolved --approved approve-reset \
  --state reset=done --state delete-rules=done --answer forwarding=true \
  --output confirm.accounts='"has:info"' --output blocklists.statuses='["not_listed"]'
if grep -rqF "$(cat "$T/comp.pw")" "$T/comp.status.json" "$T"/comp*.out; then
  fail "comp: the new password reached the record or the output"
fi

# --- open relay ---
make_case relay open-relay
expect_rc 0 relay PB run open-relay --case "$T/relay.case" --non-interactive --answer mta=postfix \
  --answer close-postfix=yes --answer outside-test=refused --answer queue=yes
check relay open-relay --status completed --outcome resolved --answer outside-test='"refused"' \
  --output evidence.kinds='"has:open_relay"' --output blocklists.statuses='["not_listed"]'
make_case relay2 open-relay
expect_rc 1 relay2 PB run open-relay --case "$T/relay2.case" --non-interactive --answer mta=exim \
  --answer close-exim=yes --answer outside-test=accepted
check relay2 open-relay --status stopped --outcome still-open --state outside-test=failed

# --- inbound flood (the sender domain comes from the finding) ---
make_case flood newsletter-flood
expect_rc 0 flood PB run inbound-flood --case "$T/flood.case" --non-interactive \
  --answer what=attack --answer block=yes --answer store=yes
check flood inbound-flood --status completed --outcome resolved --state block=done
grep -q 'deals-daily.example REJECT' "$T/flood.out" || fail "flood: sender not filled in"

# --- blocklisted: listed, request recorded, checked daily until delisted ---
make_case bl remote-blocklist
echo 127.0.0.50 >"$T/listed.txt"
BL=(--answer which-list=bl.mxir.test --answer cause=open-relay --answer cause-fixed=yes
    --answer request=T-1234 --answer clean-path=yes)
MXIR_NOW=2026-12-07T09:00:00Z expect_rc 4 bl1 PB run blocklisted --case "$T/bl.case" --non-interactive "${BL[@]}"
grep -q 'due at 2026-12-08T09:00:00' "$T/bl1.out" || fail "bl: next check time not shown"
check bl blocklisted --status waiting --state watch=waiting --output check.statuses='["listed"]' \
  --state 'watch#1/daily-check=done' --state record-request=done
MXIR_NOW=2026-12-07T15:00:00Z expect_rc 4 bl2 PB resume --case "$T/bl.case" --non-interactive
check bl blocklisted --status waiting --state 'watch#2/daily-check=' 
: >"$T/listed.txt"  # the list removes the address
MXIR_NOW=2026-12-08T09:30:00Z expect_rc 0 bl3 PB resume --case "$T/bl.case" --non-interactive
check bl blocklisted --status completed --outcome delisted --state watch=done \
  --output 'watch#2/daily-check.listed_now=["not_listed"]' --state report=done
"$BIN/mxir" dnsbl delist status --case "$T/bl.case" --format json | grep -q '"requested\|"delisted' ||
  fail "bl: delisting request not recorded"

# --- throttled (no throttling finding in the samples: the address is given) ---
expect_rc 0 thr PB run throttled --case "$T/bl.case" --non-interactive --input ip=127.0.0.50 \
  --answer cause=stale-credentials --answer runbook-cause=yes --answer clean-path=yes \
  --answer contact=yes
check bl throttled --status completed --outcome resolved --answer cause='"stale-credentials"'

# --- kill -9 while the password is being changed: resumed through verify, not redone ---
make_case kill dictionary-attack
cat >"$T/slow-reset.sh" <<SH
#!/bin/sh
read -r pw
sleep 3
echo "\$MXIR_ACTION \$MXIR_ACCOUNT" >>"$T/hook-calls.txt"
SH
chmod 700 "$T/slow-reset.sh"
printf '[exec]\ncommand = %s\nactions = reset_password\ntimeout = 30\n' "$T/slow-reset.sh" >"$T/kill.hooks.ini"
chmod 600 "$T/kill.hooks.ini"
KILL=(--answer hand-over=yes --answer forwarding=no --answer app-passwords=no)
"$BIN/mxir" playbook run compromised-account --case "$T/kill.case" --non-interactive "${KILL[@]}" \
  --input provider=exec --input hooks="$T/kill.hooks.ini" --input password_file="$T/kill.pw" \
  --answer call-user=no --answer can-contain=no --approve approve-reset >"$T/kill1.out" 2>&1 &
PBPID=$!
state=""
for _ in $(seq 200); do
  state="$(python3 -c "import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(\"SELECT state FROM playbook_steps WHERE step_id='reset'\").fetchone(); print(r[0] if r else '')" "$T/kill.case" 2>/dev/null || true)"
  [ "$state" = running ] && break
  sleep 0.1
done
[ "$state" = running ] || fail "kill: the reset step never started"
kill -9 "$PBPID"
wait "$PBPID" 2>/dev/null || true  # (bash reports the kill)
for _ in $(seq 100); do [ -s "$T/hook-calls.txt" ] && break; sleep 0.1; done
sleep 0.5
PB status --case "$T/kill.case" --format json >"$T/kill.status.json"
python3 "$HERE/check_run.py" "$T/kill.status.json" compromised-account --status running --state reset=running ||
  fail "kill: record after kill -9"
expect_rc 0 kill2 PB resume --case "$T/kill.case" --non-interactive "${KILL[@]}"
check kill compromised-account --status completed --outcome resolved --state reset=done
python3 - "$T/kill.status.json" <<'PY' || fail "kill: reset not resolved through verify"
import json, sys
run = json.load(open(sys.argv[1]))[-1]
s = next(s for s in run["steps"] if s["id"] == "reset")
assert "verify confirmed" in s["reason"], s
assert any(n["what"] == "resumed after an interruption" for n in run["notes"]), run["notes"]
PY
grep -q 'Verified: it took effect' "$T/kill2.out" || fail "kill: resume did not say it verified"
[ "$(wc -l <"$T/hook-calls.txt")" = 1 ] || { cat "$T/hook-calls.txt"; fail "kill: the reset ran more than once"; }

# --- --dry-run changes nothing outside the playbook tables ---
make_case dry dictionary-attack
dovecot_hooks dry
snapshot() {
  python3 - "$T/dry.case" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
h = hashlib.sha256()
for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
    if t.startswith("playbook_"):
        continue
    for row in db.execute(f'SELECT * FROM "{t}" ORDER BY 1'):
        h.update(repr((t, row)).encode())
print(h.hexdigest())
PY
  sha256sum "$T/dry.passwd" "$T/dry.hooks.ini" "$T/dry.case.key"
}
snapshot >"$T/dry.before"
expect_rc 0 dry PB run compromised-account --case "$T/dry.case" --dry-run --non-interactive \
  --input provider=dovecot --input hooks="$T/dry.hooks.ini" --input password_file="$T/dry.pw"
snapshot >"$T/dry.after"
cmp -s "$T/dry.before" "$T/dry.after" || { diff "$T/dry.before" "$T/dry.after"; fail "dry run changed something"; }
[ ! -e "$T/dry.pw" ] || fail "dry run wrote the password file"
check dry compromised-account --status completed --state reset=skipped --state approve-reset=skipped
grep -q "mxir reset info --provider dovecot --hooks $T/dry.hooks.ini" "$T/dry.out" || fail "dry run did not show the rendered command"

# --- a changed runbook is refused on resume unless accepted ---
cp -r "$SRC/playbooks" "$T/pbcopy"
make_case chg stale-device
MXIR_PLAYBOOKS="$T/pbcopy" expect_rc 3 chg1 PB run stale-credentials --case "$T/chg.case" --non-interactive
echo "# edited while the run waited" >>"$T/pbcopy/stale-credentials.yaml"
MXIR_PLAYBOOKS="$T/pbcopy" expect_rc 2 chg2 PB resume --case "$T/chg.case" --non-interactive --answer find-device=phone
grep -q 'changed since run' "$T/chg2.out" || fail "chg: no clear refusal"
MXIR_PLAYBOOKS="$T/pbcopy" expect_rc 0 chg3 PB resume --case "$T/chg.case" --non-interactive \
  --accept-changed-runbook --answer find-device=phone --answer fix-phone=yes \
  --answer wait-and-look=yes --answer stopped=yes --answer provider=yes
PB status --case "$T/chg.case" --format json | grep -q 'accepted changed runbook' || fail "chg: acceptance not recorded"

echo "playbook runs: all runbooks walked on the samples; gate, kill -9, dry run, changed runbook checked"
