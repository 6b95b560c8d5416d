#!/usr/bin/env bash
# mxir relay preflight (the readiness gate, relay-security.md §6 item 15) against a private nsd:
# a ready path passes (PTR = A = HELO, SPF evaluated to pass, DKIM key published and a test
# signature verifies, DMARC aligned, not listed; a refusing list is "unknown", never "listed");
# a broken one fails each check with a fix (PTR elsewhere, SPF without the IP, listed IP).
# Exit 0 pass, 77 skip (no nsd or python3).
set -u
. "$(dirname "$0")/../dnsbl/nsd_lib.sh"
need_tools
command -v openssl >/dev/null || { echo "skip: openssl missing" >&2; exit 77; }
BIN=$MXIR_BIN_DIR
T=$(mktemp -d /tmp/mxir-relay-pre-XXXXXX)
cleanup() {
  nsd_stop
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

PORT=$(python3 "$HERE/dns_helpers.py" freeport) || fail "no free port"
openssl genrsa -out "$T/dkim.key" 2048 2>/dev/null || fail "openssl genrsa"
P=$(openssl rsa -in "$T/dkim.key" -pubout -outform DER 2>/dev/null | base64 -w0)
# TXT strings are at most 255 bytes: split the key record into chunks.
DKIM_TXT=$(python3 -c 'import sys; s="v=DKIM1; k=rsa; p="+sys.argv[1]; print(" ".join("\""+s[i:i+200]+"\"" for i in range(0,len(s),200)))' "$P")
openssl genrsa -out "$T/other.key" 2048 2>/dev/null

nsd_setup "$T" "$PORT" company.example company2.example 2.0.192.in-addr.arpa bl.test refusing.test
zone_file company.example "relay A 192.0.2.25" "@ TXT \"v=spf1 mx include:_spf.company.example -all\"" \
  "@ MX 10 mx.company.example." "mx A 198.51.100.10" "_spf TXT \"v=spf1 ip4:192.0.2.0/28 ip4:192.0.2.25 ~all\"" \
  "_dmarc TXT \"v=DMARC1; p=quarantine\"" "mxir._domainkey TXT $DKIM_TXT"
zone_file company2.example "@ TXT \"v=spf1 ip4:198.51.100.0/24 -all\"" "_dmarc TXT \"v=DMARC1; p=none\"" \
  "mxir._domainkey TXT $DKIM_TXT"
zone_file 2.0.192.in-addr.arpa "25 PTR relay.company.example." "26 PTR host-26.isp.example."
zone_file bl.test "2.0.0.127 A 127.0.0.2" "26.2.0.192 A 127.0.0.2"
zone_file refusing.test "* A 127.255.255.254"
nsd_start || fail "nsd did not start"

ini() {  # $1 listen_ip, $2 domains, $3 key file
  cat >"$T/relay.ini" <<INI
[relay]
listen_ip = $1
hostname = relay.company.example
domains = $2
instance_dir = $T/inst
tls_cert_file = /etc/ssl/certs/ssl-cert-snakeoil.pem
tls_key_file = /etc/ssl/private/ssl-cert-snakeoil.key
dkim_selector = mxir
dkim_key_file = $3
[logins]
relay = secret_file:$T/pw
INI
}
PF=(--config "$T/relay.ini" --resolver "127.0.0.1:$PORT" --zone bl.test=ip --zone refusing.test=ip)

ini 192.0.2.25 company.example "$T/dkim.key"
"$BIN/mxir" relay preflight "${PF[@]}" --format json >"$T/ok.json" 2>"$T/ok.err"
rc=$?
[[ $rc -eq 0 ]] || { cat "$T/ok.json" "$T/ok.err" >&2; fail "ready path: exit $rc"; }
python3 - "$T/ok.json" <<'PY' || fail "ready path statuses"
import json, sys
rows = {(r["check"], r["target"]): r for r in json.load(open(sys.argv[1]))}
want = {("ptr", "192.0.2.25"): "pass", ("forward", "relay.company.example"): "pass",
        ("spf", "company.example"): "pass", ("dkim", "company.example"): "pass",
        ("dmarc", "company.example"): "pass", ("dnsbl", "bl.test"): "pass",
        ("dnsbl", "refusing.test"): "unknown"}
for k, v in want.items():
    if rows.get(k, {}).get("status") != v:
        sys.exit("%s: want %s, got %s" % (k, v, rows.get(k)))
if "2 DNS lookups" not in rows[("spf", "company.example")]["detail"]:
    sys.exit("SPF lookups not counted: " + rows[("spf", "company.example")]["detail"])
PY
echo "ok: ready path passes (PTR=A=HELO, SPF via mx+include, DKIM test signature, DMARC, not listed; refusing list unknown)"

ini 192.0.2.26 "company.example, company2.example" "$T/other.key"
"$BIN/mxir" relay preflight "${PF[@]}" --format json >"$T/bad.json" 2>"$T/bad.err"
rc=$?
[[ $rc -eq 1 ]] || { cat "$T/bad.json" "$T/bad.err" >&2; fail "broken path: exit $rc (want 1)"; }
python3 - "$T/bad.json" <<'PY' || fail "broken path statuses"
import json, sys
rows = {(r["check"], r["target"]): r for r in json.load(open(sys.argv[1]))}
want = {("ptr", "192.0.2.26"): "fail", ("forward", "relay.company.example"): "fail",
        ("spf", "company.example"): "fail", ("spf", "company2.example"): "fail",
        ("dkim", "company.example"): "fail", ("dmarc", "company2.example"): "fail",
        ("dnsbl", "bl.test"): "fail", ("dnsbl", "refusing.test"): "unknown"}
for k, v in want.items():
    r = rows.get(k, {})
    if r.get("status") != v:
        sys.exit("%s: want %s, got %s" % (k, v, r))
    if v == "fail" and not r.get("fix"):
        sys.exit("%s: no fix given" % (k,))
PY
echo "ok: broken path fails each check with a fix; exit 1"
"$BIN/mxir" relay preflight --config "$T/nope.ini" >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "a missing config must exit 2"
echo "PASS: mxir relay preflight"
