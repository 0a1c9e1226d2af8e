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

# --- seed_map: the seed's registry structure (a Rust BTreeMap), measured the
# way grt_bench measures ours: the baseline of the registry's targets. Needs
# rustc (Debian's is enough; installed here when none is on PATH).
command -v rustc >/dev/null || "$root/scripts/deps.sh" rust
rustc --edition 2021 -C opt-level=3 -o "$build/bench/seed_map" "$root/bench/seed_map.rs"
echo "=== seed_map"
"$build/bench/seed_map"

# --- wrapper_bench: what the wrappers cost (instructions under callgrind) ---
# Its own -O2 build (library and host model included), so the figures are
# those of an ordinary optimised driver build. Two callgrind runs with 1000
# and 3000 lock+unlock pairs per loop; per pair = (Ir@3000 - Ir@1000) / 2000
# of each loop function, inclusive (warm-up and set-up costs cancel).
wrapper_build=${WM_BUILD_DIR:-$root/build}/bench-wrapper
cmake -S "$root" -B "$wrapper_build" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG" \
  -DWM_SANITIZER= >/dev/null
cmake --build "$wrapper_build" -j"$jobs" --target wrapper_bench wrapper_bench_opaque
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
  echo "wrapper_bench needs valgrind (callgrind): apt-get install -y valgrind" >&2
  exit 1
fi
wrapper_out=$(mktemp -d)
trap 'rm -rf "$wrapper_out"' EXIT
# Inclusive Ir of one function ("1,234 (..%)  ???:Name [binary]").
wrapper_incl() {
  awk -v fn="$2" '{ for (i = 2; i <= NF; i++) if ($i ~ (":" fn "$")) { v = $1; gsub(",", "", v); print v; exit } }' "$1"
}
wrapper_per_pair() { echo $(( ($2 - $1) / 2000 )); }
# wrapper_run BINARY LINE_TAG: one line per primitive, "LINE_TAG primitive=...".
wrapper_run() {
  local binary=$1 line_tag=$2 pairs tag primitive raw_fn ours_fn bytes_raw bytes_ours raw ours raw_instr ours_instr
  for pairs in 1000 3000; do
    WMB_PAIRS=$pairs valgrind --tool=callgrind --callgrind-out-file="$wrapper_out/cg.$pairs" \
      "$binary" >"$wrapper_out/lines.$pairs" 2>"$wrapper_out/valgrind.$pairs"
    callgrind_annotate --inclusive=yes --threshold=100 "$wrapper_out/cg.$pairs" >"$wrapper_out/incl.$pairs" 2>/dev/null
  done
  while read -r tag primitive raw_fn ours_fn bytes_raw bytes_ours; do
    [ "$tag" = wmb ] || continue
    raw=${raw_fn#raw_fn=}; ours=${ours_fn#ours_fn=}
    raw_instr=$(wrapper_per_pair "$(wrapper_incl "$wrapper_out/incl.1000" "$raw")" "$(wrapper_incl "$wrapper_out/incl.3000" "$raw")")
    ours_instr=$(wrapper_per_pair "$(wrapper_incl "$wrapper_out/incl.1000" "$ours")" "$(wrapper_incl "$wrapper_out/incl.3000" "$ours")")
    echo "$line_tag $primitive raw_instr=$raw_instr ours_instr=$ours_instr $bytes_raw $bytes_ours"
  done <"$wrapper_out/lines.1000"
}
echo "=== wrapper_bench"
wrapper_run "$wrapper_build/bench/wrapper_bench" wrapper
# The same with an opaque call between lock and unlock in both loops (what
# the compiler may fold when nothing sits between them, it must do here).
echo "=== wrapper_bench_opaque"
wrapper_run "$wrapper_build/bench/wrapper_bench_opaque" wrapper_opaque
