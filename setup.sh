#!/usr/bin/env bash
# presswatch set-up: installs the Debian packages the project needs, builds,
# then runs the offline demo (`./setup.sh demo`) or the test suite
# (`./setup.sh test`). Runs as root, or with sudo for the install step.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config
          libcurl4-openssl-dev libxml2-dev libsqlite3-dev libevent-dev libcmocka-dev
          libinih-dev libutf8proc-dev libstemmer-dev libexttextcat-dev libexttextcat-data libsystemd-dev python3 sqlite3 curl
          clang libclang-rt-14-dev systemd libpq-dev postgresql)

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "setup: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

jobs=$(nproc 2>/dev/null || echo 2)

build() { # build DIR [cmake options...]
    local dir=$1
    shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

case "${1:-}" in
demo)
    install_packages
    build build -DPW_TESTS=OFF
    rm -f etc/demo/demo.db etc/demo/demo.db-wal etc/demo/demo.db-shm
    echo "== presswatchd --once over the demo feeds (alerts on stderr) =="
    build/presswatchd --config etc/demo/presswatch.conf --once --foreground
    echo
    echo "== presswatch coverage =="
    build/presswatch coverage --config etc/demo/presswatch.conf
    ;;
test)
    install_packages
    # The tests run under AddressSanitizer and UndefinedBehaviorSanitizer.
    build build-test -DPW_SANITIZE=ON -DPW_TESTS=ON
    ctest --test-dir build-test --output-on-failure -j "$jobs"
    ;;
*)
    echo "usage: ./setup.sh demo|test" >&2
    exit 2
    ;;
esac
