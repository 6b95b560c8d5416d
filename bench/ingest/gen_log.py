#!/usr/bin/env python3
"""Writes a realistic Postfix + Dovecot syslog of at least SIZE bytes (bench/ingest/run.sh).

A mail server's day, many times over: clients connect to smtpd and the submission service,
authenticate (mostly successfully, with a share of password-guessing clients), send messages that
are delivered or bounced (some bounces citing blocklists), get rejected (relay denied, unknown
users, RBL), and IMAP/POP3 users log in through Dovecot (with failures and auth-worker lines).
IPs, users, process and queue ids and times vary; time moves forward a little per session.
Deterministic for a given seed. Usage: gen_log.py OUT SIZE_BYTES [SEED]
"""
import random
import sys
import time

out_path, size = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
USERS = ["%s%d@example.%s" % (rng.choice(["anna", "bob", "carl", "dina", "erik", "fay", "gus",
                                          "hana", "ivan", "jo", "kim", "lea"]), i,
                                rng.choice(["com", "org", "net"])) for i in range(5000)]
ATTACK_USERS = ["admin", "info", "test", "sales", "postmaster", "webmaster", "office", "user"]
REMOTE = ["gmail-smtp-in.l.google.com", "mx1.mail.example.net", "mx.outlook.example",
          "mail.provider.example"]
HOSTS = ["mail", "mx1", "mx2"]


def ip():
    return "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255),
                            rng.randint(1, 254))


def qid():
    return "%X" % rng.getrandbits(40)


def main():
    t = time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, 0))
    written = 0
    lines = 0
    buf = []
    with open(out_path, "w") as f:
        while written < size:
            t += rng.random() * 0.5
            tm = time.gmtime(t)
            stamp = "%s %2d %02d:%02d:%02d" % (MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour,
                                              tm.tm_min, tm.tm_sec)
            host = rng.choice(HOSTS)
            pid = rng.randint(1000, 99999)
            client = ip()
            r = rng.random()
            if r < 0.45:  # submission: AUTH and a message
                svc = rng.choice(["postfix/submission/smtpd", "postfix/smtpd"])
                user = rng.choice(USERS)
                q = qid()
                rcpts = ["%s@%s" % (rng.choice(["x", "y", "z", "team", "news"]),
                                    rng.choice(["example.com", "example.org", "remote.example"]))
                         for _ in range(rng.randint(1, 3))]
                s = [
                    f"{stamp} {host} {svc}[{pid}]: connect from unknown[{client}]",
                    f"{stamp} {host} {svc}[{pid}]: Anonymous TLS connection established from unknown[{client}]: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)",
                    f"{stamp} {host} {svc}[{pid}]: {q}: client=unknown[{client}], sasl_method=PLAIN, sasl_username={user}",
                    f"{stamp} {host} postfix/cleanup[{pid + 1}]: {q}: message-id=<{q.lower()}.{pid}@example.com>",
                    f"{stamp} {host} postfix/qmgr[900]: {q}: from=<{user}>, size={rng.randint(800, 90000)}, nrcpt={len(rcpts)} (queue active)",
                ]
                for rc in rcpts:
                    relay = rng.choice(REMOTE)
                    rip = ip()
                    if rng.random() < 0.9:
                        s.append(f"{stamp} {host} postfix/smtp[{pid + 2}]: {q}: to=<{rc}>, relay={relay}[{rip}]:25, delay=0.4, delays=0.1/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 OK 1700000000 {q.lower()} - gsmtp)")
                    else:
                        s.append(f"{stamp} {host} postfix/smtp[{pid + 2}]: {q}: to=<{rc}>, relay={relay}[{rip}]:25, delay=0.6, delays=0.1/0/0.2/0.3, dsn=5.7.1, status=bounced (host {relay}[{rip}] said: 554 5.7.1 Service unavailable; Client host [{client}] blocked using zen.spamhaus.org (in reply to RCPT TO command))")
                s.append(f"{stamp} {host} postfix/qmgr[900]: {q}: removed")
                s.append(f"{stamp} {host} {svc}[{pid}]: disconnect from unknown[{client}] ehlo=2 starttls=1 auth=1 mail=1 rcpt={len(rcpts)} data=1 quit=1 commands={7 + len(rcpts)}")
            elif r < 0.60:  # password guessing against smtpd, with Dovecot's view of it
                user = rng.choice(ATTACK_USERS + USERS[:50])
                s = [f"{stamp} {host} postfix/smtpd[{pid}]: connect from unknown[{client}]"]
                n = rng.randint(1, 3)
                for _ in range(n):
                    s.append(f"{stamp} {host} dovecot: auth: passwd-file({user},{client}): Password mismatch (SHA1 of given password: {rng.getrandbits(32):08x})")
                    s.append(f"{stamp} {host} postfix/smtpd[{pid}]: warning: unknown[{client}]: SASL LOGIN authentication failed: (reason unavailable), sasl_username={user}")
                s.append(f"{stamp} {host} postfix/smtpd[{pid}]: disconnect from unknown[{client}] ehlo=1 auth=0/{n} quit=1 commands=2/{n + 2}")
            elif r < 0.70:  # rejects
                why = rng.choice([
                    "554 5.7.1 <{to}>: Relay access denied",
                    "550 5.1.1 <{to}>: Recipient address rejected: User unknown in local recipient table",
                    "554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}",
                    "450 4.7.1 Client host rejected: cannot find your hostname, [{ip}]"])
                to = "%s@%s" % (rng.choice(["info", "ceo", "x"]), rng.choice(["example.com", "elsewhere.example"]))
                s = [f"{stamp} {host} postfix/smtpd[{pid}]: connect from unknown[{client}]",
                     f"{stamp} {host} postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{client}]: " + why.format(to=to, ip=client) + f"; from=<spam@{rng.choice(['bulk.example', 'cheap.example'])}> to=<{to}> proto=ESMTP helo=<pc{pid}>",
                     f"{stamp} {host} postfix/smtpd[{pid}]: disconnect from unknown[{client}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"]
            else:  # IMAP / POP3 logins
                user = rng.choice(USERS)
                proto = rng.choice(["imap", "imap", "pop3"])
                sess = "%x" % rng.getrandbits(48)
                if rng.random() < 0.85:
                    s = [f"{stamp} {host} dovecot: {proto}-login: Login: user=<{user}>, method=PLAIN, rip={client}, lip=192.0.2.1, mpid={pid}, TLS, session=<{sess}>",
                         f"{stamp} {host} dovecot: {proto}({user})<{pid}><{sess}>: Disconnected: Logged out in={rng.randint(10, 9999)} out={rng.randint(100, 99999)}"]
                else:
                    n = rng.randint(1, 3)
                    s = [f"{stamp} {host} dovecot: auth-worker({pid}): pam({user},{client},<{sess}>): pam_authenticate() failed: Authentication failure (password mismatch?)",
                         f"{stamp} {host} dovecot: {proto}-login: Disconnected (auth failed, {n} attempts in {rng.randint(2, 30)} secs): user=<{user}>, method=PLAIN, rip={client}, lip=192.0.2.1, TLS, session=<{sess}>"]
            chunk = "\n".join(s) + "\n"
            buf.append(chunk)
            written += len(chunk)
            lines += len(s)
            if len(buf) >= 5000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    print(lines)


main()
