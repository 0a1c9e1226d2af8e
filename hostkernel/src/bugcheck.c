/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Bug checks, unhandled exceptions, assertions and debug output.
 * ENVIRONMENT: Host (Linux user mode).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hkp.h"

static HK_BUGCHECK_HOOK *HkpBugCheckHook;
static int HkpBugCheckStarted;
static __thread int HkpBugCheckThisThread;

typedef struct _HK_BUGCHECK_NAME {
    ULONG Code;
    PCSTR Name;
} HK_BUGCHECK_NAME;

/* §1, plus the exception, reference and handle codes the model raises. */
static const HK_BUGCHECK_NAME HkpBugCheckNames[] = {
    { 0x00000001, "APC_INDEX_MISMATCH" },
    { 0x00000008, "IRQL_NOT_DISPATCH_LEVEL" },
    { 0x00000009, "IRQL_NOT_GREATER_OR_EQUAL" },
    { 0x0000000A, "IRQL_NOT_LESS_OR_EQUAL" },
    { 0x0000000D, "MUTEX_LEVEL_NUMBER_VIOLATION" },
    { 0x0000000E, "NO_USER_MODE_CONTEXT" },
    { 0x0000000F, "SPIN_LOCK_ALREADY_OWNED" },
    { 0x00000010, "SPIN_LOCK_NOT_OWNED" },
    { 0x00000011, "THREAD_NOT_MUTEX_OWNER" },
    { 0x00000018, "REFERENCE_BY_POINTER" },
    { 0x00000019, "BAD_POOL_HEADER" },
    { 0x0000001E, "KMODE_EXCEPTION_NOT_HANDLED" },
    { 0x00000020, "KERNEL_APC_PENDING_DURING_EXIT" },
    { 0x0000004A, "IRQL_GT_ZERO_AT_SYSTEM_SERVICE" },
    { 0x0000007E, "SYSTEM_THREAD_EXCEPTION_NOT_HANDLED" },
    { 0x00000093, "INVALID_KERNEL_HANDLE" },
    { 0x000000B8, "ATTEMPTED_SWITCH_FROM_DPC" },
    { 0x000000BF, "MUTEX_ALREADY_OWNED" },
    { 0x000000C2, "BAD_POOL_CALLER" },
    { 0x000000C4, "DRIVER_VERIFIER_DETECTED_VIOLATION" },
    { 0x000000C8, "IRQL_UNEXPECTED_VALUE" },
    { 0x000000D1, "DRIVER_IRQL_NOT_LESS_OR_EQUAL" },
    { 0x000000E3, "RESOURCE_NOT_OWNED" },
    { 0x4000008A, "THREAD_TERMINATE_HELD_MUTEX" },
};

static VOID
HkpWriteAll(const char *Text, size_t Length)
{
    while (Length > 0) {
        ssize_t Written = write(STDERR_FILENO, Text, Length);
        if (Written <= 0) {
            return;
        }
        Text += Written;
        Length -= (size_t)Written;
    }
}

static PCSTR
HkpBugCheckName(ULONG Code)
{
    size_t Index;

    for (Index = 0; Index < sizeof(HkpBugCheckNames) / sizeof(HkpBugCheckNames[0]); Index++) {
        if (HkpBugCheckNames[Index].Code == Code) {
            return HkpBugCheckNames[Index].Name;
        }
    }
    return "UNKNOWN_BUGCHECK_CODE";
}

VOID
HkSetBugCheckHook(HK_BUGCHECK_HOOK *Hook)
{
    __atomic_store_n(&HkpBugCheckHook, Hook, __ATOMIC_SEQ_CST);
}

VOID NTAPI
KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1, ULONG_PTR BugCheckParameter2,
             ULONG_PTR BugCheckParameter3, ULONG_PTR BugCheckParameter4)
{
    char Line[256];
    HK_BUGCHECK_HOOK *Hook;
    int Length;

    if (HkpBugCheckThisThread) {
        /* A bug check from inside the hook: the first one stands. */
        _exit(HK_BUGCHECK_EXIT_CODE);
    }
    HkpBugCheckThisThread = 1;
    if (__atomic_exchange_n(&HkpBugCheckStarted, 1, __ATOMIC_SEQ_CST) != 0) {
        /* Another processor is already stopping the system: freeze here. */
        for (;;) {
            pause();
        }
    }

    Length = snprintf(Line, sizeof(Line), "*** STOP: 0x%08X (0x%016llX,0x%016llX,0x%016llX,0x%016llX) %s\n",
                      (unsigned)BugCheckCode, (unsigned long long)BugCheckParameter1,
                      (unsigned long long)BugCheckParameter2, (unsigned long long)BugCheckParameter3,
                      (unsigned long long)BugCheckParameter4, HkpBugCheckName(BugCheckCode));
    if (Length > 0) {
        HkpWriteAll(Line, (size_t)Length < sizeof(Line) ? (size_t)Length : sizeof(Line) - 1);
    }

    Hook = __atomic_load_n(&HkpBugCheckHook, __ATOMIC_SEQ_CST);
    if (Hook != NULL) {
        Hook(BugCheckCode, BugCheckParameter1, BugCheckParameter2, BugCheckParameter3, BugCheckParameter4);
    }
    _exit(HK_BUGCHECK_EXIT_CODE);
}

VOID NTAPI
KeBugCheck(ULONG BugCheckCode)
{
    KeBugCheckEx(BugCheckCode, 0, 0, 0, 0);
}

/* The model has no structured exception handling, so every exception is
 * unhandled: KMODE_EXCEPTION_NOT_HANDLED (0x1E) on a thread the model did not
 * create, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (0x7E) on a system thread; P1 is
 * the exception code, the address and records are not modelled (0). */
VOID NTAPI
ExRaiseStatus(NTSTATUS Status)
{
    char Line[64];
    int Length;
    PKTHREAD Thread = HkpCurrentThread();

    Length = snprintf(Line, sizeof(Line), "*** EXCEPTION 0x%08X raised\n", (unsigned)Status);
    if (Length > 0) {
        HkpWriteAll(Line, (size_t)Length);
    }
    KeBugCheckEx(Thread->SystemThread ? SYSTEM_THREAD_EXCEPTION_NOT_HANDLED : KMODE_EXCEPTION_NOT_HANDLED,
                 (ULONG_PTR)(ULONG)Status, 0, 0, 0);
}

/* NT_ASSERT raises STATUS_ASSERTION_FAILURE; with no debugger attached it is
 * an unhandled exception like any other. */
VOID
HkAssertionFailed(PCSTR Expression, PCSTR File, int Line)
{
    char Text[512];
    int Length;

    Length = snprintf(Text, sizeof(Text), "*** Assertion failed: %s (%s:%d)\n", Expression, File, Line);
    if (Length > 0) {
        HkpWriteAll(Text, (size_t)Length < sizeof(Text) ? (size_t)Length : sizeof(Text) - 1);
    }
    ExRaiseStatus(STATUS_ASSERTION_FAILURE);
}

/* PAGED_CODE(): pageable code runs at IRQL <= APC_LEVEL (§13 residency). */
VOID
HkPagedCode(PCSTR File, int Line)
{
    if (HkpCurrentThread()->Irql > APC_LEVEL) {
        HkAssertionFailed("PAGED_CODE(): pageable code called above APC_LEVEL", File, Line);
    }
}

VOID NTAPI
DbgBreakPoint(VOID)
{
    /* No kernel debugger: an unhandled breakpoint exception. */
    ExRaiseStatus(STATUS_BREAKPOINT);
}

/* ------------------------------------------------------------------------ */
/* Debug output: host printf semantics, one write per call (whole lines).  */
/* ------------------------------------------------------------------------ */

ULONG
vDbgPrintEx(ULONG ComponentId, ULONG Level, PCCHAR Format, va_list arglist)
{
    char Buffer[1024];
    int Length;

    UNREFERENCED_PARAMETER(ComponentId);
    UNREFERENCED_PARAMETER(Level);
    Length = vsnprintf(Buffer, sizeof(Buffer), Format, arglist);
    if (Length < 0) {
        return (ULONG)STATUS_INVALID_PARAMETER;
    }
    HkpWriteAll(Buffer, (size_t)Length < sizeof(Buffer) ? (size_t)Length : sizeof(Buffer) - 1);
    return (ULONG)STATUS_SUCCESS;
}

ULONG
DbgPrint(PCSTR Format, ...)
{
    va_list Args;
    ULONG Status;

    va_start(Args, Format);
    Status = vDbgPrintEx(DPFLTR_DEFAULT_ID, DPFLTR_ERROR_LEVEL, Format, Args);
    va_end(Args);
    return Status;
}

ULONG
DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
    va_list Args;
    ULONG Status;

    va_start(Args, Format);
    Status = vDbgPrintEx(ComponentId, Level, Format, Args);
    va_end(Args);
    return Status;
}
