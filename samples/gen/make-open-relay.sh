#!/usr/bin/env bash
# make-open-relay.sh — samples/open-relay.
#
# Story: Wednesday 2026-11-18. After a migration the server was left with a sendmail-like
# "accept from anyone" setting (mynetworks = 0.0.0.0/0: every client is trusted). At 13:50 a
# relay checker at 127.0.0.181 sends one test message through it to an outside address; from
# 14:00 an abuser at
# 127.0.0.180 (EHLO with its IP literal, no AUTH) relays 80 messages, forged senders, one or two
# outside recipients each across many domains. Normal traffic: a partner's server delivers to
# local users without AUTH (that is not relaying), and office users send out with AUTH.
source "$(dirname "$0")/common.sh"

write_company_users "$WORK/users.txt"
# The misconfiguration: "every network is ours" (Postfix itself refuses a bare
# smtpd_relay_restrictions = permit, so this is how a Postfix becomes an open relay).
printf '%s\n' 'mynetworks = 0.0.0.0/0' >"$WORK/main-extra"
start_lab main 2525 2587 --users "$WORK/users.txt" --domain "$DOMAIN" --auth-verbose-passwords sha1:8 \
  --main-extra "$WORK/main-extra"
start_capture 2525 2587

T0=$(date -u -d '2026-11-18 14:00:00' +%s)
RANDOM=1119
DOMAINS=(mailbox-one.example webpost-mail.example northmail.example quickinbox.example
  freemail-de.example postbox-uk.example mailhub-fr.example inboxly.example sendnet.example
  greenmail-it.example postal-es.example brightmail.example zmail-pl.example correo-mx.example
  mailcity.example hotpost.example netbox-br.example webmailer.example starpost.example
  mymail-nl.example skymail.example coolinbox.example rejected.example)
NAMES=(anna.k j.smith m.garcia wei.chen o.petrova d.mueller s.kim r.silva e.dubois a.rossi)

step_at $((T0 - 900))
MAILER="Microsoft Outlook 16.0" send_as 127.0.0.10 LAPTOP-AL1CE 2587 alice alice@$DOMAIN \
  "orders@supplier-one.example" "Order 4480" --tls
step_at $((T0 - 600))
MAILER="" send_as 127.0.0.181 "[127.0.0.181]" 2525 "" relaytest@probe-net.example \
  "relaytest@probe-net.example" "Relay test 127.0.0.1"
step_at $((T0 - 420))
send_as 127.0.0.150 mx1.partner-two.example 2525 "" news@partner-two.example "bob@$DOMAIN" \
  "Partner update"

for ((m = 0; m < 80; m++)); do
  step_at $((T0 + m * 9 + RANDOM % 4))
  to="${NAMES[RANDOM % ${#NAMES[@]}]}@${DOMAINS[RANDOM % ${#DOMAINS[@]}]}"
  ((RANDOM % 3 == 0)) && to+=",${NAMES[RANDOM % ${#NAMES[@]}]}@${DOMAINS[RANDOM % ${#DOMAINS[@]}]}"
  from="${NAMES[RANDOM % ${#NAMES[@]}]}@${DOMAINS[RANDOM % ${#DOMAINS[@]}]}"
  MAILER="Microsoft CDO for Windows 2000" send_as 127.0.0.180 "[127.0.0.180]" 2525 "" "$from" "$to" \
    "Re: Payment confirmation #$((RANDOM % 9000 + 1000))"
  case $m in
    20) send_as 127.0.0.150 mx1.partner-two.example 2525 "" orders@partner-two.example \
      "sales@$DOMAIN" "New order 77120" ;;
    45) MAILER="Mozilla Thunderbird 128.4.2" send_as 127.0.0.34 dave-pc 2587 dave dave@$DOMAIN \
      "ops@supplier-one.example,judy@$DOMAIN" "Delivery schedule" --tls ;;
    70) send_as 127.0.0.151 mail.supplier-one.example 2525 "" ops@supplier-one.example \
      "dave@$DOMAIN" "Re: Delivery schedule" ;;
  esac
done
finish open-relay main
