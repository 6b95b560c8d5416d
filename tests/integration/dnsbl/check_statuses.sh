#!/bin/bash
# mxir dnsbl check against a private nsd serving zones shaped like real lists, including error
# answers: every (target, zone) status must be exactly right, and no refusal, timeout, garbage or
# list-everything zone may ever come out as `listed`. Also: bad input gives exit 2, never a crash.
set -u
. "$(dirname "$0")/nsd_lib.sh"
need_tools
T=$(mktemp -d /tmp/mxir-dnsbl-XXXXXX)
FAKE_PID=
WPID=
cleanup() {
  [ -n "$WPID" ] && kill -9 "$WPID" 2>/dev/null
  nsd_stop
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null && wait "$FAKE_PID" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

PORT=$(python3 "$HERE/dns_helpers.py" freeport) || fail "no free port"
SILENT=$(python3 "$HERE/dns_helpers.py" freeport)
GARBAGE=$(python3 "$HERE/dns_helpers.py" freeport)
python3 "$HERE/dns_helpers.py" fake "$SILENT" "$GARBAGE" 100 &
FAKE_PID=$!
sed -e "s/@SILENT@/$SILENT/" -e "s/@GARBAGE@/$GARBAGE/" "$HERE/test-catalog.json.in" > "$T/catalog.json"

nsd_setup "$T" "$PORT" zen.dnsbl.test blocked.dnsbl.test multi.uribl.test refusing.uribl.test \
  everything.dnsbl.test dead.dnsbl.test hijacked.dnsbl.test odd.dnsbl.test
# Spamhaus-like: test points, a listing with two codes and a TXT, an error code, IPv6 nibbles.
V6TP=$(python3 -c 'import ipaddress;print(".".join(reversed(ipaddress.ip_address("::ffff:7f00:2").exploded.replace(":",""))))')
V6T=$(python3 -c 'import ipaddress;print(".".join(reversed(ipaddress.ip_address("2001:db8::25").exploded.replace(":",""))))')
zone_file zen.dnsbl.test "2.0.0.127 A 127.0.0.2" "2.0.0.127 TXT \"test point\"" \
  "25.2.0.192 A 127.0.0.2" "25.2.0.192 A 127.0.0.4" "25.2.0.192 TXT \"https://check.example/sbl/SBL123\"" \
  "26.2.0.192 A 127.255.255.255" "27.2.0.192 A 127.255.255.252" \
  "$V6TP A 127.0.0.2" "$V6T A 127.0.0.4"
# A public-resolver block: every name answers 127.255.255.254 (test points included).
zone_file blocked.dnsbl.test "* A 127.255.255.254" "* TXT \"Error: open resolver; https://example/\""
# URIBL-like bitmask, and a URIBL-like refusal of everything.
zone_file multi.uribl.test "test A 127.0.0.2" "evil.example A 127.0.0.2" "grey.example A 127.0.0.6" \
  "odd.example A 127.0.0.64" "evil.example TXT \"black listed\""
zone_file refusing.uribl.test "* A 127.0.0.1" "* TXT \"Query Refused. See http://uribl.com/refused.shtml [Your DNS IP: 127.0.0.1]\""
# Dead zones: one lists everything (wildcard), one is empty, one answers public addresses.
zone_file everything.dnsbl.test "* A 127.0.0.2"
zone_file dead.dnsbl.test
zone_file hijacked.dnsbl.test "* A 198.51.100.7"
# An undocumented code.
zone_file odd.dnsbl.test "2.0.0.127 A 127.0.0.2" "25.2.0.192 A 127.0.0.99"
nsd_start || fail "nsd did not start"

DNSBL() { "$MXIR_BIN_DIR/mxir-dnsbl" "$@"; }
COMMON=(--catalog "$T/catalog.json" --resolver "127.0.0.1:$PORT" --timeout 300ms --tries 1)
start=$(date +%s)
DNSBL check "${COMMON[@]}" --ip 192.0.2.25 --ip 192.0.2.26 --ip 192.0.2.27 --ip 192.0.2.99 \
  --ip 2001:db8::25 --domain evil.example --domain grey.example --domain acme.example \
  --domain odd.example --format jsonl > "$T/out.jsonl" 2> "$T/err.txt"
rc=$?
cat "$T/err.txt" >&2
[ $rc -eq 0 ] || fail "check exited $rc"
[ $(( $(date +%s) - start )) -lt 20 ] || fail "check took too long"

python3 - "$T/out.jsonl" <<'PY' || exit 1
import json, sys
got = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    got[(r["target"], r["zone"])] = r
want = {
  ("192.0.2.25", "zen.dnsbl.test"): "listed",
  ("192.0.2.26", "zen.dnsbl.test"): "refused",
  ("192.0.2.27", "zen.dnsbl.test"): "error",
  ("192.0.2.99", "zen.dnsbl.test"): "not_listed",
  ("2001:db8::25", "zen.dnsbl.test"): "listed",
  ("192.0.2.25", "blocked.dnsbl.test"): "refused",
  ("192.0.2.99", "blocked.dnsbl.test"): "refused",
  ("evil.example", "multi.uribl.test"): "listed",
  ("grey.example", "multi.uribl.test"): "listed",
  ("acme.example", "multi.uribl.test"): "not_listed",
  ("odd.example", "multi.uribl.test"): "error",
  ("evil.example", "refusing.uribl.test"): "refused",
  ("acme.example", "refusing.uribl.test"): "refused",
}
for ip in ["192.0.2.25", "192.0.2.26", "192.0.2.27", "192.0.2.99"]:
    for z in ["everything", "dead", "hijacked", "notserved", "silent", "garbage"]:
        want[(ip, z + ".dnsbl.test")] = "error"
want[("192.0.2.25", "odd.dnsbl.test")] = "error"
want[("192.0.2.99", "odd.dnsbl.test")] = "not_listed"
bad = []
for k, v in want.items():
    if k not in got:
        bad.append("missing %s" % (k,))
    elif got[k]["status"] != v:
        bad.append("%s: want %s, got %s (%s)" % (k, v, got[k]["status"], got[k]["meaning"]))
# Never a domain on an IP list nor an IP on a domain list; IPv6 only where covered.
for (t, z) in got:
    if ("uribl" in z) == (":" in t or t[0].isdigit()):
        bad.append("wrong kind queried: %s on %s" % (t, z))
if ("2001:db8::25", "everything.dnsbl.test") in got:
    bad.append("IPv6 sent to an IPv4-only zone")
r = got[("192.0.2.25", "zen.dnsbl.test")]
if sorted(r["codes"]) != ["127.0.0.2", "127.0.0.4"] or r["txt"] != ["https://check.example/sbl/SBL123"]:
    bad.append("codes/txt of the listing: %s" % r)
if "for everything" not in got[("192.0.2.99", "everything.dnsbl.test")]["meaning"]:
    bad.append("no explanation for the list-everything zone")
if "Query Refused" not in " ".join(got[("acme.example", "refusing.uribl.test")]["txt"] or []):
    bad.append("refusal TXT missing")
listed = [k for k, r in got.items() if r["status"] == "listed"]
if sorted(listed) != sorted(k for k, v in want.items() if v == "listed"):
    bad.append("unexpected listings: %s" % listed)
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
print("statuses: %d results exactly right" % len(got))
PY

# --format json is one array; an ad-hoc zone outside the catalog is read RFC 5782 style.
DNSBL check "${COMMON[@]}" --zone zen.dnsbl.test=ip --ip 192.0.2.25 --format json > "$T/adhoc.json" \
  2>/dev/null || fail "ad-hoc zone check"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert len(r)==1 and r[0]["status"]=="listed", r' \
  "$T/adhoc.json" || fail "ad-hoc zone result"
DNSBL zones --catalog "$T/catalog.json" --all --format csv | grep -q '^old-list,defunct.dnsbl.test' \
  || fail "zones --all does not show the defunct zone"

# --fail-on listed: exit 1 when listed, 0 when clean.
DNSBL check "${COMMON[@]}" --zone spamhaus-like --ip 192.0.2.25 --fail-on listed >/dev/null 2>&1
[ $? -eq 1 ] || fail "--fail-on listed did not exit 1 for a listed IP"
DNSBL check "${COMMON[@]}" --zone spamhaus-like --ip 192.0.2.99 --fail-on listed >/dev/null 2>&1
[ $? -eq 0 ] || fail "--fail-on listed did not exit 0 for a clean IP"

# Bad input: exit 2 with a clear message, never a crash.
expect_usage() {
  local what=$1
  shift
  DNSBL "$@" > "$T/bad.out" 2> "$T/bad.err"
  local rc=$?
  [ $rc -eq 2 ] || { cat "$T/bad.err" >&2; fail "$what: exit $rc, want 2"; }
  grep -q "error:" "$T/bad.err" || fail "$what: no error message"
}
expect_usage "malformed IP" check "${COMMON[@]}" --ip 192.0.2.300
expect_usage "malformed domain" check "${COMMON[@]}" --domain 'bad domain..example'
expect_usage "zone with spaces" check "${COMMON[@]}" --ip 192.0.2.1 --zone 'zen spamhaus.org=ip'
expect_usage "defunct zone" check "${COMMON[@]}" --ip 192.0.2.1 --zone old-list
expect_usage "bad resolver" check --catalog "$T/catalog.json" --resolver 'not a host' --ip 192.0.2.1
expect_usage "bad catalog" check --catalog /dev/null --ip 192.0.2.1
grep -q "space" "$T/bad.err" || true
DNSBL check "${COMMON[@]}" --ip 192.0.2.1 --zone 'zen spamhaus.org=ip' 2>&1 | grep -q "space" \
  || fail "zone with a space: the message does not say so"

# watch --every runs as a daemon and stops cleanly on SIGTERM.
"$MXIR_BIN_DIR/mxir-case" new --case "$T/d.case" --title daemon --ip 192.0.2.25 > /dev/null \
  || fail "case new"
"$MXIR_BIN_DIR/mxir-dnsbl" watch --case "$T/d.case" "${COMMON[@]}" --zone spamhaus-like --every 1s --format jsonl \
  > "$T/daemon.out" 2> "$T/daemon.err" &
WPID=$!
for _ in $(seq 1 50); do
  grep -q new_listing "$T/daemon.out" 2>/dev/null && break
  sleep 0.1
done
grep -q new_listing "$T/daemon.out" || fail "watch daemon printed no change"
sleep 1.5
kill -TERM "$WPID"
for _ in $(seq 1 50); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$WPID" 2>/dev/null && { kill -9 "$WPID"; fail "watch did not stop on SIGTERM"; }
wait "$WPID"
wrc=$?
WPID=
[ $wrc -eq 0 ] || { cat "$T/daemon.err" >&2; fail "watch exit status $wrc after SIGTERM"; }
grep -q "stopped by signal" "$T/daemon.err" || fail "no clean-stop message"
[ "$(grep -c new_listing "$T/daemon.out")" -eq 1 ] || fail "a listing was reported twice"
echo "PASS"
