#!/usr/bin/env python3
"""Runs the `$ mxir ...` examples of README.md and docs/*.md and checks their shown output.

Each fenced code block is read in order; a line `$ mxir ...` (joined over trailing backslashes)
is a command, the lines after it up to the next `$` line are the output the docs show. The
commands of one document run one after another in one private directory (so a case made by one
example is there for the next) where `samples/` is the repository's samples and `smtp.pcap` the
Zeek sample trace. A command fails the test when it exits other than 0 (or the status its marker
names), or when a shown output line is not found, in order, in what it printed (stdout and
stderr together). Before comparing, times (RFC 3339 and display form), long hex strings
(per-key fingerprints, hashes), the zone in a time column's title, rates and durations are
masked and runs of blanks collapsed. A
shown line with "..." or "…" matches any line that starts like it (the docs shortened it), and
lines may be left out (the docs show a part of the output).

Opting out is explicit, with a reason the reader sees in the Markdown source:
  - `<!-- docs-test: skip REASON -->` on a line before a block: the block is not run;
  - a command ending in `# docs-test: skip REASON`: that command is not run;
  - `# docs-test: run-only`: run and must succeed, output not compared;
  - `# docs-test: exit N`: the command must exit N.
Non-mxir `$` lines (cat, chmod, ...) are not run. A `mxir case new --case X` starts X afresh.
Prints one line per command and a summary; exits 1 when any command failed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARK = re.compile(r"#\s*docs-test:\s*(skip|run-only|exit)\s*(.*)$")
BLOCK_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\b(.*?)-->")


def mask(line):
    line = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", "<T>", line)
    line = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?( [A-Z]{2,5}|[+-]\d\d)?", "<T>", line)
    line = re.sub(r" \((UTC|[A-Z]{2,5}|[+-]\d\d)\)", "", line)  # a time column's zone: "LAST SEEN (JST)"
    line = re.sub(r"\b[0-9a-f]{12,}\b", "<H>", line)
    line = re.sub(r"[0-9a-f]{6,}…", "<H>", line)
    line = re.sub(r"\d+(\.\d+)? ?(k|M|G)?(B|lines|events|packets)?/s\b", "<R>", line)
    line = re.sub(r"\b\d+(\.\d+)? ?(ms|s)\b(?! ago)", "<D>", line)
    return " ".join(line.split())


def commands(path):
    """Yields (line_no, command, marker, shown_lines) for one document."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i, in_block, skip_block, skip_reason = 0, False, False, ""
    pending_skip = None
    cmd = None
    while i < len(lines):
        line = lines[i]
        if not in_block:
            m = BLOCK_SKIP.search(line)
            if m:
                pending_skip = m.group(1).strip() or "marked"
            if line.lstrip().startswith("```"):
                in_block, skip_block, skip_reason = True, pending_skip is not None, pending_skip
                pending_skip = None
            elif line.strip() and not m and not line.strip().startswith("<!--"):
                pending_skip = None  # a marker belongs to the block right after it
            i += 1
            continue
        if line.lstrip().startswith("```"):
            if cmd:
                yield cmd
                cmd = None
            in_block = False
            i += 1
            continue
        m = re.match(r"^\s*\$ (.*)$", line)
        if m:
            if cmd:
                yield cmd
            text, start = m.group(1), i + 1
            while text.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text.rstrip()[:-1] + " " + lines[i].strip()
            marker = None
            mk = MARK.search(text)
            if mk:
                marker = (mk.group(1), mk.group(2).strip())
            if skip_block:
                marker = ("skip", skip_reason)
            cmd = (start, text, marker, [], text.strip().startswith("mxir "))
        elif cmd:
            cmd[3].append(line)
        i += 1
    if cmd:
        yield cmd


def check_output(shown, actual):
    """Each shown line (masked) must appear in order in the actual output."""
    got = [mask(l) for l in actual.split("\n")]
    pos = 0
    for s in shown:
        if not s.strip():
            continue
        want = mask(s)
        shortened = "..." in s or "…" in s
        if shortened:
            want = re.split(r"\.\.\.|…", want)[0].strip()
            if not want:
                continue
        found = False
        while pos < len(got):
            g = got[pos]
            pos += 1
            if (g.startswith(want) if shortened else g == want):
                found = True
                break
        if not found:
            return "shown line not in the output: " + s.strip()
    return None


def main():
    src, bindir = os.environ["MXIR_SOURCE_DIR"], os.environ["MXIR_BIN_DIR"]
    shared = os.environ.get("MXIR_SHARED_DIR", os.path.join(src, "..", "shared"))
    docs = [os.path.join(src, "README.md")] + sorted(
        os.path.join(src, "docs", f) for f in os.listdir(os.path.join(src, "docs")) if f.endswith(".md"))
    if len(sys.argv) > 1:
        docs = [d for d in docs if any(a in d for a in sys.argv[1:])]
    failures, ran, skipped = 0, 0, 0
    for doc in docs:
        work = tempfile.mkdtemp(prefix="mxir-docs-")
        try:
            os.symlink(os.path.join(src, "samples"), os.path.join(work, "samples"))
            trace = os.path.join(shared, "corpus", "zeek-smtp", "traces", "smtp.pcap")
            if os.path.exists(trace):
                os.symlink(trace, os.path.join(work, "smtp.pcap"))
            env = dict(os.environ, PATH=bindir + ":" + os.environ["PATH"], HOME=work, MXIR_TZ="UTC")
            env.pop("MXIR_CASE", None)
            env.pop("COLUMNS", None)
            name = os.path.relpath(doc, src)
            for start, text, marker, shown, is_mxir in commands(doc):
                if not is_mxir:
                    continue
                where = "%s:%d" % (name, start)
                if marker and marker[0] == "skip":
                    skipped += 1
                    print("skip %s: %s (%s)" % (where, text[:70], marker[1]))
                    continue
                m = re.search(r"mxir case new .*--case (\S+)", text)
                if m:
                    for f in (m.group(1), m.group(1) + ".key"):
                        p = os.path.join(work, f)
                        if os.path.exists(p):
                            os.remove(p)
                want = 0
                if marker and marker[0] == "exit":
                    want = int(marker[1].split()[0])
                try:
                    r = subprocess.run(["bash", "-c", text], cwd=work, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
                    out, rc = r.stdout.decode("utf-8", "replace"), r.returncode
                except subprocess.TimeoutExpired:
                    out, rc = "(timed out)", -1
                ran += 1
                ok_rc = rc == want or (want == 0 and rc == 1 and "--fail-on" in text)
                problem = None if ok_rc else "exit %d (want %d): %s" % (rc, want, out.strip()[-600:])
                if not problem and not (marker and marker[0] == "run-only"):
                    problem = check_output(shown, out)
                    if problem:
                        problem += "\n      output was:\n" + "\n".join("        " + l for l in out.split("\n")[:40])
                if problem:
                    failures += 1
                    print("FAIL %s: $ %s\n      %s" % (where, text, problem))
                else:
                    print("ok   %s: %s" % (where, text[:90]))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print("docs examples: %d run, %d failed, %d skipped (marked)" % (ran, failures, skipped))
    if ran == 0:
        print("FAIL: no example ran")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
