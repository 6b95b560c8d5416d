#!/bin/bash
# fail2ban's mail-server sample logs as an oracle for `mxir ingest` (see check_corpus.py).
set -eu
corpus="$MXIR_SHARED_DIR/corpus/fail2ban-logs"
if [ ! -d "$corpus" ]; then
  echo "skipped: no fail2ban corpus at $corpus" >&2
  exit 77
fi
exec python3 "$(dirname "$0")/check_corpus.py" "$MXIR_BIN_DIR/mxir-ingest" "$corpus"
