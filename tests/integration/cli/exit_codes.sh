#!/usr/bin/env bash
# Table-driven: each row runs one tool with one common mistake and wants exit 2 and a message
# on stderr that names what was wrong (no temp-file names, no bare "Is a directory").
set -u
BIN="${MXIR_BIN_DIR:?}"
export PATH="$BIN:$PATH" MXIR_TZ=UTC
T="$(mktemp -d /tmp/mxir-exit-codes-XXXXXX)"
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
S="${MXIR_SOURCE_DIR:?}/samples"
mxir case new --case c.case --title t --ip 192.0.2.25 >/dev/null || { echo "FAIL: case new"; exit 1; }
mkdir dir
printf 'pw\n' >open.pw; chmod 644 open.pw
printf 'pw\n' >ok.pw; chmod 600 ok.pw
printf '[dovecot]\npasswd_file = %s/users\n' "$T" >open.ini; chmod 644 open.ini
printf 'not a pcap at all\n' >bad.pcap
printf 'nothing\n' | gzip >x.pcap.gz
failures=0
# want | expected text in stderr (grep -E) | command
while IFS='|' read -r want text cmd; do
  [[ -z $want || $want == \#* ]] && continue
  out=$(bash -c "$cmd" 2>&1 >/dev/null </dev/null); rc=$?
  if [[ $rc != "$want" ]] || ! grep -Eiq -- "$text" <<<"$out"; then
    echo "FAIL: '$cmd' exited $rc (want $want), stderr: $out"
    failures=$((failures + 1))
  fi
  if grep -q 'mxir-tmp' <<<"$out"; then
    echo "FAIL: '$cmd' names a temporary file: $out"; failures=$((failures + 1))
  fi
done <<'TABLE'
# ingest
2|is a directory|mxir ingest --year 2026 --tz UTC dir
2|no such file|mxir ingest --year 2026 --tz UTC nosuch.log
2|format|mxir ingest --format xml nosuch.log
2|format|mxir ingest --log-format nosuch ok.pw
2|does not look like a mail log|mxir ingest --year 2026 --tz UTC /etc/passwd
# capture
2|is a directory|mxir capture --read dir
2|no such file|mxir capture --read nosuch.pcap
2|format|mxir capture --read bad.pcap --format xml
2|not a pcap|mxir capture --read bad.pcap
2|gzip|mxir capture --read x.pcap.gz
# detect
2|is a directory|mxir detect --events dir
2|no such file|mxir detect --events nosuch.jsonl
2|format|mxir detect --case c.case --format xml
# case
2|is a directory|mxir case show --case dir
2|no such case|mxir case show --case nosuch.case
2|format|mxir case show --case c.case --format xml
2|no finding|mxir case dismiss --case c.case nosuch --why x
# report
2|is a directory|mxir report weekly --case c.case -o dir
2|directory .*nonexistent.* does not exist|mxir report weekly --case c.case -o /nonexistent/dir/x.html
2|format|mxir report weekly --case c.case --format xml
# reset
2|is a directory|mxir reset bob --provider dovecot --hooks dir --dry-run
2|no such file|mxir reset bob --provider dovecot --hooks nosuch.ini --dry-run
2|group or others|mxir reset bob --provider dovecot --hooks open.ini --dry-run
2|group or others|mxir reset verify bob --smtp 127.0.0.1:1 --password-file open.pw
2|no such file|mxir reset verify bob --smtp 127.0.0.1:1 --password-file nosuch.pw
# dnsbl
2|is a directory|mxir dnsbl check --ip 192.0.2.25 --catalog dir
2|no such file|mxir dnsbl check --ip 192.0.2.25 --catalog nosuch.json
2|format|mxir dnsbl check --ip 192.0.2.25 --format xml
2|no such case|mxir dnsbl watch --case nosuch.case
TABLE
[[ $failures == 0 ]] || { echo "$failures rows failed"; exit 1; }
echo ok
