#!/usr/bin/env bash
# A longer fuzzing run than `npm test` makes (see fuzz/README.md):
#
#     fuzz/run.sh [SECONDS] [--random] [TARGET ...]
#
# SECONDS: wall time of the whole run (default 600). The targets (default: all six) run two at a time and
# share it. --random: a new seed per target (printed), instead of the fixed seed of `npm test`. Failures
# are saved under fuzz/crashes/; the saved former failures in fuzz/cases/ are checked as well.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
random=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --random) random=1 ;;
    ''|*[!0-9]*) targets+=("$arg") ;;
    *) seconds=$arg ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then targets=(captures h2 hpack protobuf pcapng ndjson); fi

files=()
for t in "${targets[@]}"; do
  if [ ! -f "test/fuzz/$t.test.ts" ]; then
    echo "fuzz/run.sh: unknown target $t (expected captures, h2, hpack, protobuf, pcapng, ndjson)" >&2
    exit 2
  fi
  files+=("test/fuzz/$t.test.ts")
done

# Two at a time: each target gets its share of twice the wall time.
per=$(( (seconds * 2 + ${#targets[@]} - 1) / ${#targets[@]} ))
export GRPCTK_FUZZ_SECONDS=$per
if [ "$random" = 1 ]; then export GRPCTK_FUZZ_SEED=random; fi
echo "fuzz/run.sh: ${#targets[@]} target(s), ${per} s each, seed ${GRPCTK_FUZZ_SEED:-fixed}" >&2
exec node --import tsx --test --test-concurrency=2 "${files[@]}" test/fuzz/regressions.test.ts
