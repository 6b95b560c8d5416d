#!/usr/bin/env bash
# make-remote-blocklist.sh — samples/remote-blocklist.
#
# Story: Tuesday 2026-11-17 from 09:00 UTC. The company's server (mail.acme.example) sends its
# outbound mail from 127.0.0.50 — its public address, listed on blocklists since the spam burst
# of the night. A second private Postfix plays the remote providers, one listener each, reached
# through a transport map:
#   bigmail.example     127.0.0.1:2631  rejects 554, citing zen.spamhaus.org
#   corpmail.example    127.0.0.1:2632  rejects 554, citing Barracuda Reputation
#   webmail-eu.example  127.0.0.1:2633  defers 450, citing bl.spamcop.net
#   friendly.example    127.0.0.1:2634  accepts
# Office users (NAT 127.0.0.10) and dave (home, 127.0.0.34) send their ordinary business mail;
# Postfix's log (postfix.log) shows status=bounced / deferred with the remote replies, and the
# DSNs going back to the senders. remote-postfix.log is the remote side's log.
source "$(dirname "$0")/common.sh"

write_company_users "$WORK/users.txt"
LISTED=127.0.0.50

# The remote providers' lab: a listener per provider with its own client restrictions.
R=$WORK/remote-maps
mkdir -p "$R"
echo "$LISTED 554 5.7.1 Service unavailable; Client host [$LISTED] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/$LISTED" >"$R/spamhaus"
echo "$LISTED 554 5.7.1 Service unavailable; Client host [$LISTED] blocked using Barracuda Reputation; https://www.barracudanetworks.com/reputation/?pr=1&ip=$LISTED" >"$R/barracuda"
echo "$LISTED 450 4.7.1 Client host [$LISTED] listed on bl.spamcop.net; https://www.spamcop.net/bl.shtml?$LISTED" >"$R/spamcop"
cat >"$R/master-extra" <<MASTER
127.0.0.1:2631 inet n - n - - smtpd
  -o syslog_name=postfix/bigmail
  -o { smtpd_client_restrictions = check_client_access texthash:$R/spamhaus }
127.0.0.1:2632 inet n - n - - smtpd
  -o syslog_name=postfix/corpmail
  -o { smtpd_client_restrictions = check_client_access texthash:$R/barracuda }
127.0.0.1:2633 inet n - n - - smtpd
  -o syslog_name=postfix/webmail-eu
  -o { smtpd_client_restrictions = check_client_access texthash:$R/spamcop }
127.0.0.1:2634 inet n - n - - smtpd
  -o syslog_name=postfix/friendly
MASTER
cat >"$R/main-extra" <<'MAIN'
mydestination = $mydomain, bigmail.example, corpmail.example, webmail-eu.example, friendly.example
local_recipient_maps =
MAIN
chmod -R a+rX "$R"
printf 'postmaster:Remote-lab-pw-1\n' >"$WORK/remote-users.txt"
start_lab remote 2625 2626 --users "$WORK/remote-users.txt" --domain remote-provider.example \
  --hostname mx.remote-provider.example --master-extra "$R/master-extra" --main-extra "$R/main-extra"
for p in 2631 2632 2633 2634; do
  for ((i = 0; i < 50; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.1; done
done

cat >"$WORK/transport" <<'TRANSPORT'
bigmail.example     smtp:[127.0.0.1]:2631
corpmail.example    smtp:[127.0.0.1]:2632
webmail-eu.example  smtp:[127.0.0.1]:2633
friendly.example    smtp:[127.0.0.1]:2634
TRANSPORT
start_lab main 2525 2587 --users "$WORK/users.txt" --domain "$DOMAIN" --auth-verbose-passwords sha1:8 \
  --smtp-bind "$LISTED" --transport "$WORK/transport"
start_capture 2525 2587 2631 2632 2633 2634

T0=$(date -u -d '2026-11-17 09:00:00' +%s)
RANDOM=1118
PEOPLE=(alice bob erin frank grace heidi ivan judy sales)
HELO=(LAPTOP-AL1CE bob-macbook.acme.lan DESKTOP-ERIN01 DESKTOP-FRANK2 grace-mbp.acme.lan
  LAPTOP-HEIDI DESKTOP-IVAN7 judy-pc DESKTOP-SALES1)
DEST=(bigmail.example corpmail.example webmail-eu.example friendly.example)
NAMES=(tom.baker s.lindqvist orders accounts m.rossi info k.tanaka support p.novak)
SUBJ=("Quote 2026-311" "Re: meeting on Thursday" "Invoice 88412" "Delivery note" "Re: Re: samples"
  "Price list 2027" "Order confirmation" "Contract draft v3")
for ((m = 0; m < 24; m++)); do
  step_at $((T0 + m * 150 + RANDOM % 60))
  w=$((RANDOM % ${#PEOPLE[@]}))
  u=${PEOPLE[w]}
  d=${DEST[m % 4]}
  to="${NAMES[RANDOM % ${#NAMES[@]}]}@$d"
  ((m % 5 == 2)) && to+=",${NAMES[RANDOM % ${#NAMES[@]}]}@${DEST[(m + 1) % 4]}"
  ip=127.0.0.10
  [[ $u == sales ]] && ip=127.0.0.37 # works from home
  send_as "$ip" "${HELO[w]}" 2587 "$u" "$u@$DOMAIN" "$to" "${SUBJ[RANDOM % ${#SUBJ[@]}]}" --tls
  sleep 0.5 # let the delivery attempt happen within this step
done
step_at $((T0 + 24 * 150 + 60))
sleep 1

cp "$WORK/remote/postfix.log" "$WORK/main/remote-postfix.log"
finish remote-blocklist main
python3 "$GEN_DIR/retime.py" --schedule "$SCHEDULE" --year "$(date -u +%Y)" log \
  "$WORK/remote/postfix.log" "$SAMPLES_DIR/remote-blocklist/remote-postfix.log" || die "retime"
