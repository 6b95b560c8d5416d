#!/usr/bin/env bash
# The incident-day demo on the bundled samples (./run demo): open a case, read the packet capture
# and the mail server's logs into it, let mxir name the hosts and accounts, reset the compromised
# account through a provider hook, and show the audit trail. Everything runs offline, on files
# under build/demo/.
set -euo pipefail
BIN="${1:?usage: demo.sh BUILD_BIN_DIR}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
S="$ROOT/samples"
OUT="${MXIR_DEMO_DIR:-$ROOT/build/demo}"
mkdir -p "$OUT"
CASE="$OUT/acme.case"
rm -f "$CASE" "$CASE.key" "$CASE-wal" "$CASE-shm" "$OUT/new-passwords.txt"
export PATH="$BIN:$PATH"
# The samples were recorded on 2026-11-16/17 in UTC on a lab whose "office" is 127.0.0.0/25.
READ=(--year 2026 --tz UTC)
SITE=(--internal 127.0.0.0/25 --local-domain acme.example)

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s\n$ %s\n' "$B" "$1" "$N" "$2"; }

cat <<TXT
${B}The story${N}: Monday morning nobody at Acme can send mail: the provider throttles the
office's shared address. Someone captured the mail server's traffic and kept its logs
(samples/stale-device and samples/dictionary-attack). What is going on?
TXT

step "1. Open a case for the incident" \
  "mxir case new --case $CASE --title 'Acme: throttled and spamming' --domain acme.example --ip 127.0.0.10"
mxir case new --case "$CASE" --title "Acme: throttled and spamming" --domain acme.example \
  --ip 127.0.0.10 >/dev/null
mxir case note --case "$CASE" "Provider throttles our office address since 08:00; ticket 4711" >/dev/null
echo "created $CASE (and its private fingerprint key $CASE.key)"

step "2. First look at the capture: who logs in, who sends" \
  "mxir capture --read samples/stale-device/capture.pcap --read samples/dictionary-attack/capture.pcap --smtp-port 2587 --format table"
mxir capture --read "$S/stale-device/capture.pcap" --read "$S/dictionary-attack/capture.pcap" \
  --smtp-port 2587 --format table 2>/dev/null

step "3. Keep the capture's events in the case" "mxir capture --read ... --smtp-port 2587 --case $CASE"
mxir capture --read "$S/stale-device/capture.pcap" --read "$S/dictionary-attack/capture.pcap" \
  --smtp-port 2587 --case "$CASE"

step "4. Add the server's logs (Postfix and Dovecot; the same AUTH attempts are counted once)" \
  "mxir ingest --year 2026 --tz UTC samples/{stale-device,dictionary-attack}/{postfix,dovecot}.log --case $CASE"
mxir ingest "${READ[@]}" --case "$CASE" \
  "$S/stale-device/postfix.log" "$S/stale-device/dovecot.log" \
  "$S/dictionary-attack/postfix.log" "$S/dictionary-attack/dovecot.log"

step "5. Name the hosts and accounts" \
  "mxir detect --case $CASE --internal 127.0.0.0/25 --local-domain acme.example"
mxir detect --case "$CASE" "${SITE[@]}"

step "6. Why, and what to do (the worst finding explained)" \
  "mxir detect --case $CASE ... --explain | head -16"
mxir detect --case "$CASE" "${SITE[@]}" --explain 2>/dev/null | head -16 || true

# ./run demo builds only the first steps' tools before starting; the rest is built here, while
# the reader looks at the findings above.
if [ -n "${MXIR_DEMO_BUILD_DIR:-}" ]; then
  printf '\n(building the tools for the next steps: reset, playbook, dnsbl, report ...)\n'
  cmake --build "$MXIR_DEMO_BUILD_DIR" -j "${MXIR_DEMO_JOBS:-2}" \
    --target mxir-reset mxir-playbook mxir-dnsbl mxir-report >/dev/null ||
    { echo "building the remaining tools failed: run ./run build to see why" >&2; exit 1; }
fi

# A provider to reset through: here a Dovecot passwd-file in build/demo (the real one is
# configured in a private hooks file: see 'mxir reset --help').
printf 'carol:{SHA512-CRYPT}$6$demo$old::::::\ninfo:{SHA512-CRYPT}$6$demo$old::::::\n' >"$OUT/users.passwd"
printf '[dovecot]\npasswd_file = %s\nscheme = SHA512-CRYPT\ndoveadm =\n' "$OUT/users.passwd" >"$OUT/hooks.ini"
chmod 600 "$OUT/hooks.ini"
step "7. Reset every compromised account (never the stale device's: its fix is the device)" \
  "mxir reset --from-findings --case $CASE --provider dovecot --hooks build/demo/hooks.ini --password-file build/demo/new-passwords.txt --yes"
mxir reset --from-findings --case "$CASE" --provider dovecot --hooks "$OUT/hooks.ini" \
  --password-file "$OUT/new-passwords.txt" --yes

step "8. The audit trail: everything mxir and people did, in order" \
  "mxir case timeline --case $CASE | grep -v ' event '"
mxir case timeline --case "$CASE" | grep -v '  event  ' || true

# --- The runbook (mxir playbook): what a person is walked through for the compromised account,
# here as a dry run that renders every command with the case's values and runs none of them.
step "9. Walk the compromised-account runbook (dry run: shows every step, changes nothing)" \
  "mxir playbook run compromised-account --case $CASE --dry-run --non-interactive --input provider=dovecot --input hooks=build/demo/hooks.ini --input password_file=build/demo/pw2.txt"
mxir playbook run compromised-account --case "$CASE" --dry-run --non-interactive \
  --input provider=dovecot --input hooks="$OUT/hooks.ini" --input password_file="$OUT/pw2.txt" \
  | grep -E '^(== |\$ |\(dry run|Run |    \$ )' || true

step "10. The run's record in the case (every step, its state and what it would do)" \
  "mxir playbook status --case $CASE"
mxir playbook status --case "$CASE" | cut -c1-170

printf '\nThe case is %s: mxir case show / timeline / export read it; mxir dnsbl watch\n' "$CASE"
printf 'and mxir report weekly track its addresses on blocklists in the weeks after.\n'
