#!/usr/bin/env bash
# ./run bench detect: 10 M synthetic events to findings on one core; prints time and peak memory
# (targets: under 10 s, under 2 GB). Usage: bench/detect/run.sh BUILD_DIR [EVENTS]
set -eu
BUILD=${1:?usage: run.sh BUILD_DIR [EVENTS]}
EVENTS=${2:-10000000}
exe=$BUILD/bench/detect/bench_detect
[[ -x $exe ]] || exe=$BUILD/bin/bench_detect
[[ -x $exe ]] || { echo "bench_detect is not built in $BUILD (ninja -C $BUILD bench_detect)" >&2; exit 2; }
taskset -c 0 "$exe" "$EVENTS" 2>/dev/null || "$exe" "$EVENTS"
