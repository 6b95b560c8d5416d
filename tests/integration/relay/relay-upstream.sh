#!/usr/bin/env bash
# mxir relay, the cases that need a scriptable upstream and a man in the middle
# (relay-security.md §6), on a private Postfix instance from 'mxir relay config' with
# upstream_tls = encrypt (the default) and fake_upstream.py as the smarthost:
#   case 7   AUTH rate limit per client IP (lowered for the test) and the cut-off after
#            smtpd_hard_error_limit errors, live;
#   case 6   inbound: a man in the middle that strips STARTTLS from the relay's EHLO reply ->
#            the relay offers no AUTH, refuses AUTH, MAIL and RCPT in clear; STARTTLS command
#            injection (RSET, MAIL, AUTH, EHLO in the STARTTLS segment, RSET after the 220) ->
#            nothing answered inside TLS, EHLO and AUTH state reset;
#            outbound: an upstream that hides STARTTLS -> the mail is deferred, never sent in
#            clear; an upstream that injects "250" after its "220" to STARTTLS -> the relay
#            discards it (it does not take it as the EHLO reply) and delivers inside TLS;
#   case 13  a 4xx upstream -> deferred and retried, then expired -> one DSN from <> to the
#            submitter only; a 5xx upstream -> one DSN to the submitter; a failing null-sender
#            message -> no DSN; the policy service's null-sender bucket defers the 3rd <>; the
#            upstream's 250 to the final dot lost -> redelivered, the duplicate detectable.
# The queue timings (queue_run_delay, backoff, lifetimes) are shortened with postconf on the
# test's private instance only. Exit 0 pass, 77 skip.
set -u -o pipefail
umask 077
BIN=${MXIR_BIN_DIR:?}
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_SH=${MXIR_SOURCE_DIR:?}/tests/integration/lab/mail-lab.sh
export PATH=$PATH:/usr/sbin
PY=/usr/bin/python3
for t in postfix postconf dovecot swaks openssl $PY; do
  command -v "$t" >/dev/null || { echo "skipped: $t is not installed (./run deps test)" >&2; exit 77; }
done
[[ $(id -u) -eq 0 ]] || { echo "skipped: a private Postfix must be started as root" >&2; exit 77; }
getent passwd postfix >/dev/null && getent group dovecot >/dev/null ||
  { echo "skipped: postfix or dovecot users missing" >&2; exit 77; }

W=$(mktemp -d /tmp/mxir-relayup-XXXXXX) || exit 1
chmod 755 "$W"
UP_PID= MITM_PID=
cleanup() {
  [[ -f $W/relay.ini ]] && "$BIN/mxir" relay down --config "$W/relay.ini" >/dev/null 2>&1
  for p in $UP_PID $MITM_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [[ -n ${MXIR_KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$W/inst/postfix.log" "$W/inst/policy.log" "$W/up.log"; do
    [[ -f $f ]] && { echo "--- $f" >&2; tail -25 "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok: $*"; }
SECONDS=0

read -r SUB UP POL MITM <<<"$(bash "$LAB_SH" free-ports 4)" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj "/CN=relay.example.test" -keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 ||
  fail "openssl"
chmod 644 "$W/cert.pem"
echo 'Relay-pw-1' >"$W/relay.pw"
echo normal >"$W/mode"
: >"$W/up.log"
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
upstream = 127.0.0.1:$UP
upstream_tls = encrypt
dns = no
policy_listen = inet:127.0.0.1:$POL
max_null_sender_per_hour = 2
[logins]
relay = secret_file:$W/relay.pw
INI
"$BIN/mxir" case new --case "$W/c.case" --title "relay upstream test" >/dev/null || fail "case new"
$PY "$HERE/fake_upstream.py" "$UP" "$W/cert.pem" "$W/key.pem" "$W/mode" "$W/up.log" 2>"$W/up.err" &
UP_PID=$!
$PY "$HERE/starttls_mitm.py" "$MITM" "$SUB" "$W/mitm.log" 2>"$W/mitm.err" &
MITM_PID=$!
"$BIN/mxir" relay config --config "$W/relay.ini" --case "$W/c.case" >"$W/config.out" 2>&1 ||
  { cat "$W/config.out" >&2; fail "mxir relay config"; }
E=$W/inst/etc
[[ $(postconf -c "$E" -h smtp_tls_security_level) == encrypt ]] || fail "upstream TLS is not required"
generated_auth_limit=$(postconf -c "$E" -h smtpd_client_auth_rate_limit)
# Test-only timings on this private instance: retry after 2 s, expire in seconds; an AUTH
# rate limit of 3 so that its cut-off is reached with 4 logins.
postconf -c "$E" queue_run_delay=1s minimal_backoff_time=2s maximal_backoff_time=2s \
  smtp_connection_cache_on_demand=no smtpd_client_auth_rate_limit=3
"$BIN/mxir" relay up --config "$W/relay.ini" --case "$W/c.case" >"$W/up.out" 2>&1 ||
  { cat "$W/up.out" >&2; fail "mxir relay up"; }
for ((i = 0; i < 50; i++)); do
  swaks -s 127.0.0.1 -p "$SUB" -q CONNECT --timeout 2 >/dev/null 2>&1 && break
  sleep 0.2
done
raw() { timeout 60 $PY "$HERE/smtp_raw.py" "$@"; }
sw() { swaks -s 127.0.0.1 -p "$SUB" --timeout 15 -tls -a PLAIN -au relay -ap Relay-pw-1 "$@" 2>&1; }
reload() { postfix -c "$E" reload >/dev/null 2>&1 || fail "postfix reload"; sleep 1; }
# up_json PYTHON-EXPR: evaluates EXPR over S, the list of upstream sessions so far.
up_json() { $PY -c 'import json,sys; S=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]; print('"$1"')' "$W/up.log"; }
# wait_up EXPR [SECONDS]: until EXPR over the upstream sessions is true. Every second it asks
# the queue manager to scan the incoming queue: with the test's 2 s backoff a deferred-queue scan
# can meet a file the smtp client still locks; qmgr then puts it back into incoming ("skipped,
# still being delivered") and, without a trigger, looks there again only when new mail comes.
wait_up() {
  for ((i = 0; i < ${2:-15} * 5; i++)); do
    [[ $(up_json "$1") == True ]] && return 0
    ((i % 5 == 4)) && postkick -c "$E" public qmgr I 2>/dev/null
    sleep 0.2
  done
  return 1
}
queue_ids() { postqueue -c "$E" -j 2>/dev/null | $PY -c 'import json,sys
for l in sys.stdin:
  if l.strip(): print(json.loads(l)["queue_id"])'; }

# --- case 7: the per-IP AUTH rate limit (first: anvil counts every AUTH of this run) ----------
codes=$(for i in 1 2 3 4; do raw "$SUB" auth-ok relay "$W/relay.pw"; done | tr '\n' ' ')
[[ $codes =~ ^235\ 235\ 235\ (4|5)[0-9][0-9]\ $ ]] || fail "AUTH rate limit (3 per unit): $codes"
grep -q 'AUTH command rate limit exceeded: 4 from' "$W/inst/postfix.log" || fail "no 'AUTH command rate limit exceeded' in the log"
postconf -c "$E" smtpd_client_auth_rate_limit="$generated_auth_limit"
reload
pass "AUTH rate limit per client IP (lowered to 3 for the test): logins 1-3 235, the 4th refused ($codes); the generated limit is $generated_auth_limit an hour"

# --- case 7: cut-off after smtpd_hard_error_limit errors -------------------------------------
hard=$(postconf -c "$E" -h smtpd_hard_error_limit) soft=$(postconf -c "$E" -h smtpd_soft_error_limit)
out=$(raw "$SUB" error-flood $((hard + 5)))
$PY - "$out" "$hard" "$soft" <<'PY' || fail "error cut-off: $out"
import sys
out, hard, soft = sys.argv[1].splitlines(), int(sys.argv[2]), int(sys.argv[3])
rows = [l.split() for l in out if l[0].isdigit()]
assert out[-1].split()[0] == "closed", "the server did not hang up"
# hard errors made: the next command is answered 421 and the connection closed.
assert rows[-1][1] == "421" and int(rows[-1][0]) == hard + 1, "no 421 after %d errors" % hard
assert len(rows) == hard + 1 and all(r[1].startswith("5") for r in rows[:-1]), "not refused"
# Slower answers once the soft limit is passed (smtpd_error_sleep_time), quick ones before.
assert all(float(r[2]) < 0.9 for r in rows[:soft]), "early errors delayed"
assert all(float(r[2]) >= 0.9 for r in rows[soft:hard]), "errors past the soft limit not delayed"
PY
pass "error cut-off: $hard unknown commands refused (those past $soft delayed 1 s), the next answered 421 and the connection closed"

# --- case 6, inbound: STARTTLS stripped by a man in the middle -------------------------------
t=$(swaks -s 127.0.0.1 -p "$MITM" --timeout 15 -a PLAIN -au relay -ap Relay-pw-1 \
  -f bob@company.example -t strip@ext.example 2>&1)
grep -qE '^<[~ ]* +235' <<<"$t" && fail "AUTH succeeded through the stripping proxy: $t"
grep -qi 'Host did not advertise authentication' <<<"$t" || fail "swaks saw AUTH offered in clear: $t"
out=$(raw "$MITM" clear-session relay "$W/relay.pw" bob@company.example strip@ext.example)
$PY - "$out" <<'PY' || fail "a client behind the stripping proxy: $out"
import sys
r = dict(l.split(" ", 1) for l in sys.argv[1].splitlines())
assert r["ehlo"] == "starttls=0 auth=0", "STARTTLS not stripped, or AUTH offered in clear"
assert r["auth"][0] == "5", "AUTH in clear not refused"
assert r["mail"] == "530", "MAIL in clear not refused with 530 (STARTTLS first)"
assert r["rcpt"][0] in "45", "RCPT in clear accepted"
PY
$PY - "$W/mitm.log" <<'PY' || fail "man in the middle log: $(cat "$W/mitm.log")"
import json, sys
S = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(S) == 2, "expected 2 sessions through the proxy"
assert all(s["stripped"] >= 1 for s in S), "the relay did not offer STARTTLS (nothing stripped)"
assert not any(r in ("235", "250") and c.startswith("AUTH") for s in S
               for c, r in zip(s["client_cmds"][1:], s["replies"][2:])), "AUTH accepted"
assert "235" not in [r for s in S for r in s["replies"]], "a 235 passed the proxy"
PY
[[ $(up_json 'len(S)') == 0 ]] || fail "something reached the upstream from a stripped session"
pass "STARTTLS stripped in the middle: AUTH not offered; AUTH $(sed -n 's/^auth //p' <<<"$out"), MAIL 530 and RCPT $(sed -n 's/^rcpt //p' <<<"$out") in clear; swaks (AUTH required) gives up; nothing relayed"

# --- case 6, inbound: STARTTLS command injection, five variants ------------------------------
out=$(raw "$SUB" inject-variants relay "$W/relay.pw" bob@company.example inj@ext.example)
$PY - "$out" <<'PY' || fail "STARTTLS injection: $out"
import sys
rows = [dict(kv.split("=", 1) for kv in l.split()[1:]) | {"name": l.split()[0]}
        for l in sys.argv[1].splitlines()]
assert len(rows) == 5, "expected 5 variants"
for r in rows:
    if r["tls"] != "ok":
        continue  # refused before TLS (pipelining) or the handshake broke: nothing was run
    assert r["unsolicited"] == "0", "%s: a reply to the injected command inside TLS" % r["name"]
    assert r["mail-before-ehlo"].startswith("5"), "%s: EHLO state kept across STARTTLS" % r["name"]
    assert not r["rcpt"].startswith("2"), "%s: injected state let RCPT through" % r["name"]
PY
summary=$(awk '{printf "%s%s %s %s", (NR>1?"; ":""), $1, $2, $3}' <<<"$out")
pass "STARTTLS command injection: nothing run inside TLS, EHLO/AUTH state reset ($summary)"

# --- case 6, outbound: the upstream hides STARTTLS -> deferred, never sent in clear -----------
echo nostarttls >"$W/mode"
t=$(sw -f bob@company.example -t hidden@ext.example --h-Subject hidden-tls)
grep -q 'Ok: queued' <<<"$t" || fail "submission not accepted: $t"
wait_up 'any(s["mode"] == "nostarttls" for s in S)' || fail "the relay never tried the upstream"
sleep 1
[[ $(up_json 'sum(len(s["messages"]) for s in S)') == 0 ]] || fail "mail sent to an upstream without TLS"
[[ $(up_json 'any(c.split(" ")[0].upper() in ("MAIL","AUTH","RCPT","DATA") for s in S for c in s["clear_cmds"])') == False ]] ||
  fail "MAIL/AUTH sent in clear: $(cat "$W/up.log")"
postqueue -c "$E" -j | grep -q 'TLS is required, but was not offered' ||
  fail "the mail is not deferred for missing TLS: $(postqueue -c "$E" -j)"
pass "upstream without STARTTLS: the mail stays deferred ('TLS is required, but was not offered'), no MAIL or AUTH in clear"

# --- case 6, outbound: the upstream injects "250" after its "220" to STARTTLS ----------------
echo inject >"$W/mode"
wait_up 'any(s["mode"] == "inject" and s["messages"] for s in S)' 20 ||
  fail "the deferred mail was not delivered to the (injecting) upstream"
$PY - "$W/up.log" <<'PY' || fail "response injection: $(grep inject "$W/up.log")"
import json, sys
S = [json.loads(l) for l in open(sys.argv[1]) if l.strip() and '"inject"' in l]
for s in S:
    assert s["tls"], "no TLS"
    assert not s["early"], "the client took the injected 250 as its EHLO reply"
    assert s["tls_cmds"][0].upper().startswith("EHLO"), "no new EHLO inside TLS"
    assert [c.split(" ")[0].upper() for c in s["clear_cmds"]] == ["EHLO", "STARTTLS"], s["clear_cmds"]
m = [m for s in S for m in s["messages"]]
assert len(m) == 1 and m[0]["rcpts"] == ["<hidden@ext.example>"] and "Subject: hidden-tls" in m[0]["data"]
PY
pass "upstream injecting '250' after '220 Ready to start TLS': discarded (the relay waits for the real EHLO reply inside TLS); the deferred mail delivered once, in TLS"

# --- case 13: 4xx -> retried, expired -> one DSN from <> to the submitter only ---------------
echo normal >"$W/mode"
postconf -c "$E" maximal_queue_lifetime=6s bounce_queue_lifetime=6s
reload
t0=$SECONDS
t=$(sw -f bob@company.example -t tempfail-1@ext.example --h-Subject retry-me)
grep -q 'Ok: queued' <<<"$t" || fail "submission not accepted: $t"
dsn='[m for s in S for m in s["messages"] if m["from"] == "<>"]'
wait_up "any('tempfail-1@ext.example' in m['data'] for m in $dsn)" 30 ||
  fail "no DSN after expiry: $(postqueue -c "$E" -j)"
tries=$(grep -c 'tempfail-1@ext.example.*status=deferred' "$W/inst/postfix.log")
[[ $tries -ge 2 ]] || fail "the 4xx recipient was tried $tries time(s), not retried"
$PY - "$W/up.log" <<'PY' || fail "DSN after expiry"
import json, sys
S = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d = [m for s in S for m in s["messages"] if m["from"] == "<>" and "tempfail-1@" in m["data"]]
assert len(d) == 1, "%d DSNs" % len(d)
assert d[0]["rcpts"] == ["<bob@company.example>"], "DSN to %s" % d[0]["rcpts"]
assert "451 4.7.1" in d[0]["data"] and "retry-me" in d[0]["data"], "the DSN lacks the reason or the message"
assert not any("tempfail-1@" in r for s in S for m in s["messages"] for r in m["rcpts"])
PY
grep -q 'status=expired, returned to sender' "$W/inst/postfix.log" || fail "no expiry in the log"
pass "4xx upstream: deferred and tried $tries times, expired after the (test) lifetime, one DSN from <> to bob@company.example only, with the 451 reason ($((SECONDS - t0)) s)"

# --- case 13: 5xx -> exactly one DSN to the submitter; a failing <> message -> no DSN --------
t=$(sw -f bob@company.example -t reject-1@ext.example --h-Subject hard-fail)
grep -q 'Ok: queued' <<<"$t" || fail "submission not accepted: $t"
wait_up "any('reject-1@ext.example' in m['data'] for m in $dsn)" 15 || fail "no DSN for a 5xx"
n_null_before=$(up_json "len($dsn)")
for i in 1 2; do
  t=$(sw -f '<>' -t "reject-null$i@ext.example" --h-Subject "null-$i")
  grep -q 'Ok: queued' <<<"$t" || fail "null-sender message $i not accepted: $t"
done
t=$(sw -f '<>' -t reject-null3@ext.example -q RCPT)
grep -qE '^<[~ ]*\* +450 4\.7\.1 .*null-sender' <<<"$t" || fail "3rd null-sender recipient within the hour not deferred: $t"
for ((i = 0; i < 50; i++)); do
  [[ $(grep -c 'reject-null[12]@ext.example.*status=bounced' "$W/inst/postfix.log") -ge 2 ]] && break
  sleep 0.2
done
[[ $i -lt 50 ]] || fail "the null-sender messages were not refused by the upstream"
sleep 2
[[ $(up_json "len($dsn)") == "$n_null_before" ]] || fail "a DSN was sent for a null-sender message"
$PY - "$W/up.log" <<'PY' || fail "DSN for a 5xx"
import json, sys
S = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
d = [m for s in S for m in s["messages"] if m["from"] == "<>" and "reject-1@" in m["data"]]
assert len(d) == 1 and d[0]["rcpts"] == ["<bob@company.example>"], d
assert "550 5.1.1" in d[0]["data"]
PY
for ((i = 0; i < 25; i++)); do [[ -z $(queue_ids) ]] && break; sleep 0.2; done
[[ -z $(queue_ids) ]] || fail "mail left in the queue: $(postqueue -c "$E" -j)"
pass "5xx upstream: exactly one DSN (550 5.1.1) to the submitter; null-sender messages refused upstream give no DSN; the 3rd <> recipient in the hour deferred by the policy (450 4.7.1); queue empty"
# --- case 13: the upstream's "250" to the final dot is lost -> redelivered, duplicate detectable
t=$(sw -f bob@company.example -t lose250@ext.example --h-Subject lost-reply)
grep -q 'Ok: queued' <<<"$t" || fail "submission not accepted: $t"
got='[m for s in S for m in s["messages"] if "<lose250@ext.example>" in m["rcpts"]]'
wait_up "len($got) >= 2" 15 || fail "the message whose 250 was lost was not redelivered: $(postqueue -c "$E" -j)"
$PY - "$W/up.log" <<'PY' || fail "lost 250: $(grep lose250 "$W/up.log")"
import json, re, sys
S = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
m = [m for s in S for m in s["messages"] if "<lose250@ext.example>" in m["rcpts"]]
assert len(m) == 2 and m[0].get("lost") and not m[1].get("lost"), "not: lost once, then delivered"
# The duplicate is detectable: the same Message-Id and the same relay queue id in Received:.
mid = [re.search(r"(?im)^message-id:\s*(\S+)", x["data"]).group(1) for x in m]
qid = [re.search(r"by relay\.example\.test \(Postfix\) with \S+ id (\w+)", x["data"]).group(1) for x in m]
assert mid[0] == mid[1] and qid[0] == qid[1], (mid, qid)
PY
grep -q 'lose250@ext.example.*status=sent' "$W/inst/postfix.log" || fail "no final delivery logged"
grep -q 'message may be sent more than once' "$W/inst/postfix.log" || fail "Postfix did not note the possible duplicate"
pass "upstream's 250 to the final dot lost: deferred ('message may be sent more than once'), redelivered; both copies carry the same Message-Id and relay queue id (duplicate detectable)"
echo "PASS: mxir relay upstream cases in ${SECONDS}s"
