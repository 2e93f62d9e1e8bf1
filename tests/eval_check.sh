#!/usr/bin/env bash
# The matcher on our labelled evaluation set (tests/eval, texts we wrote):
# fails below the targets, F1 >= 0.97 on same-language cases and
# >= 0.93 on cross-language cases, or on any false positive.
# Usage: tests/eval_check.sh PRESSWATCH [DIR]
set -euo pipefail
pw=${1:?usage: eval_check.sh PRESSWATCH [DIR]}
dir=${2:-$(dirname "$0")/eval}
out=$("$pw" eval "$dir")
printf '%s\n' "$out" | grep -v '^ok ' || true
printf '%s\n' "$out" | awk '
    $1 == "all" || $1 == "same" || $1 == "cross" {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] }
    }
    END {
        bad = 0
        if (v["all", "fp"] + 0 > 0) { print "eval: " v["all", "fp"] " false positives"; bad = 1 }
        if (v["same", "f1"] + 0 < 0.97) { print "eval: same-language F1 " v["same", "f1"] " < 0.97"; bad = 1 }
        if (v["cross", "f1"] + 0 < 0.93) { print "eval: cross-language F1 " v["cross", "f1"] " < 0.93"; bad = 1 }
        if (v["all", "f1"] == "") { print "eval: no summary line"; bad = 1 }
        exit bad
    }' >&2
echo "eval_check: ok"
