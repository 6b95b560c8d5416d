#!/usr/bin/env python3
"""Check samples/*/ against their truth.json: the ground truth must describe the data.

For every scenario directory with a truth.json this checks that
  - truth.json has the required fields and only known finding kinds;
  - the files it lists exist, the logs carry syslog timestamps inside the truth window
    (+-15 min), the pcap is a classic pcap, the directory is under 1 MB (all samples < 5 MB);
  - the numbers it promises are in the data, counted independently of mxir's own parsers
    (plain regular expressions over the Postfix/Dovecot lines, a minimal pcap reader):
      failures / successes   Postfix SASL failures / successful AUTH lines per client and user
      distinct_secrets       distinct Dovecot "SHA1 of given password" values per client and user
      attempts_per_session   failed AUTH lines per Postfix session (disconnect auth=0/N)
      sessions               TCP SYNs from the client to the lab's ports in the pcap
  - the pcap and postfix.log see the same sessions, client by client
      messages, recipients   accepted messages and their delivered/queued recipients per
                             client (and user), rejected_recipients: RCPT rejects for them
      rejections             bounced/deferred delivery lines citing the finding's blocklist
Exits 0 when all agree, 1 with one line per disagreement. Usage: check_samples.py SAMPLES_DIR
"""
import json
import os
import re
import struct
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone

KINDS = {"stale_credentials", "brute_force", "password_spraying", "credential_stuffing",
         "account_compromise", "bulk_outbound", "open_relay", "inbound_flood",
         "remote_blocklisting", "remote_throttling", "session_burst"}
INPUTS = {"logs", "pcap", "merged"}
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
LAB_PORTS = {2525, 2587}

errors = []


def err(scenario, msg):
    errors.append(f"{scenario}: {msg}")


def parse_ts(line, year):
    m = re.match(r"([A-Z][a-z]{2}) ([ 0-9]\d) (\d\d):(\d\d):(\d\d) ", line)
    if not m or m.group(1) not in MONTHS:
        return None
    return datetime(year, MONTHS[m.group(1)], int(m.group(2)), int(m.group(3)), int(m.group(4)),
                    int(m.group(5)), tzinfo=timezone.utc)


def rfc3339(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


class PostfixLog:
    """Per-client facts from a Postfix log, by plain regular expressions."""

    def __init__(self, lines):
        self.failures = defaultdict(int)   # (ip, user) -> failed AUTH lines
        self.successes = defaultdict(int)  # (ip, user) -> successful AUTH (client= lines)
        self.session_fail = defaultdict(list)  # ip -> auth failures per session (auth=0/N)
        self.msg_client = {}                # queue id -> (ip, user or "")
        self.msg_from = {}                  # queue id -> envelope sender
        self.rcpts = defaultdict(set)       # queue id -> recipients delivered/attempted
        self.rejects = defaultdict(int)     # ip -> RCPT rejects
        self.deliveries = []                # (status, to, text)
        for line in lines:
            m = re.search(r"warning: \S+\[([\d.]+)\]: SASL \S+ authentication failed: .*"
                          r"sasl_username=(\S+)", line)
            if m:
                self.failures[(m.group(1), m.group(2))] += 1
                continue
            m = re.search(r" ([0-9A-F]+): client=\S+\[([\d.]+)\](?:, sasl_method=\S+, "
                          r"sasl_username=(\S+))?$", line)
            if m:
                qid, ip, user = m.group(1), m.group(2), m.group(3) or ""
                self.msg_client[qid] = (ip, user)
                if user:
                    self.successes[(ip, user)] += 1
                continue
            m = re.search(r"disconnect from \S+\[([\d.]+)\].* auth=(\d+)/(\d+)", line)
            if m:
                self.session_fail[m.group(1)].append(int(m.group(3)) - int(m.group(2)))
                continue
            m = re.search(r"reject: RCPT from \S+\[([\d.]+)\]: ", line)
            if m:
                self.rejects[m.group(1)] += 1
                continue
            m = re.search(r" ([0-9A-F]+): from=<([^>]*)>, size=", line)
            if m:
                self.msg_from[m.group(1)] = m.group(2)
                continue
            m = re.search(r" ([0-9A-F]+): to=<([^>]*)>,.* status=(\w+) \((.*)\)$", line)
            if m:
                self.rcpts[m.group(1)].add(m.group(2))
                self.deliveries.append((m.group(3), m.group(2), m.group(4)))

    def messages(self, ip, user=None):
        return [q for q, (i, u) in self.msg_client.items()
                if i == ip and (user is None or u == user) and q in self.msg_from]

    def successes_for(self, ip, user):
        # A session that authenticated but sent nothing has no client= line; count those from
        # the disconnect line instead (auth=1/1 and no mail).
        return self.successes[(ip, user)]


def dovecot_secrets(lines):
    out = defaultdict(set)
    for line in lines:
        m = re.search(r"\((\S+?),([\d.]+)(?:,<[^>]*>)?\): .*SHA1 of given password: ([0-9a-f]+)\)",
                      line)
        if m:
            out[(m.group(2), m.group(1))].add(m.group(3))
    return out


def pcap_syns(path):
    """(client ip) -> number of SYNs to a lab port, from a classic pcap on lo (Ethernet)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return None
    linktype = struct.unpack_from("<I", data, 20)[0]
    off, syns = 24, defaultdict(int)
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack_from("<IIII", data, off)
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = pkt[14:] if linktype == 1 else pkt
        if len(ip) < 40 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        tcp = ip[ihl:]
        dport = struct.unpack_from(">H", tcp, 2)[0]
        flags = tcp[13]
        if flags & 0x02 and not flags & 0x10 and dport in LAB_PORTS:
            syns[".".join(str(b) for b in ip[12:16])] += 1
    return syns


def check_counts(name, f, inp, pf, secrets, syns):
    c, ip, user = f.get("counts", {}), f.get("client_ip"), f.get("user")
    where = f"{inp} {f['kind']} {ip or ''} {user or ''}".strip()

    def expect(key, actual):
        if key in c and actual is not None and c[key] != actual:
            err(name, f"{where}: truth says {key}={c[key]}, the data has {actual}")

    if inp == "pcap":
        if syns is not None and ip:
            expect("sessions", syns.get(ip, 0))
        return
    if ip and user:
        expect("failures", pf.failures[(ip, user)])
        expect("successes", pf.successes_for(ip, user))
        if secrets:
            expect("distinct_secrets", len(secrets.get((ip, user), ())))
    if ip and "attempts_per_session" in c:
        per = [n for n in pf.session_fail[ip] if n > 0]
        expect("attempts_per_session", max(per) if per else 0)
    if ip and f["kind"] in ("bulk_outbound", "open_relay"):
        msgs = pf.messages(ip, user)
        expect("messages", len(msgs))
        expect("recipients", sum(len(pf.rcpts[q]) for q in msgs))
        expect("rejected_recipients", pf.rejects[ip])
    if f["kind"] == "inbound_flood":
        dom = f.get("sender_domain", "")
        msgs = [q for q, s in pf.msg_from.items() if s.endswith("." + dom) or s.endswith("@" + dom)]
        expect("messages", len(msgs))
    if f["kind"] == "remote_blocklisting" and "blocklist_cited" in f:
        cited = f["blocklist_cited"].lower()
        expect("rejections", sum(1 for st, _, text in pf.deliveries
                                 if st != "sent" and cited in text.lower()))


def check_scenario(d):
    name = os.path.basename(d)
    try:
        with open(os.path.join(d, "truth.json")) as f:
            t = json.load(f)
    except (OSError, ValueError) as e:
        err(name, f"truth.json: {e}")
        return 0
    for key in ("scenario", "summary", "files", "read_with", "window", "expected", "not_flagged"):
        if key not in t:
            err(name, f"truth.json lacks '{key}'")
            return 0
    if t["scenario"] != name:
        err(name, f"truth.json names scenario '{t['scenario']}'")
    size = 0
    for fname in t["files"]:
        p = os.path.join(d, fname)
        if not os.path.isfile(p):
            err(name, f"listed file {fname} is missing")
            continue
        size += os.path.getsize(p)
    if size > 1024 * 1024:
        err(name, f"the sample is {size} bytes (keep each under 1 MB)")
    year = t["read_with"].get("year", 2026)
    lo = rfc3339(t["window"]["first"]) - timedelta(minutes=15)
    hi = rfc3339(t["window"]["last"]) + timedelta(minutes=15)
    logs = {}
    for fname in t["files"]:
        if not fname.endswith(".log") or not os.path.isfile(os.path.join(d, fname)):
            continue
        with open(os.path.join(d, fname), encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        logs[fname] = lines
        for n, line in enumerate(lines, 1):
            ts = parse_ts(line, year)
            if ts is None or not lo <= ts <= hi:
                err(name, f"{fname}:{n}: timestamp missing or outside the truth window")
                break
    pf = PostfixLog(logs.get("postfix.log", []))
    secrets = dovecot_secrets(logs.get("dovecot.log", []))
    syns = None
    if os.path.isfile(os.path.join(d, "capture.pcap")):
        syns = pcap_syns(os.path.join(d, "capture.pcap"))
        if syns is None:
            err(name, "capture.pcap is not a classic little-endian pcap")
    if syns is not None and "postfix.log" in logs:
        # The pcap and the server's log must see the same sessions, client by client (a capture
        # stopped too early loses the last ones).
        connects = defaultdict(int)
        for line in logs["postfix.log"]:
            m = re.search(r"/smtpd\[\d+\]: connect from \S+\[([\d.]+)\]$", line)
            if m:
                connects[m.group(1)] += 1
        for ip in sorted(set(connects) | set(syns)):
            if connects[ip] != syns.get(ip, 0):
                err(name, f"client {ip}: {connects[ip]} sessions in postfix.log, "
                          f"{syns.get(ip, 0)} in capture.pcap")
    for inp, findings in t["expected"].items():
        if inp not in INPUTS:
            err(name, f"expected: unknown input set '{inp}'")
            continue
        for f in findings:
            if f.get("kind") not in KINDS:
                err(name, f"expected {inp}: unknown kind {f.get('kind')}")
                continue
            check_counts(name, f, inp, pf, secrets, syns)
    for f in t.get("acceptable", []) + t["not_flagged"]:
        if "kind" in f and f["kind"] not in KINDS:
            err(name, f"unknown kind {f['kind']}")
    return size


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    total, n = 0, 0
    for entry in sorted(os.listdir(root)):
        d = os.path.join(root, entry)
        if os.path.isfile(os.path.join(d, "truth.json")):
            total += check_scenario(d)
            n += 1
    if n == 0:
        errors.append(f"no scenario with a truth.json under {root}")
    if total > 5 * 1024 * 1024:
        errors.append(f"all samples together are {total} bytes (keep them under 5 MB)")
    for e in errors:
        print("FAIL:", e)
    if not errors:
        print(f"PASS: {n} scenarios agree with their truth.json ({total // 1024} KiB in all)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
