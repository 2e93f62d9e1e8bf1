#!/bin/sh
# Checks `presswatch match` against the seed articles (not part of ctest: the
# seeds live outside the repository).
#
# usage: tests/seeds_check.sh [PRESSWATCH_BINARY [SEEDS_DIR]]
#   PRESSWATCH_BINARY defaults to build/presswatch,
#   SEEDS_DIR to ../shared/fixtures/seeds relative to the repository root.
#
# Checks every conclusion of the seeds' README: all four coverage files
# cover the canonical statement; among the four measures (paragraphs 9-12)
# each reports exactly the expected ones; the three headlines after
# bg-coverage-1's share widget cover nothing, on their own or as part of the
# article; our unrelated Russian text covers nothing. Exits 1 on any miss.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/presswatch}
seeds=${2:-$root/../shared/fixtures/seeds}
unrelated=$root/tests/fixtures/analysis/ru-unrelated.txt

if [ ! -d "$seeds" ] || [ ! -f "$seeds/ru-canonical-statement.txt" ]; then
    echo "seeds_check: no seeds at $seeds, skipped"
    exit 0
fi
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
if [ ! -x "$bin" ]; then
    echo "seeds_check: $bin is not an executable" >&2
    exit 1
fi

out=$(mktemp)
tail=$(mktemp)
trap 'rm -f "$out" "$tail"' EXIT INT TERM

cd "$seeds"
# The trailing headlines: everything after the share widget's line.
sed -n '/^Сподели/,$p' bg-coverage-1.txt | tail -n +2 >"$tail"
if [ "$(grep -c . "$tail")" -lt 3 ]; then
    echo "seeds_check: FAIL: no trailing headlines found in bg-coverage-1.txt" >&2
    exit 1
fi
status=0
"$bin" match --canonical ru-canonical-statement.txt bg-coverage-1.txt bg-coverage-2.txt \
    ru-coverage-1.txt ru-coverage-2.txt "$unrelated" "$tail" >"$out" || status=$?
if [ "$status" -ne 0 ]; then
    echo "seeds_check: presswatch match exited with status $status" >&2
    exit 1
fi

python3 - "$out" "$unrelated" "$tail" <<'EOF'
import json
import sys

path, unrelated, tail = sys.argv[1], sys.argv[2], sys.argv[3]
expect = {
    # file: (must cover, expected measures among paragraphs 9-12)
    "bg-coverage-1.txt": (True, [10, 11, 12]),
    "bg-coverage-2.txt": (True, [9, 10, 11, 12]),
    "ru-coverage-1.txt": (True, [9, 11, 12]),
    "ru-coverage-2.txt": (True, [9, 10, 11, 12]),
    unrelated: (False, []),
    tail: (False, []),
}
with open(tail, encoding="utf-8") as f:
    tail_lines = [l.strip() for l in f if len(l.strip()) > 20]
measures = {9, 10, 11, 12}
seen = set()
failed = []
with open(path, encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line)
        except ValueError as e:
            failed.append("output is not JSON (%s): %.80s" % (e, line))
            continue
        name = r.get("file")
        if name not in expect:
            failed.append("unexpected file in output: %r" % name)
            continue
        seen.add(name)
        covers, want = expect[name]
        paras = r.get("paragraphs") or []
        found = sorted(p for p in paras if p in measures)
        print("%-20s score=%.3f covers=%s lang=%s paragraphs=%s measures found=%s expected=%s%s"
              % (name.rsplit("/", 1)[-1], r.get("score", -1), str(r.get("covers")).lower(),
                 r.get("lang"), ",".join(map(str, paras)) or "-",
                 ",".join(map(str, found)) or "-", ",".join(map(str, want)) or "-",
                 "" if found == want else "  (differs)"))
        if bool(r.get("covers")) != covers:
            failed.append("%s: covers=%s, expected %s" % (name, r.get("covers"), covers))
        if found != want:
            failed.append("%s: measures %s, expected %s" % (name, found, want))
        if not covers and paras:
            failed.append("%s: covers paragraphs %s, expected none" % (name, paras))
        for p in r.get("passages") or []:
            art = p.get("article") or ""
            if any(l[:40] in art for l in tail_lines):
                failed.append("%s: a passage quotes the trailing headlines: %.60s" % (name, art))
for name in expect:
    if name not in seen:
        failed.append("%s: no result" % name)
for msg in failed:
    print("seeds_check: FAIL: " + msg, file=sys.stderr)
if failed:
    sys.exit(1)
print("seeds_check: ok")
EOF
