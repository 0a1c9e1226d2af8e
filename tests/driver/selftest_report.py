#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Harness self-test without Wine: run-wine.py's reading of raw logs that a
probe driver cannot produce on cue (a crash in Wine's own code after the
driver unloaded). Prints one line per case and "N passed, M failed".

usage: selftest_report.py RUN-WINE.PY
"""
import importlib.util
import sys

spec = importlib.util.spec_from_file_location("run_wine", sys.argv[1])
run_wine = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_wine)

LOADS = ('0024:trace:loaddll:build_module Loaded L"C:\\\\windows\\\\system32\\\\ntoskrnl.exe" '
         'at 000000031CA90000: builtin\n'
         '0024:trace:loaddll:build_module Loaded L"C:\\\\wmtest\\\\probe.sys" '
         'at 0000000140000000: native\n')
DRIVER = ('0028:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000000: WMT START t.one\n'
          '0028:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000000: WMT PASS t.one\n'
          '0028:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000000: 1 passed, 0 failed, 0 skipped\n')
UNLOAD = '0028:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000000: WMT UNLOAD outstanding=0\n'
STOP = 'run-wine: $ wine sc stop probe\nrun-wine: exit 0\n'
DELETE = 'run-wine: $ wine sc delete probe\nrun-wine: exit 0\n'


def crash(addr):
    return ("wine: Unhandled page fault on read access to 0000000000000008 at address %s "
            "(thread 008c), starting debugger...\n" % addr)


IN_NTOSKRNL = crash("000000031CAA2391")
IN_DRIVER = crash("0000000140001234")

# (name, log, expected location or None)
CASES = [
    ("wine crash after the unload line", LOADS + DRIVER + UNLOAD + IN_NTOSKRNL, "ntoskrnl.exe+0x12391"),
    ("wine crash after sc stop returned", LOADS + DRIVER + STOP + IN_NTOSKRNL + DELETE,
     "ntoskrnl.exe+0x12391"),
    ("wine crash while the driver runs", LOADS + IN_NTOSKRNL + DRIVER + UNLOAD, None),
    ("wine crash inside sc stop before unload", LOADS + DRIVER + 'run-wine: $ wine sc stop probe\n'
     + IN_NTOSKRNL, None),
    ("driver crash after unload", LOADS + DRIVER + UNLOAD + IN_DRIVER, None),
    ("crash at an address in no module", DRIVER + UNLOAD + IN_NTOSKRNL, None),
    ("no crash", LOADS + DRIVER + STOP + UNLOAD, None),
]

passed = failed = 0
for name, log, want in CASES:
    report = run_wine.Report()
    report.parse(log.encode())
    got = report.wine_crash_after_unload("/nonexistent/probe.sys")
    if got == want:
        print("selftest PASS report: %s" % name)
        passed += 1
    else:
        print("selftest FAIL report: %s: got %r, want %r" % (name, got, want))
        failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
