#!/usr/bin/env bash
# mxir reset contain (postfix) is "done" only when a real submission as the login was refused
# (review 2026-12, H4), in the project's own scenario: SASL login `info`, envelope sender
# info@acme.example, on the private mail lab (tests/integration/lab/mail-lab.sh: Postfix with
# Dovecot SASL on loopback, random ports).
#   1. XCLIENT allowed for 127.0.0.1: contain verifies on both AUTH listeners (plain and STARTTLS)
#      and says done/verified; an authenticated swaks submission as info (the test knows the
#      password) is refused; info's queued mail (its own sender and a forged one) is held.
#   2. XCLIENT not allowed: the block is applied but contain says "unverified" (exit 1), never
#      done, and prints the swaks command that checks it by hand.
#   3. A check_client_access OK before the map (which the static order check cannot judge):
#      the probe is accepted, contain says failed (exit 3) — and swaks indeed still gets through.
# Exit 0 pass, 77 skip (no postfix/dovecot/swaks, or not root).
set -u -o pipefail
umask 077
BIN=${MXIR_BIN_DIR:?}
LAB_SH=${MXIR_SOURCE_DIR:?}/tests/integration/lab/mail-lab.sh
command -v swaks >/dev/null || { echo "skipped: swaks is not installed (./run deps test)" >&2; exit 77; }
[[ -f $LAB_SH ]] || { echo "skipped: no mail lab" >&2; exit 77; }
export PATH=$PATH:/usr/sbin

W=$(mktemp -d /tmp/mxir-contain-XXXXXX) || exit 1
LAB=$W/lab
cleanup() {
  [[ -d $LAB ]] && bash "$LAB_SH" stop "$LAB"
  rm -rf "$W"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f $LAB/postfix.log ]] && { echo "--- postfix.log" >&2; tail -30 "$LAB/postfix.log" >&2; }
  exit 1
}

chmod 755 "$W"
mkdir "$LAB" "$W/maps" && chmod 755 "$W/maps"
read -r SMTP SUB DEAD <<<"$(bash "$LAB_SH" free-ports 3)" || exit 1
INFO_PW=Info-pw-2468
printf '%s\n' "info:$INFO_PW" 'carol:Carol-pw-789' >"$W/users"
MAP=$W/maps/sasl_access
: >"$MAP" && chmod 644 "$MAP"
printf '127.0.0.1 OK\n' >"$W/maps/client_ok" && chmod 644 "$W/maps/client_ok"
{
  printf 'smtpd_sender_restrictions = check_sasl_access hash:%s\n' "$MAP"
  printf 'smtpd_authorized_xclient_hosts = 127.0.0.1\n'
} >"$W/main-extra"
# Mail to slow.example waits in the queue (nothing listens on DEAD): there is queued mail to hold.
printf 'slow.example smtp:[127.0.0.1]:%s\n' "$DEAD" >"$W/transport"
(umask 022 && bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" --users "$W/users" \
  --domain acme.example --main-extra "$W/main-extra" --transport "$W/transport")
rc=$?
[[ $rc -eq 77 ]] && exit 77
[[ $rc -eq 0 ]] || fail "mail-lab.sh start exited $rc"
eval "$(bash "$LAB_SH" env "$LAB")" || fail "mail-lab.sh env"
PFC=$MAIL_LAB_POSTFIX_CONFIG
(umask 022 && postmap -c "$PFC" "hash:$MAP") || fail "postmap"
reload() { postfix -c "$PFC" reload >/dev/null 2>&1 || fail "postfix reload"; sleep 1; }

cat >"$W/hooks.ini" <<INI
[postfix]
config_dir = $PFC
access_map = $MAP
map_type = hash
INI

send_as_info() {  # sender subject
  swaks --server 127.0.0.1 --port "$SMTP" --helo ws.acme.example --auth PLAIN --auth-user info \
    --auth-password "$INFO_PW" --from "$1" --to friend@slow.example --header "Subject: $2" 2>&1
}
in_queue() {  # queue sender... -> count
  postqueue -c "$PFC" -j | python3 -c '
import json, sys
q = sys.argv[1]; senders = sys.argv[2:]
print(sum(1 for l in sys.stdin if json.loads(l)["queue_name"] == q and json.loads(l)["sender"] in senders))' "$@"
}

# --- 1. verified --------------------------------------------------------------------------------
out=$(send_as_info info@acme.example "spam 1") || fail "info could not send: $out"
out=$(send_as_info ceo@bank.example "spam 2") || fail "info could not send a forged sender: $out"
for _ in $(seq 100); do
  n=$(postqueue -c "$PFC" -j | grep -c 'info@acme.example\|ceo@bank.example')
  ((n >= 2)) && break
  sleep 0.1
done
# The dry run says it will be able to verify, and changes nothing.
out=$("$BIN/mxir-reset" contain info --provider postfix --hooks "$W/hooks.ini" --dry-run 2>&1) ||
  fail "dry run: $out"
[[ $(grep -c 'ok     plan_verify: .*XCLIENT LOGIN offered' <<<"$out") -eq 2 ]] || fail "dry run plan: $out"
[[ -s $MAP ]] && fail "the dry run changed the map"
"$BIN/mxir-reset" contain info --provider postfix --hooks "$W/hooks.ini" --yes --case "$W/c.case" --create \
  >"$W/out" 2>&1
rc=$?
cat "$W/out"
[[ $rc -eq 0 ]] || fail "contain with XCLIENT allowed exited $rc"
grep -q "ok     verify_refused: 127.0.0.1:$SMTP/inet.*account suspended during incident response" "$W/out" ||
  fail "no refused probe on the SMTP listener"
grep -q "ok     verify_refused: 127.0.0.1:$SUB/inet.*account suspended.*\[STARTTLS\]" "$W/out" ||
  fail "no refused probe on the STARTTLS-only submission listener"
grep -Eq '^info +postfix +suspend_outbound +done +yes' "$W/out" || fail "not reported done and verified"
grep -q '2 message(s) from info' "$W/out" || fail "info's queued mail not held"
[[ $(in_queue hold info@acme.example ceo@bank.example) -eq 2 ]] || fail "info's two messages are not on hold"
# A real authenticated submission (with the password) is refused.
out=$(send_as_info info@acme.example "after containment")
[[ $out == *"account suspended during incident response"* ]] || fail "info could still send: $out"
out=$(swaks --server 127.0.0.1 --port "$SMTP" --helo ws.acme.example --auth PLAIN --auth-user carol \
  --auth-password Carol-pw-789 --from carol@acme.example --to friend@outside.example 2>&1) ||
  fail "containment of info blocked carol: $out"
[[ $(sqlite3 "$W/c.case" "select outcome from actions where action='suspend_outbound'") == done ]] ||
  fail "audit trail does not say done"
sqlite3 "$W/c.case" "select details from actions where action='suspend_outbound'" | grep -q '"verified":true' ||
  fail "audit trail does not hold the verification"
"$BIN/mxir-reset" release info --provider postfix --hooks "$W/hooks.ini" --yes >"$W/out" 2>&1 ||
  { cat "$W/out" >&2; fail "release"; }

# --- 2. XCLIENT not allowed: not verified, never done ---------------------------------------------
postconf -c "$PFC" -e 'smtpd_authorized_xclient_hosts =' && reload
out=$("$BIN/mxir-reset" contain info --provider postfix --hooks "$W/hooks.ini" --dry-run 2>&1) ||
  fail "dry run without XCLIENT: $out"
[[ $(grep -c "FAILED plan_verify: .*does not let mxir use XCLIENT.*unverified" <<<"$out") -eq 2 ]] ||
  fail "the dry run did not say it cannot verify: $out"
"$BIN/mxir-reset" contain info --provider postfix --hooks "$W/hooks.ini" --yes --case "$W/c.case" >"$W/out" 2>&1
rc=$?
cat "$W/out"
[[ $rc -eq 1 ]] || fail "contain without XCLIENT exited $rc (want 1)"
grep -Eq '^info +postfix +suspend_outbound +unverified +no' "$W/out" || fail "not reported unverified"
grep -q ' done ' "$W/out" && fail "an unverified containment was reported done"
grep -q "swaks --server 127.0.0.1 --port $SMTP --tls --auth-user info --from info@acme.example --to info@acme.example --quit-after RCPT" "$W/out" ||
  fail "no hand check given"
grep -q 'REJECT' <(postmap -c "$PFC" -q info "hash:$MAP") || fail "the block was not applied"
[[ $(sqlite3 "$W/c.case" "select outcome from actions where action='suspend_outbound' order by id desc limit 1") == unverified ]] ||
  fail "audit trail does not say unverified"
"$BIN/mxir-reset" release info --provider postfix --hooks "$W/hooks.ini" --yes >/dev/null 2>&1 || fail "release 2"

# --- 3. a client OK before the map: the probe is accepted, contain fails -------------------------
postconf -c "$PFC" -e 'smtpd_authorized_xclient_hosts = 127.0.0.1' \
  "smtpd_sender_restrictions = check_client_access texthash:$W/maps/client_ok, check_sasl_access hash:$MAP" && reload
"$BIN/mxir-reset" contain info --provider postfix --hooks "$W/hooks.ini" --yes --case "$W/c.case" >"$W/out" 2>&1
rc=$?
cat "$W/out"
[[ $rc -eq 3 ]] || fail "contain with a client OK before the map exited $rc (want 3)"
grep -q 'FAILED verify_refused: .*ACCEPTED' "$W/out" || fail "the accepted probe is not shown"
grep -Eq '^info +postfix +suspend_outbound +failed +no' "$W/out" || fail "not reported failed"
out=$(send_as_info info@acme.example "through the hole") || fail "swaks was refused, so the probe lied: $out"
# The probes (to info@acme.example itself) never delivered anything: they stop before DATA
# (the NOQUEUE lines of the refusals name the address too, without a status=).
grep -q 'to=<info@acme.example>.*status=' "$LAB/postfix.log" && fail "a probe delivered a message"
echo "PASS: contain verified by a refused XCLIENT submission (plain and STARTTLS), swaks refused, mail held;" \
  "unverified without XCLIENT (exit 1); failed when Postfix still accepts (exit 3)"
