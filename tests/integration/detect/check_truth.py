#!/usr/bin/env python3
"""Compares mxir detect's findings (JSON Lines) with a sample's truth.json.

usage: check_truth.py TRUTH.json INPUT_SET FINDINGS.jsonl
INPUT_SET is logs, pcap or merged. Passes (exit 0) when:
  * every expected finding of that set is reported (kind, client_ip, user, sender_domain,
    listed_ip, blocklists match); counts that differ from truth's are printed as notes (the
    window a detector measures may differ from the one the sample's author counted);
  * every finding of severity medium or above is expected or acceptable for that set;
  * no finding of medium or above matches a not_flagged entry.
Prints what differs otherwise (exit 1).
"""
import json
import sys

SEVERITY = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def field(finding, key):
    if key in ("kind", "client_ip", "user"):
        return finding.get(key)
    return finding.get("evidence", {}).get(key)


def matches(finding, want):
    for key in ("kind", "client_ip", "user", "sender_domain", "listed_ip"):
        if key in want and field(finding, key) != want[key]:
            return False
    if "blocklists" in want:
        named = str(field(finding, "blocklist") or "").lower()
        if not any(b.lower() in named or named in b.lower() for b in want["blocklists"]):
            return False
    return True


def describe(f):
    who = [f.get("kind"), f.get("severity"), f.get("client_ip", "-"), f.get("user", "-")]
    for k in ("sender_domain", "listed_ip", "blocklist"):
        if field(f, k):
            who.append(f"{k}={field(f, k)}")
    return " ".join(str(x) for x in who)


def main():
    truth = json.load(open(sys.argv[1]))
    input_set = sys.argv[2]
    findings = [json.loads(line) for line in open(sys.argv[3]) if line.strip()]
    expected = truth.get("expected", {}).get(input_set, [])
    acceptable = [a for a in truth.get("acceptable", [])
                  if "inputs" not in a or input_set in a["inputs"]]
    problems = []
    for want in expected:
        found = [f for f in findings if matches(f, want)]
        if not found:
            problems.append(f"missing: {json.dumps({k: v for k, v in want.items() if k != 'why'})}")
            continue
        for key, value in want.get("counts", {}).items():
            got = found[0].get("counts", {}).get(key)
            if got is None or abs(float(got) - float(value)) > 1e-9:
                print(f"note: {truth.get('scenario')} [{input_set}]: {describe(found[0])}: "
                      f"counts.{key} = {got}, truth says {value}")
    for f in findings:
        if SEVERITY[f["severity"]] < SEVERITY["medium"]:
            continue
        if not any(matches(f, w) for w in expected + acceptable):
            problems.append(f"unexpected (medium or above): {describe(f)}")
        for nf in truth.get("not_flagged", []):
            keys = [k for k in ("kind", "client_ip", "user") if k in nf]
            if keys and all(f.get(k) == nf[k] for k in keys):
                problems.append(f"flagged but must not be: {describe(f)} ({nf.get('why', '')})")
    for p in problems:
        print(f"{truth.get('scenario')} [{input_set}]: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
