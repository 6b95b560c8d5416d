#!/usr/bin/env bash
# make-stale-device.sh [--starttls] — samples/stale-device (or stale-device-starttls).
#
# Story: Monday 2026-11-16 from 08:00 UTC. Carol changed her password last week; the Windows Mail
# app on her office laptop (EHLO DESKTOP-4N7QK2P) still holds the old one and retries AUTH LOGIN
# every ~45 s: one attempt per session, always the same wrong password, 40 sessions over 30 min,
# from the office's NAT address 127.0.0.10 — the address everybody in the office shares. Meanwhile
# the office users alice and bob send mail from that same address, dave works from home, and
# carol's phone (127.0.0.35, her new password) sends normally. With --starttls every client uses
# the STARTTLS-only submission port, so the pcap shows only metadata after STARTTLS.
source "$(dirname "$0")/common.sh"

TLS=()
SCENARIO=stale-device
if [[ ${1:-} == --starttls ]]; then TLS=(--tls); SCENARIO=stale-device-starttls; fi

write_company_users "$WORK/users.txt"
start_lab main 2525 2587 --users "$WORK/users.txt" --domain "$DOMAIN" --auth-verbose-passwords sha1:8
PORT=$main_SMTP_PORT
[[ ${#TLS[@]} -gt 0 ]] && PORT=$main_SUBMISSION_PORT
start_capture "$main_SMTP_PORT" "$main_SUBMISSION_PORT"

T0=$(date -u -d '2026-11-16 08:00:00' +%s)
RANDOM=1116 # fixed seed: the same timeline every run
PLAN=()
t=$T0
for ((i = 0; i < 40; i++)); do # the stale device: 45 s +- 3 s
  PLAN+=("$t stale")
  t=$((t + 42 + RANDOM % 7))
done
# Normal traffic: (offset s, who).
for e in "95 alice" "310 bob" "420 dave" "640 carolphone" "900 alice" "1130 dave" "1290 bob" \
  "1500 alice" "1610 carolphone" "1745 dave" "1850 bob"; do
  PLAN+=("$((T0 + ${e% *})) ${e#* }")
done

while read -r when who; do
  step_at "$when"
  case $who in
    stale)
      # The old password, as Windows Mail stored it (a lab fixture, not a real secret).
      swaks --server 127.0.0.1 --port "$PORT" --local-interface 127.0.0.10 --helo DESKTOP-4N7QK2P \
        "${TLS[@]}" --auth LOGIN --auth-user carol --auth-password Velvet-Canyon-93 \
        --quit-after AUTH >>"$WORK/swaks.out" 2>&1
      ;;
    alice) MAILER="Microsoft Outlook 16.0" send_as 127.0.0.10 LAPTOP-AL1CE "$PORT" alice alice@$DOMAIN \
      "orders@supplier-one.example,bob@$DOMAIN" "Re: order 4471 delivery date" "${TLS[@]}" ;;
    bob) MAILER="Apple Mail (2.3774.200.91.1.1)" send_as 127.0.0.10 bob-macbook.acme.lan "$PORT" bob bob@$DOMAIN \
      "team@partner-two.example" "Minutes of Friday's call" "${TLS[@]}" ;;
    dave) MAILER="Mozilla Thunderbird 128.4.2" send_as 127.0.0.34 dave-pc "$PORT" dave dave@$DOMAIN "carol@$DOMAIN,info@$DOMAIN" \
      "Invoice run this week" "${TLS[@]}" ;;
    carolphone) MAILER="iPhone Mail (22B91)" send_as 127.0.0.35 "[10.71.3.8]" "$PORT" carol carol@$DOMAIN \
      "mum@homemail.example" "Sent from my phone" "${TLS[@]}" ;;
  esac
done < <(printf '%s\n' "${PLAN[@]}" | sort -n)

finish "$SCENARIO" main
