#!/usr/bin/env bash
# Makes a real Postfix + Dovecot (tests/integration/lab/mail-lab.sh) write the lines of issue
# #18: non-SMTP command, VRFY reject, lost connection after AUTH, SSL_accept error, postscreen
# CONNECT / PREGREET / HANGUP / BLACKLISTED / PASS NEW, a before-queue filter's proxy-reject,
# header-check reject and hold, a deferred message still queued at the end, anvil statistics,
# and Dovecot IMAP login failures. Usage: postfix-lines-lab.sh LABDIR WORKDIR (both empty
# dirs); leaves LABDIR/postfix.log and LABDIR/dovecot.log, the lab stopped. Exit 77: no lab here.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_SH=$HERE/../lab/mail-lab.sh
DRIVE=$HERE/postfix-lines-drive.py
LAB=$1
WORK=$2
command -v swaks >/dev/null || { echo "skipped: swaks is not installed" >&2; exit 77; }

read -r SMTP SUB PS FILTERED FILTER IMAP DEAD <<<"$(bash "$LAB_SH" free-ports 7)" || exit 1
printf '%s\n' 'alice:Alice-pw-11' 'bob:Bob-pw-22' >"$WORK/users"
printf '%s\n' '/^Subject: reject-me/ REJECT no spam here' '/^Subject: hold-me/ HOLD review' \
  >"$WORK/header_checks"
printf '%s\n' '127.0.0.57/32 reject' >"$WORK/postscreen_access"
cat >"$WORK/main-extra" <<EOM
header_checks = regexp:$WORK/header_checks
postscreen_access_list = cidr:$WORK/postscreen_access
postscreen_blacklist_action = drop
postscreen_greet_action = enforce
postscreen_greet_wait = 2s
anvil_status_update_time = 2s
EOM
cat >"$WORK/master-extra" <<EOM
127.0.0.1:$PS inet n - n - 1 postscreen
smtpd pass - - n - - smtpd
127.0.0.1:$FILTERED inet n - n - - smtpd
  -o syslog_name=postfix/filtered
  -o smtpd_proxy_filter=127.0.0.1:$FILTER
EOM
printf 'remote.example smtp:[127.0.0.1]:%s\n' "$DEAD" >"$WORK/transport"
bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" --imap-port "$IMAP" \
  --users "$WORK/users" --main-extra "$WORK/main-extra" --master-extra "$WORK/master-extra" \
  --transport "$WORK/transport"
rc=$?
[[ $rc -eq 0 ]] || exit $rc

python3 "$DRIVE" filter "$FILTER" &
FILTER_PID=$!
d() { timeout 20 python3 "$DRIVE" "$@" || echo "step $1 failed" >&2; }
d non-smtp "$SMTP"
d vrfy "$SMTP"
d lost-after-auth "$SMTP"
d bad-tls "$SMTP"
d pregreet "$PS"
d hangup "$PS"
d blocklisted "$PS"
# A client that waits for the greeting passes postscreen's tests (PASS NEW) and reaches smtpd.
timeout 30 swaks --server 127.0.0.1 --port "$PS" --local-interface 127.0.0.58 --helo ws58 \
  --from x@outside.example --to alice@lab.example >>"$WORK/swaks.out" 2>&1
smtp() { timeout 30 swaks --server 127.0.0.1 --port "$1" "${@:2}" >>"$WORK/swaks.out" 2>&1; }
smtp "$FILTERED" --local-interface 127.0.0.59 --helo ws59 --from carol@outside.example \
  --to alice@lab.example --header "Subject: filtered"
auth=(--auth LOGIN --auth-user alice --auth-password Alice-pw-11 --from alice@lab.example)
smtp "$SMTP" --local-interface 127.0.0.60 --helo ws60 "${auth[@]}" --to bob@lab.example \
  --header "Subject: reject-me now"
smtp "$SMTP" --local-interface 127.0.0.60 --helo ws60 "${auth[@]}" --to bob@lab.example \
  --header "Subject: hold-me please"
smtp "$SMTP" --local-interface 127.0.0.61 --helo ws61 "${auth[@]}" --to friend@remote.example \
  --header "Subject: stuck in the queue"
d imap-fail "$IMAP" bob
# Wait (bounded) for the deferral and an anvil statistics line, then stop.
for ((i = 0; i < 100; i++)); do
  grep -q 'status=deferred' "$LAB/postfix.log" && grep -q 'anvil.*statistics: max' "$LAB/postfix.log" && break
  sleep 0.1
done
kill "$FILTER_PID" 2>/dev/null
bash "$LAB_SH" stop "$LAB"
