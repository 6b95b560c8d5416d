#!/usr/bin/env python3
"""Asserts on `mxir playbook status --format json` output (the case's record of runs).

  check_run.py STATUS.json RUNBOOK [--status S] [--outcome O] [--state STEP=STATE ...]
               [--answer STEP=JSON ...] [--output STEP.NAME=JSON ...] [--approved STEP ...]

Checks the newest run of RUNBOOK, and for every run: each step has a known state; every
answered ask/check step records who answered; every run step that ran records its command and
exit code; every approved gate records approver, typed text and what it unlocked.
"""
import argparse
import json
import sys

STATES = {"done", "skipped", "failed", "waiting", "running", "unknown"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("status")
    ap.add_argument("runbook")
    ap.add_argument("--status", dest="run_status")
    ap.add_argument("--outcome")
    ap.add_argument("--state", action="append", default=[])
    ap.add_argument("--answer", action="append", default=[])
    ap.add_argument("--output", action="append", default=[])
    ap.add_argument("--approved", action="append", default=[])
    a = ap.parse_args()
    runs = json.load(open(a.status))
    problems = []
    for r in runs:
        for s in r["steps"]:
            where = f"{r['run_id']} {s['key']}"
            if s["state"] not in STATES:
                problems.append(f"{where}: state {s['state']!r}")
            if s["type"] in ("ask", "check") and s["state"] == "done" and s["answer"] is not None:
                if not s.get("answered_by"):
                    problems.append(f"{where}: answer without answered_by")
            if s["type"] == "run" and s["state"] == "done" and not r["dry_run"]:
                # A step resolved after an interruption (verify or the person) has no exit code
                # of its own: its process was lost with the run.
                resolved = "unknown after an interruption" in s["reason"]
                if not s["command"] or s["command"][0] != "mxir" or (
                        s["exit_code"] is None and not resolved):
                    problems.append(f"{where}: ran without a recorded command/exit code")
            if s["type"] == "gate" and s["state"] == "done":
                if not s.get("approved_by") or not s.get("approval_text") or not s.get("unlocks"):
                    problems.append(f"{where}: approved gate without approver/text/unlocks")
    mine = [r for r in runs if r["runbook"] == a.runbook]
    if not mine:
        problems.append(f"no run of {a.runbook}")
    else:
        r = mine[-1]
        steps = {s["key"]: s for s in r["steps"]}
        if a.run_status and r["status"] != a.run_status:
            problems.append(f"run status {r['status']!r}, want {a.run_status!r}")
        if a.outcome and r["outcome"] != a.outcome:
            problems.append(f"outcome {r['outcome']!r}, want {a.outcome!r}")
        for item in a.state:
            k, v = item.split("=", 1)
            got = steps.get(k, {}).get("state")
            if got != (v or None):  # an empty want: the step was never reached
                problems.append(f"step {k}: state {got!r}, want {v!r}")
        for item in a.answer:
            k, v = item.split("=", 1)
            got = steps.get(k, {}).get("answer")
            if got != json.loads(v):
                problems.append(f"step {k}: answer {got!r}, want {v}")
        for item in a.output:
            k, v = item.split("=", 1)
            step, name = k.split(".", 1)
            got = steps.get(step, {}).get("outputs", {}).get(name, "<missing>")
            want = json.loads(v)
            if isinstance(want, str) and want.startswith("has:"):
                if not isinstance(got, list) or want[4:] not in got:
                    problems.append(f"step {step}: output {name} {got!r} lacks {want[4:]!r}")
            elif got != want:
                problems.append(f"step {step}: output {name} {got!r}, want {v}")
        for k in a.approved:
            s = steps.get(k, {})
            if s.get("state") != "done" or not s.get("approved_by"):
                problems.append(f"gate {k} not approved: {s}")
    for p in problems:
        print("check_run:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
