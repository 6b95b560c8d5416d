#!/bin/bash
# Benchmark: mxir dnsbl check of 256 IPs (a /24) against 40 zones served by a private nsd on
# 127.0.0.1 (test points + one listing in 16 per zone). Prints wall time and DNS queries/s.
# Target: under 2 s with the default concurrency (64 queries in flight).
# Usage: bench/dnsbl/run.sh BUILD_DIR
set -u
BUILD=${1:?usage: bench/dnsbl/run.sh BUILD_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export MXIR_BIN_DIR=$(cd "$BUILD" && pwd)/bin
. "$ROOT/tests/integration/dnsbl/nsd_lib.sh"
need_tools
T=$(mktemp -d /tmp/mxir-dnsbl-bench-XXXXXX)
trap 'nsd_stop; rm -rf "$T"' EXIT

PORT=$(python3 "$HERE/dns_helpers.py" freeport)
ZONES=()
for i in $(seq 1 40); do ZONES+=("z$i.bench.test"); done
nsd_setup "$T" "$PORT" "${ZONES[@]}"
{
  echo '{"zones": ['
  for i in $(seq 1 40); do
    [ "$i" -gt 1 ] && echo ","
    echo "{\"id\": \"bench-$i\", \"zone\": \"z$i.bench.test\", \"kinds\": [\"ip4\"], \"txt\": true,"
    echo " \"codes\": [[\"127.0.0.2\", \"listed\", \"listed\"], [\"127.255.255.254\", \"refused\", \"blocked\"]]}"
  done
  echo ']}'
} > "$T/catalog.json"
for z in "${ZONES[@]}"; do
  recs=("2.0.0.127 A 127.0.0.2")
  for h in $(seq 0 16 255); do recs+=("$h.2.0.192 A 127.0.0.2" "$h.2.0.192 TXT \"listed for the benchmark\""); done
  zone_file "$z" "${recs[@]}"
done
nsd_start || exit 1

ARGS=()
for h in $(seq 0 255); do ARGS+=(--ip "192.0.2.$h"); done
"$MXIR_BIN_DIR/mxir-dnsbl" check --catalog "$T/catalog.json" --resolver "127.0.0.1:$PORT" \
  "${ARGS[@]}" --format jsonl --stats json > /dev/null 2> "$T/warm.json"  # warm-up
best=
for run in 1 2 3; do
  start=$(date +%s.%N)
  "$MXIR_BIN_DIR/mxir-dnsbl" check --catalog "$T/catalog.json" --resolver "127.0.0.1:$PORT" \
    "${ARGS[@]}" --format jsonl --stats json > "$T/out.jsonl" 2> "$T/stats.json" || exit 1
  end=$(date +%s.%N)
  wall=$(python3 -c "print(round($end - $start, 3))")
  echo "run $run: $wall s"
  if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $wall < $best else 1)"; then best=$wall; fi
done
python3 - "$T/stats.json" "$T/out.jsonl" "$best" <<'PY'
import json, sys
stats = json.load(open(sys.argv[1]))
rows = [json.loads(l) for l in open(sys.argv[2])]
best = float(sys.argv[3])
listed = sum(r["status"] == "listed" for r in rows)
assert len(rows) == 256 * 40, len(rows)
assert listed == 16 * 40, listed
assert stats["error"] == 0, stats
print("dnsbl bench: %d checks (256 IPs x 40 zones), %d DNS queries, %d listed" %
      (len(rows), stats["queries"], listed))
print("best wall time %.3f s, %.0f queries/s (target < 2 s: %s)" %
      (best, stats["queries"] / best, "met" if best < 2 else "NOT met"))
PY
