#!/usr/bin/env bash
# ./run bench casedb — the case at scale, on a log made by the ingest benchmark's generator
# (bench/ingest/gen_log.py, same seed: the first MXIR_BENCH_CASE_BYTES of the ingest benchmark's
# log, default 700 MB; made once into bench/data/, git-ignored). Prints:
#   - events stored per second by `mxir ingest --case` (wall clock; target >= 400 000/s), and by
#     EventWriter alone (bench_case_insert);
#   - case bytes / log bytes (target <= 1.0);
#   - `mxir detect --case` time / `mxir detect --events` time on the same events (target <= 1.2);
#   - the time of one `mxir detect --follow` pass after about 10 000 new events were added to that
#     case (target < 1 s): the pass reads only the rows added since its last pass.
# Each is run once (the machine may be shared: the load average is printed with the figures).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD="${1:-$ROOT/build}"
BIN=$BUILD/bin
for t in mxir-ingest mxir-detect bench_case_insert; do
  [[ -x $BIN/$t ]] || { echo "bench casedb: $BIN/$t is not built (./run build)" >&2; exit 2; }
done
BYTES=${MXIR_BENCH_CASE_BYTES:-700000000}
DATA=$ROOT/bench/data
mkdir -p "$DATA"
LOG=$DATA/casedb-mail-$BYTES.log
if [[ ! -s $LOG ]]; then
  echo "generating $LOG ($BYTES bytes; once) ..."
  python3 "$ROOT/bench/ingest/gen_log.py" "$LOG.tmp" "$BYTES" 1 >/dev/null
  mv "$LOG.tmp" "$LOG"
fi
WORK=$(mktemp -d /tmp/mxir-bench-casedb-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export MXIR_NOW=2026-11-23T00:00:00Z TZ=UTC

# timed OUT CMD...: runs CMD (stdout to OUT), sets REAL (wall seconds).
timed() {
  local out=$1 t
  shift
  t=$(mktemp)
  /usr/bin/time -f "%e" -o "$t" "$@" >"$out" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
  REAL=$(tail -1 "$t")
  rm -f "$t"
}
py() { python3 -c "print($1)"; }

"$BIN/bench_case_insert" "${MXIR_BENCH_EVENTS:-1000000}" | tee "$WORK/writer.txt"

timed /dev/null "$BIN/mxir-ingest" --case "$WORK/bench.case" --create --stats json "$LOG"
INGEST_REAL=$REAL
STORED=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["stored"])' "$WORK/err")
LOG_BYTES=$(stat -L -c %s "$LOG")  # -L: the log may be a symlink to a shared copy
CASE_BYTES=$(($(stat -c %s "$WORK/bench.case") + $(stat -c %s "$WORK/bench.case-wal" 2>/dev/null || echo 0)))

"$BIN/mxir-ingest" --format jsonl "$LOG" >"$WORK/events.jsonl" 2>/dev/null
timed /dev/null "$BIN/mxir-detect" --events "$WORK/events.jsonl" --format jsonl
DETECT_EVENTS=$REAL
timed /dev/null "$BIN/mxir-detect" --case "$WORK/bench.case" --format jsonl
DETECT_CASE=$REAL

# detect --follow on the case: wait for its first pass (all events), add ~10 000 new events (a
# log from the same generator with another seed), time the pass that picks them up.
python3 "$ROOT/bench/ingest/gen_log.py" "$WORK/new.log" "${MXIR_BENCH_FOLLOW_BYTES:-2100000}" 7 >/dev/null
"$BIN/mxir-detect" --case "$WORK/bench.case" --follow --interval 1 --duration 900 \
  --format jsonl --stats json >/dev/null 2>"$WORK/follow.err" &
FOLLOW_PID=$!
pass_line() {  # pass_line N: waits (bounded) for detect's stats line of pass N, prints it
  local i
  for ((i = 0; i < 1800; i++)); do
    if grep -q "^{\"pass\":$1," "$WORK/follow.err"; then
      grep "^{\"pass\":$1," "$WORK/follow.err"
      return 0
    fi
    kill -0 "$FOLLOW_PID" 2>/dev/null || break
    sleep 0.5
  done
  echo "bench casedb: detect --follow gave no pass $1" >&2
  cat "$WORK/follow.err" >&2
  return 1
}
FIRST=$(pass_line 1)
"$BIN/mxir-ingest" --case "$WORK/bench.case" --stats json "$WORK/new.log" 2>"$WORK/new.err" >/dev/null
NEW=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["stored"])' "$WORK/new.err")
# The pass that began after the ingest committed: the first one reporting new events.
PASS=""
for n in 2 3 4 5 6; do
  L=$(pass_line $n) || break
  if python3 -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["new_events"] > 0 else 1)' "$L"; then
    PASS=$L
    break
  fi
done
kill "$FOLLOW_PID" 2>/dev/null || true
wait "$FOLLOW_PID" 2>/dev/null || true

echo
echo "mxir case benchmark ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)): $(wc -l <"$LOG") log lines, $((LOG_BYTES / 1000000)) MB, $STORED events"
printf '%-58s %s\n' "ingest --case: events stored per second (wall)" \
  "$(py "f'{$STORED / max($INGEST_REAL, 0.001):,.0f} ($INGEST_REAL s; target >= 400,000)'")"
printf '%-58s %s\n' "case bytes / log bytes" \
  "$(py "f'{$CASE_BYTES / $LOG_BYTES:.2f} ({$CASE_BYTES / 1e6:.0f} MB; {$CASE_BYTES / max($STORED, 1):.0f} bytes per event; target <= 1.0)'")"
printf '%-58s %s\n' "detect --case time / detect --events time" \
  "$(py "f'{$DETECT_CASE / max($DETECT_EVENTS, 0.001):.2f} ($DETECT_CASE s / $DETECT_EVENTS s; target <= 1.2)'")"
printf '%-58s %s\n' "detect --follow: first pass (whole case)" \
  "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.2f s (%s events)" % (d["seconds"], format(d["new_events"], ",")))' "$FIRST")"
if [[ -n $PASS ]]; then
  printf '%-58s %s\n' "detect --follow: one pass after new events" \
    "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.2f s (%s new events, %s stored by ingest; reading them %.2f s, analysis over all events %.2f s, storing findings %.2f s; target < 1 s)" % (d["seconds"], format(d["new_events"], ","), sys.argv[2], d["read_s"], d["analysis_s"], d["store_s"]))' "$PASS" "$NEW")"
else
  echo "detect --follow: no pass picked up the new events" >&2
  exit 1
fi
