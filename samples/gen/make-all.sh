#!/usr/bin/env bash
# make-all.sh — regenerate every scenario in samples/ (as root; about 20 minutes). The generators
# run one after another because they all use the lab's standard ports 2525/2587. After a run,
# check that each truth.json still describes its data:
#   python3 tests/integration/lab/check_samples.py samples
set -u -o pipefail
cd "$(dirname "$0")" || exit 1
rc=0
for s in "make-stale-device.sh" "make-stale-device.sh --starttls" "make-dictionary-attack.sh" \
  "make-dictionary-attack.sh --starttls" "make-open-relay.sh" "make-newsletter-flood.sh" \
  "make-remote-blocklist.sh"; do
  echo "== $s" >&2
  # shellcheck disable=SC2086 # the option is meant to split
  bash $s || rc=1
done
exit $rc
