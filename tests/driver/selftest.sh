#!/bin/sh
# SPDX-License-Identifier: MIT
# Harness self-test: runs run-wine.py on each probe driver (tests/driver/probe)
# and on synthetic logs (selftest_report.py), and checks that it reports the
# outcome each was built to produce.
# usage: selftest.sh PYTHON3 RUN-WINE.PY PROBE_DIR WORK_DIR PREFIX
set -u
py=$1 harness=$2 probes=$3 work=$4 prefix=$5
mkdir -p "$work"
failures=0
passes=0

# check MODE TIMEOUT EXPECTED_EXIT PATTERN (grep -E on the harness output)
check() {
    mode=$1 timeout=$2 want_rc=$3 pattern=$4
    out=$work/$mode.out
    "$py" "$harness" "$probes/wmprobe_$mode.sys" "$work/$mode.log" "wmprobe_$mode" "$timeout" \
        --prefix "$prefix" >"$out" 2>&1
    rc=$?
    if [ "$rc" -eq "$want_rc" ] && grep -Eq -- "$pattern" "$out"; then
        echo "selftest PASS $mode (exit $rc)"
        passes=$((passes + 1))
    else
        echo "selftest FAIL $mode: exit $rc (want $want_rc), want output matching: $pattern"
        sed 's/^/    /' "$out"
        failures=$((failures + 1))
    fi
}

# Log readings no probe can produce on cue (selftest_report.py), then the probes.
report_out=$("$py" "$(dirname "$harness")/selftest_report.py" "$harness" 2>&1)
echo "$report_out" | grep -v '^[0-9]* passed, [0-9]* failed$'
counts=$(echo "$report_out" | tail -n 1)
case "$counts" in
    *" passed, "*" failed")
        passes=$((passes + ${counts%% passed*}))
        rest=${counts#* passed, }
        failures=$((failures + ${rest%% failed*})) ;;
    *)
        echo "selftest FAIL report: no summary from selftest_report.py"
        failures=$((failures + 1)) ;;
esac

check ok          60 0 '^3 passed, 0 failed, 1 skipped$'
check fail        60 1 '^WMT FAIL probe\.misbehave probe\.c:123 '
check hang        15 1 'timed out after 15 s while running probe\.misbehave'
check missing_ddi 60 1 'crashed: .*[Uu]nimplemented function ntoskrnl\.exe\.KeAcquireGuardedMutex.* while running probe\.misbehave'
check bugcheck    60 1 'crashed: .*KeBugCheckEx 1e f*c0000005 .* while running probe\.misbehave'
check fault       60 1 'crashed: .*page fault.* while running probe\.misbehave'
check leak        60 1 'pool leak at unload: outstanding=3'
check noload      60 1 'driver did not load: DriverEntry returned 0xC0000001'
check nosummary   60 1 'no summary line from the driver'
check miscount    60 1 'driver summary "4 passed, 0 failed, 1 skipped" disagrees'
check unload_hang 15 1 'timed out after 1[5-9] s in sc stop \(DriverUnload\)'

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
