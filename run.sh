#!/usr/bin/env bash
# gst-membound: one entry point for users and CI.
#   ./run.sh demo    install, build, make sample data, run the main job
#   ./run.sh test    install, build, run the whole test suite
#   ./run.sh bench   install, build, run the side-by-side benchmarks
# Works as root on a fresh Debian 12; as a user it needs sudo for apt-get.
set -euo pipefail
cd "$(dirname "$0")"
top=$PWD
build=${MEMBOUND_BUILD_DIR:-$top/build}

# Debian packages: compiler and build tools, GStreamer 1.22 (+ check library
# and the stock plugins the tests compare against), libpng, introspection.
deps=(gcc libc6-dev pkg-config meson ninja-build
      libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
      gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
      libpng-dev libisal-dev gobject-introspection libgirepository1.0-dev python3-gi
      gir1.2-gstreamer-1.0 python3-gst-1.0 python3-numpy time
      libjpeg62-turbo-dev libvips-tools chromium nodejs npm python3-pil)
bench_deps=(libvips-tools python3-pil parallel)

install_deps() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' && continue
    # Node.js from another repository (NodeSource, say) ships npm itself and
    # conflicts with Debian's npm package: a working command is enough.
    case "$p" in nodejs|npm) command -v "${p/nodejs/node}" >/dev/null && continue ;; esac
    missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

do_build() {
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" >/dev/null
  fi
  ninja -C "$build" >/dev/null
}

# Run a command in the build-tree environment (plugins from the build tree).
in_devenv() {
  meson devenv -C "$build" -w "$top" "$@"
}

case "${1:-}" in
  demo)
    install_deps "${deps[@]}"
    do_build
    in_devenv bash tests/bench/demo.sh "$build" "${2:-$build/demo}"
    ;;
  test)
    install_deps "${deps[@]}"
    # the browser check's OpenSeadragon and playwright-core, as locked
    (cd tests/browser && npm ci --no-audit --no-fund >/dev/null)
    do_build
    status=0
    meson test -C "$build" --print-errorlogs --num-processes 2 || status=$?
    # One closing line any CI can read.
    python3 - "$build/meson-logs/testlog.json" <<'PY' || true
import json, sys
res = [json.loads(l)["result"] for l in open(sys.argv[1]) if l.strip()]
ok = sum(r in ("OK", "EXPECTEDFAIL") for r in res)
skip = sum(r == "SKIP" for r in res)
print(f"{ok} passed, {len(res) - ok - skip} failed, {skip} skipped")
PY
    exit $status
    ;;
  bench)
    install_deps "${deps[@]}" "${bench_deps[@]}"
    do_build
    in_devenv bash tests/bench/run-all.sh "$build" "${2:-$build/bench}"
    ;;
  *)
    echo "usage: $0 demo|test|bench" >&2
    exit 2
    ;;
esac
