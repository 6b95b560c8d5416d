#!/usr/bin/env bash
# mail-lab.sh — a private, throw-away Postfix 3.7 + Dovecot 2.3 mail server on loopback, for
# integration tests and for making the samples in samples/.
#
#   mail-lab.sh start DIR [options]   configure and start a lab under DIR
#   mail-lab.sh stop DIR              stop the lab's daemons (by pid) — safe to call twice
#   mail-lab.sh env DIR               print the lab's shell variables:
#                                     eval "$(mail-lab.sh env DIR)"
#   mail-lab.sh status DIR            exit 0 if the lab's daemons are running
#   mail-lab.sh free-ports N          print N loopback TCP ports nobody listens on (20000-39999)
#
# DIR is made by the caller (mktemp -d /tmp/mxir-XXXXXX) and must be empty; the script makes it
# traversable (0755) so the postfix and dovecot users can reach their files. Nothing outside DIR
# is written: the system's /etc/postfix, /etc/dovecot and system services are never touched.
#
# What runs (all on 127.0.0.1, no DNS, nothing leaves the machine):
#   - Postfix with two smtpd listeners: SMTP_PORT (default 2525) offering AUTH in clear text
#     (STARTTLS optional), and SUBMISSION_PORT (default 2587), STARTTLS required before AUTH,
#     logging as postfix/submission/smtpd. Self-signed certificate made with openssl.
#     Every transport is discard: (accepted mail is logged "status=sent (...)" and dropped)
#     unless --transport routes a domain to another loopback server. mynetworks is empty, so
#     relaying needs AUTH. check_recipient_access (texthash) gives chosen 5xx replies; the default
#     map is listed under --recipient-access.
#   - Dovecot as the SASL server (protocols = none unless --imap-port), users from a passwd-file
#     with {SHA512-CRYPT} hashes, auth_verbose = yes, auth_failure_delay lowered, anvil's
#     per-IP auth penalty switched off (so attack scenarios run in seconds, not hours).
#   Logs: DIR/postfix.log and DIR/dovecot.log (syslog-style timestamps without a year).
#
# Options for start (each also settable by the environment variable in brackets):
#   --smtp-port N            clear-text AUTH listener [MAIL_LAB_SMTP_PORT, default 2525]
#   --submission-port N      STARTTLS-only listener [MAIL_LAB_SUBMISSION_PORT, default 2587]
#   --imap-port N            also run Dovecot IMAP (clear text allowed) on N [MAIL_LAB_IMAP_PORT]
#   --users FILE             lab accounts, one "user:password" per line (# comments allowed);
#                            a name without @ is a local part of --domain [default: alice, bob,
#                            carol with the passwords written to DIR/users.txt]
#   --domain D               the lab's mail domain [lab.example]
#   --hostname H             Postfix myhostname [mail.DOMAIN]
#   --auth-verbose-passwords V   Dovecot auth_verbose_passwords, e.g. sha1:8 [no]
#   --auth-failure-delay T   Dovecot auth_failure_delay [0]
#   --recipient-access FILE  texthash map for check_recipient_access (replaces the default map)
#   --transport FILE         texthash transport_maps entries, e.g.
#                            "remote.example smtp:[127.0.0.1]:2625" (loopback only)
#   --smtp-bind ADDR         source address of Postfix's outbound smtp client [127.0.0.1]
#   --main-extra FILE        main.cf settings ("name = value" lines) set after the lab's own, e.g.
#                            "mynetworks = 0.0.0.0/0" for an open-relay configuration
#   --master-extra FILE      lines appended to master.cf (e.g. more smtpd listeners)
#
# Exit statuses: 0 ok; 1 error (message on stderr, anything started is stopped again); 2 usage;
# 77 the lab cannot run here (postfix, dovecot or openssl missing, or not root) — tests skip.
set -u -o pipefail

readonly PROG=mail-lab.sh

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}
skip() {
  echo "$PROG: skipped: $*" >&2
  exit 77
}
usage() { # [status]: the header comment above is the help; 0 prints it to stdout
  local status=${1:-2}
  if ((status == 0)); then
    sed -n '2,/^set -u/p' "$0" | sed -e '/^set -u/d' -e 's/^# \{0,1\}//'
  else
    echo "usage: $PROG start|stop|env|status DIR [options], $PROG free-ports N (see --help)" >&2
  fi
  exit "$status"
}

# Shell-quote a value for the env file.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

require_tools() {
  local t
  for t in postfix postconf dovecot openssl; do
    command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] ||
      skip "'$t' is not installed (install the packages in deps/test-servers.txt: ./run deps test)"
  done
  [[ $(id -u) -eq 0 ]] || skip "a private Postfix must be started as root (run the tests as root)"
  local u
  for u in passwd:postfix passwd:dovecot passwd:dovenull group:postdrop; do
    getent "${u%%:*}" "${u#*:}" >/dev/null ||
      skip "the ${u%%:*} entry '${u#*:}' does not exist (postfix or dovecot-core incomplete)"
  done
}

valid_port() { [[ $1 =~ ^[0-9]+$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); }

port_in_use() {
  # True when a TCP socket listens on port $1 (any address). Read from /proc rather than by
  # connecting, so probes leave no "connect from" lines in the lab's logs.
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

wait_for_port() {
  local port=$1 i
  for ((i = 0; i < 100; i++)); do
    port_in_use "$port" && return 0
    sleep 0.1
  done
  return 1
}

pid_alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }

# The pid of this lab's Postfix or Dovecot master, or nothing. A stale pid file whose number now
# belongs to another process is ignored: the process must carry this lab's configuration path.
lab_postfix_pid() {
  local pid
  pid=$(tr -d ' \n' 2>/dev/null <"$1/postfix/queue/pid/master.pid") || return 0
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" |
    grep -qxF "MAIL_CONFIG=$1/postfix/etc" && echo "$pid"
  return 0
}
lab_dovecot_pid() {
  local pid
  pid=$(tr -d ' \n' 2>/dev/null <"$1/dovecot/run/master.pid") || return 0
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" |
    grep -qxF "$1/dovecot/dovecot.conf" && echo "$pid"
  return 0
}

# --- start -------------------------------------------------------------------------------------

write_users() {
  # Reads "user:password" lines from $1; writes the Dovecot passwd-file and Postfix's
  # local_recipient_maps. Passwords go to openssl on stdin, never on a command line.
  local src=$1 passwd=$2 recipients=$3 line user pw hash n=0
  : >"$passwd" && : >"$recipients" || return 1
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    [[ -z $line || $line == \#* ]] && continue
    [[ $line == *:* ]] || die "--users: line '$line' is not 'user:password'"
    user=${line%%:*}
    pw=${line#*:}
    [[ $user =~ ^[A-Za-z0-9._@+-]+$ ]] || die "--users: bad user name '$user'"
    [[ -n $pw ]] || die "--users: empty password for '$user'"
    hash=$(printf '%s\n' "$pw" | openssl passwd -6 -stdin) || die "openssl passwd failed"
    printf '%s:{SHA512-CRYPT}%s\n' "$user" "$hash" >>"$passwd"
    if [[ $user == *@* ]]; then
      printf '%s OK\n' "$user" >>"$recipients"
    else
      printf '%s OK\n%s@%s OK\n' "$user" "$user" "$DOMAIN" >>"$recipients"
    fi
    n=$((n + 1))
  done <"$src"
  ((n > 0)) || die "--users: '$src' has no users"
}

default_recipient_access() {
  # Chosen replies for chosen recipient domains (texthash: key, whitespace, action).
  cat <<'EOF'
# Recipient domains that get a chosen 5xx reply at RCPT time (check_recipient_access).
rejected.example        550 5.7.1 Recipient rejected by local policy
nosuchdomain.example    550 5.1.2 Host or domain name not found
blocklisted.example     554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1
barracuda.example       554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using b.barracudacentral.org
EOF
}

write_postfix_config() {
  local etc=$LAB/postfix/etc
  cat >"$etc/main.cf" <<EOF
# Private lab instance written by $PROG — not the system's Postfix.
compatibility_level = 3.6
queue_directory = $LAB/postfix/queue
data_directory = $LAB/postfix/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $HOSTNAME_
mydomain = $DOMAIN
myorigin = \$mydomain
mydestination = \$mydomain, \$myhostname
smtpd_banner = \$myhostname ESMTP
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks =
relayhost =
biff = no
smtputf8_enable = no
# No DNS at all: clients are logged as unknown[127.0.0.x], no MX lookups.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
smtp_bind_address = $SMTP_BIND
# Logs to a file, without syslog.
maillog_file = $LAB/postfix.log
maillog_file_prefixes = $LAB
# Nothing is delivered: every transport discards (logged as status=sent (NAME)).
local_transport = discard:local-mailbox
default_transport = discard:outbound
relay_transport = discard:relay
virtual_transport = discard:virtual
transport_maps = texthash:$etc/transport
alias_maps =
alias_database =
local_recipient_maps = texthash:$etc/local_recipients
# Short queue timers so deferred mail in scenarios settles quickly.
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s
maximal_queue_lifetime = 5m
bounce_queue_lifetime = 5m
# SASL through the lab's Dovecot.
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_auth_enable = yes
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:$etc/recipient_access
smtpd_tls_cert_file = $LAB/tls/cert.pem
smtpd_tls_key_file = $LAB/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtp_tls_security_level = none
EOF
  if [[ -n $MAIN_EXTRA ]]; then
    # Each "name = value" line replaces the setting (postconf -e), so no entry is duplicated.
    local line
    while IFS= read -r line || [[ -n $line ]]; do
      [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
      [[ $line =~ ^[a-z0-9_]+[[:space:]]*= ]] || die "--main-extra: '$line' is not 'name = value'"
      postconf -c "$etc" -e "$line" || die "--main-extra: postconf refused '$line'"
    done <"$MAIN_EXTRA"
  fi
  cat >"$etc/master.cf" <<EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  if [[ -n $MASTER_EXTRA ]]; then
    printf '\n# --- added with --master-extra\n' >>"$etc/master.cf"
    cat "$MASTER_EXTRA" >>"$etc/master.cf" || return 1
  fi
  if [[ -n $TRANSPORT ]]; then
    cp "$TRANSPORT" "$etc/transport" || return 1
  else
    : >"$etc/transport"
  fi
  if [[ -n $RECIPIENT_ACCESS ]]; then
    cp "$RECIPIENT_ACCESS" "$etc/recipient_access" || return 1
  else
    default_recipient_access >"$etc/recipient_access"
  fi
}

write_dovecot_config() {
  local d=$LAB/dovecot protocols=none imap_block=""
  if [[ -n $IMAP_PORT ]]; then
    protocols=imap
    imap_block="
mail_location = maildir:$LAB/mail/%u
first_valid_uid = 1
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}"
  fi
  cat >"$d/dovecot.conf" <<EOF
# Private lab instance written by $PROG — not the system's Dovecot.
instance_name = $INSTANCE
base_dir = $d/run
state_dir = $d/state
log_path = $LAB/dovecot.log
info_log_path = $LAB/dovecot.log
debug_log_path = $LAB/dovecot.log
protocols = $protocols
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
auth_verbose_passwords = $AUTH_VERBOSE_PASSWORDS
auth_failure_delay = $AUTH_FAILURE_DELAY
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=SHA512-CRYPT $d/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$LAB/mail/%u allow_all_users=yes
}
service auth {
  unix_listener $LAB/postfix/queue/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
# No per-IP penalty delay on failed logins (anvil), so attack scenarios run fast.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}$imap_block
EOF
}

stop_lab() {
  # Stops what this lab started, by pid (SIGTERM to each master, as "postfix stop" and
  # "doveadm stop" do; both at once, as Dovecot takes a few seconds), then SIGKILL after 10 s.
  # Quiet when nothing runs. Returns 1 if a daemon survives.
  local lab=$1 pid pids=() i alive
  lab=$(cd "$lab" && pwd -P) || return 0
  for pid in "$(lab_postfix_pid "$lab")" "$(lab_dovecot_pid "$lab")"; do
    pid_alive "$pid" && kill "$pid" 2>/dev/null && pids+=("$pid")
  done
  for ((i = 0; i < 100; i++)); do
    alive=0
    for pid in "${pids[@]}"; do pid_alive "$pid" && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
  sleep 0.2
  for pid in "${pids[@]}"; do pid_alive "$pid" && return 1; done
  return 0
}

cmd_start() {
  [[ $# -ge 1 ]] || usage
  LAB=$1
  shift
  SMTP_PORT=${MAIL_LAB_SMTP_PORT:-2525}
  SUBMISSION_PORT=${MAIL_LAB_SUBMISSION_PORT:-2587}
  IMAP_PORT=${MAIL_LAB_IMAP_PORT:-}
  USERS_FILE="" DOMAIN=lab.example HOSTNAME_="" AUTH_VERBOSE_PASSWORDS=no
  AUTH_FAILURE_DELAY=0 RECIPIENT_ACCESS="" TRANSPORT="" SMTP_BIND=127.0.0.1
  MAIN_EXTRA="" MASTER_EXTRA=""
  while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || { echo "$PROG: error: option $1 needs a value" >&2; exit 2; }
    case $1 in
      --smtp-port) SMTP_PORT=$2 ;;
      --submission-port) SUBMISSION_PORT=$2 ;;
      --imap-port) IMAP_PORT=$2 ;;
      --users) USERS_FILE=$2 ;;
      --domain) DOMAIN=$2 ;;
      --hostname) HOSTNAME_=$2 ;;
      --auth-verbose-passwords) AUTH_VERBOSE_PASSWORDS=$2 ;;
      --auth-failure-delay) AUTH_FAILURE_DELAY=$2 ;;
      --recipient-access) RECIPIENT_ACCESS=$2 ;;
      --transport) TRANSPORT=$2 ;;
      --smtp-bind) SMTP_BIND=$2 ;;
      --main-extra) MAIN_EXTRA=$2 ;;
      --master-extra) MASTER_EXTRA=$2 ;;
      *) echo "$PROG: error: unknown option '$1' (see $PROG --help)" >&2; exit 2 ;;
    esac
    shift 2
  done
  require_tools
  local p f
  for p in "$SMTP_PORT" "$SUBMISSION_PORT" ${IMAP_PORT:+"$IMAP_PORT"}; do
    valid_port "$p" || die "'$p' is not a port number"
    port_in_use "$p" &&
      die "port 127.0.0.1:$p is in use (choose others: --smtp-port, --submission-port, --imap-port)"
  done
  [[ $SMTP_PORT != "$SUBMISSION_PORT" ]] || die "the SMTP and submission ports must differ"
  [[ $DOMAIN =~ ^[A-Za-z0-9.-]+$ ]] || die "--domain '$DOMAIN' is not a domain name"
  [[ -n $HOSTNAME_ ]] || HOSTNAME_=mail.$DOMAIN
  [[ $HOSTNAME_ =~ ^[A-Za-z0-9.-]+$ ]] || die "--hostname '$HOSTNAME_' is not a host name"
  [[ $SMTP_BIND =~ ^127\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--smtp-bind must be a 127.x.x.x address"
  [[ $AUTH_VERBOSE_PASSWORDS =~ ^(no|yes|plain|sha1(:[0-9]+)?)$ ]] ||
    die "--auth-verbose-passwords must be no, sha1 or sha1:N"
  [[ -z $IMAP_PORT || -x /usr/lib/dovecot/imap ]] ||
    skip "--imap-port needs Dovecot's IMAP server (package dovecot-imapd)"
  for f in "$USERS_FILE" "$RECIPIENT_ACCESS" "$TRANSPORT" "$MAIN_EXTRA" "$MASTER_EXTRA"; do
    [[ -z $f || -r $f ]] || die "cannot read '$f'"
  done
  # Only loopback next hops: the lab must never send mail off the machine.
  if [[ -n $TRANSPORT ]] && grep -v -E '^[[:space:]]*(#|$)' "$TRANSPORT" |
    grep -v -E '[[:space:]](smtp|relay|lmtp):\[127\.[0-9.]+\](:[0-9]+)?[[:space:]]*$' |
    grep -v -E '[[:space:]](discard|error):' | grep -q .; then
    die "--transport: every next hop must be smtp:[127.x.x.x]:PORT, discard: or error:"
  fi
  [[ -d $LAB ]] || die "'$LAB' is not a directory (make one with: mktemp -d /tmp/mxir-lab-XXXXXX)"
  LAB=$(cd "$LAB" && pwd -P) || die "cannot enter '$LAB'"
  case $LAB in
    /tmp/* | /var/tmp/*) ;;
    *) die "'$LAB' must be under /tmp (mktemp -d /tmp/mxir-...): other users must reach it" ;;
  esac
  [[ -z $(ls -A "$LAB") ]] || die "'$LAB' is not empty (use a fresh mktemp -d directory)"
  INSTANCE=mxir-lab-$(printf '%s' "$LAB" | sha256sum | cut -c1-10)

  chmod 0755 "$LAB" || die "cannot chmod '$LAB'"
  mkdir -p "$LAB"/postfix/{etc,queue,data} "$LAB"/dovecot/{run,state} "$LAB"/tls "$LAB"/mail ||
    die "cannot create directories under '$LAB'"
  chown postfix "$LAB/postfix/data" && chown nobody:nogroup "$LAB/mail" || die "chown failed"
  chmod 0700 "$LAB/tls"
  : >"$LAB/postfix.log" && : >"$LAB/dovecot.log" || die "cannot create the log files"

  if [[ -z $USERS_FILE ]]; then
    USERS_FILE=$LAB/users.txt
    (umask 077 && printf '%s\n' '# Lab accounts (test passwords only).' \
      'alice:Alice-lab-pw-1' 'bob:Bob-lab-pw-2' 'carol:Carol-lab-pw-3' >"$USERS_FILE")
  fi
  write_users "$USERS_FILE" "$LAB/dovecot/passwd" "$LAB/postfix/etc/local_recipients"
  chown root:dovecot "$LAB/dovecot/passwd" && chmod 0640 "$LAB/dovecot/passwd" || die "chown failed"

  # ECDSA P-256: quick to make, and small handshakes keep STARTTLS pcaps small.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -subj "/CN=$HOSTNAME_" \
    -keyout "$LAB/tls/key.pem" -out "$LAB/tls/cert.pem" >/dev/null 2>&1 ||
    die "openssl could not make the self-signed certificate"
  write_postfix_config || die "cannot write the Postfix configuration"
  write_dovecot_config || die "cannot write the Dovecot configuration"

  {
    echo "MAIL_LAB_DIR=$(q "$LAB")"
    echo "MAIL_LAB_HOST=127.0.0.1"
    echo "MAIL_LAB_SMTP_PORT=$SMTP_PORT"
    echo "MAIL_LAB_SUBMISSION_PORT=$SUBMISSION_PORT"
    echo "MAIL_LAB_IMAP_PORT=$IMAP_PORT"
    echo "MAIL_LAB_DOMAIN=$(q "$DOMAIN")"
    echo "MAIL_LAB_HOSTNAME=$(q "$HOSTNAME_")"
    echo "MAIL_LAB_USERS=$(q "$(realpath "$USERS_FILE")")"
    echo "MAIL_LAB_POSTFIX_LOG=$(q "$LAB/postfix.log")"
    echo "MAIL_LAB_DOVECOT_LOG=$(q "$LAB/dovecot.log")"
    echo "MAIL_LAB_POSTFIX_CONFIG=$(q "$LAB/postfix/etc")"
    echo "MAIL_LAB_DOVECOT_CONFIG=$(q "$LAB/dovecot/dovecot.conf")"
    echo "MAIL_LAB_PASSWD_FILE=$(q "$LAB/dovecot/passwd")"
    echo "MAIL_LAB_TLS_CERT=$(q "$LAB/tls/cert.pem")"
    echo "MAIL_LAB_POSTFIX_PID_FILE=$(q "$LAB/postfix/queue/pid/master.pid")"
    echo "MAIL_LAB_DOVECOT_PID_FILE=$(q "$LAB/dovecot/run/master.pid")"
  } >"$LAB/lab.env"

  local out
  # "postfix check" also creates the queue directories, where Dovecot puts the auth socket.
  out=$(postfix -c "$LAB/postfix/etc" check 2>&1) && [[ -z $out ]] ||
    die "postfix check failed: ${out:-unknown reason}"
  # Daemons keep inherited descriptors open: never start them inside $(...), which would wait
  # for ever; their start-up messages go to a file instead.
  dovecot -c "$LAB/dovecot/dovecot.conf" </dev/null >"$LAB/start.out" 2>&1 || {
    stop_lab "$LAB"
    die "Dovecot did not start: $(cat "$LAB/start.out") (see $LAB/dovecot.log)"
  }
  postfix -c "$LAB/postfix/etc" start </dev/null >>"$LAB/start.out" 2>&1 || {
    stop_lab "$LAB"
    die "Postfix did not start: $(cat "$LAB/start.out") (see $LAB/postfix.log)"
  }
  for p in "$SMTP_PORT" "$SUBMISSION_PORT" ${IMAP_PORT:+"$IMAP_PORT"}; do
    wait_for_port "$p" || { stop_lab "$LAB"; die "nothing listens on 127.0.0.1:$p after 10 s"; }
  done
  for ((p = 0; p < 100; p++)); do
    [[ -S $LAB/postfix/queue/private/auth ]] && break
    sleep 0.1
  done
  [[ -S $LAB/postfix/queue/private/auth ]] || {
    stop_lab "$LAB"
    die "Dovecot's auth socket did not appear"
  }
  echo "$PROG: lab running in $LAB (SMTP 127.0.0.1:$SMTP_PORT," \
    "submission 127.0.0.1:$SUBMISSION_PORT${IMAP_PORT:+, IMAP 127.0.0.1:$IMAP_PORT})" >&2
}

lab_dir_arg() {
  [[ $# -ge 1 ]] || usage
  [[ -f $1/lab.env ]] || die "'$1' is not a mail lab (no lab.env)"
  cd "$1" && pwd -P
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd=$1 lab
  shift
  case $cmd in
    start) cmd_start "$@" ;;
    stop)
      [[ $# -ge 1 ]] || usage
      # Stopping a directory that never became a lab is not an error (traps call this blindly).
      [[ -f $1/lab.env || -f $1/postfix/etc/main.cf || -f $1/dovecot/dovecot.conf ]] || exit 0
      stop_lab "$1" || die "a daemon of '$1' is still running"
      ;;
    env) lab=$(lab_dir_arg "$@") || exit 1; cat "$lab/lab.env" ;;
    status)
      lab=$(lab_dir_arg "$@") || exit 1
      pid_alive "$(lab_postfix_pid "$lab")" && pid_alive "$(lab_dovecot_pid "$lab")"
      ;;
    free-ports)
      # N distinct TCP ports in 20000-39999 with no listener now (for parallel tests).
      local n=${1:-1} p i found=()
      [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= 20)) || die "free-ports: N must be 1..20"
      for ((i = 0; i < 1000 && ${#found[@]} < n; i++)); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 20000))
        [[ " ${found[*]} " == *" $p "* ]] && continue
        port_in_use "$p" || found+=("$p")
      done
      ((${#found[@]} == n)) || die "free-ports: no free ports found"
      echo "${found[*]}"
      ;;
    -h | --help | help) usage 0 ;;
    *)
      echo "$PROG: error: unknown command '$cmd' (start, stop, env, status, free-ports)" >&2
      exit 2
      ;;
  esac
}

main "$@"
