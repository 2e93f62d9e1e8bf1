#!/bin/sh
# Loads the static report in headless Chromium (Debian's) and asserts on the
# DOM it builds: the covering-articles table has its rows, hostile feed
# titles stay text (no script element, no injected attribute), and article
# pages carry their version diffs. Also writes screenshots next to the site.
#
# usage: tests/report_browser_check.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
if ! command -v chromium >/dev/null 2>&1; then
    echo "report_browser_check: chromium is not installed" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fx=tests/fixtures/report
cp "$fx/canonical.txt" "$fx/coastal.xml" "$tmp/"
cp "$fx/gazette-v1.xml" "$tmp/gazette.xml"
cat > "$tmp/pw.conf" <<CONF
[daemon]
database = pw.db
fetch_pages = no
[alerts]
syslog = no
[canonical harbour]
file = canonical.txt
[feed gazette]
url = file:gazette.xml
[feed coastal]
url = file:coastal.xml
CONF
"$build/presswatchd" --config "$tmp/pw.conf" --once 2>"$tmp/run1.log"
cp "$fx/gazette-v2.xml" "$tmp/gazette.xml"
"$build/presswatchd" --config "$tmp/pw.conf" --once 2>"$tmp/run2.log"
"$build/presswatch" report --config "$tmp/pw.conf" --out "$tmp/site" >/dev/null

browse() { # browse OUT ARGS... : headless Chromium with no network chatter
    out=$1
    shift
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run \
        --user-data-dir="$tmp/chrome" "$@" >"$out" 2>/dev/null
}
fail() {
    echo "report_browser_check: $*" >&2
    exit 1
}

browse "$tmp/overview.dom" --dump-dom "file://$tmp/site/canonical-1.html"
rows=$(grep -o '<tr' "$tmp/overview.dom" | wc -l)
[ "$rows" -ge 3 ] || fail "overview: expected a header and 2 article rows, got $rows <tr>"
grep -q '<script' "$tmp/overview.dom" && fail "overview: a <script> element was created"
# inside a tag, not in text (the dump shows text quotes as they are)
grep -Eq '<[^>]* onmouseover=' "$tmp/overview.dom" && fail "overview: an attribute was injected"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$tmp/overview.dom" ||
    fail "overview: the hostile title is not shown as text"

found_diff=0
for page in "$tmp"/site/article-*.html; do
    browse "$tmp/article.dom" --dump-dom "file://$page"
    grep -q '<script' "$tmp/article.dom" && fail "$(basename "$page"): a <script> element was created"
    if grep -q '<del' "$tmp/article.dom" && grep -q '<ins' "$tmp/article.dom"; then
        found_diff=1
    fi
done
[ "$found_diff" = 1 ] || fail "no article page shows a version diff (<del>/<ins>)"

browse /dev/null --window-size=1200,1400 --screenshot="$tmp/overview.png" \
    "file://$tmp/site/canonical-1.html"
[ -s "$tmp/overview.png" ] || fail "no screenshot written"
echo "report_browser_check: ok ($rows table rows, diffs shown, hostile titles inert)"
