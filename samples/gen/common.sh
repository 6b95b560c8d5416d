# common.sh — shared by the samples/gen/make-*.sh generators (source it; bash only).
#
# A generator starts a private lab (tests/integration/lab/mail-lab.sh) on the lab's standard
# ports 2525/2587 (so run one generator at a time), captures those ports with tcpdump, drives real clients (swaks) from chosen 127.0.0.X
# addresses, and plays time compressed: step_at T waits for the next whole real second and records
# that it stands for the simulated epoch T; retime.py later moves every log line and packet onto
# the simulated timeline. Everything started is stopped by the EXIT trap.
#
# Address plan of all samples (loopback stands for the Internet; document it to the detector with
# --internal 127.0.0.0/25):
#   127.0.0.1-127      "inside": the office NAT (127.0.0.10), home workers, the company's servers
#   127.0.0.128-254    "outside": attackers, remote mail servers, abusers
# The company is acme.example; its server is mail.acme.example.
set -u -o pipefail

GEN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLES_DIR=$(dirname "$GEN_DIR")
LAB_SH=$(cd "$GEN_DIR/../../tests/integration/lab" && pwd)/mail-lab.sh
export TZ=UTC
DOMAIN=acme.example

WORK=$(mktemp -d /tmp/mxir-samples-XXXXXX) || exit 1
chmod 0755 "$WORK"
LABS=()
TCPDUMP_PID=""
cleanup() {
  local lab
  if [[ -n $TCPDUMP_PID ]]; then
    kill -INT "$TCPDUMP_PID" 2>/dev/null
    wait "$TCPDUMP_PID" 2>/dev/null
  fi
  for lab in "${LABS[@]}"; do bash "$LAB_SH" stop "$lab"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "${0##*/}: error: $*" >&2; exit 1; }

for t in swaks tcpdump python3; do
  command -v "$t" >/dev/null || { echo "${0##*/}: skipped: $t is not installed" >&2; exit 77; }
done

# The company's accounts (bare logins, as in a small Postfix/Dovecot shop). Test passwords only.
# "info" has the weak password the dictionary attack finds: the user name itself.
write_company_users() {
  cat >"$1" <<'USERS'
alice:Tulip-Harbor-58
bob:Quartz-Meadow-21
carol:Velvet-Canyon-94
dave:Copper-Lantern-37
erin:Maple-Orbit-62
frank:Silver-Fjord-15
grace:Amber-Willow-83
heidi:Cobalt-Summit-46
ivan:Juniper-Delta-09
judy:Crimson-Pebble-71
info:info
sales:Harvest-Comet-28
USERS
}
user_password() { awk -F: -v u="$1" '$1 == u { print substr($0, length(u) + 2) }' "$WORK/users.txt"; }

# start_lab NAME SMTP_PORT SUBMISSION_PORT [mail-lab.sh start options...]: starts a lab in
# $WORK/NAME; sets its variables with the prefix NAME_ (e.g. main_SMTP_PORT). Samples use the
# lab's documented ports (2525 clear text, 2587 STARTTLS) so pcaps look alike; generators
# therefore run one at a time.
start_lab() {
  local name=$1 dir=$WORK/$1
  shift
  mkdir "$dir" || die "mkdir $dir"
  LABS+=("$dir")
  bash "$LAB_SH" start "$dir" --smtp-port "$1" --submission-port "$2" "${@:3}" ||
    die "the lab did not start"
  eval "$(bash "$LAB_SH" env "$dir" | sed "s/^MAIL_LAB_/${name}_/")"
}

# start_capture PORT...: tcpdump on lo for those TCP ports into $WORK/capture.pcap.
start_capture() {
  local filter="" p
  for p in "$@"; do filter+="${filter:+ or }tcp port $p"; done
  # --immediate-mode: without it the last second of packets can still sit in the kernel's ring
  # buffer when tcpdump is stopped, and the final session would be missing from the pcap.
  tcpdump -i lo -n -s 0 -U --immediate-mode -B 16384 -Z root -w "$WORK/capture.pcap" "$filter" \
    2>"$WORK/tcpdump.err" &
  TCPDUMP_PID=$!
  for ((p = 0; p < 50; p++)); do grep -qs 'listening on' "$WORK/tcpdump.err" && return 0; sleep 0.1; done
  die "tcpdump did not start: $(cat "$WORK/tcpdump.err")"
}
stop_capture() {
  [[ -n $TCPDUMP_PID ]] || return 0
  sleep 1.5
  kill -INT "$TCPDUMP_PID" 2>/dev/null
  wait "$TCPDUMP_PID" 2>/dev/null
  TCPDUMP_PID=""
  # A sample with packets missing would contradict its own logs: refuse it.
  local dropped
  dropped=$(sed -n 's/^\([0-9]*\) packets\{0,1\} dropped by kernel$/\1/p' "$WORK/tcpdump.err")
  [[ ${dropped:-0} -eq 0 ]] || die "tcpdump lost $dropped packets (machine too busy?): run again"
}

# step_at EPOCH: start the next step at a fresh whole real second (at least 0.3 s after the last
# one ended, so Postfix's delivery lines stay with their step) standing for simulated EPOCH.
SCHEDULE=$WORK/schedule.txt
: >"$SCHEDULE"
STEP_T=0
step_at() {
  local now wait
  now=$(date +%s.%N)
  wait=$(python3 -c "import math; n=$now + 0.3; print(f'{math.ceil(n) - $now:.3f}')")
  sleep "$wait"
  echo "$(date +%s) $1" >>"$SCHEDULE"
  STEP_T=$1
}
# rfc2822 EPOCH -> "Mon, 16 Nov 2026 08:00:00 +0000" (the simulated Date: header)
rfc2822() { date -u -d "@${1%.*}" -R; }
# msgid EPOCH HOST -> a Message-ID of the kind mail clients make
msgid() { printf '<%s.%s@%s>' "$(date -u -d "@${1%.*}" +%Y%m%d%H%M%S)" "$(openssl rand -hex 6)" "$2"; }

# send_as IP HELO PORT USER FROM TO SUBJECT [swaks options...]: one message, authenticated as
# USER (empty: no AUTH); TO is a comma-separated list (the envelope). The message is built here,
# not by swaks: Date and Message-ID from the simulated time, X-Mailer from $MAILER (none when
# empty), header From/To from $HFROM/$HTO (default: the envelope), more header lines from $HEXTRA.
# Quiet; returns swaks's status.
MAILER="Microsoft Outlook 16.0"
send_as() {
  local ip=$1 helo=$2 port=$3 user=$4 from=$5 to=$6 subject=$7 msg
  shift 7
  local auth=()
  [[ -n $user ]] && auth=(--auth LOGIN --auth-user "$user" --auth-password "$(user_password "$user")")
  msg=$(mktemp "$WORK/msg-XXXXXX") || return 1
  {
    printf 'Date: %s\r\n' "$(rfc2822 "$STEP_T")"
    printf 'From: %s\r\n' "${HFROM:-<$from>}"
    printf 'To: %s\r\n' "${HTO:-${to//,/, }}"
    printf 'Subject: %s\r\n' "$subject"
    printf 'Message-ID: %s\r\n' "$(msgid "$STEP_T" "${helo//[\[\]]/}")"
    [[ -n $MAILER ]] && printf 'X-Mailer: %s\r\n' "$MAILER"
    [[ -n ${HEXTRA:-} ]] && printf '%s\r\n' "$HEXTRA"
    printf 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
    printf 'Hello,\r\n\r\nplease see below.\r\n\r\nRegards\r\n'
  } >"$msg"
  swaks --server 127.0.0.1 --port "$port" --local-interface "$ip" --helo "$helo" "${auth[@]}" \
    --from "$from" --to "$to" --data "@$msg" "$@" >>"$WORK/swaks.out" 2>&1
  local rc=$?
  rm -f "$msg"
  return $rc
}

# finish SCENARIO LAB_NAME [extra log files...]: retime the lab's logs and the capture into
# samples/SCENARIO/ (postfix.log, dovecot.log, capture.pcap).
finish() {
  local scenario=$1 name=$2 out=$SAMPLES_DIR/$1 dir=$WORK/$2
  stop_capture
  sleep 0.5
  mkdir -p "$out" || die "mkdir $out"
  python3 "$GEN_DIR/retime.py" --schedule "$SCHEDULE" --year "$(date -u +%Y)" log \
    "$dir/postfix.log" "$out/postfix.log" || die "retime postfix.log"
  python3 "$GEN_DIR/retime.py" --schedule "$SCHEDULE" --year "$(date -u +%Y)" log \
    "$dir/dovecot.log" "$out/dovecot.log" || die "retime dovecot.log"
  if [[ -s $WORK/capture.pcap ]]; then
    python3 "$GEN_DIR/retime.py" --schedule "$SCHEDULE" pcap "$WORK/capture.pcap" \
      "$out/capture.pcap" || die "retime capture.pcap"
  fi
  echo "${0##*/}: wrote $out ($(du -sh "$out" | cut -f1))" >&2
}
