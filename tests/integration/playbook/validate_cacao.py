#!/usr/bin/env python3
"""Validates CACAO 2.0 playbooks (mxir playbook export output) against the OASIS CACAO JSON
schemas kept beside this script, then makes the checks the schemas do not make:
every step a pointer names exists, no step has on_completion together with on_success or
on_failure, end steps have no pointers, every action's agent is defined, every __variable__
used in a command or condition is declared, created/modified have exactly 3 fraction digits.

  validate_cacao.py FILE.json...     exit 0 when all are valid, 1 otherwise (problems printed)
"""
import json
import pathlib
import re
import sys

import jsonschema

try:
    from referencing import Registry, Resource
except ImportError:  # older python3-jsonschema (Debian 12: 4.10) resolves through RefResolver
    Registry = None

HERE = pathlib.Path(__file__).resolve().parent
SCHEMAS = HERE / "cacao-schemas" / "schemas"


def load_schemas():
    store = {}
    for p in SCHEMAS.rglob("*.json"):
        doc = json.loads(p.read_text())
        store[doc["$id"]] = doc
        store[p.resolve().as_uri()] = doc
    return store


def validators(store):
    """The playbook schema under Draft 7 (what the schemas declare) and Draft 2019-09 (which
    also applies unevaluatedProperties), when this jsonschema has it."""
    root = json.loads((SCHEMAS / "playbook.json").read_text())
    classes = [jsonschema.Draft7Validator]
    if hasattr(jsonschema, "Draft201909Validator"):
        classes.append(jsonschema.Draft201909Validator)
    out = []
    for cls in classes:
        if Registry is not None:
            from referencing.jsonschema import DRAFT7
            registry = Registry().with_resources(
                (uri, Resource.from_contents(doc, default_specification=DRAFT7))
                for uri, doc in store.items())
            out.append(cls(root, registry=registry))
        else:
            resolver = jsonschema.RefResolver(base_uri=root["$id"], referrer=root, store=store)
            out.append(cls(root, resolver=resolver))
    return out


def own_checks(pb):
    problems = []
    wf = pb.get("workflow", {})
    if pb.get("workflow_start") not in wf:
        problems.append("workflow_start names no step")
    declared = set(pb.get("playbook_variables", {}))
    agents = set(pb.get("agent_definitions", {}))
    var = re.compile(r"__[A-Za-z_][A-Za-z0-9_-]*?__")
    for sid, s in wf.items():
        t = s.get("type")
        if not sid.startswith(t + "--"):
            problems.append(f"{sid}: key does not start with its type {t}")
        refs = [(f, s[f]) for f in ("on_completion", "on_success", "on_failure", "on_true",
                                    "on_false") if f in s]
        refs += [("cases." + k, v) for k, v in s.get("cases", {}).items()]
        for f, r in refs:
            if r not in wf:
                problems.append(f"{sid}: {f} -> {r} is not a step of the workflow")
        if "on_completion" in s and ("on_success" in s or "on_failure" in s):
            problems.append(f"{sid}: on_completion together with on_success/on_failure")
        if t == "end" and refs:
            problems.append(f"{sid}: an end step points to another step")
        if t == "action":
            if s.get("agent") not in agents:
                problems.append(f"{sid}: agent {s.get('agent')} is not defined")
            for c in s.get("commands", []):
                for v in var.findall(c.get("command", "")):
                    if v not in declared:
                        problems.append(f"{sid}: variable {v} is not declared")
        for key in ("condition", "switch"):
            for v in var.findall(s.get(key, "")):
                if v not in declared:
                    problems.append(f"{sid}: variable {v} in {key} is not declared")
    ms = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
    for f in ("created", "modified"):
        if not ms.match(pb.get(f, "")):
            problems.append(f"{f}: not exactly three fraction digits")
    # Every step reachable from the start (an unreachable step is a mapping bug).
    seen, todo = set(), [pb.get("workflow_start")]
    while todo:
        sid = todo.pop()
        if sid in seen or sid not in wf:
            continue
        seen.add(sid)
        s = wf[sid]
        for f in ("on_completion", "on_success", "on_failure", "on_true", "on_false"):
            if f in s:
                todo.append(s[f])
        todo.extend(s.get("cases", {}).values())
    for sid in wf:
        if sid not in seen:
            problems.append(f"{sid}: not reachable from workflow_start")
    return problems


def main(paths):
    store = load_schemas()
    vs = validators(store)
    bad = 0
    for path in paths:
        pb = json.loads(pathlib.Path(path).read_text())
        problems = []
        for v in vs:
            name = type(v).__name__
            problems += [f"schema ({name}): {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                         for e in v.iter_errors(pb)]
        problems += own_checks(pb)
        for p in problems:
            print(f"{path}: {p}")
        bad += bool(problems)
        if not problems:
            print(f"{path}: valid CACAO 2.0 ({len(pb['workflow'])} workflow steps)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
