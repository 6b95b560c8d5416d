#!/usr/bin/env bash
# Makes a real Postfix (tests/integration/lab/mail-lab.sh) write the rest of issue #18's lines:
# a milter's end-of-message milter-reject (reject-milter.py, Debian's python3-milter), postscreen
# DNSBL rank (a blocklist answered by a DNS server on loopback inside a private network and mount
# namespace, its own /etc/resolv.conf), postscreen PASS NEW then PASS OLD, qmgr status=expired
# (queue lifetimes of seconds, destination down), NOQUEUE rejects without from= (CONNECT, HELO),
# and header_checks INFO lines naming the Cc and To headers.
# Usage: postfix-lines-more-lab.sh LABDIR WORKDIR (both empty dirs); leaves LABDIR/postfix.log and
# WORKDIR/dnsbl ("yes" when the DNSBL part ran), the lab stopped. Exit 77: no lab here.
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LAB_SH=$HERE/../lab/mail-lab.sh
DRIVE=$HERE/postfix-lines-drive.py
LAB=$1
WORK=$2
command -v swaks >/dev/null || { echo "skipped: swaks is not installed" >&2; exit 77; }
/usr/bin/python3 -c 'import Milter' 2>/dev/null ||
  { echo "skipped: python3-milter is not installed (deps/test-servers.txt)" >&2; exit 77; }

# The whole lab runs in a private network namespace (only its own loopback) and mount namespace
# (a resolv.conf naming the loopback DNS server), when this user may make them.
if [[ -z ${MXIR_LINES_NETNS:-} ]]; then
  if unshare -rmn true 2>/dev/null || unshare -mn true 2>/dev/null; then
    MXIR_LINES_NETNS=1 exec unshare -mn --propagation private bash "$0" "$@"
  fi
  echo no >"$WORK/dnsbl"
  echo "note: cannot make a private network namespace here: no DNSBL lookups" >&2
else
  ip link set lo up || exit 1
  echo 'nameserver 127.0.0.1' >"$WORK/resolv.conf"
  mount --bind "$WORK/resolv.conf" /etc/resolv.conf || exit 1
  echo yes >"$WORK/dnsbl"
fi

read -r SMTP SUB PS STRICT MILTER DEAD <<<"$(bash "$LAB_SH" free-ports 6)" || exit 1
printf '%s\n' 'alice:Alice-pw-11' 'bob:Bob-pw-22' 'carol:Carol-pw-33' >"$WORK/users"
printf '%s\n' '/^Cc:/ INFO' '/^To:/ INFO' >"$WORK/header_checks"
printf '%s\n' '127.0.0.71/32 REJECT go away' >"$WORK/client_access"
cat >"$WORK/main-extra" <<EOM
header_checks = regexp:$WORK/header_checks
smtpd_milters = inet:127.0.0.1:$MILTER
milter_default_action = accept
postscreen_greet_action = enforce
postscreen_greet_wait = 2s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1s
bounce_queue_lifetime = 1s
EOM
if [[ $(cat "$WORK/dnsbl") == yes ]]; then
  cat >>"$WORK/main-extra" <<EOM
postscreen_dnsbl_sites = dnsbl.lab.example*3
postscreen_dnsbl_threshold = 2
postscreen_dnsbl_action = enforce
EOM
fi
cat >"$WORK/master-extra" <<EOM
127.0.0.1:$PS inet n - n - 1 postscreen
smtpd pass - - n - - smtpd
dnsblog unix - - n - 0 dnsblog
127.0.0.1:$STRICT inet n - n - - smtpd
  -o syslog_name=postfix/strict
  -o smtpd_delay_reject=no
  -o smtpd_client_restrictions=check_client_access,cidr:$WORK/client_access
  -o smtpd_helo_required=yes
  -o smtpd_helo_restrictions=reject_invalid_helo_hostname
EOM
printf 'remote.example smtp:[127.0.0.1]:%s\n' "$DEAD" >"$WORK/transport"

PIDS=()
if [[ $(cat "$WORK/dnsbl") == yes ]]; then
  python3 "$DRIVE" dns 53 127.0.0.70@dnsbl.lab.example &
  PIDS+=($!)
fi
/usr/bin/python3 "$HERE/reject-milter.py" "$MILTER" &
PIDS+=($!)
bash "$LAB_SH" start "$LAB" --smtp-port "$SMTP" --submission-port "$SUB" \
  --users "$WORK/users" --main-extra "$WORK/main-extra" --master-extra "$WORK/master-extra" \
  --transport "$WORK/transport"
rc=$?
if [[ $rc -ne 0 ]]; then
  kill "${PIDS[@]}" 2>/dev/null
  exit $rc
fi

smtp() { timeout 30 swaks --server 127.0.0.1 --port "$1" "${@:2}" >>"$WORK/swaks.out" 2>&1; }
auth=(--auth LOGIN --auth-user alice --auth-password Alice-pw-11 --from alice@lab.example)
# The milter refuses this one at the end of the message (two recipients).
smtp "$SMTP" --local-interface 127.0.0.62 --helo ws62 "${auth[@]}" \
  --to bob@lab.example,carol@lab.example --header "Subject: milter-me please"
# header_checks INFO names its To and Cc headers; delivered.
smtp "$SMTP" --local-interface 127.0.0.63 --helo ws63 "${auth[@]}" --to bob@lab.example \
  --header "Cc: Carol <carol@lab.example>, dave@outside.example" --header "Subject: with cc"
# Deferred (destination down), then expired after a lifetime of one second.
smtp "$SMTP" --local-interface 127.0.0.64 --helo ws64 "${auth[@]}" --to friend@remote.example \
  --header "Subject: never arrives"
# NOQUEUE rejects without a sender: the client (CONNECT) and the HELO name.
smtp "$STRICT" --local-interface 127.0.0.71 --helo ws71 --from x@outside.example --to bob@lab.example
smtp "$STRICT" --local-interface 127.0.0.72 --helo 'bad!name' --from x@outside.example --to bob@lab.example
# postscreen: a listed client (DNSBL rank, then refused), a clean client passing twice.
smtp "$PS" --local-interface 127.0.0.70 --helo ws70 --from x@outside.example --to bob@lab.example
smtp "$PS" --local-interface 127.0.0.58 --helo ws58 --from x@outside.example --to bob@lab.example
smtp "$PS" --local-interface 127.0.0.58 --helo ws58 --from x@outside.example --to bob@lab.example
for ((i = 0; i < 150; i++)); do
  grep -q 'status=expired' "$LAB/postfix.log" && break
  sleep 0.1
done
kill "${PIDS[@]}" 2>/dev/null
bash "$LAB_SH" stop "$LAB"
