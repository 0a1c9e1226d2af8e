#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs a test driver (.sys) under Wine's ntoskrnl and checks its report.

usage: run-wine.py SYS LOG SERVICE [TIMEOUT] [--prefix DIR] [--filter TEXT]

SYS      the x86_64 driver to run
LOG      raw log to write (kept for debugging): every byte Wine printed
SERVICE  service name for sc create/start/stop/delete
TIMEOUT  seconds for the whole driver run (default 300); prefix creation is
         not counted

The Wine prefix (default: <dir of LOG>/wineprefix) is created once and reused.
DbgPrint output reaches the stderr of whichever wine command started the
wineserver, so the server is killed first and every command of the sequence
writes to the one LOG.

Prints each result line, then "N passed, M failed, K skipped" as the last
line. Exit status: 0 all passed; 1 a test failed or the run went wrong (no
summary, driver did not load, driver host crashed, timeout, pool leak at
unload); 2 the harness itself could not run (no Wine, prefix creation failed).

A crash inside Wine's own modules after the driver unloaded (Wine's driver
host has a teardown race of its own) is reported with a NOTE line and the
driver is run once more, its first log kept as LOG.wine-crash; a second such
crash fails the run like any other.
"""

import argparse
import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time

DEFAULT_TIMEOUT = 300
BOOT_TIMEOUT = 300      # wineboot -i: ~15 s measured, generous for slow CI
STEP_TIMEOUT = 60       # sc create/delete/stop, reg add
KILL_TIMEOUT = 30       # wineserver -k / -w
# Services' wait for a starting service (Wine default 10 s, read as REG_SZ).
# DriverEntry runs the whole suite, so lift it; TIMEOUT bounds the run instead.
SERVICES_PIPE_TIMEOUT_MS = "3600000"
PREFIX_MARKER = ".wm-prefix-ready"

# "0128:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000000: WMT PASS x"
# (optionally preceded by +timestamp/+pid fields).
DBGPRINT_RE = re.compile(r"debugstr:\w*DbgPrint\w*\s(?:[0-9a-fA-F]+:[0-9a-fA-F]+:\s)?(?P<text>.*)$")
WMT_RE = re.compile(r"^WMT (?P<kind>START|PASS|FAIL|SKIP|INFO|UNLOAD)(?: (?P<rest>.*))?$")
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed, (\d+) skipped$")
UNLOAD_RE = re.compile(r"^outstanding=(-?\d+)$")
# Lines Wine prints when the driver host dies or a DDI cannot be served.
CRASH_RE = re.compile(
    r"KeBugCheckEx|[Uu]nimplemented function|Unhandled (?:page fault|exception|illegal|privileged"
    r"|stack overflow|breakpoint|guard page)|starting debugger|stack overflow|"
    r"assertion .* failed")
LOADDLL_RE = re.compile(r'Loaded L"(?P<path>[^"]+)" at (?P<base>[0-9A-Fa-f]+)')
CRASH_ADDR_RE = re.compile(r"at address (?P<addr>[0-9A-Fa-f]{8,16})")
LOAD_ERROR_RE = re.compile(r"ZwLoadDriver failed to create driver .*: ([0-9a-fA-F]+)")
SC_START_FAIL_RE = re.compile(r"failed to start service (\d+)")


class HarnessError(Exception):
    """The harness could not do its job (exit 2)."""


class StepTimeout(Exception):
    pass


def note(log, text):
    """Harness lines in the raw log, marked so they are never parsed as driver output."""
    log.write(("run-wine: %s\n" % text).encode())
    log.flush()


def wine_env(prefix, debug):
    env = dict(os.environ)
    env["WINEPREFIX"] = prefix
    env["WINEARCH"] = "win64"
    env["WINEDEBUG"] = debug
    # No mono/gecko installers (no network, no display to ask on).
    env["WINEDLLOVERRIDES"] = "mscoree,mshtml="
    for var in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(var, None)
    return env


def run_step(args, env, log, budget):
    """Runs one command with stdout+stderr into LOG; kills its process group after budget s."""
    log.flush()
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                            start_new_session=True)
    try:
        return proc.wait(timeout=max(budget, 0.1))
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        raise StepTimeout()


def kill_wineserver(wineserver, env, log):
    """Ends the server and every Wine process of this prefix (and only this prefix)."""
    for args in ([wineserver, "-k"], [wineserver, "-w"]):
        try:
            run_step(args, env, log, KILL_TIMEOUT)
        except StepTimeout:
            note(log, "%s did not return; sending SIGKILL" % " ".join(args))
            try:
                run_step([wineserver, "-k9"], env, log, KILL_TIMEOUT)
            except StepTimeout:
                raise HarnessError("cannot stop the wineserver of %s" % env["WINEPREFIX"])
            return


def ensure_prefix(prefix, wine, wineserver):
    """Creates the prefix once; a marker written last tells a complete one from a broken one."""
    marker = os.path.join(prefix, PREFIX_MARKER)
    version = subprocess.run([wine, "--version"], capture_output=True, text=True,
                             env=wine_env(prefix, "-all")).stdout.strip()
    if os.path.exists(marker):
        with open(marker) as f:
            if f.read().strip() == version:
                return None
    shutil.rmtree(prefix, ignore_errors=True)
    os.makedirs(prefix)
    boot_log_path = prefix.rstrip("/") + "-boot.log"
    env = wine_env(prefix, "err+all,fixme-all")
    started = time.monotonic()
    with open(boot_log_path, "wb") as boot_log:
        try:
            rc = run_step([wine, "wineboot", "-i"], env, boot_log, BOOT_TIMEOUT)
            if rc != 0:
                raise HarnessError("wineboot -i exited %d (see %s)" % (rc, boot_log_path))
            rc = run_step([wine, "reg", "add", r"HKLM\System\CurrentControlSet\Control",
                           "/v", "ServicesPipeTimeout", "/t", "REG_SZ",
                           "/d", SERVICES_PIPE_TIMEOUT_MS, "/f"], env, boot_log, STEP_TIMEOUT)
            if rc != 0:
                raise HarnessError("reg add ServicesPipeTimeout exited %d (see %s)"
                                   % (rc, boot_log_path))
        except StepTimeout:
            raise HarnessError("prefix creation timed out (see %s)" % boot_log_path)
        finally:
            kill_wineserver(wineserver, env, boot_log)
    with open(marker, "w") as f:
        f.write(version + "\n")
    return time.monotonic() - started


def run_driver(args, wine, wineserver, log):
    """The sc sequence. Returns (timed_out_step or None, elapsed, sc_start_rc)."""
    env = wine_env(args.prefix, args.wine_debug)
    service = args.service
    win_dir = os.path.join(args.prefix, "drive_c", "wmtest")
    os.makedirs(win_dir, exist_ok=True)
    shutil.copyfile(args.sys, os.path.join(win_dir, service + ".sys"))
    binpath = "C:\\wmtest\\%s.sys" % service

    # A stale server would receive the DbgPrint lines instead of LOG.
    kill_wineserver(wineserver, env, log)
    start = time.monotonic()
    deadline = start + args.timeout

    current = [None]

    def step(cmd, cap=STEP_TIMEOUT):
        budget = min(cap, deadline - time.monotonic())
        current[0] = " ".join(cmd[1:3])
        note(log, "$ " + " ".join(cmd))
        rc = run_step(cmd, env, log, budget)
        note(log, "exit %d" % rc)
        return rc

    sc = [wine, "sc"]
    start_rc = None
    timed_out = None
    try:
        # Leftover from an aborted run: a service still marked for deletion
        # makes "sc create" fail with 1073 (already exists).
        step(sc + ["delete", service])
        rc = step(sc + ["create", service, "binPath=", binpath, "type=", "kernel"])
        if rc != 0:
            raise HarnessError("sc create %s failed (exit %d, see %s)" % (service, rc, args.log))
        if args.filter:
            rc = step([wine, "reg", "add",
                       "HKLM\\System\\CurrentControlSet\\Services\\" + service,
                       "/v", "WmtFilter", "/t", "REG_SZ", "/d", args.filter, "/f"])
            if rc != 0:
                raise HarnessError("reg add WmtFilter failed (exit %d)" % rc)
        start_rc = step(sc + ["start", service], cap=args.timeout)
        if start_rc == 0:
            step(sc + ["stop", service])
        step(sc + ["delete", service])
    except StepTimeout:
        timed_out = current[0]
        note(log, "TIMEOUT after %.0f s in %s" % (time.monotonic() - start, timed_out))
    finally:
        kill_wineserver(wineserver, env, log)
    return timed_out, time.monotonic() - start, start_rc


class Report:
    def __init__(self):
        self.results = []        # (kind, name, line)
        self.started = []        # names in START order
        self.finished = set()
        self.summary = None      # (passed, failed, skipped, line)
        self.summaries = 0
        self.unload = None
        self.crash = None        # first crash line
        # The driver had finished with the kernel when it crashed: its
        # DriverUnload had printed its last line, or "sc stop" had returned.
        self.crash_after_unload = False
        self.stop_step = False   # inside the "sc stop" step
        self.stopped = False     # "sc stop" returned 0
        self.load_error = None
        self.sc_start_error = None
        self.driver_lines = 0
        self.last_driver_line = None
        self.modules = []        # (base, path) from +loaddll
        self.errors = []

    def parse(self, data):
        for raw in data.decode("utf-8", "replace").splitlines():
            if raw.startswith("run-wine: "):
                self.harness_line(raw[len("run-wine: "):])
                continue
            m = DBGPRINT_RE.search(raw)
            if m:
                self.driver_line(m.group("text").rstrip("\r"))
                continue
            m = LOADDLL_RE.search(raw)
            if m:
                self.modules.append((int(m.group("base"), 16), m.group("path").replace("\\\\", "\\")))
                continue
            if self.crash is None and CRASH_RE.search(raw):
                self.crash = raw.strip()
                self.crash_after_unload = self.stopped or self.unload is not None
            m = LOAD_ERROR_RE.search(raw)
            if m and self.load_error is None:
                self.load_error = m.group(1).upper()
            m = SC_START_FAIL_RE.search(raw)
            if m and self.sc_start_error is None:
                self.sc_start_error = m.group(1)

    def harness_line(self, text):
        if text.startswith("$ "):
            self.stop_step = text.split()[2:4] == ["sc", "stop"]
        elif self.stop_step and text == "exit 0":
            self.stopped = True

    def wine_crash_after_unload(self, sys_path):
        """A crash inside Wine's own code once the driver was done and unloaded:
        Wine 8's driver host has a teardown race (a page fault reading a NULL
        driver object in IoCreateDevice, seen with a driver that calls no
        library code). Its location, or None when the crash is not of that kind."""
        if not self.crash or not self.crash_after_unload:
            return None
        where = self.locate(sys_path)
        if where is None or where.split("+", 1)[0].lower().endswith(".sys"):
            return None
        return where

    def driver_line(self, text):
        self.driver_lines += 1
        self.last_driver_line = text
        m = SUMMARY_RE.match(text)
        if m:
            self.summaries += 1
            self.summary = (int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
            return
        m = WMT_RE.match(text)
        if not m:
            return
        kind, rest = m.group("kind"), m.group("rest") or ""
        name = rest.split(" ", 1)[0]
        if kind == "START":
            self.started.append(name)
        elif kind in ("PASS", "FAIL", "SKIP"):
            if name in self.finished:
                self.errors.append("test %s reported more than one result" % name)
            self.finished.add(name)
            self.results.append((kind, name, text))
        elif kind == "UNLOAD":
            m = UNLOAD_RE.match(rest)
            self.unload = int(m.group(1)) if m else rest
        elif kind == "INFO":
            self.results.append((kind, name, text))

    def locate(self, sys_path):
        """'module+0xoff (symbol+0xoff)' for the crash address, when it can be found."""
        m = CRASH_ADDR_RE.search(self.crash or "")
        if not m:
            return None
        addr = int(m.group("addr"), 16)
        below = [(base, path) for base, path in self.modules if base <= addr]
        if not below:
            return None
        base, path = max(below)
        module = path.rsplit("\\", 1)[-1]
        where = "%s+0x%x" % (module, addr - base)
        if module.lower().endswith(".sys"):
            sym = symbolize(sys_path, addr - base)
            if sym:
                where += " (%s)" % sym
        return where

    def unfinished(self):
        return [n for n in self.started if n not in self.finished]


def symbolize(sys_path, rva):
    """Nearest preceding symbol of the driver image for an RVA (the .sys keeps its symbols)."""
    tools = [t for t in ("x86_64-w64-mingw32-objdump", "llvm-objdump") if shutil.which(t)]
    nms = [t for t in ("x86_64-w64-mingw32-nm", "llvm-nm") if shutil.which(t)]
    if not tools or not nms:
        return None
    try:
        header = subprocess.run([tools[0], "-p", sys_path], capture_output=True, text=True).stdout
        image_base = int(re.search(r"ImageBase\s+([0-9a-fA-F]+)", header).group(1), 16)
        symbols = subprocess.run([nms[0], sys_path], capture_output=True, text=True).stdout
    except (OSError, AttributeError):
        return None
    target = image_base + rva
    best = None
    for line in symbols.splitlines():
        parts = line.split()
        if len(parts) != 3 or parts[1] not in "tT":
            continue
        value = int(parts[0], 16)
        if value <= target and (best is None or value > best[0]):
            best = (value, parts[2])
    return "%s+0x%x" % (best[1], target - best[0]) if best else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sys")
    parser.add_argument("log")
    parser.add_argument("service")
    parser.add_argument("timeout", nargs="?", type=float, default=DEFAULT_TIMEOUT)
    parser.add_argument("--prefix", help="Wine prefix (default: <dir of LOG>/wineprefix)")
    parser.add_argument("--filter", help="run tests whose suite.name contains TEXT "
                        "(REG_SZ WmtFilter in the service key)")
    parser.add_argument("--demo", action="store_true",
                        help="any driver (no WMT report): print its DbgPrint lines; fail only "
                        "if it did not load, crashed or timed out")
    parser.add_argument("--wine-debug", default="+debugstr,+loaddll,fixme-all",
                        help="WINEDEBUG for the run (default: %(default)s; err stays on)")
    args = parser.parse_args()

    args.sys = os.path.abspath(args.sys)
    args.log = os.path.abspath(args.log)
    args.prefix = os.path.abspath(args.prefix or
                                  os.path.join(os.path.dirname(args.log), "wineprefix"))
    if not os.path.isfile(args.sys):
        print("run-wine: no such driver: %s" % args.sys)
        return 2
    wine = os.environ.get("WINE") or shutil.which("wine") or shutil.which("wine64")
    wineserver = os.environ.get("WINESERVER") or shutil.which("wineserver")
    if not wine or not wineserver:
        print("run-wine: wine/wineserver not found (Debian: apt-get install wine64)")
        return 2

    # ctest's timeout or a CI cancel sends SIGTERM: unwind so the finally
    # clauses stop this prefix's wineserver and its driver host.
    def terminate(signum, frame):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, terminate)

    os.makedirs(os.path.dirname(args.log), exist_ok=True)
    # One prefix, one server: concurrent runs on the same prefix would kill
    # each other's wineserver, so they take turns.
    with open(args.prefix.rstrip("/") + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            boot = ensure_prefix(args.prefix, wine, wineserver)
            if boot is not None:
                print("run-wine: created %s in %.1f s" % (args.prefix, boot))
            for attempt in range(2):
                with open(args.log, "wb") as log:
                    note(log, "driver %s service %s timeout %.0f s prefix %s"
                         % (args.sys, args.service, args.timeout, args.prefix))
                    timed_out, elapsed, start_rc = run_driver(args, wine, wineserver, log)
                    note(log, "done in %.1f s" % elapsed)
                with open(args.log, "rb") as f:
                    data = f.read()
                report = Report()
                report.parse(data)
                where = report.wine_crash_after_unload(args.sys)
                if attempt > 0 or where is None or timed_out:
                    break
                # Not the driver's fault as far as can be told, but not hidden
                # either: said here, the log kept, and a second crash fails.
                kept = args.log + ".wine-crash"
                os.replace(args.log, kept)
                print("run-wine: NOTE: Wine's %s crashed after the driver had unloaded (%s); "
                      "log kept as %s; running the driver once more" % (where.split("+")[0], where, kept))
        except HarnessError as e:
            print("run-wine: ERROR: %s" % e)
            return 2
        except KeyboardInterrupt:
            print("run-wine: interrupted; wineserver stopped, raw log %s" % args.log)
            return 130

    if args.demo:
        return demo(data, args, timed_out, start_rc)
    return judge(report, args, timed_out, elapsed, start_rc)


def demo(data, args, timed_out, start_rc):
    """Prints what a driver printed; judges only load, crash and time-out."""
    failed = False
    for raw in data.decode("utf-8", "replace").splitlines():
        m = DBGPRINT_RE.search(raw)
        if m:
            print(m.group("text").rstrip())
        elif CRASH_RE.search(raw):
            print("run-wine: FAILED: driver host crashed: %s" % raw.strip())
            failed = True
    if timed_out:
        print("run-wine: FAILED: timed out in %s" % timed_out)
        failed = True
    if start_rc not in (0, None):
        print("run-wine: FAILED: sc start failed (exit %d), raw log %s" % (start_rc, args.log))
        failed = True
    return 1 if failed else 0


def judge(report, args, timed_out, elapsed, start_rc):
    errors = list(report.errors)
    unfinished = report.unfinished()
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    for kind, _, line in report.results:
        print(line)
        if kind in counts:
            counts[kind] += 1

    # The test that was running when the run ended is a failure of its own.
    cause = None
    if timed_out:
        if timed_out == "sc start":
            cause = "timed out after %.0f s" % args.timeout
        elif timed_out == "sc stop":
            cause = "timed out after %.0f s in sc stop (DriverUnload)" % elapsed
        else:
            cause = "timed out after %.0f s in %s" % (elapsed, timed_out)
    elif report.crash:
        cause = "driver host crashed: %s" % report.crash
        where = report.locate(args.sys)
        if where:
            cause += " [%s]" % where
    if cause:
        if unfinished:
            print("WMT FAIL %s (harness) %s" % (unfinished[-1], cause))
            counts["FAIL"] += 1
            errors.append("%s while running %s" % (cause, unfinished[-1]))
            unfinished = unfinished[:-1]
        elif timed_out == "sc stop":
            errors.append(cause)
        else:
            errors.append("%s outside any test (last driver line: %s)"
                          % (cause, report.last_driver_line))
    if start_rc not in (0, None) and not cause:
        if report.load_error == "C0000001" or (report.load_error and report.driver_lines):
            errors.append("driver did not load: DriverEntry returned 0x%s" % report.load_error)
        elif report.load_error:
            errors.append("driver did not load: ZwLoadDriver status 0x%s" % report.load_error)
        else:
            errors.append("driver did not load: sc start failed (error %s)"
                          % (report.sc_start_error or "exit %d" % start_rc))
    for name in unfinished:
        errors.append("test %s started but reported no result" % name)

    if report.summary is None:
        if not cause:
            errors.append("no summary line from the driver")
    else:
        p, f, s, line = report.summary
        if report.summaries > 1:
            errors.append("%d summary lines" % report.summaries)
        if (p, f, s) != (counts["PASS"], counts["FAIL"], counts["SKIP"]):
            errors.append("driver summary \"%s\" disagrees with the result lines "
                          "(%d passed, %d failed, %d skipped)"
                          % (line, counts["PASS"], counts["FAIL"], counts["SKIP"]))
    if report.unload is None:
        if not cause and start_rc == 0:
            errors.append("no \"WMT UNLOAD outstanding=\" line (DriverUnload did not run)")
    elif report.unload != 0:
        errors.append("pool leak at unload: outstanding=%s" % report.unload)
    if report.driver_lines == 0 and not errors:
        errors.append("no driver output at all (stale wineserver?)")

    if counts["FAIL"]:
        errors.append("%d test(s) failed" % counts["FAIL"])
    for e in errors:
        print("run-wine: FAILED: %s" % e)
    print("run-wine: driver run %.1f s, raw log %s" % (elapsed, args.log))
    print("%d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
