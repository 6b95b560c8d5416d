#!/usr/bin/env bash
# mxir ingest on the mainlog of a real Exim (issue #18). Exim cannot be installed beside the lab's
# Postfix (both are Debian's MTA), so this fetches Debian 12's exim4-daemon-light and exim4-base
# (plus the libraries they need that are not installed) with `apt-get download` into a cache in
# the build tree, unpacks them into a private directory (dpkg -x: nothing is installed) and runs
# that Exim as a private daemon on a random loopback port with its own config (-C), spool and log.
# Inside a private mount namespace /etc/passwd and /etc/group gain the Debian-exim user the binary
# was built for (the real files are not touched). Exim writes: a connection and a lost connection,
# an SMTP AUTH failure and success (a plaintext authenticator with a fixed test account), a
# refused relay (RCPT) and a delivered message; the events mxir makes of them are checked.
# Exit 0 pass, 77 skip (not root, or the packages cannot be downloaded, e.g. offline), else fail.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INGEST=${MXIR_BIN_DIR:?}/mxir-ingest
[[ -x $INGEST ]] || { echo "FAIL: $INGEST not built" >&2; exit 1; }
skip() { echo "skipped: $*" >&2; exit 77; }
[[ $(id -u) == 0 ]] || skip "running Exim privately needs root (a mount namespace and chown)"
unshare -m --propagation private true 2>/dev/null || skip "cannot make a private mount namespace"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || skip "not a Debian system"

# The packages, downloaded once into the build tree (never installed).
CACHE=$MXIR_BIN_DIR/../exim-debs
mkdir -p "$CACHE" || exit 1
fetch() {
  (cd "$CACHE" && timeout 120 apt-get download "$@" >download.log 2>&1) ||
    skip "cannot download $* with apt-get download (offline?): $(tail -1 "$CACHE/download.log")"
}
exec 9>"$CACHE/.lock"
flock -w 300 9 || skip "the package cache is locked by another run"
ls "$CACHE"/exim4-daemon-light_*.deb "$CACHE"/exim4-base_*.deb >/dev/null 2>&1 ||
  fetch exim4-daemon-light exim4-base
# Libraries the two packages depend on that this machine lacks (first of each alternative).
for deb in "$CACHE"/exim4-daemon-light_*.deb "$CACHE"/exim4-base_*.deb; do
  dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*//' -e 's/[[:space:]]//g'
done | sort -u | { grep '^lib' || true; } | while read -r pkg; do
  [[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null) == "install ok installed" ]] && continue
  ls "$CACHE/${pkg}"_*.deb >/dev/null 2>&1 || fetch "$pkg"
done || exit 77
flock -u 9

LAB=$(mktemp -d /tmp/mxir-exim-lab-XXXXXX) || exit 1
DAEMON=""
cleanup() {
  if [[ -n $DAEMON ]] && kill "$DAEMON" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$DAEMON" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$DAEMON" 2>/dev/null
  fi
  rm -rf "$LAB"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  echo "--- mainlog" >&2; cat "$LAB/log/mainlog" >&2
  [[ -f $LAB/log/paniclog ]] && { echo "--- paniclog" >&2; cat "$LAB/log/paniclog" >&2; }
  exit 1
}
chmod 755 "$LAB"
for deb in "$CACHE"/*.deb; do dpkg -x "$deb" "$LAB/root" || fail "dpkg -x $deb"; done
EXIM=$LAB/root/usr/sbin/exim4
LIBS=$LAB/root/usr/lib/x86_64-linux-gnu:$LAB/root/lib/x86_64-linux-gnu
# Not setuid: the private copy runs as the user that starts it, with LD_LIBRARY_PATH honoured.
chmod u-s "$EXIM"
missing=$(LD_LIBRARY_PATH=$LIBS ldd "$EXIM" | grep 'not found')
[[ -z $missing ]] || skip "the downloaded Exim lacks libraries: $missing"

# The Debian-exim user the binary was built for, in private copies of /etc/passwd and /etc/group.
cp /etc/passwd "$LAB/passwd" && cp /etc/group "$LAB/group" || exit 1
XUID=$(getent passwd Debian-exim | cut -d: -f3)
if [[ -z $XUID ]]; then
  XUID=64990
  while getent passwd "$XUID" >/dev/null || getent group "$XUID" >/dev/null; do XUID=$((XUID + 1)); done
  echo "Debian-exim:x:$XUID:$XUID:private Exim of mxir's test:/nonexistent:/usr/sbin/nologin" >>"$LAB/passwd"
  echo "Debian-exim:x:$XUID:" >>"$LAB/group"
fi
mkdir -p "$LAB/spool" "$LAB/log" "$LAB/mail" && chown "$XUID:$XUID" "$LAB/spool" "$LAB/log" "$LAB/mail" || exit 1

read -r PORT <<<"$(bash "$HERE/../lab/mail-lab.sh" free-ports 1)" || exit 1
# Exim re-executes itself (exim_path) for deliveries and clears the environment: a wrapper.
printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$LIBS" "$EXIM" >"$LAB/exim"
chmod 755 "$LAB/exim"
cat >"$LAB/exim.conf" <<EOF
exim_path = $LAB/exim
spool_directory = $LAB/spool
log_file_path = $LAB/log/%slog
primary_hostname = mx.lab.example
qualify_domain = lab.example
local_interfaces = <; 127.0.0.1.$PORT
daemon_smtp_ports = $PORT
log_selector = +smtp_connection +incoming_interface +incoming_port +pid
domainlist local_domains = lab.example
acl_smtp_rcpt = acl_check_rcpt
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =

begin acl
acl_check_rcpt:
  accept  authenticated = *
  accept  domains = +local_domains
          local_parts = alice : bob
  deny    !domains = +local_domains
          message = relay not permitted
  deny    message = unknown user

begin routers
local_user:
  driver = accept
  domains = +local_domains
  transport = local_file

begin transports
local_file:
  driver = appendfile
  file = $LAB/mail/inbox
  user = Debian-exim
  group = Debian-exim
  mode = 0600

begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and {{eq{\$auth2}{alice}}{eq{\$auth3}{Alice-pw-11}}}}
  server_set_id = \$auth2
login_server:
  driver = plaintext
  public_name = LOGIN
  server_prompts = "Username:: : Password::"
  server_condition = \${if and {{eq{\$auth1}{alice}}{eq{\$auth2}{Alice-pw-11}}}}
  server_set_id = \$auth1
EOF
# The daemon detaches and keeps the private mount namespace alive; its pid goes to the spool.
unshare -m --propagation private bash -c '
  mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group || exit 1
  exec "$1/exim" -C "$1/exim.conf" -bd -oX "$2" -oP "$1/spool/exim.pid"' _ "$LAB" "$PORT" ||
  fail "the private Exim did not start"
for _ in $(seq 100); do
  [[ -s $LAB/spool/exim.pid ]] && grep -q 'daemon started' "$LAB/log/mainlog" 2>/dev/null && break
  sleep 0.1
done
DAEMON=$(cat "$LAB/spool/exim.pid" 2>/dev/null)
[[ -n $DAEMON ]] || fail "no pid file from the private Exim"

# The client side (Python's smtplib, each client from its own loopback address).
timeout 60 python3 - "$PORT" <<'PY' || fail "the SMTP client failed"
import smtplib, sys
port = int(sys.argv[1])
def client(src, helo):
    s = smtplib.SMTP(timeout=10, source_address=(src, 0))
    s.connect("127.0.0.1", port)
    s.ehlo(helo)
    return s
s = client("127.0.0.81", "ws81")   # a connection lost without QUIT
s.sock.close()
s = client("127.0.0.82", "ws82")   # a wrong password (smtplib tries PLAIN, then LOGIN)
try:
    s.login("alice", "Wrong-pw-00")
    sys.exit("the wrong password was accepted")
except smtplib.SMTPAuthenticationError:
    pass
s.quit()
s = client("127.0.0.83", "ws83")   # the right one, and a message delivered locally
s.login("alice", "Alice-pw-11")
s.sendmail("alice@lab.example", ["bob@lab.example"],
           "From: alice@lab.example\r\nTo: bob@lab.example\r\nSubject: lab\r\n"
           "Message-ID: <exim-lab-1@lab.example>\r\n\r\nhello\r\n")
s.quit()
s = client("127.0.0.84", "ws84")   # relaying refused
s.mail("x@outside.example")
code, _ = s.rcpt("bob@elsewhere.example")
if code != 550:
    sys.exit("relay not refused: %d" % code)
s.quit()
PY
for _ in $(seq 200); do
  grep -q ' Completed$' "$LAB/log/mainlog" && grep -q '127.0.0.84.* closed by QUIT' "$LAB/log/mainlog" && break
  sleep 0.1
done
grep -q ' Completed$' "$LAB/log/mainlog" || fail "the message was not delivered in 20 s"

"$INGEST" --format jsonl "$LAB/log/mainlog" >"$LAB/events.jsonl" 2>"$LAB/err" ||
  fail "mxir ingest failed: $(cat "$LAB/err")"
python3 - "$LAB/events.jsonl" <<'PY' || fail "events disagree with what Exim did"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
problems = []
def expect(what, got, want):
    if got != want:
        problems.append("%s: got %r, want %r" % (what, got, want))
def of(kind, ip):
    return [e for e in events if e["kind"] == kind and e.get("client_ip") == ip]
for e in events:
    expect("source", e["source"], "exim")

# A connection and its loss.
s, e = of("session_start", "127.0.0.81"), of("session_end", "127.0.0.81")
expect("lost connection", [(x["session"], x.get("state")) for x in e],
       [(x["session"], "reset") for x in s])
expect("one session of 127.0.0.81", len(s), 1)
# The wrong password: failures for alice, in the client's session.
s = of("session_start", "127.0.0.82")
fails = of("auth", "127.0.0.82")
expect("auth failures", sorted((x.get("user"), x.get("outcome"), x.get("mechanism"), x.get("code"))
                               for x in fails),
       [("alice", "failure", "LOGIN", 535), ("alice", "failure", "PLAIN", 535)])
expect("auth failures in the session", {x.get("session") for x in fails}, {s[0]["session"]} if s else set())
expect("closed by QUIT", [x.get("state") for x in of("session_end", "127.0.0.82")], ["closed"])
# The right password: a success, and the message with its account, sender and recipient.
s = of("session_start", "127.0.0.83")
ok = of("auth", "127.0.0.83")
expect("auth success", [(x.get("user"), x.get("outcome"), x.get("mechanism")) for x in ok],
       [("alice", "success", "PLAIN")])
if ok and s:
    expect("auth success in the session", ok[0].get("session"), s[0]["session"])
m = of("message", "127.0.0.83")
expect("message", [(x.get("user"), x.get("mail_from"), x.get("recipients"), x.get("msg_id"))
                   for x in m],
       [("alice", "alice@lab.example", ["bob@lab.example"], "exim-lab-1@lab.example")])
d = of("delivery", "127.0.0.83")
expect("delivery", [(x.get("rcpt_to"), x.get("status")) for x in d], [("bob@lab.example", "sent")])
# The refused relay.
s = of("session_start", "127.0.0.84")
r = of("reply", "127.0.0.84")
expect("relay refused", [(x.get("command"), x.get("mail_from"), x.get("rcpt_to"), x.get("text"))
                         for x in r],
       [("RCPT", "x@outside.example", "bob@elsewhere.example", "relay not permitted")])
if r and s:
    expect("refusal in the session", r[0].get("session"), s[0]["session"])
expect("no auth or message from the others",
       [x for x in events if x["kind"] in ("auth", "message")
        and x.get("client_ip") not in ("127.0.0.82", "127.0.0.83")], [])
for p in problems:
    print(p)
print("%d events" % len(events))
sys.exit(1 if problems else 0)
PY
echo "PASS: a real Exim's connections, auth failure and success, refused relay and delivery all become events"
