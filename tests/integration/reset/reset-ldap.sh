#!/usr/bin/env bash
# mxir reset with the ldap provider against a private slapd (OpenLDAP 2.5, mdb, ppolicy overlay
# with pwdMustChange) on loopback: the reset sets pwdReset, the old password no longer binds,
# the new one does; a wrong admin password, an unknown account and a stopped server are clear
# errors; the password is in no case file and on no command line. Exit 0 pass, 77 skip.
set -u -o pipefail
umask 077
BIN=${MXIR_BIN_DIR:?}
for t in slapd ldapadd ldapwhoami ldapsearch slappasswd; do
  command -v $t >/dev/null || [[ -x /usr/sbin/$t ]] || { echo "skipped: $t missing (./run deps test)" >&2; exit 77; }
done
export PATH=$PATH:/usr/sbin
W=$(mktemp -d /tmp/mxir-reset-ldap-XXXXXX) || exit 1
SLAPD_PID=
cleanup() {
  if [[ -n $SLAPD_PID ]] && kill -0 "$SLAPD_PID" 2>/dev/null; then
    kill "$SLAPD_PID"
    for _ in $(seq 50); do kill -0 "$SLAPD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SLAPD_PID" 2>/dev/null
  fi
  rm -rf "$W"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URI=ldap://127.0.0.1:$PORT
ADMIN_PW=Admin-secret-1
OLD_PW=Old-Frank-pw-1
mkdir -p "$W/db"
ROOT_HASH=$(printf '%s' "$ADMIN_PW" | slappasswd -T /dev/stdin) || fail "slappasswd"
cat >"$W/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile $W/slapd.pid
database mdb
maxsize 10485760
suffix "dc=example,dc=test"
rootdn "cn=admin,dc=example,dc=test"
rootpw $ROOT_HASH
directory $W/db
overlay ppolicy
ppolicy_default "cn=default,ou=policies,dc=example,dc=test"
CONF
slapd -f "$W/slapd.conf" -h "$URI" -u root -g root -d 0 >"$W/slapd.log" 2>&1 &
SLAPD_PID=$!
for _ in $(seq 100); do ldapwhoami -x -H "$URI" >/dev/null 2>&1 && break; sleep 0.1; done
ldapwhoami -x -H "$URI" >/dev/null 2>&1 || { cat "$W/slapd.log" >&2; fail "slapd did not start"; }
printf '%s' "$ADMIN_PW" >"$W/admin.pw" && chmod 600 "$W/admin.pw"
OLD_HASH=$(printf '%s' "$OLD_PW" | slappasswd -T /dev/stdin)
ldapadd -x -H "$URI" -D cn=admin,dc=example,dc=test -y "$W/admin.pw" >/dev/null <<LDIF || fail "ldapadd"
dn: dc=example,dc=test
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=test
objectClass: organizationalUnit
ou: people

dn: ou=policies,dc=example,dc=test
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,dc=example,dc=test
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdMustChange: TRUE
pwdAllowUserChange: TRUE

dn: uid=frank,ou=people,dc=example,dc=test
objectClass: inetOrgPerson
uid: frank
cn: Frank
sn: Frank
mail: frank@example.test
userPassword: $OLD_HASH
LDIF

cat >"$W/hooks.ini" <<INI
[ldap]
uri = $URI
bind_dn = cn=admin,dc=example,dc=test
secret_file = $W/admin.pw
base_dn = ou=people,dc=example,dc=test
user_filter = (mail=%s)
timeout = 5
INI
chmod 600 "$W/hooks.ini"
printf '%s' "$OLD_PW" >"$W/old.pw"
ldapwhoami -x -H "$URI" -D uid=frank,ou=people,dc=example,dc=test -y "$W/old.pw" >/dev/null ||
  fail "the old password does not bind before the reset"

# Dry run: finds the entry, changes nothing.
out=$("$BIN/mxir-reset" frank@example.test --provider ldap --hooks "$W/hooks.ini" --dry-run 2>&1) ||
  fail "dry run: $out"
[[ $out == *"uid=frank,ou=people,dc=example,dc=test"* ]] || fail "dry run did not find the entry: $out"
ldapwhoami -x -H "$URI" -D uid=frank,ou=people,dc=example,dc=test -y "$W/old.pw" >/dev/null ||
  fail "the dry run changed the password"

# The reset, watched from outside: no process's command line may carry the new password.
( for _ in $(seq 200); do cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' '; echo; sleep 0.02; done ) >"$W/cmdlines" &
WATCH=$!
"$BIN/mxir-reset" frank@example.test --provider ldap --hooks "$W/hooks.ini" --yes \
  --password-file "$W/new.pw" --case "$W/c.case" --create >"$W/out" 2>&1 || { cat "$W/out" >&2; fail "reset failed"; }
kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null
NEW_PW=$(cat "$W/new.pw")
[[ ${#NEW_PW} -eq 20 ]] || fail "new password is not 20 characters"
[[ $(stat -c %a "$W/new.pw") == 600 ]] || fail "password file is not mode 600"
grep -q "pwdReset: TRUE" "$W/out" || { cat "$W/out" >&2; fail "no pwdReset step reported"; }
ldapsearch -x -LLL -H "$URI" -D cn=admin,dc=example,dc=test -y "$W/admin.pw" \
  -b uid=frank,ou=people,dc=example,dc=test -s base pwdReset | grep -q '^pwdReset: TRUE' ||
  fail "pwdReset is not TRUE on the entry"
if ldapwhoami -x -H "$URI" -D uid=frank,ou=people,dc=example,dc=test -y "$W/old.pw" >/dev/null 2>&1; then
  fail "the old password still binds"
fi
printf '%s' "$NEW_PW" >"$W/new.raw"
ldapwhoami -x -H "$URI" -D uid=frank,ou=people,dc=example,dc=test -y "$W/new.raw" >/dev/null ||
  fail "the new password does not bind"
cat "$W/out"
grep -qF -- "$NEW_PW" "$W/cmdlines" && fail "the new password appeared on a command line"
for f in "$W"/c.case*; do
  [[ $f == *.key ]] && continue
  grep -qF -- "$NEW_PW" "$f" && fail "the new password is in $f"
done
sqlite3 "$W/c.case" "select action, outcome from actions where tool='reset'" 2>/dev/null |
  grep -q 'reset_password|done' || fail "the reset is not in the case's audit trail"

# Faults: each a clear error with exit 2/3, and the directory unchanged.
out=$("$BIN/mxir-reset" nobody@example.test --provider ldap --hooks "$W/hooks.ini" --yes --password-file "$W/x1" 2>&1)
rc=$?
[[ $rc -eq 2 && $out == *"no LDAP entry for account 'nobody@example.test'"* ]] || fail "unknown account: rc=$rc $out"
[[ -e $W/x1 ]] && fail "a password file was written for a failed reset"
printf 'wrong' >"$W/admin.pw"
out=$("$BIN/mxir-reset" frank@example.test --provider ldap --hooks "$W/hooks.ini" --yes --password-file "$W/x2" 2>&1)
rc=$?
[[ $rc -eq 3 && $out == *"invalid credentials"* && $out == *"bind_dn"* ]] || fail "wrong admin password: rc=$rc $out"
kill "$SLAPD_PID"; wait "$SLAPD_PID" 2>/dev/null; SLAPD_PID=
out=$(timeout 30 "$BIN/mxir-reset" frank@example.test --provider ldap --hooks "$W/hooks.ini" --yes --password-file "$W/x3" 2>&1)
rc=$?
[[ $rc -eq 3 && $out == *"Can't contact LDAP server"* ]] || fail "server down: rc=$rc $out"
ldap_hooks_open=$W/open.ini
cp "$W/hooks.ini" "$ldap_hooks_open" && chmod 644 "$ldap_hooks_open"
out=$("$BIN/mxir-reset" frank@example.test --provider ldap --hooks "$ldap_hooks_open" --yes --password-file "$W/x4" 2>&1)
rc=$?
[[ $rc -eq 2 && $out == *"chmod 600"* ]] || fail "a hooks file readable by others was not refused: rc=$rc $out"
echo "PASS: ldap reset, pwdReset, old password refused, new accepted, faults reported"
