#!/usr/bin/env bash
# Runs every suite of `make test` and ends with one combined line
# "N passed, M failed, K skipped". Each step's own summary line is summed;
# a step that crashes or prints no summary counts as one failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WM_BUILD_DIR:-$root/build}
jobs=${WM_JOBS:-2}
filter=${WM_FILTER:-}
total_p=0; total_f=0; total_s=0
report=()

# step NAME COMMAND...: run, echo output, add its summary to the totals.
step() {
  local name=$1; shift
  local log="$build/logs/$name.log"
  mkdir -p "$build/logs"
  echo "=== $name"
  "$@" >"$log" 2>&1
  local rc=$?
  # Show the result lines, not the whole build log.
  grep -E '^(WMT (FAIL|SKIP)|FAIL|SKIP|selftest FAIL|run-wine: FAILED)|^[^P].*error:' "$log" | head -n 60
  local line
  line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  local p=0 f=0 s=0
  if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
    p=${BASH_REMATCH[1]}; f=${BASH_REMATCH[2]}; s=${BASH_REMATCH[4]:-0}
  fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "FAIL $name: exit code $rc (log: $log)"; tail -n 20 "$log"
  fi
  echo "$name: $p passed, $f failed, $s skipped"
  report+=("$name: $p passed, $f failed, $s skipped")
  total_p=$((total_p + p)); total_f=$((total_f + f)); total_s=$((total_s + s))
}

# build_step NAME CONFIGURE-ARGS...: configure + build counts as one test.
build_step() {
  local name=$1; shift
  step "build-$name" bash -c "cmake -S '$root' -B '$build/$name' $* >/dev/null && cmake --build '$build/$name' -j$jobs && echo '1 passed, 0 failed'"
}

build_step host-asan -DWM_SANITIZER=address -DCMAKE_BUILD_TYPE=Debug
step host-asan "$build/host-asan/tests/host/wmtest_host" $filter
# Optimised, without sanitizers: the code the benchmarks measure (the x64
# registry lookup keeps keys in registers only where nothing instruments it).
build_step host-release -DWM_SANITIZER= -DCMAKE_BUILD_TYPE=Release
step host-release "$build/host-release/tests/host/wmtest_host" $filter
build_step host-tsan -DWM_SANITIZER=thread -DCMAKE_BUILD_TYPE=Debug
step host-tsan env TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" "$build/host-tsan/tests/host/wmtest_host" $filter

# The library with the identity fallback Wine needs (compiler.h); each
# configuration also builds wmtest_gs_identity.sys without it.
for tc in mingw64-gcc mingw32-gcc mingw64-clang; do
  build_step "cross-$tc" "-DCMAKE_TOOLCHAIN_FILE='$root/cmake/toolchain-$tc.cmake'" -DCMAKE_BUILD_TYPE=Release \
    -DWM_THREAD_IDENTITY_FALLBACK=ON
done

# wine_step NAME BUILD_DIR DRIVER SERVICE SECONDS: runs DRIVER.sys from
# BUILD_DIR under Wine as service SERVICE (a missing driver is a failure).
wine_step() {
  local name=$1 dir=$2 driver=$3 service=$4 seconds=$5 sys
  sys=$(find "$dir" -name "$driver.sys" | head -n 1)
  if [ -n "$sys" ]; then
    step "$name" python3 "$root/tests/driver/run-wine.py" "$sys" "$build/logs/$name.raw.log" \
      "$service" "$seconds" --prefix "$build/wineprefix"
  else
    step "$name" bash -c "echo 'no $driver.sys was built in $dir'; exit 1"
  fi
}

if [ -f "$root/tests/driver/run-wine.py" ]; then
  for tc in mingw64-gcc mingw64-clang; do
    wine_step "wine-$tc" "$build/cross-$tc" wmtest "wmtest_${tc//-/_}" 600
  done
  # A build as Windows drivers get it, where gs:[188h] reads NULL: refuses.
  wine_step wine-gs-identity "$build/cross-mingw64-gcc" wmtest_gs_identity wmtest_gs_identity 300
fi

# The harness's own failure modes (hang, crash, leak, missing DDI, ...).
if [ -x "$root/tests/driver/selftest.sh" ]; then
  step wine-harness-selftest sh "$root/tests/driver/selftest.sh" python3 "$root/tests/driver/run-wine.py" \
    "$build/cross-mingw64-gcc/tests/driver/probe" "$build/selftest" "$build/wineprefix"
fi

if [ -x "$root/tests/compile/run.sh" ]; then
  step compile-checks "$root/tests/compile/run.sh"
fi

echo "=== summary"
printf '  %s\n' "${report[@]}"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
