/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Harness self-test drivers. One source, one behaviour per build
 *              (WMT_PROBE_MODE), each printing the same report lines as the
 *              real test driver so run-wine.py can be checked against every
 *              outcome it must recognise. Independent of the library and of
 *              the framework on purpose: the harness is testable before they
 *              exist, and a harness bug is not confused with a library bug.
 * ENVIRONMENT: Kernel mode (Wine's ntoskrnl.exe in practice).
 */
#include <ntddk.h>

#define PROBE_OK          0 /* 3 passes (one from a system thread), 1 skip     */
#define PROBE_FAIL        1 /* one FAIL line                                     */
#define PROBE_HANG        2 /* DriverEntry blocks forever inside a test          */
#define PROBE_MISSING_DDI 3 /* calls KeAcquireGuardedMutex (not in Wine 8)       */
#define PROBE_BUGCHECK    4 /* KeBugCheckEx inside a test                        */
#define PROBE_FAULT       5 /* NULL-page write inside a test                     */
#define PROBE_LEAK        6 /* reports 3 outstanding allocations at unload       */
#define PROBE_NOLOAD      7 /* DriverEntry fails                                 */
#define PROBE_NOSUMMARY   8 /* results but no summary line                       */
#define PROBE_MISCOUNT    9 /* summary disagrees with the result lines           */
#define PROBE_UNLOAD_HANG 10 /* DriverUnload blocks forever                      */

#ifndef WMT_PROBE_MODE
#error "define WMT_PROBE_MODE"
#endif

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD ProbeUnload;
static KSTART_ROUTINE ProbeThread;

/* Same output path as the real driver: one DbgPrintEx per line. */
static VOID
ProbePrint(_In_z_ PCSTR Text)
{
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%s\n", Text);
}

static KEVENT Never;

static VOID NTAPI
ProbeUnload(_In_ PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    if (WMT_PROBE_MODE == PROBE_UNLOAD_HANG) {
        KeWaitForSingleObject(&Never, Executive, KernelMode, FALSE, NULL);
    }
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "WMT UNLOAD outstanding=%ld\n",
               (long)(WMT_PROBE_MODE == PROBE_LEAK ? 3 : 0));
}

static VOID NTAPI
ProbeThread(_In_ PVOID Context)
{
    /* Large enough that the compiler calls memset/memcpy (ntoskrnl exports). */
    static volatile UCHAR Source[4096];
    UCHAR Copy[4096];

    RtlFillMemory((PVOID)Source, sizeof(Source), 0x5A);
    RtlCopyMemory(Copy, (const VOID *)Source, sizeof(Copy));
    *(BOOLEAN *)Context = (Copy[sizeof(Copy) - 1] == 0x5A);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

/* A system thread, joined the way the framework joins its threads. */
static BOOLEAN
ProbeRunThread(VOID)
{
    HANDLE Handle;
    PVOID Thread;
    BOOLEAN Ok = FALSE;
    NTSTATUS Status;

    Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, ProbeThread, &Ok);
    if (!NT_SUCCESS(Status)) {
        return FALSE;
    }
    /* No object type: mingw-w64 declares PsThreadType dllimport, unlike the
     * WDK, so "*PsThreadType" reads one level too deep and faults in Wine. */
    Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, NULL, KernelMode, &Thread, NULL);
    ZwClose(Handle);
    if (!NT_SUCCESS(Status)) {
        return FALSE;
    }
    KeWaitForSingleObject(Thread, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Thread);
    return Ok;
}

static VOID
ProbeMisbehave(VOID)
{
#if WMT_PROBE_MODE == PROBE_HANG
    KeWaitForSingleObject(&Never, Executive, KernelMode, FALSE, NULL);
#elif WMT_PROBE_MODE == PROBE_MISSING_DDI
    static KGUARDED_MUTEX Mutex;
    KeInitializeGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    KeReleaseGuardedMutex(&Mutex);
#elif WMT_PROBE_MODE == PROBE_BUGCHECK
    KeBugCheckEx(0x1E, (ULONG_PTR)STATUS_ACCESS_VIOLATION, 1, 2, 3);
#elif WMT_PROBE_MODE == PROBE_FAULT
    *(volatile LONG *)(ULONG_PTR)8 = 1;
#endif
}

NTSTATUS NTAPI
DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);

    KeInitializeEvent(&Never, NotificationEvent, FALSE);
    ProbePrint("WMT INFO probe driver mode " WMT_PROBE_NAME);
    ProbePrint("WMT START probe.pass_one");
    ProbePrint("WMT PASS probe.pass_one");
    ProbePrint("WMT START probe.thread");
    ProbePrint(ProbeRunThread() ? "WMT PASS probe.thread"
                                : "WMT FAIL probe.thread probe.c:0 thread did not run");
    ProbePrint("WMT START probe.skipped");
    ProbePrint("WMT SKIP probe.skipped needs something Wine lacks");

    if (WMT_PROBE_MODE == PROBE_NOLOAD) {
        return STATUS_UNSUCCESSFUL;
    }
    ProbePrint("WMT START probe.misbehave");
    ProbeMisbehave();
    ProbePrint(WMT_PROBE_MODE == PROBE_FAIL
                   ? "WMT FAIL probe.misbehave probe.c:123 check failed: 1 == 2"
                   : "WMT PASS probe.misbehave");

    if (WMT_PROBE_MODE == PROBE_FAIL) {
        ProbePrint("2 passed, 1 failed, 1 skipped");
    } else if (WMT_PROBE_MODE == PROBE_MISCOUNT) {
        ProbePrint("4 passed, 0 failed, 1 skipped");
    } else if (WMT_PROBE_MODE != PROBE_NOSUMMARY) {
        ProbePrint("3 passed, 0 failed, 1 skipped");
    }
    DriverObject->DriverUnload = ProbeUnload;
    return STATUS_SUCCESS;
}
