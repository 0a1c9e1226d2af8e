#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds an optimised (Release, no sanitizer) host build in build/bench and
# runs every benchmark listed below. To add one: add its CMake target in
# bench/CMakeLists.txt and its name (plus arguments) to BENCHES.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WM_BUILD_DIR:-$root/build}/bench
jobs=${WM_JOBS:-2}

# "target [arguments...]", one per benchmark.
BENCHES=(
  "grt_bench"
)

targets=()
for entry in "${BENCHES[@]}"; do
  read -r -a words <<<"$entry"
  targets+=("${words[0]}")
done

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DWM_SANITIZER= >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

for entry in "${BENCHES[@]}"; do
  read -r -a words <<<"$entry"
  echo "=== ${words[0]}"
  "$build/bench/${words[0]}" "${words[@]:1}"
done
