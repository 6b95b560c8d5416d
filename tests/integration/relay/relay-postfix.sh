#!/usr/bin/env bash
# mxir relay end to end: the generated private Postfix instance (mxir relay config/up), the policy
# service, an auth-only Dovecot, swaks and raw-socket probes as clients, smtp-sink as the upstream.
# One instance shared by all cases (relay-security.md §6):
#   auth not before TLS; open-relay matrix (16 nmap pairs) unauthenticated and as an investigated
#   account; sender ownership (and the forwarded envelope byte for byte); per-message cap at N and
#   N+1; per-account window with a deferral; investigated account refused, deferred, held, listed,
#   released and purged (policy reloaded by SIGHUP); SMTP smuggling in (10 end-of-data candidates)
#   and out (what reaches the sink); STARTTLS command injection; overlong inputs; counters
#   surviving a policy restart; kill -9 of the policy service -> 451 4.3.5, then recovery; loops
#   (no CHUNKING, BDAT refused, hopcount_limit - 1 and hopcount_limit Received: headers); floods
#   (per-IP connection count -> 421) and a trickling client cut at the deadline; AUTH guessing
#   (no user enumeration, delayed failures); durability (kill -9 of Postfix after 250, of the
#   smtpd before the final dot); DKIM signing by OpenDKIM verified on what reaches the sink;
#   every decision and queue action in the case's audit trail.
# Exit 0 pass, 77 skip (not root, or postfix/dovecot/swaks/python3 missing).
set -u -o pipefail
umask 077
BIN=${MXIR_BIN_DIR:?}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_SH=${MXIR_SOURCE_DIR:?}/tests/integration/lab/mail-lab.sh
export PATH=$PATH:/usr/sbin
for t in postfix postconf smtp-sink dovecot swaks python3 openssl; do
  command -v "$t" >/dev/null || { echo "skipped: $t is not installed (./run deps test)" >&2; exit 77; }
done
[[ $(id -u) -eq 0 ]] || { echo "skipped: a private Postfix must be started as root" >&2; exit 77; }
getent passwd postfix >/dev/null && getent group dovecot >/dev/null ||
  { echo "skipped: postfix or dovecot users missing" >&2; exit 77; }

# Under /run (root's, not writable by others) rather than /tmp: OpenDKIM refuses a config or key
# file below a directory others can write.
W=$(mktemp -d /run/mxir-relay-XXXXXX 2>/dev/null || mktemp -d /tmp/mxir-relay-XXXXXX) || exit 1
chmod 755 "$W"
SINK_PID=
cleanup() {
  [[ -f $W/relay.ini ]] && "$BIN/mxir" relay down --config "$W/relay.ini" >/dev/null 2>&1
  [[ -n $SINK_PID ]] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
  [[ -n ${MXIR_KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$W/inst/postfix.log" "$W/inst/policy.log" "$W/inst/dovecot.log"; do
    [[ -f $f ]] && { echo "--- $f" >&2; tail -25 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok: $*"; }

read -r SUB SINK POL DKIMP <<<"$(bash "$LAB_SH" free-ports 4)" || exit 1
# DKIM signing by OpenDKIM as the relay's milter (started by relay up), when it is installed.
DKIM_INI=
# python3-dkim is Debian's: use Debian's python (a python3 earlier on PATH may not see it).
DKIM_PY=/usr/bin/python3
if command -v opendkim >/dev/null && "$DKIM_PY" -c 'import dkim' 2>/dev/null &&
  getent passwd opendkim >/dev/null; then
  openssl genrsa -out "$W/dkim.key" 2048 >/dev/null 2>&1 || fail "openssl genrsa"
  chown opendkim "$W/dkim.key" && chmod 600 "$W/dkim.key"
  DKIM_INI="dkim_selector = mxirtest
dkim_key_file = $W/dkim.key
dkim_milter = inet:127.0.0.1:$DKIMP"
else
  echo "note: DKIM case skipped (opendkim or python3-dkim not installed: ./run deps test)"
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=relay.example.test" -keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 ||
  fail "openssl"
chmod 644 "$W/cert.pem"
echo 'Relay-pw-1' >"$W/relay.pw"
echo 'Alice-pw-1' >"$W/alice.pw"
mkdir "$W/sink" && chown postfix "$W/sink"
write_ini() {  # $1 = under_investigation mode
  cat >"$W/relay.ini" <<INI
[relay]
listen_ip = 127.0.0.1
hostname = relay.example.test
domains = company.example
submission_port = $SUB
submissions_port = 0
instance_dir = $W/inst
tls_cert_file = $W/cert.pem
tls_key_file = $W/key.pem
upstream = 127.0.0.1:$SINK
upstream_tls = none
dns = no
policy_listen = inet:127.0.0.1:$POL
max_recipients_per_message = 3
max_recipients_per_hour = 6
max_messages_per_hour = 50
under_investigation = $1
investigate = mallory@company.example
$DKIM_INI
[logins]
relay = secret_file:$W/relay.pw
alice@company.example = secret_file:$W/alice.pw
INI
}
write_ini reject
"$BIN/mxir" case new --case "$W/c.case" --title "relay test" >/dev/null || fail "case new"
smtp-sink -u postfix -d "$W/sink/%Y%m%d%H%M%S." 127.0.0.1:"$SINK" 64 </dev/null >/dev/null 2>&1 &
SINK_PID=$!
"$BIN/mxir" relay config --config "$W/relay.ini" --case "$W/c.case" >"$W/config.out" 2>&1 ||
  { cat "$W/config.out" >&2; fail "mxir relay config"; }
grep -q "postfix check passed" "$W/config.out" || fail "postfix check did not pass"
"$BIN/mxir" relay up --config "$W/relay.ini" --case "$W/c.case" >"$W/up.out" 2>&1 ||
  { cat "$W/up.out" >&2; fail "mxir relay up"; }
for ((i = 0; i < 50; i++)); do
  swaks -s 127.0.0.1 -p "$SUB" -q CONNECT --timeout 2 >/dev/null 2>&1 && break
  sleep 0.2
done

# sw ARGS...: swaks against the relay; prints the transcript.
sw() { swaks -s 127.0.0.1 -p "$SUB" --timeout 15 "$@" 2>&1; }
auth_relay=(-tls -a PLAIN -au relay -ap Relay-pw-1)
auth_alice=(-tls -a PLAIN -au alice@company.example -ap Alice-pw-1)
# The reply code to the first RCPT (or to MAIL when MAIL failed) of a transcript.
rcpt_code() { awk '/^ *~?> (MAIL FROM|RCPT TO)/{want=1; next} want && /^<[~*]* +[0-9]{3}/{
  sub(/^<[~*]* +/, ""); code=substr($0,1,3); if (code !~ /^2/) {print code; exit} want=0 }
  END{}' | head -1; }
sink_count() { find "$W/sink" -type f | wc -l; }
wait_sink() {  # $1 = expected count
  for ((i = 0; i < 100; i++)); do [[ $(sink_count) -ge $1 ]] && return 0; sleep 0.1; done
  return 1
}

# --- AUTH never before TLS -----------------------------------------------------------------
out=$(python3 "$HERE/smtp_raw.py" "$SUB" auth-plain relay "$W/relay.pw")
grep -q '^auth-not-advertised$' <<<"$out" || fail "AUTH advertised before TLS: $out"
grep -qE '^5[0-9][0-9]' <<<"$(sed -n 2p <<<"$out")" || fail "AUTH in clear not refused: $out"
pass "AUTH is not offered or accepted before STARTTLS"

# --- open-relay matrix (nmap smtp-open-relay's 16 pairs) -----------------------------------
S=relay.example.test IP='[127.0.0.1]' D=ext.example
pairs=("<>|t@$D" "f@$D|t@$D" "f@$S|t@$D" "f@$IP|t@$D" "f@$IP|t%$D@$IP" "f@$IP|t%$D@$S"
  "f@$IP|\"t@$D\"" "f@$IP|\"t%$D\"" "f@$IP|t@$D@$IP" "f@$IP|\"t@$D\"@$IP" "f@$IP|t@$D@$S"
  "f@$IP|@$IP:t@$D" "f@$IP|@$S:t@$D" "f@$IP|$D!t" "f@$IP|$D!t@$IP" "f@$IP|$D!t@$S")
before=$(sink_count)
accepted=0
for p in "${pairs[@]}"; do
  from=${p%%|*} to=${p#*|}
  [[ $from == "<>" ]] && from=""
  for mode in plain tls investigated; do
    case $mode in
      plain) t=$(sw -f "$from" -t "$to" -q RCPT) ;;
      tls) t=$(sw -tls -f "$from" -t "$to" -q RCPT) ;;
      investigated) t=$(sw "${auth_relay[@]}" -f mallory@company.example -t "$to" -q RCPT) ;;
    esac
    if grep -qE '^<~? +25[0-9] .*(Ok|OK|ok)' <<<"$(awk '/RCPT TO/{getline; print}' <<<"$t")"; then
      echo "accepted ($mode): MAIL FROM:<$from> RCPT TO:<$to>" >&2
      accepted=$((accepted + 1))
    fi
  done
done
[[ $accepted -eq 0 ]] || fail "open-relay matrix: $accepted of 48 probes accepted"
[[ $(sink_count) -eq $before ]] || fail "open-relay matrix: mail reached the sink"
pass "open-relay matrix: 0 of 48 accepted (16 pairs x plain, TLS, investigated account)"

# --- sender ownership ------------------------------------------------------------------------
t=$(sw "${auth_alice[@]}" -f bob@company.example -t t@ext.example -q RCPT)
grep -qE '^<~?\* +553 5\.7\.1' <<<"$t" || fail "alice sending as bob not refused: $t"
t=$(sw "${auth_relay[@]}" -f x@evil.example -t t@ext.example -q RCPT)
grep -qE '5\.7\.1' <<<"$t" || fail "foreign sender not refused: $t"
before=$(sink_count)
t=$(sw "${auth_alice[@]}" -f alice@company.example -t 'Exact.Rcpt+tag@ext.example' --h-Subject own)
grep -qE '^<~ +250 2\.0\.0 Ok: queued' <<<"$t" || fail "alice's own mail not accepted: $t"
wait_sink $((before + 1)) || fail "alice's mail did not reach the sink"
f=$(grep -l 'Subject: own' "$W"/sink/* | head -1)
[[ $(grep -c '^X-Rcpt-Args:' "$f") -eq 1 ]] || fail "more than one recipient forwarded: $(head -6 "$f")"
grep -qE '^X-Rcpt-Args: <Exact\.Rcpt\+tag@ext\.example>( |$)' "$f" ||
  fail "forwarded recipient differs: $(head -6 "$f")"
pass "sender ownership: other login's address and foreign domain refused (5.7.1); own mail forwarded with the same recipient"

# --- DKIM: the relayed message arrives signed (d=company.example) and the signature verifies ---
if [[ -n $DKIM_INI ]]; then
  "$DKIM_PY" - "$f" "$W/dkim.key" <<'PY' || fail "DKIM signature of the relayed message: $(grep -i '^DKIM-Signature' "$f")"
import base64, subprocess, sys
import dkim
raw = open(sys.argv[1], "rb").read()
# smtp-sink puts its X-*-Args lines first; the message starts after them.
lines = raw.split(b"\r\n")
while lines and lines[0].startswith(b"X-") and lines[0].split(b":")[0].endswith(b"-Args"):
    lines.pop(0)
msg = b"\r\n".join(lines)
assert b"DKIM-Signature:" in msg, "no DKIM-Signature header"
der = subprocess.run(["openssl", "rsa", "-in", sys.argv[2], "-pubout", "-outform", "DER"],
                     capture_output=True, check=True).stdout
record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
def dns(name, timeout=5):
    assert name == b"mxirtest._domainkey.company.example.", name
    return record
d = dkim.DKIM(msg)
assert d.verify(dnsfunc=dns), "signature does not verify"
PY
  grep -qi '^DKIM-Signature:.*d=company\.example' <(tr -d '\r' <"$f" | sed -e ':a' -e 'N' -e '$!ba' -e 's/\n[ \t]/ /g') ||
    fail "the signature is not d=company.example"
  pass "DKIM: OpenDKIM started by relay up signs d=company.example; the signature of the relayed message verifies"
fi

# --- per-message cap at N and N+1 ------------------------------------------------------------
t=$(sw "${auth_relay[@]}" -f bob@company.example -t a@ext.example,b@ext.example,c@ext.example,d@ext.example)
grep -qE '452 4\.5\.3' <<<"$t" || fail "4th recipient not refused with 452 4.5.3: $t"
grep -qE '250 2\.0\.0 Ok: queued' <<<"$t" || fail "the 3 first recipients were not queued"
pass "recipient cap: 3 accepted, the 4th gets 452 4.5.3"

# --- per-account window (6 recipients/h; alice used 1) ---------------------------------------
for i in 2 3 4 5 6; do
  t=$(sw "${auth_alice[@]}" -f alice@company.example -t "w$i@ext.example")
  grep -q 'Ok: queued' <<<"$t" || fail "alice's message $i refused before the limit: $t"
done
t=$(sw "${auth_alice[@]}" -f alice@company.example -t w7@ext.example)
grep -qE '^<~?\* +450 4\.7\.1' <<<"$t" || fail "7th recipient in the hour not deferred: $t"
pass "per-account window: 6 accepted, the 7th deferred with 450 4.7.1"

# --- counters survive a restart of the policy service ---------------------------------------
pid=$(cat "$W/inst/policy.pid")
kill -TERM "$pid"
for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
"$BIN/mxir" relay up --config "$W/relay.ini" --case "$W/c.case" >/dev/null 2>&1 || fail "relay up after stop"
t=$(sw "${auth_alice[@]}" -f alice@company.example -t w8@ext.example)
grep -qE '450 4\.7\.1' <<<"$t" || fail "the window was forgotten across a restart: $t"
pass "counters survive a restart of the policy service"

# --- kill -9 of the policy service while Postfix runs: fail closed, then recovery -------------
pid=$(cat "$W/inst/policy.pid")
kill -KILL "$pid"
for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
before=$(sink_count)
t=$(sw "${auth_relay[@]}" -f carol@company.example -t k@ext.example)
grep -qE '451 4\.3\.5' <<<"$t" || fail "policy service down did not give 451 4.3.5: $t"
"$BIN/mxir" relay up --config "$W/relay.ini" --case "$W/c.case" >/dev/null 2>&1 || fail "relay up after kill -9"
t=$(sw "${auth_relay[@]}" -f carol@company.example -t k@ext.example)
grep -q 'Ok: queued' <<<"$t" || fail "no recovery after the policy service came back: $t"
pass "policy service killed (-9): 451 4.3.5 (fail closed); restarted: mail flows again"

# --- investigated account: refused, deferred, held, released, purged --------------------------
t=$(sw "${auth_relay[@]}" -f mallory@company.example -t v@ext.example -q RCPT)
grep -qE '554 5\.7\.1.*under investigation' <<<"$t" || fail "reject mode: $t"
reload() {
  write_ini "$1"
  kill -HUP "$(cat "$W/inst/policy.pid")"
  for ((i = 0; i < 50; i++)); do grep -q "reloaded" "$W/inst/policy.log" && break; sleep 0.1; done
  sleep 0.2
}
reload defer
t=$(sw "${auth_relay[@]}" -f mallory@company.example -t v@ext.example -q RCPT)
grep -qE '450 4\.7\.1.*under investigation' <<<"$t" || fail "defer mode: $t"
reload hold
before=$(sink_count)
for s in held-1 held-2; do
  t=$(sw "${auth_relay[@]}" -f mallory@company.example -t v@ext.example --h-Subject "$s")
  grep -q 'Ok: queued' <<<"$t" || fail "hold mode did not accept: $t"
done
for ((i = 0; i < 50; i++)); do
  n=$("$BIN/mxir" relay held --config "$W/relay.ini" --format jsonl | grep -c mallory)
  [[ $n -eq 2 ]] && break
  sleep 0.1
done
[[ $n -eq 2 ]] || fail "held mail not listed ($n)"
sleep 1
[[ $(sink_count) -eq $before ]] || fail "held mail was delivered"
id=$("$BIN/mxir" relay held --config "$W/relay.ini" --format jsonl | head -1 |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_id"])')
"$BIN/mxir" relay release --config "$W/relay.ini" --id "$id" --case "$W/c.case" >/dev/null || fail "release"
wait_sink $((before + 1)) || fail "released mail did not reach the sink"
"$BIN/mxir" relay purge --config "$W/relay.ini" --sender mallory@company.example --case "$W/c.case" >/dev/null ||
  fail "purge"
n=$("$BIN/mxir" relay held --config "$W/relay.ini" --format jsonl | grep -c mallory)
[[ $n -eq 0 ]] || fail "purge left $n held messages"
pass "investigated account: refused (5.7.1), deferred (4.7.1), held, listed, released, purged"

# --- SMTP smuggling, inbound and outbound ---------------------------------------------------
before=$(sink_count)
out=$(python3 "$HERE/smtp_raw.py" "$SUB" smuggle relay "$W/relay.pw" bob@company.example s@ext.example) ||
  fail "smuggle probe: $out"
[[ $(wc -l <<<"$out") -eq 10 ]] || fail "smuggle probe output: $out"
while read -r name pre1 pre2 pre3 bar rest; do
  n250=$(grep -o '250' <<<"$rest" | wc -l)
  [[ $n250 -le 1 ]] || fail "smuggling $name: two 250 replies after DATA ($rest)"
done <<<"$out"
sleep 2
if grep -l 'SMUGGLED' "$W"/sink/* 2>/dev/null | grep -q .; then fail "a smuggled message reached the sink"; fi
python3 - "$W/sink" <<'PY' || fail "bare CR or LF in what the relay forwarded"
import os, sys
for name in os.listdir(sys.argv[1]):
    data = open(os.path.join(sys.argv[1], name), "rb").read()
    body = data.split(b"\r\n\r\n", 1)[-1] if b"\r\n" in data else data
    # smtp-sink writes what it received; line ends must all be CRLF when it keeps them.
    if b"\r\n" in data and (data.replace(b"\r\n", b"").find(b"\n") >= 0 or data.replace(b"\r\n", b"").find(b"\r") >= 0):
        sys.exit("bare CR/LF in " + name)
PY
pass "smuggling: 10 end-of-data candidates never give a 2nd 250; nothing smuggled or bare CR/LF reaches the sink"

# --- STARTTLS command injection ---------------------------------------------------------------
out=$(python3 "$HERE/smtp_raw.py" "$SUB" starttls-inject)
grep -q '^inject-ignored' <<<"$out" || fail "STARTTLS injection answered: $out"
pass "STARTTLS injection: the pipelined RSET is never run inside TLS"

# --- overlong inputs -------------------------------------------------------------------------
out=$(python3 "$HERE/smtp_raw.py" "$SUB" overlong relay "$W/relay.pw" bob@company.example)
grep -qE '^long-(command|localpart|domain) 2' <<<"$out" && fail "an overlong input was accepted: $out"
t=$(sw "${auth_relay[@]}" -f dave@company.example -t after-long@ext.example)
grep -q 'Ok: queued' <<<"$t" || fail "relay unusable after overlong inputs: $t"
pass "overlong command / local part / domain refused; the relay keeps working"

# --- loops and BDAT (case 14): CHUNKING not offered and BDAT refused; N and N+1 Received: ----
out=$(python3 "$HERE/smtp_raw.py" "$SUB" bdat relay "$W/relay.pw" chunk@company.example b@ext.example)
grep -q '^chunking-not-advertised$' <<<"$out" || fail "CHUNKING advertised: $out"
grep -qE '^bdat 5[0-9][0-9]' <<<"$out" || fail "BDAT not refused: $out"
hops=$(postconf -c "$W/inst/etc" -h hopcount_limit)
hop_headers() { for ((i = 1; i <= $1; i++)); do printf -- '--add-header\nReceived: from hop%d.example by relay; Mon, 7 Dec 2026 00:00:00 +0000\n' "$i"; done; }
before=$(sink_count)
# Postfix refuses a message whose Received: headers, with the one it adds, reach hopcount_limit.
mapfile -t hh < <(hop_headers "$((hops - 2))")  # plus the relay's own: hopcount_limit - 1
t=$(sw "${auth_relay[@]}" -f hop-a@company.example -t hops@ext.example --h-Subject "hops-N" "${hh[@]}")
grep -q 'Ok: queued' <<<"$t" || fail "a message with $((hops - 1)) hops refused: $(grep -E "^<.* [45][0-9][0-9] " <<<"$t")"
mapfile -t hh < <(hop_headers "$((hops - 1))")
t=$(sw "${auth_relay[@]}" -f hop-b@company.example -t hops@ext.example --h-Subject "hops-N1" "${hh[@]}")
grep -qE '554 5\.4\.0' <<<"$t" || fail "a message with $hops hops not refused: $(grep -E "^<.* [45][0-9][0-9] " <<<"$t")"
wait_sink $((before + 1)) || fail "the message with $((hops - 1)) hops did not reach the sink"
sleep 0.5
grep -l 'Subject: hops-N1' "$W"/sink/* >/dev/null 2>&1 && fail "the looping message reached the sink"
pass "loops: CHUNKING not offered, BDAT refused; $((hops - 1)) Received: relayed, $hops refused (554 5.4.0); a smarthost that is the relay itself is refused by config (unit test)"

# --- floods and slow clients (case 11) -------------------------------------------------------
limit=$(postconf -c "$W/inst/etc" -h smtpd_client_connection_count_limit)
out=$(python3 "$HERE/smtp_raw.py" "$SUB" conn-flood $((limit + 1)))
[[ $(head -n "$limit" <<<"$out" | grep -c '^220$') -eq $limit ]] || fail "flood: first $limit not served: $out"
[[ $(tail -1 <<<"$out") == 421 ]] || fail "connection $((limit + 1)) from one IP not refused with 421: $(tail -1 <<<"$out")"
# A client trickling one byte every 0.5 s is cut at the deadline (smtpd_per_record_deadline; the
# test shortens smtpd_timeout to 3 s on the submission service) while a normal client is served.
postconf -c "$W/inst/etc" -P "127.0.0.1:$SUB/inet/smtpd_timeout=3s"
postfix -c "$W/inst/etc" reload >/dev/null 2>&1
sleep 1
python3 "$HERE/smtp_raw.py" "$SUB" trickle >"$W/trickle.out" &
trickle_pid=$!
t=$(sw "${auth_relay[@]}" -f calm@company.example -t during-trickle@ext.example)
grep -q 'Ok: queued' <<<"$t" || fail "a normal client was not served during the trickle: $t"
wait "$trickle_pid"
read -r verdict secs reply <"$W/trickle.out"
[[ $verdict == cut && $secs -le 6 ]] || fail "trickling client not cut at the deadline: $(cat "$W/trickle.out")"
postconf -c "$W/inst/etc" -PX "127.0.0.1:$SUB/inet/smtpd_timeout"
postfix -c "$W/inst/etc" reload >/dev/null 2>&1
pass "floods: $limit connections from one IP served, the next refused (421); a trickling client cut after ${secs}s ($reply) while a normal one was served"

# --- AUTH guessing (case 7): same answer for an unknown login, and slow ----------------------
# Last of the SMTP cases: the auth Dovecot's penalty for 127.0.0.1 grows with every failure (2 s,
# then 6 s, ...; beyond Postfix's 10 s wait Postfix answers 454), so only two guesses are made;
# the cut-off after smtpd_hard_error_limit errors and the AUTH rate limit are triggered live in
# relay-upstream.sh (unknown commands, and logins with the right password).
out=$(python3 "$HERE/smtp_raw.py" "$SUB" auth-brute relay "$W/relay.pw" 2)
python3 - "$out" <<'PY' || fail "AUTH guessing: $out"
import sys
rows = [l.split(" ", 3) for l in sys.argv[1].splitlines()]
assert len(rows) == 2 and all(r[1] == "535" for r in rows), "not two 535 answers"
# No user enumeration: the unknown login (1st) and the real one (2nd) get the same answer.
assert rows[0][3] == rows[1][3], "different answers: %r / %r" % (rows[0][3], rows[1][3])
# Slower answers: every failure is delayed, the second more than the first.
assert float(rows[0][2]) >= 1.5 and float(rows[1][2]) > float(rows[0][2]), "failures not delayed"
PY
[[ $(postconf -c "$W/inst/etc" -h smtpd_hard_error_limit) -le 10 &&
  $(postconf -c "$W/inst/etc" -h smtpd_client_auth_rate_limit) -gt 0 ]] ||
  fail "no error limit or AUTH rate limit in the generated main.cf"
pass "AUTH guessing: unknown and real login answered alike (535), failures delayed $(awk '{printf "%s%ss", (NR>1?", ":""), $3}' <<<"$out"); error and AUTH rate limits set"

# --- durability (case 12), last: killed smtpd processes make Postfix's master throttle the
# service for a while. kill -9 of Postfix after 250 -> still queued, delivered after the
# restart; kill -9 of the smtpd before the final dot -> nothing queued, no file left behind ------
master=$(tr -dc 0-9 <"$W/inst/queue/pid/master.pid")
kill "$SINK_PID" && wait "$SINK_PID" 2>/dev/null  # the upstream away: the mail stays queued
SINK_PID=
t=$(sw "${auth_relay[@]}" -f durable@company.example -t durable@ext.example --h-Subject durable)
grep -q 'Ok: queued' <<<"$t" || fail "durability: message not accepted: $t"
# shellcheck disable=SC2046
kill -KILL "$master" $(ps -o pid= --ppid "$master") 2>/dev/null
for ((i = 0; i < 50; i++)); do kill -0 "$master" 2>/dev/null || break; sleep 0.1; done
smtp-sink -u postfix -d "$W/sink/%Y%m%d%H%M%S." 127.0.0.1:"$SINK" 64 </dev/null >/dev/null 2>&1 &
SINK_PID=$!
"$BIN/mxir" relay up --config "$W/relay.ini" --case "$W/c.case" >/dev/null 2>&1 || fail "relay up after kill -9 of Postfix"
for ((i = 0; i < 50; i++)); do postqueue -c "$W/inst/etc" -f 2>/dev/null && break; sleep 0.1; done
for ((i = 0; i < 100; i++)); do grep -l 'Subject: durable' "$W"/sink/* >/dev/null 2>&1 && break; sleep 0.1; done
grep -l 'Subject: durable' "$W"/sink/* >/dev/null 2>&1 || fail "the message accepted before kill -9 was not delivered after the restart"
master=$(tr -dc 0-9 <"$W/inst/queue/pid/master.pid")
coproc PARTIAL { python3 "$HERE/smtp_raw.py" "$SUB" partial-data relay "$W/relay.pw" partial@company.example p@ext.example; }
read -r -t 20 line <&"${PARTIAL[0]}"
[[ $line == in-data ]] || fail "partial-data probe: $line"
# shellcheck disable=SC2046
kill -KILL $(ps -o pid=,comm= --ppid "$master" | awk '$2 == "smtpd" {print $1}') 2>/dev/null
read -r -t 20 line <&"${PARTIAL[0]}"
wait "$PARTIAL_PID" 2>/dev/null
[[ $line == closed* ]] || fail "the smtpd in the middle of DATA was not killed: $line"
sleep 1
postqueue -c "$W/inst/etc" -j | grep -q partial@ && fail "a message cut before its final dot was queued"
left=$(find "$W/inst/queue/incoming" -type f | wc -l)
[[ $left -eq 0 ]] || fail "$left file(s) left in the incoming queue after the cut"
pass "durability: accepted mail survives kill -9 of Postfix and is delivered after the restart; a message cut before its final dot is not queued and leaves no file"

# --- the case's audit trail (after down: the policy service has flushed its records) -------
"$BIN/mxir" relay down --config "$W/relay.ini" --case "$W/c.case" >/dev/null || fail "relay down"
"$BIN/mxir" relay status --config "$W/relay.ini" >/dev/null && fail "status says running after down"
python3 - "$W/c.case" <<'PY' || fail "audit trail incomplete"
import sqlite3, sys, json
db = sqlite3.connect(sys.argv[1])
rows = db.execute("SELECT action, outcome, details FROM actions WHERE tool='relay'").fetchall()
acts = [r[0] for r in rows]
need = ["relay config", "relay up", "policy RCPT", "policy DATA", "policy END-OF-MESSAGE",
        "relay release", "relay purge", "relay down"]
missing = [n for n in need if n not in acts]
outcomes = {r[1] for r in rows if r[0] == "policy RCPT"}
for o in ["DUNNO", "REJECT", "DEFER_IF_PERMIT", "HOLD"]:
    if o not in outcomes:
        missing.append("RCPT outcome " + o)
if missing:
    sys.exit("missing: %s" % missing)
d = json.loads([r[2] for r in rows if r[0] == "policy RCPT"][0])
for k in ["instance", "client_address", "sasl_username", "sender", "recipient", "rule", "counts"]:
    if k not in d:
        sys.exit("details lack " + k)
PY
pass "audit: config, up, down, every policy decision (DUNNO/REJECT/DEFER/HOLD), release, purge"
echo "PASS: mxir relay on a private Postfix instance"
