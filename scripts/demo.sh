#!/usr/bin/env bash
# The incident-day demo on the bundled samples (./run demo): make a case for the incident and
# show it. Each capability of mxir adds its step here as it lands.
set -euo pipefail
BIN="${1:?usage: demo.sh BUILD_BIN_DIR}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/build/demo"
mkdir -p "$OUT"
CASE="$OUT/acme.case"
rm -f "$CASE" "$CASE.key" "$CASE-wal" "$CASE-shm"
export PATH="$BIN:$PATH"

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s== %s%s\n$ %s\n' "$B" "$1" "$N" "$2"; }

step "1. Open a case for the incident" \
  "mxir case new --case $CASE --title 'Acme: SMTP AUTH storm and spam from a shared IP' ..."
mxir case new --case "$CASE" --title "Acme: SMTP AUTH storm and spam from a shared IP" \
  --domain acme.example --ip 203.0.113.25 --account bob@acme.example

step "2. Write down what you did outside mxir" \
  "mxir case note --case $CASE 'Provider throttles 203.0.113.25 since 08:00; ticket 4711'"
mxir case note --case "$CASE" "Provider throttles 203.0.113.25 since 08:00; ticket 4711"

step "3. The case's timeline so far" "mxir case timeline --case $CASE"
mxir case timeline --case "$CASE"

printf '\nThe case file is %s (its fingerprint key: %s.key).\n' "$CASE" "$CASE"
