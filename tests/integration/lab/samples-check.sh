#!/usr/bin/env bash
# Checks that every samples/<scenario>/truth.json describes its data (check_samples.py).
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${MXIR_SOURCE_DIR:-$(cd "$HERE/../../.." && pwd)}
command -v python3 >/dev/null || { echo "skipped: python3 is not installed" >&2; exit 77; }
exec python3 "$HERE/check_samples.py" "$SRC/samples"
