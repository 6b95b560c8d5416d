#!/usr/bin/env python3
"""fail2ban's mail-server sample logs as an oracle for `mxir ingest` (issue 4).

For every line fail2ban marks as a match (failJSON "match": true, in any of its modes), mxir
must emit an auth failure or a `reply` event (a reject or protocol error) with the same source
IP, the same user where fail2ban names one, and the same instant (fail2ban's test clock and
zone: MXIR_NOW=2005-08-14T10:00:00Z, TZ=CET-01CEST-02,M3.5.0,M10.5.0). For a line marked as not
matching in every mode, mxir must emit no auth failure. Prints the agreement per file; each
remaining disagreement is listed in KNOWN below with its reason, and an unlisted disagreement
(or a listed one that now agrees) fails the test.

Usage: check_corpus.py MXIR_INGEST CORPUS_DIR
"""
import datetime
import json
import os
import re
import subprocess
import sys
import time

FILES = ["assp", "courier-auth", "courier-smtp", "cyrus-imap", "domino-smtp", "dovecot", "exim",
         "exim-spam", "horde", "kerio", "openwebmail", "oracleims", "perdition", "postfix",
         "qmail", "roundcube-auth", "sendmail-auth", "sendmail-reject", "sieve", "sogo-auth",
         "solid-pop3d", "squirrelmail", "uwimap-auth"]

# (file, line number) -> why mxir and fail2ban disagree there, on purpose or for now.
KNOWN = {
    ('assp', 42):
        "the server lost its authentication backend ('Connection lost to authentication server'): mxir records outcome 'unknown', as for Postfix, where fail2ban itself does not count it",
    ('assp', 44):
        "as assp:42 (authentication backend unreachable: outcome 'unknown', not a password failure)",
    ('dovecot', 159):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (no auth attempts, connection reset); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 161):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (no auth attempts, connection reset); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 164):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (no auth attempts, TLS error); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 166):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (no auth attempts, too many invalid commands); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 168):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (no auth attempts, connection reset); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 170):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (no auth attempts, TLS error); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 173):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (disconnected before auth was ready); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 175):
        "aggressive mode only: the client started SASL and did not finish it; mxir records an auth event with outcome 'aborted' (no password was rejected)",
    ('dovecot', 177):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (no auth attempts, TLS handshake reset); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 180):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (TLS handshake not finished); mxir records them as session_end with the reason, not as a failure or a reply",
    ('dovecot', 182):
        "fail2ban's aggressive mode bans connections that ended without any password attempt (TLS handshake not finished); mxir records them as session_end with the reason, not as a failure or a reply",
}

COMMENT = re.compile(r"^#+ ?(failJSON|filterOptions|fileOptions|addFILE):(.+)$")


def parse_corpus(path):
    """Returns [(line_number, text, expectation dict)] for every line with a failJSON."""
    out = []
    pending = None
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for number, raw in enumerate(f, start=1):
            line = raw.rstrip("\n")
            m = COMMENT.match(line)
            if m:
                if m.group(1) == "failJSON":
                    pending = json.loads(m.group(2))
                continue
            if line.startswith("#") or not line.strip():
                continue
            out.append((number, line, pending if pending is not None else {"match": False}))
            pending = None
    return out


def local_time(ts):
    """RFC 3339 UTC -> 'YYYY-MM-DDTHH:MM:SS' in the test zone (TZ is set)."""
    dt = datetime.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")
    secs = int(dt.replace(tzinfo=datetime.timezone.utc).timestamp())
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(secs))


def norm_time(t):
    """fail2ban's lenient local time ('2005-03-7T02:09:33', fractions) -> canonical form."""
    d, _, c = t.partition("T")
    y, mo, da = (int(x) for x in d.split("-"))
    hh, mm, ss = c.split(":")
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (y, mo, da, int(hh), int(mm), int(float(ss)))


def is_failure(e):
    return e.get("kind") == "auth" and e.get("outcome") == "failure"


def agrees(expect, events):
    """Why the events do not satisfy a match:true expectation, or None when they do."""
    wanted = [e for e in events if is_failure(e) or e.get("kind") == "reply"]
    if not wanted:
        kinds = ",".join(sorted({e.get("kind", "?") for e in events})) or "none"
        return "no auth failure or reply event (events: %s)" % kinds
    for e in wanted:
        problems = []
        if "host" in expect and str(e.get("client_ip")).lower() != expect["host"].lower():
            problems.append("client_ip %s != %s" % (e.get("client_ip"), expect["host"]))
        if "time" in expect and local_time(e["ts"]) != norm_time(expect["time"]):
            problems.append("time %s != %s" % (local_time(e["ts"]), norm_time(expect["time"])))
        if "user" in expect and e.get("user") != expect["user"]:
            problems.append("user %r != %r" % (e.get("user"), expect["user"]))
        if not problems:
            return None
    return "; ".join(problems)


def main():
    tool, corpus = sys.argv[1], sys.argv[2]
    os.environ["MXIR_NOW"] = "2005-08-14T10:00:00Z"
    os.environ["TZ"] = "CET-01CEST-02,M3.5.0,M10.5.0"
    time.tzset()
    unexpected, stale, total_ok, total = [], [], 0, 0
    for name in FILES:
        path = os.path.join(corpus, name)
        run = subprocess.run([tool, path, "--format", "jsonl", "--stats", "json"],
                             capture_output=True, timeout=60)
        if run.returncode != 0:
            print("%s: mxir ingest exited %d: %s" % (name, run.returncode, run.stderr.decode()))
            unexpected.append((name, 0, "exit status"))
            continue
        by_line = {}
        for row in run.stdout.decode("utf-8", "replace").splitlines():
            e = json.loads(row)
            by_line.setdefault(e["origin"]["line"], []).append(e)
        entries = parse_corpus(path)
        positive_texts = {text for _, text, x in entries if x.get("match")}
        ok = checked = 0
        for number, text, expect in entries:
            events = by_line.get(number, [])
            if expect.get("match"):
                why = agrees(expect, events)
            elif text in positive_texts:
                continue  # the same line matches in another of fail2ban's modes
            else:
                bad = [e for e in events if is_failure(e)]
                why = "auth failure on a line fail2ban never matches" if bad else None
            checked += 1
            key = (name, number)
            if why is None:
                ok += 1
                if key in KNOWN:
                    stale.append((name, number, "now agrees; remove it from KNOWN"))
            elif key not in KNOWN:
                unexpected.append((name, number, why + " | " + text[:150]))
        total_ok += ok
        total += checked
        known_here = sum(1 for k in KNOWN if k[0] == name)
        print("%-16s %3d/%-3d agree  (%d known disagreements)" % (name, ok, checked, known_here))
    print("total            %d/%d agree" % (total_ok, total))
    for k, why in sorted(KNOWN.items()):
        print("known: %s:%d: %s" % (k[0], k[1], why))
    for name, number, why in unexpected + stale:
        print("FAIL %s:%d: %s" % (name, number, why))
    return 1 if unexpected or stale else 0


if __name__ == "__main__":
    sys.exit(main())
