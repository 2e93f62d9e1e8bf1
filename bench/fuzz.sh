#!/usr/bin/env bash
# Longer fuzzing than CI's: each target in turn (one at a time, so that two
# cores stay usable), from its seeds and the corpus grown by earlier runs in
# build-fuzz/. Prints the CPU-minutes each target ran and any crashers.
#
#   bench/fuzz.sh [SECONDS] [TARGET...]    (default 600 s per target, all targets)
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-600}
[ $# -gt 0 ] && shift
if [ $# -eq 0 ]; then
    set -- $(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||')
fi
out=${PW_FUZZ_DIR:-build-fuzz}
mkdir -p "$out"
status=0
for t in "$@"; do
    start=$(date +%s)
    if fuzz/run.sh -t "$secs" "$t" > "$out/fuzz-$t.log" 2>&1; then
        verdict="no finding"
    else
        verdict="FINDING: see $out/fuzz-$t.log and $out/artifacts-$t/"
        status=1
    fi
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out/fuzz-$t.log" | tail -n 1)
    echo "fuzz $t: $(( ($(date +%s) - start) / 60 )) min, ${runs:-0} runs, $verdict"
done
exit $status
