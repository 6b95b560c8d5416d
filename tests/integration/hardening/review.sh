#!/usr/bin/env bash
# Runs the 2026-12 security review's reproductions (review-repro/*.sh, with its hostile peers in
# review-scripts/) against the built tools and checks that none shows its defect any more:
#   H2 unkeyed Dovecot SHA-1 in the case, H3 a sieve symlink/FIFO losing a set password, M1
#   STARTTLS injection, M2 LDAP certificate checks switched off by the environment, M3 capture
#   memory beyond its budget, M4 disk full, M5 lines lost at rotation, M7 key deleted, M8 a
#   wildcard zone reported "listed", L2 negative schema version, L3 non-UTF-8 title, a FIFO case.
# Every server is on 127.0.0.1 at a free port, in a private temporary folder. Exit 0 pass, 1 fail.
set -u -o pipefail
BIN=${MXIR_BIN_DIR:?}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${MXIR_SOURCE_DIR:?}
W=$(mktemp -d /tmp/mxir-review-XXXXXX) || exit 1
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
free_udp_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
repro() { ROOT=$ROOT BIN=$BIN timeout 60 bash "$HERE/review-repro/$1" 2>&1; }

# --- H2: no unkeyed SHA-1 of an attempted password in the case or its export -------------------
out=$(repro 02-dovecot-sha1-in-case.sh)
for h in 5baa61e4 7c4a8d09 7c222fb2; do
  grep -q "dovecot-sha1:$h" <<<"$out" && fail "H2: sha1 prefix $h stored unkeyed: $out"
done
echo "ok H2"

# --- H3: a sieve symlink to /dev/zero or a FIFO never loses the new password --------------------
out=$(repro 03-sieve-symlink-loses-password.sh)
grep -q 'password file bytes: 0' <<<"$out" && fail "H3: password lost: $out"
grep -q 'rc=0' <<<"$out" || fail "H3: reset did not finish: $out"
grep -q '{PLAIN}old' <<<"$out" && fail "H3: password not changed: $out"
mkdir "$W/h3" && cd "$W/h3" && mkdir -p home/sieve
printf 'bob@example.test:{PLAIN}old:1000:1000::%s/home::\n' "$W/h3" >users
printf '[dovecot]\npasswd_file = %s/users\ndoveadm =\n' "$W/h3" >hooks.ini && chmod 600 hooks.ini
mkfifo home/sieve/x.sieve
timeout 20 "$BIN/mxir-reset" bob@example.test --provider dovecot --hooks hooks.ini --password-file pw.txt --yes >out 2>&1
rc=$?
[[ $rc -eq 0 && -s pw.txt ]] || { cat out >&2; fail "H3 FIFO: rc=$rc, password file $(wc -c <pw.txt 2>/dev/null)"; }
cd "$W"
echo "ok H3"

# --- M7: an existing key is never deleted ---------------------------------------------------------
out=$(repro 04-case-new-deletes-key.sh)
# ls runs before and after the refused "case new": the key must be listed both times.
[[ $(grep -c '^a\.case\.key$' <<<"$out") -eq 2 ]] || fail "M7: the key is gone: $out"
echo "ok M7"

# --- L2: negative user_version -> an error, not a crash ------------------------------------------
out=$(repro 05-negative-user-version.sh)
grep -q 'rc=2' <<<"$out" || fail "L2: $out"
echo "ok L2"

# --- M4: a full disk (RLIMIT_FSIZE) -> a clear error, the case intact ---------------------------
out=$(repro 06-disk-full-segfault.sh)
grep -q 'rc=139\|Segmentation' <<<"$out" && fail "M4: crashed: $out"
grep -qi 'full\|too large\|File size' <<<"$out" || fail "M4: no clear error: $out"
grep -q 'rc=0' <<<"$out" && fail "M4: reported success: $out"
echo "ok M4"

# --- L3 and a FIFO as --case ----------------------------------------------------------------------
"$BIN/mxir-case" new --case "$W/l3.case" --title $'Caf\xe9 incident' --format json >/dev/null 2>&1 || fail "L3: case new"
"$BIN/mxir-case" show --case "$W/l3.case" --format json >/dev/null 2>&1 || fail "L3: case show"
mkfifo "$W/fifo.case"
timeout 10 "$BIN/mxir-case" show --case "$W/fifo.case" >/dev/null 2>&1
rc=$?
[[ $rc -eq 2 ]] || fail "FIFO as --case: rc=$rc (124 = hung)"
echo "ok L3, FIFO case"

# TLS material for the hostile peers.
mkdir "$W/tls" && cd "$W/tls"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 -subj /CN=mail.test \
  -addext subjectAltName=DNS:mail.test,IP:127.0.0.1 >/dev/null 2>&1 || fail "openssl req"

# --- M1: plaintext injected after the STARTTLS 220 ----------------------------------------------
port=$(free_port)
python3 "$HERE/review-scripts/inject_smtp.py" "$port" 2>inject.log &
PIDS+=($!)
listening() { grep -qi ":$(printf '%04X' "$1") 00000000:0000 0A" /proc/net/tcp; }
for _ in $(seq 50); do listening "$port" && break; sleep 0.1; done
printf 'NewPassw0rd\n' >new.pw && chmod 600 new.pw
out=$(timeout 20 "$BIN/mxir-reset" verify bob@example.test --smtp "127.0.0.1:$port" --password-file new.pw \
  --ca-file cert.pem --tls-name mail.test 2>&1)
rc=$?
[[ $out == *INJECTED* || $rc -eq 0 ]] && fail "M1: injected reply believed (rc=$rc): $out"
[[ $out == *"after its reply to STARTTLS"* ]] || fail "M1: not refused for the injection: $out"
echo "ok M1"

# --- M2: LDAPTLS_REQCERT=never in the environment does not switch certificate checks off ---------
port=$(free_port)
python3 "$HERE/review-scripts/fake_ldaps.py" "$port" >ldaps.log 2>&1 &
LDAPS=$!
PIDS+=($LDAPS)
for _ in $(seq 50); do listening "$port" && break; sleep 0.1; done
printf 'S3cretBindPassw0rd\n' >bind.pw && chmod 600 bind.pw
printf '[ldap]\nuri = ldaps://127.0.0.1:%s\nbind_dn = cn=admin,dc=example,dc=test\nuser_dn_template = uid=%%s,dc=example,dc=test\nsecret_file = %s/bind.pw\ntimeout = 5\n' \
  "$port" "$W/tls" >ldap.ini && chmod 600 ldap.ini
LDAPTLS_REQCERT=never timeout 20 "$BIN/mxir-reset" bob@example.test --provider ldap --hooks ldap.ini --dry-run >ldap.out 2>&1
rc=$?
wait "$LDAPS"
grep -q 'S3cretBindPassw0rd' ldaps.log && fail "M2: the bind password reached an untrusted server: $(cat ldaps.log)"
[[ $rc -ne 0 ]] || fail "M2: an untrusted certificate was accepted: $(cat ldaps.log) / $(cat ldap.out)"
echo "ok M2"
cd "$W"

# --- M8: a resolver that lists everything never gives 0spam a "listed" -----------------------------
port=$(free_udp_port)
python3 "$HERE/review-scripts/alllisted.py" "$port" &
PIDS+=($!)
sleep 0.5
out=$(timeout 30 "$BIN/mxir-dnsbl" check --ip 192.0.2.25 --zone 0spam-bl --zone spamcop \
  --resolver "127.0.0.1:$port" --no-txt --format csv 2>&1)
grep -i 'bl.0spam.org' <<<"$out" | grep -q ',listed,' && fail "M8: false listing: $out"
grep -i 'bl.0spam.org' <<<"$out" | grep -q 'error' || fail "M8: 0spam not flagged: $out"
echo "ok M8"

# --- M3: capture memory stays near its budget on a pipelining flood -------------------------------
python3 "$HERE/review-scripts/mkflood.py" 400 "$W/flood.pcap"
rss=$(python3 - "$BIN/mxir-capture" "$W/flood.pcap" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "--read", sys.argv[2], "--memory-mb", "16", "--format", "jsonl"],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
) || fail "M3: capture failed"
((rss < 200)) || fail "M3: peak RSS $rss MB with --memory-mb 16 (400 sessions x 998 pipelined RCPTs)"
echo "ok M3 (peak ${rss} MB)"

# --- M5: lines written to the rotated file before the writer reopens are kept --------------------
mkdir "$W/m5" && cd "$W/m5"
line() { echo "Nov 16 08:00:0$1 mail postfix/smtpd[$2]: connect from unknown[127.0.0.$1]"; }
: >mail.log
exec 3>>mail.log
"$BIN/mxir-ingest" --follow --follow-for 4 --year 2026 --tz UTC --format jsonl mail.log >events.jsonl 2>ingest.err &
ING=$!
sleep 0.7
for i in 1 2 3; do line 1 100$i >&3; done
sleep 0.7
mv mail.log mail.log.1
: >mail.log
sleep 0.7
for i in 1 2 3 4; do line 2 200$i >&3; done
exec 3>&-
exec 3>>mail.log
for i in 1 2 3; do line 3 300$i >&3; done
exec 3>&-
wait "$ING"
n=$(grep -c session_start events.jsonl)
[[ $n -eq 10 ]] || fail "M5: $n of 10 lines read: $(cat ingest.err)"
echo "ok M5"

echo "PASS: the review's reproductions show none of their defects"
