#!/usr/bin/env bash
# ./run bench casedb — events stored per second into a case (target >= 300 000/s on one core).
set -euo pipefail
BUILD="${1:?usage: run.sh BUILD_DIR}"
N="${MXIR_BENCH_EVENTS:-1000000}"
for run in 1 2 3; do "$BUILD/bin/bench_case_insert" "$N"; done
