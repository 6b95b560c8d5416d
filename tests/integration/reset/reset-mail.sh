#!/usr/bin/env bash
# mxir reset with the dovecot and postfix providers against the private mail lab
# (tests/integration/lab/mail-lab.sh: Postfix with Dovecot SASL on loopback):
#   1. dovecot: the passwd-file line is rewritten (other lines and the mode kept), the auth cache
#      flushed; SMTP AUTH through Postfix then fails with the old password and succeeds with the
#      new one (mxir reset verify, in clear text and over STARTTLS); faults leave the file as it was;
#   2. postfix containment with the docs' recipe: the account's next AUTH+send is refused, its
#      queued mail is held (for a bare login too: by login@local-domain and by the SASL login
#      Postfix keeps in the queue file), a partner's delivery is still accepted, then released;
#      the map after permit_sasl_authenticated is refused;
#   3. exec: the new password reaches the admin's command on stdin, never on a command line
#      (read from /proc/PID/cmdline while it runs), and is scrubbed from the recorded output.
# Exit 0 pass, 77 skip (no postfix/dovecot/swaks, or not root).
set -u -o pipefail
umask 077
BIN=${MXIR_BIN_DIR:?}
LAB_SH=${MXIR_SOURCE_DIR:?}/tests/integration/lab/mail-lab.sh
command -v swaks >/dev/null || { echo "skipped: swaks is not installed (./run deps test)" >&2; exit 77; }
[[ -f $LAB_SH ]] || { echo "skipped: no mail lab" >&2; exit 77; }
export PATH=$PATH:/usr/sbin

W=$(mktemp -d /tmp/mxir-reset-mail-XXXXXX) || exit 1
LAB=$W/lab
cleanup() {
  [[ -d $LAB ]] && bash "$LAB_SH" stop "$LAB"
  rm -rf "$W"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f $LAB/postfix.log ]] && { echo "--- postfix.log" >&2; tail -30 "$LAB/postfix.log" >&2; }
  [[ -f $LAB/dovecot.log ]] && { echo "--- dovecot.log" >&2; tail -30 "$LAB/dovecot.log" >&2; }
  exit 1
}

chmod 755 "$W"
mkdir "$LAB" "$W/maps" && chmod 755 "$W/maps"
read -r SMTP SUB DEAD <<<"$(bash "$LAB_SH" free-ports 3)" || exit 1
OLD_BOB=Old-Bob-pw-123
printf '%s\n' "bob@lab.example:$OLD_BOB" 'alice@lab.example:Alice-pw-456' 'carol@lab.example:Carol-pw-789' \
  'dave:Dave-pw-321' >"$W/users"
MAP=$W/maps/sasl_access
: >"$MAP" && chmod 644 "$MAP"
# The containment recipe of docs/mxir-reset.md, as an all-in-one server would apply it: the map
# first, nothing after it that refuses mail from the Internet.
# XCLIENT from loopback lets mxir verify a containment by a submission as the login
# (tests/integration/reset/contain-verify.sh covers the cases where it cannot).
printf 'smtpd_sender_restrictions = check_sasl_access hash:%s\nsmtpd_authorized_xclient_hosts = 127.0.0.1\n' \
  "$MAP" >"$W/main-extra"
# Mail to slow.example waits in the queue (nothing listens on DEAD), so there is queued mail to hold.
printf 'slow.example smtp:[127.0.0.1]:%s\n' "$DEAD" >"$W/transport"
(umask 022 && bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" --users "$W/users" \
  --main-extra "$W/main-extra" --transport "$W/transport")
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "mail-lab.sh start exited $rc"
eval "$(bash "$LAB_SH" env "$LAB")" || fail "mail-lab.sh env"
(umask 022 && postmap -c "$MAIL_LAB_POSTFIX_CONFIG" "hash:$MAP") || fail "postmap"

cat >"$W/hooks.ini" <<INI
[dovecot]
passwd_file = $MAIL_LAB_PASSWD_FILE
scheme = SHA512-CRYPT
doveadm = /usr/bin/doveadm
doveadm_config = $MAIL_LAB_DOVECOT_CONFIG
auth_socket = $LAB/postfix/queue/private/auth

[postfix]
config_dir = $MAIL_LAB_POSTFIX_CONFIG
access_map = $MAP
map_type = hash

[exec]
command = $W/admin-hook.sh --site lab
actions = reset_password
timeout = 20
INI
printf '%s\n' "$OLD_BOB" >"$W/old.pw"

# --- 1. dovecot -----------------------------------------------------------------------------
"$BIN/mxir-reset" verify bob@lab.example --smtp "127.0.0.1:$SMTP" --password-file "$W/old.pw" --ca-file "$MAIL_LAB_TLS_CERT" --tls-name "$MAIL_LAB_HOSTNAME" >/dev/null ||
  fail "the old password does not work before the reset"
cp -p "$MAIL_LAB_PASSWD_FILE" "$W/passwd.before"
MODE_BEFORE=$(stat -c '%a %U %G' "$MAIL_LAB_PASSWD_FILE")
"$BIN/mxir-reset" bob@lab.example --provider dovecot --hooks "$W/hooks.ini" --yes \
  --password-file "$W/new.pw" --case "$W/c.case" --create >"$W/out" 2>&1 || { cat "$W/out" >&2; fail "dovecot reset"; }
NEW_BOB=$(cat "$W/new.pw")
grep -q 'ok     flush_auth_cache' "$W/out" || { cat "$W/out" >&2; fail "auth cache not flushed"; }
grep -q 'Dovecot accepts it through' "$W/out" || { cat "$W/out" >&2; fail "not verified through Dovecot"; }
[[ $(stat -c '%a %U %G' "$MAIL_LAB_PASSWD_FILE") == "$MODE_BEFORE" ]] || fail "passwd-file owner/mode changed"
diff <(grep -v '^bob@' "$W/passwd.before") <(grep -v '^bob@' "$MAIL_LAB_PASSWD_FILE") >/dev/null ||
  fail "other passwd-file lines changed"
cmp -s "$W/passwd.before" "$MAIL_LAB_PASSWD_FILE" && fail "bob's line did not change"
out=$("$BIN/mxir-reset" verify bob@lab.example --smtp "127.0.0.1:$SMTP" --password-file "$W/new.pw" \
  --old-password-file "$W/old.pw" --ca-file "$MAIL_LAB_TLS_CERT" --tls-name "$MAIL_LAB_HOSTNAME" --case "$W/c.case")
[[ $? -eq 0 && $out == *"ok     new password accepted"* && $out == *"ok     old password refused"* ]] ||
  fail "verify on the SMTP port: $out"
echo "$out"
out=$("$BIN/mxir-reset" verify bob@lab.example --smtp "127.0.0.1:$SUB" --password-file "$W/new.pw" \
  --old-password-file "$W/old.pw" --ca-file "$MAIL_LAB_TLS_CERT" --tls-name "$MAIL_LAB_HOSTNAME")
[[ $? -eq 0 && $out == *"[STARTTLS]"* ]] || fail "verify over STARTTLS: $out"
out=$("$BIN/mxir-reset" verify bob@lab.example --smtp "127.0.0.1:$SUB" --password-file "$W/new.pw" 2>&1)
[[ $? -eq 3 && $out == *"--ca-file"* ]] || fail "an untrusted STARTTLS certificate was accepted: $out"
# verify itself fails (exit 1) when the old password still works.
printf 'Alice-pw-456\n' >"$W/alice-old.pw"
out=$("$BIN/mxir-reset" verify alice@lab.example --smtp "127.0.0.1:$SMTP" --old-password-file "$W/alice-old.pw" \
  --ca-file "$MAIL_LAB_TLS_CERT" --tls-name "$MAIL_LAB_HOSTNAME")
[[ $? -eq 1 && $out == *"FAILED old password accepted"* ]] || fail "verify did not flag a working old password: $out"
for f in "$W"/c.case*; do
  [[ $f == *.key ]] && continue
  grep -qF -- "$NEW_BOB" "$f" && fail "the new password is in $f"
done
grep -qF -- "$NEW_BOB" "$LAB/dovecot.log" "$LAB/postfix.log" && fail "the new password is in a server log"
# Faults leave the passwd-file byte for byte as it was.
cp -p "$MAIL_LAB_PASSWD_FILE" "$W/passwd.mid"
out=$("$BIN/mxir-reset" nobody@lab.example --provider dovecot --hooks "$W/hooks.ini" --yes --password-file "$W/x1" 2>&1)
[[ $? -eq 2 && $out == *"no passwd-file line for account 'nobody@lab.example'"* ]] || fail "unknown account: $out"
chmod 644 "$W/hooks.ini"
out=$("$BIN/mxir-reset" alice@lab.example --provider dovecot --hooks "$W/hooks.ini" --yes --password-file "$W/x2" 2>&1)
[[ $? -eq 2 && $out == *"can be read by group or others"* ]] || fail "open hooks file: $out"
chmod 600 "$W/hooks.ini"
out=$("$BIN/mxir-reset" alice@lab.example --provider dovecot --hooks "$W/hooks.ini" --yes </dev/null 2>&1 | cat)
[[ $out == *"give --password-file"* ]] || fail "no terminal and no --password-file was not refused: $out"
cmp -s "$W/passwd.mid" "$MAIL_LAB_PASSWD_FILE" || fail "a failed reset changed the passwd-file"
[[ -e $W/x1 || -e $W/x2 ]] && fail "a password file was written for a failed reset"

# --- 2. postfix containment -------------------------------------------------------------------
send_as_alice() {
  swaks --server 127.0.0.1 --port "$SMTP" --helo ws.lab.example --auth PLAIN --auth-user alice@lab.example \
    --auth-password Alice-pw-456 --from alice@lab.example --to "$1" --header "Subject: $2" 2>&1
}
out=$(send_as_alice friend@slow.example "queued before containment") || fail "alice could not send: $out"
queued() { postqueue -c "$MAIL_LAB_POSTFIX_CONFIG" -j | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["sender"] == "alice@lab.example" and json.loads(l)["queue_name"] == sys.argv[1]))' "$1"; }
for _ in $(seq 100); do [[ $(queued deferred) -ge 1 || $(queued active) -ge 1 ]] && break; sleep 0.1; done
"$BIN/mxir-reset" contain alice@lab.example --provider postfix --hooks "$W/hooks.ini" --yes --case "$W/c.case" \
  >"$W/out" 2>&1 || { cat "$W/out" >&2; fail "contain"; }
grep -q '1 message(s) from alice@lab.example' "$W/out" || { cat "$W/out" >&2; fail "queued mail not held"; }
cat "$W/out"
[[ $(queued hold) -eq 1 ]] || fail "alice's message is not in the hold queue"
out=$(send_as_alice friend@outside.example "after containment")
[[ $out == *"account suspended during incident response"* ]] || fail "alice could still send: $out"
out=$(swaks --server 127.0.0.1 --port "$SMTP" --helo ws.lab.example --auth PLAIN --auth-user carol@lab.example \
  --auth-password Carol-pw-789 --from carol@lab.example --to friend@outside.example 2>&1) ||
  fail "containment of alice blocked carol: $out"
# A partner's delivery to a local user (no AUTH, port-25 style) is still accepted.
partner() {
  swaks --server 127.0.0.1 --port "$SMTP" --helo mx.partner.example --from ops@partner.example \
    --to alice@lab.example --header "Subject: partner $1" 2>&1
}
out=$(partner "during containment") || fail "the containment recipe refused a partner's delivery: $out"
"$BIN/mxir-reset" release alice@lab.example --provider postfix --hooks "$W/hooks.ini" --yes --case "$W/c.case" \
  >"$W/out" 2>&1 || { cat "$W/out" >&2; fail "release"; }
[[ $(queued hold) -eq 0 ]] || fail "alice's message is still held after release"
out=$(send_as_alice friend@outside.example "after release") || fail "alice cannot send after release: $out"
# Contain again, then purge: the held mail is deleted and the block lifted.
out=$(send_as_alice friend@slow.example "spam to purge") || fail "alice could not queue: $out"
for _ in $(seq 100); do [[ $(queued deferred) -ge 2 || $(queued active) -ge 1 ]] && break; sleep 0.1; done
"$BIN/mxir-reset" contain alice@lab.example --provider postfix --hooks "$W/hooks.ini" --yes >"$W/out" 2>&1 ||
  { cat "$W/out" >&2; fail "second contain"; }
HELD=$(queued hold)
[[ $HELD -ge 1 ]] || fail "nothing held for purge"
"$BIN/mxir-reset" purge alice@lab.example --provider postfix --hooks "$W/hooks.ini" --yes --case "$W/c.case" \
  >"$W/out" 2>&1 || { cat "$W/out" >&2; fail "purge"; }
grep -q "$HELD message(s) from alice@lab.example" "$W/out" || { cat "$W/out" >&2; fail "purge did not delete the held mail"; }
[[ $(queued hold) -eq 0 ]] || fail "held mail left after purge"
grep -q 'alice@lab.example' "$MAP" && fail "the block is still in the map after purge"
sqlite3 "$W/c.case" "select action||':'||outcome from actions where tool='reset' order by id" | tr '\n' ' ' >"$W/trail"
[[ $(cat "$W/trail") == *"reset_password:done"*"verify_smtp_auth:verified"*"suspend_outbound:done"*"release:done"*"purge:done"* ]] ||
  fail "audit trail: $(cat "$W/trail")"

# --- 2b. a bare login ("dave", sending as dave@lab.example and under a forged sender) ----------
send_as_dave() {  # from subject
  swaks --server 127.0.0.1 --port "$SMTP" --helo ws.lab.example --auth PLAIN --auth-user dave \
    --auth-password Dave-pw-321 --from "$1" --to friend@slow.example --header "Subject: $2" 2>&1
}
out=$(send_as_dave dave@lab.example "phish 1") || fail "dave could not send: $out"
out=$(send_as_dave ceo@bank.example "phish 2") || fail "dave could not send a forged sender: $out"
held_by() { postqueue -c "$MAIL_LAB_POSTFIX_CONFIG" -j | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["sender"] in sys.argv[1:] and json.loads(l)["queue_name"] == "hold"))' "$@"; }
for _ in $(seq 100); do
  n=$(postqueue -c "$MAIL_LAB_POSTFIX_CONFIG" -j | grep -c 'dave@lab.example\|ceo@bank.example')
  ((n >= 2)) && break
  sleep 0.1
done
"$BIN/mxir-reset" contain dave --provider postfix --hooks "$W/hooks.ini" --yes --case "$W/c.case" \
  >"$W/out" 2>&1 || { cat "$W/out" >&2; fail "contain dave"; }
cat "$W/out"
grep -q '2 message(s) from dave' "$W/out" || { cat "$W/out" >&2; fail "dave's queued mail not held"; }
[[ $(held_by dave@lab.example ceo@bank.example) -eq 2 ]] || fail "dave's two messages are not in the hold queue"
grep -q 'verify_block.*REJECT' "$W/out" || fail "the block was not verified through postmap -q"
out=$(send_as_dave dave@lab.example "after containment")
[[ $out == *"account suspended during incident response"* ]] || fail "dave could still send: $out"
out=$(partner "while dave is contained") || fail "partner delivery refused: $out"
"$BIN/mxir-reset" release dave --provider postfix --hooks "$W/hooks.ini" --yes >"$W/out" 2>&1 ||
  { cat "$W/out" >&2; fail "release dave"; }
[[ $(held_by dave@lab.example ceo@bank.example) -eq 0 ]] || fail "dave's mail still held after release"
# The unsafe order (permit_sasl_authenticated before the map) is refused, nothing reported done.
postconf -c "$MAIL_LAB_POSTFIX_CONFIG" -e "smtpd_sender_restrictions = permit_sasl_authenticated, check_sasl_access hash:$MAP"
out=$("$BIN/mxir-reset" contain dave --provider postfix --hooks "$W/hooks.ini" --yes 2>&1)
[[ $? -ne 0 && $out == *"permit_sasl_authenticated"* && $out != *"suspend_outbound  done"* ]] ||
  fail "containment with the map after permit_sasl_authenticated was reported: $out"
postconf -c "$MAIL_LAB_POSTFIX_CONFIG" -e "smtpd_sender_restrictions = check_sasl_access hash:$MAP"

# --- 3. exec: password on stdin only ------------------------------------------------------------
cat >"$W/admin-hook.sh" <<'HOOK'
#!/bin/sh
# A site's reset script: records its pid, waits a moment (so the test can read its command line),
# reads the password from stdin and echoes it back (mxir must scrub it from what it records).
echo $$ >"$(dirname "$0")/hook.pid"
sleep 1
read -r pw
echo "set password for $MXIR_ACCOUNT to $pw"
HOOK
chmod 700 "$W/admin-hook.sh"
"$BIN/mxir-reset" carol@lab.example --provider exec --hooks "$W/hooks.ini" --yes --password-file "$W/carol.pw" \
  --case "$W/c.case" >"$W/out" 2>&1 &
RESET=$!
for _ in $(seq 100); do [[ -s $W/hook.pid ]] && break; sleep 0.05; done
HOOK_PID=$(cat "$W/hook.pid" 2>/dev/null)
[[ -n $HOOK_PID ]] || fail "the exec hook did not start"
tr '\0' ' ' <"/proc/$HOOK_PID/cmdline" >"$W/hook.cmdline"
tr '\0' ' ' <"/proc/$RESET/cmdline" >"$W/reset.cmdline"
wait "$RESET" || { cat "$W/out" >&2; fail "exec reset"; }
CAROL=$(cat "$W/carol.pw")
[[ $(cat "$W/hook.cmdline") == *"admin-hook.sh --site lab"* ]] || fail "did not catch the hook's command line"
grep -qF -- "$CAROL" "$W/hook.cmdline" "$W/reset.cmdline" && fail "the password was on a command line"
grep -q 'set password for carol@lab.example to \[redacted\]' "$W/out" || { cat "$W/out" >&2; fail "output not scrubbed"; }
grep -qF -- "$CAROL" "$W/out" && fail "the password was printed"
for f in "$W"/c.case*; do
  [[ $f == *.key ]] && continue
  grep -qF -- "$CAROL" "$f" && fail "the exec hook's password is in $f"
done
# --- 4. --from-findings: compromised accounts reset, a stale-credentials device account not --------
add_finding() {  # id kind user
  sqlite3 "$W/c.case" "INSERT INTO findings (id, kind, severity, user, first_seen, last_seen, created, updated, json)
    VALUES ('$1', '$2', 'high', '$3', 1795000000000000, 1795000000000000, 1795000000000000, 1795000000000000,
    '{\"id\":\"$1\",\"kind\":\"$2\",\"severity\":\"high\",\"user\":\"$3\",\"first_seen\":\"2026-11-18T00:00:00Z\",\"last_seen\":\"2026-11-18T00:00:00Z\"}')" ||
    fail "cannot add finding $1"
}
add_finding f1 account_compromise bob@lab.example
add_finding f2 account_compromise alice@lab.example
add_finding f4 login_after_attack dave@lab.example
add_finding f3 stale_credentials carol@lab.example
"$BIN/mxir-reset" --from-findings --case "$W/c.case" --provider dovecot --hooks "$W/hooks.ini" --yes \
  --password-file "$W/many.pw" >"$W/out" 2>&1 || { cat "$W/out" >&2; fail "--from-findings"; }
grep -q 'not resetting carol@lab.example (stale_credentials finding f3).*the fix is that device' "$W/out" ||
  { cat "$W/out" >&2; fail "stale_credentials account not explained"; }
grep -q 'not resetting dave@lab.example (login_after_attack finding f4): .*confirm with the user' "$W/out" ||
  { cat "$W/out" >&2; fail "login_after_attack account not listed as skipped"; }
[[ $(cut -f1 "$W/many.pw" | sort | tr '\n' ' ') == "alice@lab.example bob@lab.example " ]] ||
  fail "password file accounts: $(cut -f1 "$W/many.pw")"
out=$("$BIN/mxir-reset" verify alice@lab.example --smtp "127.0.0.1:$SMTP" --password-file "$W/many.pw" \
  --old-password-file "$W/alice-old.pw" --ca-file "$MAIL_LAB_TLS_CERT" --tls-name "$MAIL_LAB_HOSTNAME")
[[ $? -eq 0 ]] || fail "verify after --from-findings: $out"
echo "PASS: dovecot reset + SMTP AUTH verify, postfix contain/release, exec hook stdin-only, --from-findings"
