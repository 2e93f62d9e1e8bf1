#!/bin/sh
# Extraction quality gate for CI: scores `presswatch extract` with the shared
# benchmark scorer on the public benchmark (../shared/extraction) and on our
# Cyrillic fixture pages (tests/fixtures/pages), and fails below the floors.
# The floors are the figures measured when the gate was set, less a margin
# for noise; raise them when the extractor improves, never lower them quietly.
# usage: tests/extraction_check.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
BIN="${1:-build}/presswatch"
SHARED=../shared/extraction
MIN_BENCH=0.95
MIN_CYRILLIC=0.95

if [ ! -f "$SHARED/score.py" ]; then
    echo "extraction_check: $SHARED absent, skipped"
    exit 0
fi
if [ ! -x "$BIN" ]; then
    echo "extraction_check: $BIN not built" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# score.py takes any folder with html/ID.html and ground-truth.json; the
# expected files hold the headline, a blank line, then the body.
mkdir "$tmp/html"
cp tests/fixtures/pages/*.html "$tmp/html/"
python3 - tests/fixtures/pages "$tmp/ground-truth.json" <<'PY'
import json, pathlib, sys
src, dst = pathlib.Path(sys.argv[1]), sys.argv[2]
gt = {}
for t in sorted(src.glob("*.txt")):
    text = t.read_text(encoding="utf-8")
    gt[t.stem] = {"articleBody": text.split("\n", 1)[1].strip(), "url": ""}
pathlib.Path(dst).write_text(json.dumps(gt, ensure_ascii=False), encoding="utf-8")
PY

status=0
check() { # name floor score-args...
    name=$1 floor=$2
    shift 2
    out=$(python3 "$SHARED/score.py" --cmd "$BIN extract" --strip-first-line --bootstrap 0 \
        --list-worst 5 "$@")
    echo "$out"
    f1=$(echo "$out" | sed -n 's/^extraction: F1 \([0-9.]*\).*/\1/p')
    if [ -z "$f1" ] || ! awk -v a="$f1" -v b="$floor" 'BEGIN { exit !(a >= b) }'; then
        echo "extraction_check: $name F1 ${f1:-?} below $floor" >&2
        status=1
    else
        echo "extraction_check: $name F1 $f1 >= $floor"
    fi
}
check benchmark "$MIN_BENCH"
check cyrillic "$MIN_CYRILLIC" --data "$tmp"
exit $status
