#!/bin/bash
# Six weeks of an outbreak's aftermath, one `mxir dnsbl watch` a day against a private nsd whose
# zones change between runs while MXIR_NOW moves forward day by day:
#   week 1: listed on 3 lists (sbl, cop, dbl), cause fixed, removal requested, cop expires
#   week 2: dbl delisted, cop RELISTED            week 3: psbl new listing, sbl delisted
#   week 4: cop and psbl delisted                 week 5: a day of refusals, nothing changes
#   week 6: dbl RELISTED
# The case history and the weekly reports (md, csv, html) of weeks 1-6 must show exactly these
# changes; --on-change must get every new listing, delisting and relisting.
set -u
. "$(dirname "$0")/nsd_lib.sh"
need_tools
T=$(mktemp -d /tmp/mxir-dnsbl6-XXXXXX)
cleanup() {
  nsd_stop
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

PORT=$(python3 "$HERE/dns_helpers.py" freeport) || fail "no free port"
nsd_setup "$T" "$PORT" sbl.week.test cop.week.test psbl.week.test dbl.week.test
IP=192.0.2.25
DOMAIN=acme.example
REV=25.2.0.192

# listed_on DAY ZONE: is the target listed on ZONE that day (the scenario above)?
listed_on() {
  local d=$1 z=$2
  case $z in
    sbl) [ "$d" -lt 18 ] ;;
    cop) { [ "$d" -lt 5 ]; } || { [ "$d" -ge 11 ] && [ "$d" -lt 22 ]; } ;;
    psbl) [ "$d" -ge 16 ] && [ "$d" -lt 24 ] ;;
    dbl) [ "$d" -lt 9 ] || [ "$d" -ge 37 ] ;;
  esac
}

write_zones() {
  local d=$1
  if [ "$d" -eq 30 ]; then
    zone_file sbl.week.test "* A 127.255.255.254"
  else
    local recs=("2.0.0.127 A 127.0.0.2")
    listed_on "$d" sbl && recs+=("$REV A 127.0.0.2" "$REV TXT \"SBL123 https://sbl.example/SBL123\"")
    zone_file sbl.week.test "${recs[@]}"
  fi
  recs=("2.0.0.127 A 127.0.0.2")
  listed_on "$d" cop && recs+=("$REV A 127.0.0.2")
  zone_file cop.week.test "${recs[@]}"
  recs=("2.0.0.127 A 127.0.0.2")
  listed_on "$d" psbl && recs+=("$REV A 127.0.0.2")
  zone_file psbl.week.test "${recs[@]}"
  recs=("test A 127.0.1.2")
  listed_on "$d" dbl && recs+=("$DOMAIN A 127.0.1.2")
  zone_file dbl.week.test "${recs[@]}"
}

day_time() { date -u -d "2026-10-05 +$1 days" +%Y-%m-%dT$2:00Z; }

export MXIR_DNSBL_CATALOG="$HERE/sixweek-catalog.json"
CASE=$T/acme.case
MXIR_NOW=$(day_time 0 07:00) "$MXIR_BIN_DIR/mxir-case" new --case "$CASE" --title "Acme outbreak" \
  --ip $IP --domain $DOMAIN > /dev/null || fail "case new"
DNSBL() { "$MXIR_BIN_DIR/mxir-dnsbl" "$@"; }
DELIST() { MXIR_NOW=$(day_time "$1" 12:00) DNSBL delist "${@:2}" --case "$CASE" > /dev/null || fail "delist ${*:2}"; }
report() {  # report WEEK FORMAT
  MXIR_NOW=$(day_time $((7 * $1)) 00:00) "$MXIR_BIN_DIR/mxir-report" weekly --case "$CASE" --tz UTC \
    --format "$2" --output "$T/week$1.$2" || fail "report week $1 $2"
}

prev=
for d in $(seq 0 41); do
  write_zones "$d"
  sum=$(cat "$T"/*.week.test.zone | md5sum)
  if [ "$sum" != "$prev" ]; then
    nsd_stop
    nsd_start || fail "nsd did not start on day $d"
    prev=$sum
  fi
  MXIR_NOW=$(day_time "$d" 08:00) DNSBL watch --case "$CASE" --resolver "127.0.0.1:$PORT" \
    --timeout 500ms --tries 2 --format jsonl --on-change "cat >> $T/changes.jsonl" \
    >> "$T/watch.jsonl" 2>> "$T/watch.err" || { cat "$T/watch.err" >&2; fail "watch day $d"; }
  case $d in
    2) for z in sbl.week.test cop.week.test; do DELIST 2 note --target $IP --zone $z --fixed --text "account locked, queue purged"; done
       DELIST 2 note --target $DOMAIN --zone dbl-like --fixed --text "spam links removed" ;;
    3) DELIST 3 request --target $IP --zone sbl-like --how "ISP ticket" --ref SBL123
       DELIST 3 request --target $DOMAIN --zone dbl.week.test --how "web form" --ref dbl-42 ;;
    15) DELIST 15 note --target $IP --zone cop.week.test --fixed --text "second account found" ;;
    23) DELIST 23 note --target $IP --zone psbl.week.test --fixed --text "trap hit explained"
        DELIST 23 request --target $IP --zone psbl.week.test --how "self-service form" ;;
  esac
  if [ $((d % 7)) -eq 6 ]; then
    w=$(((d + 1) / 7))
    report $w md; report $w csv; report $w html
  fi
done

# The history of one (target, list): its workflow events, and every check with them.
DNSBL history --case "$CASE" --target $IP --zone spamcop-like --events --format jsonl \
  > "$T/hist.jsonl" || fail "history"
got=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["what"] for l in open(sys.argv[1])))' "$T/hist.jsonl")
[ "$got" = "new_listing cause_fixed delisted relisted cause_fixed delisted" ] || fail "history events: $got"
n=$(DNSBL history --case "$CASE" --target $IP --zone cop.week.test --format jsonl | wc -l)
[ "$n" -eq 48 ] || fail "history rows: $n, want 42 checks + 6 events"

# Bad report usage: exit 2 with a message.
"$MXIR_BIN_DIR/mxir-report" weekly --case "$T/missing.case" > /dev/null 2> "$T/r.err"
[ $? -eq 2 ] && grep -q "mxir case new" "$T/r.err" || fail "report on a missing case"
"$MXIR_BIN_DIR/mxir-report" weekly --case "$CASE" --format pdf > /dev/null 2>&1
[ $? -eq 2 ] || fail "report --format pdf"
"$MXIR_BIN_DIR/mxir-report" weekly --case "$CASE" --tz Mars/Olympus > /dev/null 2>&1
[ $? -eq 2 ] || fail "report --tz with an unknown zone"

# A request before the fix is refused (exit 2) unless forced.
MXIR_NOW=$(day_time 38 12:00) DNSBL delist request --case "$CASE" --target $DOMAIN \
  --zone dbl.week.test --how form > /dev/null 2> "$T/req.err"
[ $? -eq 2 ] && grep -q "not recorded as fixed" "$T/req.err" || fail "request before fix was not refused"

python3 - "$T" "$CASE" <<'PY' || exit 1
import csv, json, re, sqlite3, sys
T, case = sys.argv[1], sys.argv[2]
bad = []
IP, DOM = "192.0.2.25", "acme.example"
# week: (listed now, a week ago, new, delisted, relisted, {pair: state at the end of the week})
want = {
  1: (2, 0, 3, 1, 0, {(IP, "sbl.week.test"): "requested", (IP, "cop.week.test"): "delisted",
                      (DOM, "dbl.week.test"): "requested"}),
  2: (2, 2, 0, 1, 1, {(IP, "sbl.week.test"): "requested", (IP, "cop.week.test"): "relisted",
                      (DOM, "dbl.week.test"): "delisted"}),
  3: (2, 2, 1, 1, 0, {(IP, "sbl.week.test"): "delisted", (IP, "cop.week.test"): "cause_fixed",
                      (IP, "psbl.week.test"): "listed", (DOM, "dbl.week.test"): "delisted"}),
  4: (0, 2, 0, 2, 0, {(IP, "sbl.week.test"): "delisted", (IP, "cop.week.test"): "delisted",
                      (IP, "psbl.week.test"): "delisted", (DOM, "dbl.week.test"): "delisted"}),
  5: (0, 0, 0, 0, 0, {(IP, "sbl.week.test"): "delisted", (IP, "cop.week.test"): "delisted",
                      (IP, "psbl.week.test"): "delisted", (DOM, "dbl.week.test"): "delisted"}),
  6: (1, 0, 0, 0, 1, {(IP, "sbl.week.test"): "delisted", (IP, "cop.week.test"): "delisted",
                      (IP, "psbl.week.test"): "delisted", (DOM, "dbl.week.test"): "relisted"}),
}
for w, (now, ago, new, dl, rl, states) in want.items():
    md = open("%s/week%d.md" % (T, w)).read()
    if "Listed on **%d** lists now; **%d** a week ago." % (now, ago) not in md:
        bad.append("week %d summary: %s" % (w, re.findall(r"Listed on.*", md)))
    m = re.search(r"This week: (\d+) new listings?, (\d+) delistings?, (\d+) relistings?", md)
    if not m or tuple(map(int, m.groups())) != (new, dl, rl):
        bad.append("week %d changes: %s, want %s" % (w, m and m.groups(), (new, dl, rl)))
    if ("**RELISTED:**" in md) != (rl > 0):
        bad.append("week %d: relisting does not stand out" % w)
    rows = {(r["target"], r["zone"]): r for r in csv.DictReader(open("%s/week%d.csv" % (T, w)))}
    got = {k: r["state"] for k, r in rows.items()}
    if got != states:
        bad.append("week %d states: %s, want %s" % (w, got, states))
    html = open("%s/week%d.html" % (T, w)).read()
    if "<svg" not in html or "http://" in html.replace("http://www.w3.org/2000/svg", "") and "src=\"http" in html:
        bad.append("week %d html is not self-contained with an SVG" % w)
# Week 1 details: listed since day 0, the request date and reference, the day cells.
r1 = {(r["target"], r["zone"]): r for r in csv.DictReader(open(T + "/week1.csv"))}
sbl = r1[(IP, "sbl.week.test")]
if sbl["listed_since"] != "2026-10-05T08:00:00.000000Z" or sbl["days_listed"] != "6" \
   or sbl["request_ref"] != "SBL123" or sbl["request_age_days"] != "3":
    bad.append("week 1 sbl row: %s" % sbl)
days = [r1[(IP, "cop.week.test")][d] for d in ["2026-10-%02d" % x for x in range(5, 12)]]
if days != ["listed"] * 5 + ["clean"] * 2:
    bad.append("week 1 cop timeline: %s" % days)
# Week 5: the refused day is reported as a problem, not a change.
md5 = open(T + "/week5.md").read()
if "sbl.week.test answered refused 1 times" not in md5:
    bad.append("week 5 does not report the refused day")
# The case history: workflow events and audit trail.
db = sqlite3.connect(case)
ev = db.execute("SELECT event, target, zone FROM delisting_events WHERE event IN "
                "('new_listing','delisted','relisted') ORDER BY ts, id").fetchall()
want_ev = [("new_listing", DOM, "dbl.week.test"), ("new_listing", IP, "sbl.week.test"),
           ("new_listing", IP, "cop.week.test"), ("delisted", IP, "cop.week.test"),
           ("delisted", DOM, "dbl.week.test"), ("relisted", IP, "cop.week.test"),
           ("new_listing", IP, "psbl.week.test"), ("delisted", IP, "sbl.week.test"),
           ("delisted", IP, "cop.week.test"), ("delisted", IP, "psbl.week.test"),
           ("relisted", DOM, "dbl.week.test")]
if ev != want_ev:
    bad.append("delisting events: %s" % ev)
n = db.execute("SELECT count(*) FROM actions WHERE action = 'dnsbl.relisted'").fetchone()[0]
if n != 2:
    bad.append("relisted actions: %d" % n)
n = db.execute("SELECT count(*) FROM dnsbl_checks").fetchone()[0]
if n != 42 * 4:
    bad.append("check rows: %d, want %d" % (n, 42 * 4))
n = db.execute("SELECT count(*) FROM dnsbl_checks WHERE status='listed' AND zone='sbl.week.test' "
               "AND ts >= strftime('%s','2026-11-04')*1000000 AND ts < strftime('%s','2026-11-05')*1000000").fetchone()[0]
if n != 0:
    bad.append("the refused day was recorded as listed")
# --on-change got every change, relistings included.
hooks = [json.loads(l) for l in open(T + "/changes.jsonl")]
evs = [(c["event"], c["target"], c["zone"]) for h in hooks for c in h["changes"]]
if evs != want_ev:
    bad.append("--on-change events: %s" % evs)
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
print("six weeks: reports and history exactly right")
PY
[ $? -eq 0 ] || exit 1

# The HTML report renders in headless Chromium to a non-blank picture.
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROMIUM" ]; then
  PROFILE=$(mktemp -d "$T/chrome-XXXXXX")
  timeout 60 "$CHROMIUM" --no-sandbox --disable-dev-shm-usage --headless --disable-gpu \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$PROFILE" --window-size=1280,900 --screenshot="$T/week6.png" \
    "file://$T/week6.html" > "$T/chrome.log" 2>&1
  [ -s "$T/week6.png" ] || { cat "$T/chrome.log" >&2; fail "chromium made no screenshot"; }
  python3 "$HERE/png_ink.py" "$T/week6.png" 2000 || fail "the rendered report looks blank"
else
  echo "note: chromium not installed, HTML rendering not checked" >&2
fi
echo PASS
