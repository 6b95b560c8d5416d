#!/usr/bin/env bash
# bench/capture/run.sh BUILD_DIR — `./run bench capture`.
#
# Makes (once) an SMTP-heavy pcap of about 1.1 GB under bench/data/ (make_bench_pcap.py: realistic
# interleaved sessions with AUTH, pipelining, multipart messages, STARTTLS, guessers, plus the Zeek
# corpus traces mixed in), then reads it with, in one run:
#   1. bench_pcap_loop — a bare libpcap read loop (the limit),
#   2. mxir capture --format jsonl > /dev/null,
#   3. tshark -r FILE -Y smtp -T fields -e smtp.req.command -e smtp.response.code > /dev/null,
# and prints seconds, MB/s and peak memory (/usr/bin/time -v) of each, and the ratios.
# Targets: mxir >= 20x tshark, >= 50 % of the bare loop, peak memory < 512 MB.
# Environment: MXIR_BENCH_MB (size of the pcap, default 1100), MXIR_BENCH_SKIP_TSHARK=1.
set -u -o pipefail
BUILD=${1:?usage: run.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SHARED=${MXIR_SHARED_DIR:-$ROOT/../shared}
MB=${MXIR_BENCH_MB:-1100}
DATA=$ROOT/bench/data
PCAP=$DATA/smtp-bench-${MB}m.pcap
CAPTURE=$BUILD/bin/mxir-capture
LOOP=$BUILD/bin/bench_pcap_loop

for b in "$CAPTURE" "$LOOP"; do
  [[ -x $b ]] || { echo "run.sh: $b is missing — build first (./run build)" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "run.sh: /usr/bin/time is missing (./run deps bench)" >&2; exit 2; }

mkdir -p "$DATA"
if [[ ! -s $PCAP ]]; then
  echo "making $PCAP (${MB} MB; once) ..." >&2
  python3 "$HERE/make_bench_pcap.py" "$PCAP" "$MB" "$SHARED/corpus/zeek-smtp/traces" || exit 1
fi
TMP=$(mktemp -d /tmp/mxir-bench-capture-XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
openssl rand -hex 32 >"$TMP/fp.key" && chmod 600 "$TMP/fp.key"
cat "$PCAP" >/dev/null  # the page cache holds the file for every contender alike

SIZE=$(stat -L -c %s "$PCAP")  # -L: bench/data/ may hold a symlink to the file
# measure NAME CMD...: runs CMD with stdout to /dev/null; records seconds and peak RSS in MB.
declare -A SECS CPU RSS
measure() {
  local name=$1
  shift
  /usr/bin/time -v "$@" >/dev/null 2>"$TMP/$name.time" || {
    echo "run.sh: $name failed:" >&2
    tail -n 30 "$TMP/$name.time" >&2
    exit 1
  }
  SECS[$name]=$(awk -F': ' '/Elapsed \(wall clock\)/ {
      n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
      "$TMP/$name.time")
  CPU[$name]=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$TMP/$name.time")
  RSS[$name]=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$TMP/$name.time")
}

measure bare "$LOOP" "$PCAP"
measure mxir "$CAPTURE" --read "$PCAP" --format jsonl --fp-key "$TMP/fp.key"
tshark_ok=0
if [[ ${MXIR_BENCH_SKIP_TSHARK:-0} != 1 ]] && command -v tshark >/dev/null; then
  measure tshark tshark -r "$PCAP" -Y smtp -T fields -e smtp.req.command -e smtp.response.code
  tshark_ok=1
fi

python3 - "$SIZE" "$tshark_ok" "${SECS[bare]}" "${CPU[bare]}" "${RSS[bare]}" "${SECS[mxir]}" \
  "${CPU[mxir]}" "${RSS[mxir]}" "${SECS[tshark]:-0}" "${CPU[tshark]:-0}" "${RSS[tshark]:-0}" <<'PY'
import os, sys
size, tshark_ok = int(sys.argv[1]), sys.argv[2] == "1"
bare_s, bare_c, bare_m, mx_s, mx_c, mx_m, ts_s, ts_c, ts_m = map(float, sys.argv[3:12])
mb = size / 1e6
print(f"input: {mb:.0f} MB SMTP-heavy pcap; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
print(f"{'reader':<34} {'wall s':>7} {'MB/s':>7} {'CPU s':>7} {'MB/CPU-s':>9} {'peak MB':>8}")
rows = [("bare libpcap loop (the limit)", bare_s, bare_c, bare_m),
        ("mxir capture --format jsonl", mx_s, mx_c, mx_m)]
if tshark_ok:
    rows.append(("tshark -Y smtp -T fields", ts_s, ts_c, ts_m))
for name, s, c, m in rows:
    print(f"{name:<34} {s:>7.2f} {mb / max(s, 1e-3):>7.0f} {c:>7.2f} {mb / max(c, 1e-3):>9.0f} {m:>8.0f}")
ok = True
share = bare_s / max(mx_s, 1e-3)
print(f"mxir / bare loop (wall): {share * 100:.0f} % of the limit (target >= 50 %); "
      f"by CPU time {bare_c / max(mx_c, 1e-3) * 100:.0f} %")
ok &= share >= 0.5
if tshark_ok:
    speedup = ts_s / max(mx_s, 1e-3)
    print(f"mxir vs tshark (wall): {speedup:.1f}x faster (target >= 20x); "
          f"by CPU time {ts_c / max(mx_c, 1e-3):.1f}x")
    ok &= speedup >= 20
print(f"mxir peak memory: {mx_m:.0f} MB (target < 512 MB)")
ok &= mx_m < 512
print("targets: " + ("all met" if ok else "NOT all met"))
PY
