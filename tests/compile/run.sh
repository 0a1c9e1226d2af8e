#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compile-time checks: tests/compile/type_safety.c case 0 must compile and
# every other case (one type misuse each) must be rejected, by every compiler
# found: mingw-w64 gcc and clang against the mingw DDK headers (the driver
# build), and gcc and clang against the host model's headers (the host build).
# Flags are the project's (-std=c11 -Wall -Wextra -Werror; DDK headers as
# -isystem, as the driver build does): gcc 12 and clang 14 report incompatible
# pointer types as warnings, which -Werror makes errors. A misuse only counts as
# rejected when the error is reported in type_safety.c itself.
# Prints one line per check and "N passed, M failed"; exits 1 on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
src="$here/type_safety.c"
last_case=$(grep -oE '^#elif WMT_CASE == [0-9]+' "$src" | grep -oE '[0-9]+$' | sort -n | tail -n 1)
flags=(-std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$root/include")
ddk=/usr/x86_64-w64-mingw32/include/ddk

compilers=()
if command -v x86_64-w64-mingw32-gcc >/dev/null && [ -d "$ddk" ]; then
  compilers+=("mingw-gcc|x86_64-w64-mingw32-gcc -isystem $ddk")
fi
if command -v clang >/dev/null && [ -d "$ddk" ]; then
  compilers+=("mingw-clang|clang --target=x86_64-w64-mingw32 -isystem $ddk")
fi
if [ -f "$root/hostkernel/include/ntddk.h" ]; then
  command -v gcc >/dev/null && compilers+=("host-gcc|gcc -I$root/hostkernel/include")
  command -v clang >/dev/null && compilers+=("host-clang|clang -I$root/hostkernel/include")
fi

passed=0; failed=0
if [ ${#compilers[@]} -eq 0 ]; then
  echo "FAIL no compiler with DDK headers found"
  echo "0 passed, 1 failed"
  exit 1
fi
log=$(mktemp); trap 'rm -f "$log"' EXIT
for entry in "${compilers[@]}"; do
  name=${entry%%|*}; cc=${entry#*|}
  for n in $(seq 0 "$last_case"); do
    # shellcheck disable=SC2086 # $cc is a command plus its own flags
    if $cc "${flags[@]}" -DWMT_CASE="$n" "$src" >"$log" 2>&1; then compiled=1; else compiled=0; fi
    if [ "$n" -eq 0 ]; then
      if [ $compiled -eq 1 ]; then
        passed=$((passed + 1)); echo "PASS $name case 0 compiles"
      else
        failed=$((failed + 1)); echo "FAIL $name case 0 (correct use) does not compile:"; head -n 20 "$log"
      fi
    else
      # Rejected for the right reason: an error reported in this file's
      # case, not in a header (case 0 proves the headers are fine).
      reason=$(grep -m1 -E "type_safety\.c:[0-9]+:[0-9]+: error" "$log" | sed -E 's/^[^:]*:[0-9]+:[0-9]+: //')
      if [ $compiled -eq 1 ]; then
        failed=$((failed + 1)); echo "FAIL $name case $n compiled but must not"
      elif [ -z "$reason" ]; then
        failed=$((failed + 1)); echo "FAIL $name case $n failed for another reason:"; head -n 10 "$log"
      else
        passed=$((passed + 1)); echo "PASS $name case $n rejected: $reason"
      fi
    fi
  done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
