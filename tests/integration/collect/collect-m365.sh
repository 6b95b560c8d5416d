#!/usr/bin/env bash
# mxir collect m365 against a local HTTPS server that implements the documented Graph contract
# (graph_contract_server.py): three pages through @odata.nextLink, a 429 with Retry-After on the
# way, exactly the records served stored in the case, a second run that resumes from the case
# (no --since) and adds nothing, the Entra ID Free licence error explained, a wrong secret
# refused; the Unified Audit Log through the Management Activity API (subscriptions, content
# paged by NextPageUri, blobs). Exit 0 pass, 77 skip.
set -u -o pipefail
[[ -n ${MXIR_TEST_TRACE:-} ]] && set -x
umask 077
BIN=${MXIR_BIN_DIR:?}
HERE=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "skipped: python3 missing" >&2; exit 77; }
command -v openssl >/dev/null || { echo "skipped: openssl missing" >&2; exit 77; }
W=$(mktemp -d /tmp/mxir-collect-XXXXXX) || exit 1
SRV_PID=
cleanup() {
  if [[ -n $SRV_PID ]]; then kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; fi
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [[ -f $W/requests.log ]] && cat "$W/requests.log" >&2; exit 1; }

# A private CA and a server certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/ca.key" -out "$W/ca.pem" -days 2 \
  -subj "/CN=mxir test CA" >/dev/null 2>&1 || fail "CA"
openssl req -newkey rsa:2048 -nodes -keyout "$W/srv.key" -out "$W/srv.csr" -subj "/CN=127.0.0.1" \
  >/dev/null 2>&1 || fail "csr"
printf 'subjectAltName=IP:127.0.0.1\n' >"$W/ext"
openssl x509 -req -in "$W/srv.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial \
  -out "$W/srv.pem" -days 2 -extfile "$W/ext" >/dev/null 2>&1 || fail "cert"

python3 "$HERE/graph_contract_server.py" "$W/srv.pem" "$W/srv.key" "$W/port" "$W/requests.log" 3 \
  2>"$W/server.err" &
SRV_PID=$!
for _ in $(seq 100); do [[ -s $W/port ]] && break; sleep 0.1; done
[[ -s $W/port ]] || { cat "$W/server.err" >&2; fail "server did not start"; }
PORT=$(cat "$W/port")

printf 'collect-secret-1\n' >"$W/secret" && chmod 600 "$W/secret"
cat >"$W/hooks.ini" <<INI
[m365]
tenant = contoso-tenant
client_id = collect-app
secret_file = $W/secret
ca_file = $W/ca.pem
INI
chmod 600 "$W/hooks.ini"
export MXIR_NOW=2026-11-23T12:00:00Z

# First run: 8 sign-ins in the window, served 3 per page = 3 pages, the second page throttled once.
"$BIN/mxir" collect m365 --hooks "$W/hooks.ini" --endpoint "https://127.0.0.1:$PORT" \
  --since 2026-11-23T07:00:00Z --case "$W/c.case" --create --stats json \
  >"$W/out1" 2>"$W/err1" || { cat "$W/err1" >&2; fail "first run"; }
stats=$(tail -1 "$W/err1")
python3 - "$stats" "$W/requests.log" <<'PY' || fail "first run counts: $stats"
import json, sys
s = json.loads(sys.argv[1])
log = [json.loads(l) for l in open(sys.argv[2])]
served = [i for e in log if "served" in e for i in e["served"]]
assert s["pages"] == 3, s
assert s["retries"] == 1, s
assert sum(1 for e in log if "throttled" in e) == 1, log
assert len(served) == 8 and len(set(served)) == 8, served
assert s["stored"] == 8, s
assert s["events"] == 8, s
PY
# Progress only on a terminal: none in a redirected run, page lines on a terminal (script(1)).
grep -q "page 3" "$W/err1" && fail "progress printed without a terminal"
script -qec "'$BIN/mxir' collect m365 --hooks '$W/hooks.ini' --endpoint 'https://127.0.0.1:$PORT' \
  --since 2026-11-23T07:00:00Z --format jsonl >/dev/null" "$W/tty.log" >/dev/null ||
  fail "run on a terminal"
grep -q "page 3, 8 records (done)" "$W/tty.log" || { cat "$W/tty.log" >&2; fail "no progress lines on a terminal"; }

# What is in the case is exactly what was served.
"$BIN/mxir" case timeline --case "$W/c.case" --format jsonl >"$W/timeline" 2>/dev/null ||
  "$BIN/mxir" case export --case "$W/c.case" >"$W/timeline" 2>/dev/null || true
n_printer=$(grep -c 'scanner@contoso.example' "$W/timeline")
n_alice=$(grep -c 'alice@contoso.example' "$W/timeline")
[[ $n_printer -eq 6 && $n_alice -eq 2 ]] || fail "case holds $n_printer printer and $n_alice alice records"

# Second run without --since: resumes from the newest record in the case and adds nothing.
"$BIN/mxir" collect m365 --hooks "$W/hooks.ini" --endpoint "https://127.0.0.1:$PORT" \
  --case "$W/c.case" --stats json >"$W/out2" 2>"$W/err2" || { cat "$W/err2" >&2; fail "second run"; }
grep -q "continuing from 2026-11-23T08:27:00" "$W/err2" || { cat "$W/err2" >&2; fail "no resume"; }
stats2=$(tail -1 "$W/err2")
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["stored"]==0, s; assert s["already_in_case"]>=1, s' \
  "$stats2" || fail "second run stored something: $stats2"

# JSON Lines instead of a case: the same eight events with their fields.
"$BIN/mxir" collect m365 --hooks "$W/hooks.ini" --endpoint "https://127.0.0.1:$PORT" \
  --since 2026-11-23T07:00:00Z --format jsonl >"$W/events.jsonl" 2>"$W/err3" || fail "jsonl run"
python3 - "$W/events.jsonl" <<'PY' || fail "jsonl events"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 8, len(ev)
p = [e for e in ev if e["user"] == "scanner@contoso.example"]
assert all(e["error_code"] == "50126" and e["outcome"] == "failure" and e["client_app"] == "Authenticated SMTP"
           and e["user_agent"] == "BAV2ROPC" and e["client_ip"] == "203.0.113.10" and e["country"] == "DE"
           and e["source"] == "entra-signin" for e in p), p
PY

# An Entra ID Free tenant: the licence error is explained (exit status not 0).
sed 's/contoso-tenant/free-tenant/' "$W/hooks.ini" >"$W/free.ini" && chmod 600 "$W/free.ini"
if "$BIN/mxir" collect m365 --hooks "$W/free.ini" --endpoint "https://127.0.0.1:$PORT" \
  --since 2026-11-23T07:00:00Z --format jsonl >/dev/null 2>"$W/err4"; then fail "free tenant accepted"; fi
grep -q "P1 or P2" "$W/err4" || { cat "$W/err4" >&2; fail "licence error not explained"; }

# A wrong secret: refused, the secret not printed.
printf 'wrong-secret-9\n' >"$W/secret"
if "$BIN/mxir" collect m365 --hooks "$W/hooks.ini" --endpoint "https://127.0.0.1:$PORT" \
  --since 2026-11-23T07:00:00Z --format jsonl >/dev/null 2>"$W/err5"; then fail "wrong secret accepted"; fi
grep -q "wrong-secret-9" "$W/err5" && fail "secret printed"
grep -qi "401\|refused\|credential" "$W/err5" || { cat "$W/err5" >&2; fail "401 not explained"; }
# The Unified Audit Log through the Office 365 Management Activity API (--source audit): a token
# for manage.office.com, both subscriptions started, content listed for the window and paged by
# NextPageUri (each list throttled once), every blob read: 6 records -> 4 logins + 2 mailbox
# changes, stored exactly once; a second run resumes from the case and adds nothing (the
# subscriptions are then already enabled, which is fine).
printf 'collect-secret-1\n' >"$W/secret"
"$BIN/mxir" collect m365 --source audit --hooks "$W/hooks.ini" --endpoint "https://127.0.0.1:$PORT" \
  --since 2026-11-23T07:00:00Z --case "$W/a.case" --create --format jsonl --stats json \
  >"$W/a.jsonl" 2>"$W/aerr" || { cat "$W/aerr" >&2; fail "audit run"; }
python3 - "$(tail -1 "$W/aerr")" "$W/a.jsonl" "$W/requests.log" <<'PY' || fail "audit counts"
import json, sys
s = json.loads(sys.argv[1])
ev = [json.loads(l) for l in open(sys.argv[2])]
log = [json.loads(l) for l in open(sys.argv[3])]
served = [i for e in log if "audit_served" in e for i in e["audit_served"]]
assert sorted(served) == ["aad-0", "aad-1", "aad-2", "aad-3", "exo-1", "exo-2"], served
assert sum(1 for e in log if "audit_throttled" in e) == 2, log
assert sorted(e["subscribe"] for e in log if "subscribe" in e) == ["Audit.AzureActiveDirectory", "Audit.Exchange"], log
assert s["pages"] == 4 and s["retries"] == 2 and s["stored"] == 6 and s["events"] == 6, s
auth = [e for e in ev if e["kind"] == "auth"]
assert [e["outcome"] for e in auth] == ["failure"] * 3 + ["success"], auth
assert all(e["source"] == "m365-audit" and e["user"] == "bob@contoso.example" and e["client_ip"] == "198.51.100.66" for e in auth), auth
mc = [e for e in ev if e["kind"] == "mailbox_change"]
assert [e["operation"] for e in mc] == ["New-InboxRule", "Set-Mailbox"], mc
assert mc[0]["parameters"]["ForwardTo"] == "drop@evil.example" and mc[0]["client_ip"] == "2001:db8::66", mc
PY
grep -q "m365 audit:" "$W/aerr" && fail "audit progress printed without a terminal"
"$BIN/mxir" collect m365 --source audit --hooks "$W/hooks.ini" --endpoint "https://127.0.0.1:$PORT" \
  --case "$W/a.case" --stats json >/dev/null 2>"$W/aerr2" || { cat "$W/aerr2" >&2; fail "audit resume"; }
grep -q "continuing from 2026-11-23T08:25:00" "$W/aerr2" || { cat "$W/aerr2" >&2; fail "audit: no resume"; }
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["stored"]==0 and s["already_in_case"]>=1, s' \
  "$(tail -1 "$W/aerr2")" || fail "audit resume stored something"
grep -q '"already": true' "$W/requests.log" || fail "second run did not meet an enabled subscription"

# Google Workspace: a service-account key, the JWT-bearer token, three pages by nextPageToken.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/sa.key" >/dev/null 2>&1 || fail "key"
python3 - "$W/sa.key" "$W/sa.json" <<'PY' || fail "key file"
import json, sys
json.dump({"type": "service_account", "client_email": "collector@acme.iam.example", "private_key_id": "k1",
           "private_key": open(sys.argv[1]).read(), "token_uri": "https://oauth2.googleapis.com/token"},
          open(sys.argv[2], "w"))
PY
chmod 600 "$W/sa.json"
cat >"$W/google.ini" <<INI
[google]
service_account_file = $W/sa.json
admin_subject = admin@acme.example
ca_file = $W/ca.pem
INI
chmod 600 "$W/google.ini"
"$BIN/mxir" collect google --hooks "$W/google.ini" --endpoint "https://127.0.0.1:$PORT" \
  --since 2026-11-23T07:00:00Z --case "$W/g.case" --create --format jsonl --stats json \
  >"$W/g.jsonl" 2>"$W/gerr" || { cat "$W/gerr" >&2; fail "google run"; }
python3 - "$(tail -1 "$W/gerr")" "$W/g.jsonl" <<'PY' || fail "google counts"
import json, sys
s = json.loads(sys.argv[1])
ev = [json.loads(l) for l in open(sys.argv[2])]
assert s["pages"] == 3 and s["stored"] == 5, s
assert sum(1 for e in ev if e["outcome"] == "failure" and e["error_code"] == "login_failure_invalid_password") == 4, ev
assert sum(1 for e in ev if e["outcome"] == "success") == 1, ev
assert all(e["source"] == "google-login" and e["client_ip"] == "192.0.2.99" for e in ev), ev
PY
"$BIN/mxir" collect google --hooks "$W/google.ini" --endpoint "https://127.0.0.1:$PORT" \
  --case "$W/g.case" --stats json >/dev/null 2>"$W/gerr2" || { cat "$W/gerr2" >&2; fail "google resume"; }
python3 -c 'import json,sys; s=json.loads(sys.argv[1]); assert s["stored"]==0, s' "$(tail -1 "$W/gerr2")" ||
  fail "google resume stored something"
echo "collect m365 and google: ok"
