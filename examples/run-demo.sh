#!/usr/bin/env bash
# make demo: builds the example drivers and runs each on the host kernel model
# and, as a real .sys, under Wine's ntoskrnl; prints what they print.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WM_BUILD_DIR:-$root/build}
jobs=${WM_JOBS:-2}
rc=0

echo "=== building (host model)"
cmake -S "$root" -B "$build/demo-host" -DCMAKE_BUILD_TYPE=Debug >/dev/null && \
  cmake --build "$build/demo-host" -j"$jobs" --target example_local_mutex example_global_mutex >/dev/null || exit 1
for ex in local_mutex global_mutex; do
  echo "=== $ex on the host kernel model"
  "$build/demo-host/examples/example_$ex" 2>&1 || rc=1
done

echo "=== building (mingw-w64 x86_64 drivers)"
cmake -S "$root" -B "$build/cross-mingw64-gcc" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-mingw64-gcc.cmake" -DCMAKE_BUILD_TYPE=Release \
  -DWM_THREAD_IDENTITY_FALLBACK=ON >/dev/null && \
  cmake --build "$build/cross-mingw64-gcc" -j"$jobs" --target example_local_mutex example_global_mutex >/dev/null || exit 1
for ex in local_mutex global_mutex; do
  echo "=== $ex.sys under Wine's ntoskrnl"
  sys=$(find "$build/cross-mingw64-gcc" -name "example_$ex.sys" | head -n 1)
  python3 "$root/tests/driver/run-wine.py" --demo "$sys" "$build/logs/demo-$ex.log" "wmdemo$ex" 120 \
    --prefix "$build/wineprefix" || rc=1
done
exit $rc
