#!/usr/bin/env bash
# mxir ingest --geoip/--asn: country and network added from small .mmdb files written here
# (tests/unit/geoip/make_test_mmdb.pl, Debian's libmaxmind-db-writer-perl); what a source names
# itself stays; an unreadable, damaged or missing file is a clear error (exit 2) before anything
# is read or a case is created. mxir collect takes the same options.
set -u -o pipefail
BIN=${MXIR_BIN_DIR:?}
SRC=${MXIR_SOURCE_DIR:?}
[[ -x $BIN/mxir-ingest ]] || { echo "FAIL: mxir-ingest not built" >&2; exit 1; }
DIR=$(mktemp -d /tmp/mxir-geoip-XXXXXX) || exit 1
trap 'rm -rf "$DIR"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
perl "$SRC/tests/unit/geoip/make_test_mmdb.pl" "$DIR/country.mmdb" Test-Country \
  203.0.113.0/24=DE 2001:db8::/32=NL 198.51.100.0/24=US || fail "cannot write a test .mmdb (libmaxmind-db-writer-perl)"
perl "$SRC/tests/unit/geoip/make_test_mmdb.pl" "$DIR/asn.mmdb" Test-ASN \
  203.0.113.0/24=3320 2001:db8::/32=1136 || fail "cannot write a test .mmdb"

# Entra sign-ins: one without location, one whose source names it (kept as given).
cat >"$DIR/signins.json" <<'JSON'
{"id":"a1","createdDateTime":"2026-11-20T08:00:00Z","userPrincipalName":"ann@acme.example","ipAddress":"203.0.113.7","clientAppUsed":"Browser","status":{"errorCode":50126}}
{"id":"a2","createdDateTime":"2026-11-20T08:01:00Z","userPrincipalName":"ann@acme.example","ipAddress":"2001:db8::9","clientAppUsed":"Browser","status":{"errorCode":0}}
{"id":"a3","createdDateTime":"2026-11-20T08:02:00Z","userPrincipalName":"ann@acme.example","ipAddress":"198.51.100.4","clientAppUsed":"Browser","location":{"countryOrRegion":"FR"},"status":{"errorCode":0}}
{"id":"a4","createdDateTime":"2026-11-20T08:03:00Z","userPrincipalName":"ann@acme.example","ipAddress":"10.1.2.3","clientAppUsed":"Browser","status":{"errorCode":0}}
JSON
"$BIN/mxir-ingest" --geoip "$DIR/country.mmdb" --asn "$DIR/asn.mmdb" "$DIR/signins.json" \
  --format jsonl --stats json >"$DIR/out.jsonl" 2>"$DIR/err" || fail "ingest --geoip: exit $? $(cat "$DIR/err")"
python3 - "$DIR/out.jsonl" "$DIR/err" <<'PY' || fail "wrong enrichment"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
got = [(e["client_ip"], e.get("country"), e.get("asn")) for e in ev]
want = [("203.0.113.7", "DE", 3320), ("2001:db8::9", "NL", 1136),
        ("198.51.100.4", "FR", None), ("10.1.2.3", None, None)]
assert got == want, got
stats = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
assert stats["geoip"] == {"countries_added": 2, "asns_added": 2}, stats
PY
# Without the options nothing is added.
"$BIN/mxir-ingest" "$DIR/signins.json" --format jsonl 2>/dev/null | grep -q '"asn"' && fail "asn without --asn"

# Bad files: exit 2, the option and the file named, no case created.
head -c 3000 /dev/urandom >"$DIR/noise.mmdb"
head -c 1000 "$DIR/country.mmdb" >"$DIR/cut.mmdb"
: >"$DIR/empty.mmdb"
for bad in noise cut empty missing; do
  "$BIN/mxir-ingest" --geoip "$DIR/$bad.mmdb" "$DIR/signins.json" --case "$DIR/c-$bad.case" --create \
    >/dev/null 2>"$DIR/$bad.err"
  rc=$?
  [[ $rc -eq 2 ]] || fail "$bad .mmdb: exit $rc $(cat "$DIR/$bad.err")"
  grep -q -- "--geoip: '$DIR/$bad.mmdb'" "$DIR/$bad.err" || fail "$bad: file not named: $(cat "$DIR/$bad.err")"
  grep -q "MaxMind-format database file (.mmdb)" "$DIR/$bad.err" || fail "$bad: no hint: $(cat "$DIR/$bad.err")"
  [[ ! -e $DIR/c-$bad.case ]] || fail "$bad: a case was created"
done
"$BIN/mxir-ingest" --asn "$DIR" "$DIR/signins.json" >/dev/null 2>"$DIR/dir.err"
[[ $? -eq 2 ]] && grep -q "is a directory" "$DIR/dir.err" || fail "directory as --asn: $(cat "$DIR/dir.err")"
if [[ -x $BIN/mxir-collect ]]; then
  "$BIN/mxir-collect" m365 --geoip "$DIR/noise.mmdb" --hooks /nonexistent >/dev/null 2>"$DIR/collect.err"
  [[ $? -eq 2 ]] && grep -q -- "--geoip: '$DIR/noise.mmdb'" "$DIR/collect.err" \
    || fail "collect --geoip with a damaged file: $(cat "$DIR/collect.err")"
fi
echo "ok"
