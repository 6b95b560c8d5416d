#!/usr/bin/env bash
# mxir playbook lint passes on every shipped runbook and fails, naming FILE:LINE, on each broken
# one (tests/unit/playbook/broken, whose first line says the expected line and message); the
# CACAO 2.0 export of every shipped runbook validates against the OASIS CACAO JSON schemas and
# passes the checks the schemas do not make (validate_cacao.py).
set -euo pipefail
BIN="${MXIR_BIN_DIR:?}"
SRC="${MXIR_SOURCE_DIR:?}"
HERE="$(cd "$(dirname "$0")" && pwd)"
T="$(mktemp -d /tmp/mxir-playbook-lint.XXXXXX)"
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$BIN/mxir" playbook lint --playbooks "$SRC/playbooks" >"$T/lint.out" || { cat "$T/lint.out"; fail "lint of shipped runbooks"; }
[ "$(grep -c ': ok (' "$T/lint.out")" -ge 7 ] || fail "fewer than 7 runbooks linted ok"
"$BIN/mxir" playbook list --playbooks "$SRC/playbooks" --format json >"$T/list.json"
python3 - "$T/list.json" <<'PY'
import json, sys
ids = {r["id"] for r in json.load(open(sys.argv[1]))}
need = {"triage", "stale-credentials", "compromised-account", "open-relay", "inbound-flood",
        "blocklisted", "throttled"}
assert need <= ids, need - ids
PY

n=0
for f in "$SRC"/tests/unit/playbook/broken/*.yaml; do
  expect="$(head -1 "$f" | sed 's/^# expect: //')"
  line="${expect%%:*}"
  msg="${expect#*: }"
  set +e
  "$BIN/mxir" playbook lint "$f" >"$T/out" 2>"$T/err"
  rc=$?
  set -e
  [ "$rc" = 2 ] || fail "$f: lint exit $rc, want 2"
  grep -F -- "$f:$line: " "$T/out" | grep -qF -- "$msg" || { cat "$T/out"; fail "$f: no '$f:$line: ... $msg'"; }
  n=$((n + 1))
done
[ "$n" -ge 15 ] || fail "only $n broken runbooks"
echo "lint: shipped runbooks ok, $n broken ones rejected with their line"

if ! python3 -c 'import jsonschema' 2>/dev/null; then
  echo "python3-jsonschema is not installed (./run deps test)" >&2
  exit 77
fi
files=()
for f in "$SRC"/playbooks/*.yaml; do
  id="$(basename "$f" .yaml)"
  "$BIN/mxir" playbook export "$id" --format cacao --playbooks "$SRC/playbooks" >"$T/$id.json"
  "$BIN/mxir" playbook export "$id" --format cacao --playbooks "$SRC/playbooks" >"$T/$id.again.json"
  cmp -s "$T/$id.json" "$T/$id.again.json" || fail "$id: export is not deterministic"
  files+=("$T/$id.json")
done
python3 "$HERE/validate_cacao.py" "${files[@]}"
# The validator is not vacuous: a broken export is rejected.
python3 - "$T/triage.json" "$T/broken.json" <<'PY'
import json, sys
pb = json.load(open(sys.argv[1]))
k = next(k for k, v in pb["workflow"].items() if v["type"] == "action")
del pb["workflow"][k]["agent"]
pb["workflow"][k]["on_success"] = "action--00000000-0000-5000-8000-000000000000"
json.dump(pb, open(sys.argv[2], "w"))
PY
if python3 "$HERE/validate_cacao.py" "$T/broken.json" >"$T/broken.out"; then
  cat "$T/broken.out"; fail "a broken CACAO export validated"
fi
grep -q "'agent' is a required property" "$T/broken.out" || fail "schema did not catch the missing agent"
grep -q "on_completion together with on_success" "$T/broken.out" || fail "on_completion/on_success not caught"
grep -q "is not a step of the workflow" "$T/broken.out" || fail "dangling step not caught"
echo "cacao: ${#files[@]} exports valid against the OASIS schemas"
