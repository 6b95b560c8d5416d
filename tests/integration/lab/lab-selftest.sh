#!/usr/bin/env bash
# Self-test of mail-lab.sh: start a lab on free ports, send one mail with AUTH in clear text, fail
# one AUTH over the STARTTLS-only port, try an unauthenticated relay and a recipient with a chosen
# reject, log in to IMAP (when dovecot-imapd is there), check that postfix.log and dovecot.log
# tell exactly that, stop the lab, and check that nothing of it is left running. Exit 0 pass, 77 skip (no postfix/dovecot/swaks or not root).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_SH=$HERE/mail-lab.sh

command -v swaks >/dev/null || { echo "skipped: swaks is not installed (./run deps test)" >&2; exit 77; }

LAB=$(mktemp -d /tmp/mxir-labtest-XXXXXX) || exit 1
cleanup() {
  bash "$LAB_SH" stop "$LAB"
  rm -rf "$LAB"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- postfix.log" >&2; cat "$LAB/postfix.log" >&2
  echo "--- dovecot.log" >&2; cat "$LAB/dovecot.log" >&2
  exit 1
}

read -r SMTP SUB IMAP <<<"$(bash "$LAB_SH" free-ports 3)" || exit 1

# Refusals that must happen before anything starts: a next hop off the loopback, a directory
# outside /tmp, a bad option.
BAD=$(mktemp -d /tmp/mxir-labtest-bad-XXXXXX) || exit 1
echo 'evil.example smtp:[192.0.2.1]:25' >"$BAD.transport"
out=$(bash "$LAB_SH" start "$BAD" --smtp-port "$SMTP" --submission-port "$SUB" \
  --transport "$BAD.transport" 2>&1)
rc=$?
rm -rf "$BAD" "$BAD.transport"
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 1 && $out == *"next hop must be"* ]] || fail "a non-loopback transport was not refused ($rc): $out"
# An empty directory surely outside /tmp and /var/tmp (the checkout itself may live under /tmp).
OUTSIDE=$(mktemp -d /run/mxir-labtest-outside-XXXXXX 2>/dev/null || mktemp -d "$HOME/mxir-labtest-outside-XXXXXX") || exit 1
out=$(bash "$LAB_SH" start "$OUTSIDE" --smtp-port "$SMTP" --submission-port "$SUB" 2>&1)
rc=$?
[[ $rc -eq 0 ]] && bash "$LAB_SH" stop "$OUTSIDE" >/dev/null 2>&1
rm -rf "$OUTSIDE"
[[ $rc -eq 1 && $out == *"must be under /tmp"* ]] || fail "a lab outside /tmp was not refused: $out"
out=$(bash "$LAB_SH" start "$LAB" --no-such-option 1 2>&1)
[[ $? -eq 2 ]] || fail "an unknown option did not exit 2: $out"
[[ -z $(ls -A "$LAB") ]] || fail "a refused start left files in the lab directory"
printf '%s\n' 'dana@lab.example:Dana-pw-77' 'erik:Erik-pw-88' >"$LAB.users"
trap 'cleanup; rm -f "$LAB.users"' EXIT
IMAP_OPT=()
[[ -x /usr/lib/dovecot/imap ]] && IMAP_OPT=(--imap-port "$IMAP")
bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" --users "$LAB.users" \
  --auth-verbose-passwords sha1:8 "${IMAP_OPT[@]}"
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "mail-lab.sh start exited $rc"
eval "$(bash "$LAB_SH" env "$LAB")" || fail "mail-lab.sh env failed"
[[ $MAIL_LAB_SMTP_PORT == "$SMTP" && $MAIL_LAB_SUBMISSION_PORT == "$SUB" ]] || fail "env: wrong ports"
bash "$LAB_SH" status "$LAB" || fail "status says the lab is not running"

# Lab passwords are test fixtures, not secrets, so they may appear on swaks's command line.
# 1. A good AUTH in clear text and a mail to a local user and to an outside domain.
out=$(swaks --server 127.0.0.1 --port "$SMTP" --local-interface 127.0.0.21 --helo ws21.lab.example \
  --auth LOGIN --auth-user erik --auth-password Erik-pw-88 --from erik@lab.example \
  --to dana@lab.example,friend@outside.example --header 'Subject: lab self-test' 2>&1) ||
  fail "swaks send failed: $out"
# 2. A wrong password over the STARTTLS-only port.
out=$(swaks --server 127.0.0.1 --port "$SUB" --tls --local-interface 127.0.0.22 --helo ws22 \
  --auth LOGIN --auth-user dana@lab.example --auth-password not-it --quit-after AUTH 2>&1)
[[ $out == *"535 5.7.8"* ]] || fail "the wrong password was not answered 535: $out"
# 3. AUTH is refused before STARTTLS on the submission port.
out=$(swaks --server 127.0.0.1 --port "$SUB" --local-interface 127.0.0.22 --helo ws22 \
  --auth LOGIN --auth-user erik --auth-password Erik-pw-88 --quit-after AUTH 2>&1)
[[ $out != *"235 2.7.0"* ]] || fail "the submission port accepted AUTH without TLS"
# 4. Unauthenticated relay is denied; a chosen recipient domain gets its chosen reply.
out=$(swaks --server 127.0.0.1 --port "$SMTP" --local-interface 127.0.0.23 --helo relay-test \
  --from x@outside.example --to y@elsewhere.example --quit-after RCPT 2>&1)
[[ $out == *"554 5.7.1"*"Relay access denied"* ]] || fail "unauthenticated relay was not denied: $out"
out=$(swaks --server 127.0.0.1 --port "$SMTP" --local-interface 127.0.0.21 --helo ws21.lab.example \
  --auth LOGIN --auth-user erik --auth-password Erik-pw-88 --from erik@lab.example \
  --to z@blocklisted.example --quit-after RCPT 2>&1)
[[ $out == *"blocked using zen.spamhaus.org"* ]] || fail "no blocklist-style reply: $out"

# 5. IMAP (when dovecot-imapd is installed): a good and a bad login.
if [[ ${#IMAP_OPT[@]} -gt 0 ]]; then
  out=$(python3 - "$IMAP" <<'PY' 2>&1
import imaplib, sys
port = int(sys.argv[1])
m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
m.login("erik", "Erik-pw-88")
m.logout()
m = imaplib.IMAP4("127.0.0.1", port, timeout=10)
try:
    m.login("erik", "wrong")
    print("bad login accepted")
except imaplib.IMAP4.error:
    print("ok")
PY
  )
  [[ $out == ok ]] || fail "IMAP logins: $out"
fi

# Postfix writes asynchronously: wait (bounded) for the delivery lines.
for ((i = 0; i < 50; i++)); do
  [[ $(grep -c 'status=sent' "$MAIL_LAB_POSTFIX_LOG") -ge 2 ]] && break
  sleep 0.1
done
P=$MAIL_LAB_POSTFIX_LOG D=$MAIL_LAB_DOVECOT_LOG
grep -q 'postfix/smtpd\[[0-9]*\]: [0-9A-F]*: client=unknown\[127.0.0.21\], sasl_method=LOGIN, sasl_username=erik$' "$P" ||
  fail "no successful AUTH line for erik from 127.0.0.21"
grep -q 'to=<dana@lab.example>.*status=sent (local-mailbox)' "$P" || fail "no local delivery line"
grep -q 'to=<friend@outside.example>.*status=sent (outbound)' "$P" || fail "no outbound (discarded) line"
grep -q 'postfix/submission/smtpd\[[0-9]*\]: warning: unknown\[127.0.0.22\]: SASL LOGIN authentication failed: .*sasl_username=dana@lab.example' "$P" ||
  fail "no failed AUTH line on the submission port"
grep -q 'Anonymous TLS connection established from unknown\[127.0.0.22\]' "$P" || fail "no TLS line"
grep -q 'NOQUEUE: reject: RCPT from unknown\[127.0.0.23\]: 554 5.7.1 <y@elsewhere.example>: Relay access denied' "$P" ||
  fail "no relay-denied line"
grep -q 'reject: RCPT from unknown\[127.0.0.21\]: 554 5.7.1 <z@blocklisted.example>: Recipient address rejected: .*zen.spamhaus.org' "$P" ||
  fail "no blocklist reject line"
grep -q 'auth: Info: passwd-file(dana@lab.example,127.0.0.22): Password mismatch (SHA1 of given password: [0-9a-f]\{8\})$' "$D" ||
  fail "no Dovecot password-mismatch line with an 8-digit SHA1"
if [[ ${#IMAP_OPT[@]} -gt 0 ]]; then
  grep -q 'imap-login: Info: Login: user=<erik>, method=PLAIN, rip=127.0.0.1' "$D" ||
    fail "no IMAP login line"
  grep -q 'passwd-file(erik,127.0.0.1,<[^>]*>): Password mismatch' "$D" || fail "no IMAP failure line"
fi
if grep -q -e 'Erik-pw-88' -e 'not-it' -e 'wrong' "$P" "$D"; then fail "a password appears in the logs"; fi
[[ $(grep -c 'connect from unknown\[127.0.0.1\]' "$P") -eq 0 ]] || fail "start-up probes left lines in the log"

# Stop: every daemon of the lab is gone, and a second stop is harmless.
pf=$(tr -d ' ' <"$MAIL_LAB_POSTFIX_PID_FILE") dv=$(tr -d ' ' <"$MAIL_LAB_DOVECOT_PID_FILE")
bash "$LAB_SH" stop "$LAB" || fail "stop failed"
! kill -0 "$pf" 2>/dev/null || fail "Postfix master $pf still runs"
! kill -0 "$dv" 2>/dev/null || fail "Dovecot master $dv still runs"
bash "$LAB_SH" stop "$LAB" || fail "second stop failed"
echo "PASS: mail lab on 127.0.0.1:$SMTP/$SUB: AUTH ok + send, AUTH failure over STARTTLS, relay denied," \
  "chosen rejects${IMAP_OPT[*]:+, IMAP logins}, clean stop"
