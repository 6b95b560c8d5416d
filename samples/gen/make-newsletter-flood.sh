#!/usr/bin/env bash
# make-newsletter-flood.sh — samples/newsletter-flood.
#
# Story: Thursday 2026-11-19 from 10:00 UTC. A bulk sender, deals-daily.example, with two servers
# (127.0.0.170 and 127.0.0.171, EHLO mta1/mta2.deals-daily.example, no AUTH) tries 220
# newsletters on the company's 12 mailboxes in 20 minutes — about 17 per person, some to
# addresses that never existed (550 5.1.1 User unknown). Normal inbound mail from three other
# domains (one to four messages each) and the users' own sends go on around it.
source "$(dirname "$0")/common.sh"

write_company_users "$WORK/users.txt"
start_lab main 2525 2587 --users "$WORK/users.txt" --domain "$DOMAIN" --auth-verbose-passwords sha1:8
start_capture 2525 2587

T0=$(date -u -d '2026-11-19 10:00:00' +%s)
RANDOM=1120
USERS=(alice bob carol dave erin frank grace heidi ivan judy info sales)
GHOSTS=(marketing hr jobs admin webmaster)
OFFERS=("Flash sale: 70% off today only" "Your exclusive Black Friday preview"
  "Last chance: free shipping ends tonight" "New arrivals picked for you")
flood() { # IP N: one newsletter session
  local ip=$1 n=$2 rcpt
  if ((n % 23 == 7)); then rcpt=${GHOSTS[n % ${#GHOSTS[@]}]}@$DOMAIN; else rcpt=${USERS[n % 12]}@$DOMAIN; fi
  MAILER="DD-Mailer 5.2" HFROM='"Deals Daily" <offers@deals-daily.example>' \
    HEXTRA='List-Unsubscribe: <mailto:unsubscribe@deals-daily.example>' \
    send_as "$ip" "mta$((${ip##*.} - 169)).deals-daily.example" 2525 "" \
    "bounce-$n-$((RANDOM % 90000 + 10000))@news.deals-daily.example" "$rcpt" "${OFFERS[(n / 80) % 4]}"
}
n=0
for ((s = 0; s < 44; s++)); do
  step_at $((T0 + s * 27 + RANDOM % 5))
  pids=()
  for ((j = 0; j < 5; j++)); do
    flood "127.0.0.$((170 + j % 2))" $((n + j)) &
    pids+=($!)
  done
  wait "${pids[@]}" # not a bare wait: tcpdump is a child too
  n=$((n + 5))
  case $s in
    5) send_as 127.0.0.150 mx1.partner-two.example 2525 "" news@partner-two.example \
      "alice@$DOMAIN,bob@$DOMAIN" "Partner update November" ;;
    12) send_as 127.0.0.151 mail.supplier-one.example 2525 "" ops@supplier-one.example \
      "dave@$DOMAIN" "Re: Delivery schedule" ;;
    20) MAILER="Microsoft Outlook 16.0" send_as 127.0.0.10 LAPTOP-AL1CE 2587 alice alice@$DOMAIN \
      "orders@supplier-one.example" "Order 4490" --tls ;;
    31) send_as 127.0.0.151 mail.supplier-one.example 2525 "" invoices@supplier-one.example \
      "info@$DOMAIN" "Invoice 2026-1187" ;;
    40) send_as 127.0.0.152 smtp.city-council.example 2525 "" permits@city-council.example \
      "judy@$DOMAIN" "Your permit application" ;;
    36) MAILER="Mozilla Thunderbird 128.4.2" send_as 127.0.0.34 dave-pc 2587 dave dave@$DOMAIN \
      "ops@supplier-one.example" "Re: Re: Delivery schedule" --tls ;;
    43) send_as 127.0.0.151 mail.supplier-one.example 2525 "" ops@supplier-one.example \
      "dave@$DOMAIN,carol@$DOMAIN" "Re: Re: Re: Delivery schedule" ;;
  esac
done
finish newsletter-flood main
