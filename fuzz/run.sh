#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each one.
#
#   fuzz/run.sh [-t SECONDS] [-r] [TARGET...]
#
# -t SECONDS  fuzz each target that long (default 60); 0 only replays
# -r          replay the seed corpus and regression inputs, no fuzzing
#
# A target is fuzz/fuzz_NAME.c with its seeds in fuzz/corpus/NAME/ and its
# crashers, once fixed, in tests/fixtures/NAME/regress/. To add one, write the
# .c file and add its sources to sources_for() below. Built binaries and the
# grown corpus live in build-fuzz/ (or $PW_FUZZ_DIR), never in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=60
replay_only=0
while getopts "t:r" opt; do
    case $opt in
    t) secs=$OPTARG ;;
    r) replay_only=1 ;;
    *) echo "usage: $0 [-t SECONDS] [-r] [TARGET...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

out=${PW_FUZZ_DIR:-build-fuzz}
cc=${CC_FUZZ:-clang}
flags=(-std=c17 -g -O1 -D_GNU_SOURCE -DPW_VERSION='"fuzz"' -I. -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

# Sources (besides the target itself) and pkg-config modules of each target.
sources_for() {
    case $1 in
    feed) echo "fetchers/feed.c fetchers/feed_*.c common/buf.c" ;;
    extract) echo "fetchers/page.c fetchers/page_*.c common/buf.c" ;;
    config) echo "daemon/conf.c common/buf.c" ;;
    match | diff) echo "analysis/*.c common/buf.c" ;;
    *) echo "fuzz/run.sh: no sources listed for target '$1'" >&2; return 1 ;;
    esac
}
pkgs_for() {
    case $1 in
    feed | extract) echo "libxml-2.0" ;;
    config) echo "inih" ;;
    match | diff) echo "libutf8proc libexttextcat" ;;
    *) echo "" ;;
    esac
}
# Extra link flags (libraries without a pkg-config file).
libs_for() {
    case $1 in
    match | diff) echo "-lstemmer -lm" ;;
    *) echo "" ;;
    esac
}
# The dictionary: fuzz/NAME.dict, else the XML one for the markup parsers.
dict_for() {
    if [ -f "fuzz/$1.dict" ]; then
        echo "-dict=fuzz/$1.dict"
    elif [ "$1" = feed ] || [ "$1" = extract ]; then
        echo "-dict=fuzz/xml.dict"
    fi
}

if [ $# -eq 0 ]; then
    set -- $(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||')
fi

mkdir -p "$out"
status=0
for t in "$@"; do
    srcs=$(sources_for "$t")
    pk=$(pkgs_for "$t")
    # shellcheck disable=SC2086 # word splitting of the lists is intended
    "$cc" "${flags[@]}" $(pkg-config --cflags $pk) -o "$out/fuzz_$t" \
        "fuzz/fuzz_$t.c" $srcs $(pkg-config --libs $pk) $(libs_for "$t")
    seeds=fuzz/corpus/$t
    grown=$out/corpus-$t
    regress=tests/fixtures/$t/regress
    mkdir -p "$grown" "$out/artifacts-$t"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    replay=("$seeds")
    [ -d "$regress" ] && replay+=("$regress")
    # -runs=0 executes every input once: a replay of seeds and fixed crashers.
    "$out/fuzz_$t" -runs=0 "${replay[@]}" || status=1
    if [ "$replay_only" -eq 0 ] && [ "$secs" -gt 0 ]; then
        "$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
            -rss_limit_mb=1024 -artifact_prefix="$out/artifacts-$t/" \
            $(dict_for "$t") "$grown" "$seeds" || status=1
    fi
done
exit $status
