#!/usr/bin/env bash
# Runs mxir-capture --format zeek on every trace of the Zeek SMTP corpus that has an smtp.log
# baseline, and compares the rows with Zeek's (compare_zeek.py prints the agreement).
# Exit: 0 agreement (apart from the listed exceptions), 77 tool or corpus missing, 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tool="${MXIR_BIN_DIR:?MXIR_BIN_DIR not set}/mxir-capture"
corpus="${MXIR_SHARED_DIR:?MXIR_SHARED_DIR not set}/corpus/zeek-smtp"
if [[ ! -x "$tool" ]]; then
  echo "skip: $tool not built" >&2
  exit 77
fi
if [[ ! -d "$corpus/baselines" ]]; then
  echo "skip: Zeek corpus not found at $corpus" >&2
  exit 77
fi
exec timeout 100 python3 "$here/compare_zeek.py" --tool "$tool" --corpus "$corpus"
