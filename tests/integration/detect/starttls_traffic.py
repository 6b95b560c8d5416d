#!/usr/bin/env python3
"""Traffic for the STARTTLS-capture test (starttls-capture.sh): real clients against the mail
lab's STARTTLS-only listener, each role from its own loopback source address, and the check of
mxir detect's findings on what a capture of that traffic shows.

usage:
  starttls_traffic.py run PORT PREFIX USERS-FILE SEED > plan.json
      PREFIX is a loopback /24 such as 127.141.7 (each client binds PREFIX.N). Roles:
        normal  ten users sending their mail with swaks (1-4 messages each, sizes 200 B - 60 KB,
                pauses between), during the attacks
        stale   a device with an old saved password: one connection at a time at a steady pace,
                one failing AUTH each, always the same password (swaks)
        brute   one account guessed over dozens of connections, several in parallel, several AUTH
                attempts per connection, every password different
        dict    a dictionary attack: many more such connections over many accounts
      Counts, parallelism, attempts per connection, pace and sizes come from SEED. Prints the plan
      (hosts by role, the parameters, the replies seen) as JSON; exit 1 when the traffic did not
      happen as planned (a refused connection, an AUTH that was not answered 535).
  starttls_traffic.py check PLAN FINDINGS.jsonl [NAME]
      Exit 0 when each attacking host (stale, brute, dict) has a session_burst naming it and no
      finding of severity medium or worse names a normal user's host; else prints what is wrong.
"""
import base64
import concurrent.futures
import json
import random
import re
import smtplib
import ssl
import subprocess
import sys
import threading
import time

SERVER = "127.0.0.1"
SEVERE = {"medium", "high", "critical"}


def users_of(path):
    """The lab's accounts as (name, password), in file order."""
    out = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            name, pw = line.split(":", 1)
            out.append((name, pw))
    return out


class Traffic:
    def __init__(self, port, prefix, users, seed):
        self.port = port
        self.prefix = prefix
        self.users = users
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.problems = []
        self.replies = {}  # role -> {code: count}

    def note(self, role, code):
        with self.lock:
            r = self.replies.setdefault(role, {})
            r[str(code)] = r.get(str(code), 0) + 1

    def problem(self, text):
        with self.lock:
            self.problems.append(text)

    def swaks(self, role, ip, helo, args):
        cmd = ["swaks", "--server", SERVER, "--port", str(self.port), "--local-interface", ip,
               "--helo", helo, "--tls", "--hide-all", "--timeout", "30"] + args
        try:
            rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, timeout=60).returncode
        except subprocess.TimeoutExpired:
            rc = -1
        self.note(role, f"swaks-exit-{rc}")
        return rc

    # --- roles -----------------------------------------------------------------------------

    def normal_user(self, ip, name, pw, n_messages, sizes, pauses, start, bodies):
        time.sleep(start)
        for i in range(n_messages):
            to = self.rng_choice_other(name)
            rc = self.swaks("normal", ip, f"pc-{name}.lab.example",
                            ["--auth", "PLAIN", "--auth-user", name, "--auth-password", pw,
                             "--from", f"{name}@lab.example", "--to", f"{to}@lab.example",
                             "--header", f"Subject: note {i + 1} from {name}",
                             "--body", "@" + bodies[sizes[i]]])
            if rc != 0:
                self.problem(f"normal user {name} at {ip}: swaks exited {rc} (message {i + 1})")
            time.sleep(pauses[i])

    def rng_choice_other(self, name):
        others = [u for u, _ in self.users[:10] if u != name]
        with self.lock:
            return self.rng.choice(others)

    def stale_device(self, ip, account, old_pw, n, pace):
        for _ in range(n):
            rc = self.swaks("stale", ip, "old-laptop.lab.example",
                            ["--auth", "PLAIN", "--auth-user", account, "--auth-password", old_pw,
                             "--quit-after", "AUTH"])
            if rc == 0:
                self.problem(f"stale device at {ip}: the old password was accepted")
            time.sleep(pace)

    def guess_connection(self, role, ip, helo, creds, think_s):
        """One connection: EHLO, STARTTLS, EHLO, one AUTH PLAIN per (user, password) with
        think_s seconds between them (a tool's pacing; a server's error delay looks alike), QUIT."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            s = smtplib.SMTP(SERVER, self.port, local_hostname=helo, timeout=30,
                             source_address=(ip, 0))
            s.ehlo()
            s.starttls(context=ctx)
            s.ehlo()
            for i, (user, pw) in enumerate(creds):
                if i:
                    time.sleep(think_s)
                token = base64.b64encode(f"\0{user}\0{pw}".encode()).decode()
                code, _ = s.docmd("AUTH", "PLAIN " + token)
                self.note(role, code)
                if code != 535:
                    self.problem(f"{role} at {ip}: AUTH as {user} answered {code}, not 535")
            s.quit()
        except (OSError, ValueError, smtplib.SMTPException) as e:
            self.problem(f"{role} at {ip}: connection failed: {e!r}")

    def guesser(self, role, ip, helo, plan):
        with concurrent.futures.ThreadPoolExecutor(max_workers=plan["parallel"]) as pool:
            futures = [pool.submit(self.guess_connection, role, ip, helo, creds, plan["think_s"])
                       for creds in plan["connections"]]
            for f in futures:
                f.result()


def make_bodies(rng, tmpdir):
    """Message bodies of a few sizes (files for swaks --body @FILE), text lines of 70 chars."""
    paths = []
    for size in (200, 2000, 12000, 60000):
        path = f"{tmpdir}/body-{size}.txt"
        words = "the quarterly figures are attached please check before friday".split()
        text, lines = "", []
        while len(text) < size:
            line = " ".join(rng.choice(words) for _ in range(10))[:70]
            lines.append(line)
            text += line + "\n"
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def run(port, prefix, users_file, seed):
    import tempfile

    users = users_of(users_file)
    if len(users) < 11:
        sys.exit("need at least 11 lab users (10 normal users and a guessed account)")
    t = Traffic(port, prefix, users, seed)
    rng = t.rng
    octets = rng.sample(range(2, 250), 13)
    hosts = {
        "normal": [f"{prefix}.{o}" for o in octets[:10]],
        "stale": f"{prefix}.{octets[10]}",
        "brute": f"{prefix}.{octets[11]}",
        "dict": f"{prefix}.{octets[12]}",
    }
    tmpdir = tempfile.mkdtemp(prefix="mxir-starttls-bodies-")
    bodies = make_bodies(rng, tmpdir)
    target = users[10][0]
    normal = []
    for i in range(10):
        n = rng.randint(1, 4)
        normal.append({"host": hosts["normal"][i], "user": users[i][0], "messages": n,
                       "sizes": [rng.randrange(len(bodies)) for _ in range(n)],
                       "pauses": [round(rng.uniform(0.2, 3.0), 2) for _ in range(n)],
                       "start": round(rng.uniform(0, 6), 2)})
    # A stale device: sequential, steady pace, the same wrong password every time.
    stale = {"account": users[rng.randrange(10)][0], "connections": rng.randint(14, 22),
             "pace_s": round(rng.uniform(0.2, 0.8), 2)}
    # A brute-forcer: one account, dozens of connections, several at once, several guesses each.
    b_conns, b_par, b_att = rng.randint(24, 60), rng.randint(3, 6), rng.randint(3, 6)
    brute = {"account": target, "connections": b_conns, "parallel": b_par,
             "attempts_per_connection": b_att, "think_s": round(rng.uniform(0, 0.15), 3),
             "connections_plan": [[(target, f"Guess-{c}-{a}-{rng.randrange(10**6)}")
                                   for a in range(b_att)] for c in range(b_conns)]}
    # A dictionary attack: many connections, accounts from a list (real ones and not), words.
    names = [u for u, _ in users] + ["admin", "info", "sales", "postmaster", "test", "office"]
    words = ["password", "123456", "qwerty", "letmein", "welcome", "summer2026", "dragon",
             "monkey", "sunshine", "princess", "football", "shadow", "master", "company1"]
    d_conns, d_par, d_att = rng.randint(60, 100), rng.randint(4, 8), rng.randint(2, 5)
    dictionary = {"connections": d_conns, "parallel": d_par, "attempts_per_connection": d_att,
                  "think_s": round(rng.uniform(0, 0.15), 3),
                  "connections_plan": [[(rng.choice(names), rng.choice(words) + str(rng.randrange(100)))
                                        for _ in range(d_att)] for _ in range(d_conns)]}

    threads = []

    def start(fn, *args):
        th = threading.Thread(target=fn, args=args)
        th.start()
        threads.append(th)

    began = time.time()
    for i, u in enumerate(normal):
        start(t.normal_user, u["host"], u["user"], users[i][1], u["messages"], u["sizes"],
              u["pauses"], u["start"], bodies)
    start(t.stale_device, hosts["stale"], stale["account"], "Old-saved-pw-2019",
          stale["connections"], stale["pace_s"])
    start(t.guesser, "brute", hosts["brute"], "kali",
          {"parallel": b_par, "think_s": brute["think_s"], "connections": brute["connections_plan"]})
    start(t.guesser, "dict", hosts["dict"], "WIN-3J8K2L",
          {"parallel": d_par, "think_s": dictionary["think_s"],
           "connections": dictionary["connections_plan"]})
    for th in threads:
        th.join()
    subprocess.run(["rm", "-rf", tmpdir])
    for p in (brute, dictionary):
        del p["connections_plan"]
    plan = {"seed": seed, "port": port, "hosts": hosts, "normal": normal, "stale": stale,
            "brute": brute, "dict": dictionary, "replies": t.replies, "problems": t.problems,
            "seconds": round(time.time() - began, 1)}
    json.dump(plan, sys.stdout, indent=1)
    print()
    expected = {"brute": b_conns * b_att, "dict": d_conns * d_att}
    for role, n in expected.items():
        got = t.replies.get(role, {}).get("535", 0)
        if got != n:
            t.problems.append(f"{role}: {got} AUTH failures answered 535, planned {n}")
    for p in t.problems:
        print("traffic problem:", p, file=sys.stderr)
    return 1 if t.problems else 0


def names_host(finding, host):
    """True when the finding is about `host`: its client_ip, or the address anywhere in it."""
    if finding.get("client_ip") == host:
        return True
    return re.search(r"(?<![\d.])" + re.escape(host) + r"(?![\d])", json.dumps(finding)) is not None


def check(plan_file, findings_file, name):
    plan = json.load(open(plan_file))
    findings = [json.loads(l) for l in open(findings_file) if l.strip()]
    errors = []
    bursts = {f.get("client_ip"): f for f in findings if f["kind"] == "session_burst"}
    hosts = plan["hosts"]
    for role in ("stale", "brute", "dict"):
        host = hosts[role]
        f = bursts.get(host)
        if f is None:
            errors.append(f"no session_burst for the {role} host {host}")
            continue
        c = f.get("counts", {})
        # The sessions are the attack's own: a device retries one at a time; guessers overlap.
        if role == "stale" and c.get("max_parallel_sessions") != 1:
            errors.append(f"stale device {host}: max_parallel_sessions {c.get('max_parallel_sessions')}, not 1")
        if role != "stale" and c.get("max_parallel_sessions", 0) < 2:
            errors.append(f"{role} {host}: max_parallel_sessions {c.get('max_parallel_sessions')}, "
                          f"planned {plan[role]['parallel']} at once")
        if plan["port"] not in c.get("ports", []):
            errors.append(f"{role} {host}: the finding's ports {c.get('ports')} lack {plan['port']}")
    for host in hosts["normal"]:
        for f in findings:
            if (f.get("severity") in SEVERE or f["kind"] == "session_burst") and names_host(f, host):
                errors.append(f"normal user's host {host} named by a {f['severity']} {f['kind']}: "
                              f"{f.get('explanation', '')[:300]}")
    label = f"[{name}] " if name else ""
    for e in errors:
        print(f"{label}mismatch: {e}", file=sys.stderr)
    if errors:
        print(f"{label}findings: " + json.dumps([{k: f.get(k) for k in ("kind", "severity", "client_ip", "counts")}
                                             for f in findings]), file=sys.stderr)
    else:
        print(f"{label}ok: session_burst for " +
              ", ".join(f"{r} {hosts[r]} ({bursts[hosts[r]]['counts'].get('sessions')} sessions, "
                        f"{bursts[hosts[r]]['counts'].get('max_parallel_sessions')} at once)"
                        for r in ("stale", "brute", "dict")) +
              f"; nothing medium or worse for the 10 normal users ({len(findings)} findings)")
    return 1 if errors else 0


def main():
    if len(sys.argv) >= 6 and sys.argv[1] == "run":
        return run(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
    if len(sys.argv) >= 4 and sys.argv[1] == "check":
        return check(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "")
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
