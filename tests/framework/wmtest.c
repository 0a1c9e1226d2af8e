/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The test framework: a libc-free formatter, failure recording
 *              that helper threads can use, system-thread helpers, the kernel
 *              capability probes, and the runner that checks every test for
 *              leaked IRQL, pool and helper threads.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc:
 *              only DDIs, <stdarg.h> and <stddef.h>.
 */
#include <stdarg.h>
#include <stddef.h>

#include "wmtest.h"
#include <wdkmutex/wdkmutex.h>

#include "../cases/all_suites.h"

/* ------------------------------------------------------------------------ */
/* Formatter                                                                */
/* ------------------------------------------------------------------------ */

/* Output cursor: writes what fits, counts everything, always terminates. */
typedef struct _WMT_OUT {
    char  *Buffer;
    size_t Size;
    size_t Length;
} WMT_OUT;

static VOID
WmtPutChar(_Inout_ WMT_OUT *Out, _In_ char Char)
{
    if (Out->Length + 1 < Out->Size) {
        Out->Buffer[Out->Length] = Char;
    }
    Out->Length++;
}

static VOID
WmtPutString(_Inout_ WMT_OUT *Out, _In_opt_z_ PCSTR Text)
{
    if (Text == NULL) {
        Text = "(null)";
    }
    while (*Text != '\0') {
        WmtPutChar(Out, *Text++);
    }
}

static VOID
WmtTerminate(_Inout_ WMT_OUT *Out)
{
    if (Out->Size == 0) {
        return;
    }
    Out->Buffer[Out->Length < Out->Size ? Out->Length : Out->Size - 1] = '\0';
}

/* One conversion's flags. */
typedef struct _WMT_SPEC {
    int     Width;
    BOOLEAN LeftAlign;
    BOOLEAN ZeroPad;
    BOOLEAN Upper;      /* %X */
} WMT_SPEC;

static VOID
WmtPutPadded(_Inout_ WMT_OUT *Out, _In_reads_(Length) const char *Text, _In_ int Length,
             _In_ const WMT_SPEC *Spec, _In_ BOOLEAN Negative, _In_opt_z_ PCSTR Prefix)
{
    int PrefixLength = 0;
    int Total;
    int Index;

    while (Prefix != NULL && Prefix[PrefixLength] != '\0') {
        PrefixLength++;
    }
    Total = Length + PrefixLength + (Negative ? 1 : 0);

    /* Space padding goes before the sign, zero padding after it. */
    if (!Spec->LeftAlign && !Spec->ZeroPad) {
        for (Index = Total; Index < Spec->Width; Index++) {
            WmtPutChar(Out, ' ');
        }
    }
    if (Negative) {
        WmtPutChar(Out, '-');
    }
    if (Prefix != NULL) {
        WmtPutString(Out, Prefix);
    }
    if (!Spec->LeftAlign && Spec->ZeroPad) {
        for (Index = Total; Index < Spec->Width; Index++) {
            WmtPutChar(Out, '0');
        }
    }
    for (Index = 0; Index < Length; Index++) {
        WmtPutChar(Out, Text[Index]);
    }
    if (Spec->LeftAlign) {
        for (Index = Total; Index < Spec->Width; Index++) {
            WmtPutChar(Out, ' ');
        }
    }
}

static VOID
WmtPutNumber(_Inout_ WMT_OUT *Out, _In_ unsigned long long Value, _In_ unsigned Base,
             _In_ BOOLEAN Negative, _In_ const WMT_SPEC *Spec, _In_opt_z_ PCSTR Prefix)
{
    const char *Digits = Spec->Upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char Reversed[24];
    char Text[24];
    int Length = 0;
    int Index;

    do {
        Reversed[Length++] = Digits[Value % Base];
        Value /= Base;
    } while (Value != 0 && Length < (int)sizeof(Reversed));
    for (Index = 0; Index < Length; Index++) {
        Text[Index] = Reversed[Length - 1 - Index];
    }
    WmtPutPadded(Out, Text, Length, Spec, Negative, Prefix);
}

/* Length modifiers understood: none (int), l (long), ll (long long), z (size_t). */
typedef enum _WMT_LENGTH { WmtLengthInt, WmtLengthLong, WmtLengthLongLong, WmtLengthSize } WMT_LENGTH;

/* Formats like a small vsnprintf: %s %c %d %i %u %x %X %p %% with l/ll/z, the
 * '-' and '0' flags and a field width. Returns the length it wanted. */
static size_t
WmtFormatV(_Out_writes_(Size) char *Buffer, _In_ size_t Size, _In_z_ PCSTR Format, _In_ va_list Args)
{
    WMT_OUT Out;
    WMT_SPEC Spec;
    WMT_LENGTH LengthKind;
    unsigned long long Magnitude;
    long long Signed;
    char Char;

    Out.Buffer = Buffer;
    Out.Size = Size;
    Out.Length = 0;

    while ((Char = *Format++) != '\0') {
        if (Char != '%') {
            WmtPutChar(&Out, Char);
            continue;
        }
        Spec.Width = 0;
        Spec.LeftAlign = FALSE;
        Spec.ZeroPad = FALSE;
        Spec.Upper = FALSE;
        for (;;) {
            if (*Format == '-') {
                Spec.LeftAlign = TRUE;
            } else if (*Format == '0') {
                Spec.ZeroPad = TRUE;
            } else {
                break;
            }
            Format++;
        }
        while (*Format >= '0' && *Format <= '9') {
            Spec.Width = Spec.Width * 10 + (*Format++ - '0');
        }
        LengthKind = WmtLengthInt;
        if (*Format == 'l') {
            Format++;
            LengthKind = WmtLengthLong;
            if (*Format == 'l') {
                Format++;
                LengthKind = WmtLengthLongLong;
            }
        } else if (*Format == 'z') {
            Format++;
            LengthKind = WmtLengthSize;
        }

        Char = *Format++;
        switch (Char) {
        case 'd':
        case 'i':
            if (LengthKind == WmtLengthLongLong) {
                Signed = va_arg(Args, long long);
            } else if (LengthKind == WmtLengthLong) {
                Signed = va_arg(Args, long);
            } else if (LengthKind == WmtLengthSize) {
                Signed = (long long)va_arg(Args, size_t);
            } else {
                Signed = va_arg(Args, int);
            }
            /* Negate in unsigned arithmetic: -LLONG_MIN does not exist. */
            Magnitude = Signed < 0 ? 0ULL - (unsigned long long)Signed : (unsigned long long)Signed;
            WmtPutNumber(&Out, Magnitude, 10, Signed < 0, &Spec, NULL);
            break;
        case 'u':
        case 'x':
        case 'X':
            if (LengthKind == WmtLengthLongLong) {
                Magnitude = va_arg(Args, unsigned long long);
            } else if (LengthKind == WmtLengthLong) {
                Magnitude = va_arg(Args, unsigned long);
            } else if (LengthKind == WmtLengthSize) {
                Magnitude = va_arg(Args, size_t);
            } else {
                Magnitude = va_arg(Args, unsigned int);
            }
            Spec.Upper = (Char == 'X');
            WmtPutNumber(&Out, Magnitude, Char == 'u' ? 10 : 16, FALSE, &Spec, NULL);
            break;
        case 'p':
            Magnitude = (unsigned long long)(ULONG_PTR)va_arg(Args, void *);
            WmtPutNumber(&Out, Magnitude, 16, FALSE, &Spec, "0x");
            break;
        case 'c': {
            char One = (char)va_arg(Args, int);
            WmtPutPadded(&Out, &One, 1, &Spec, FALSE, NULL);
            break;
        }
        case 's': {
            PCSTR Text = va_arg(Args, PCSTR);
            int Length = 0;
            if (Text == NULL) {
                Text = "(null)";
            }
            while (Text[Length] != '\0') {
                Length++;
            }
            Spec.ZeroPad = FALSE;
            WmtPutPadded(&Out, Text, Length, &Spec, FALSE, NULL);
            break;
        }
        case '%':
            WmtPutChar(&Out, '%');
            break;
        case '\0':
            /* A lone '%' at the end: print it and stop. */
            WmtPutChar(&Out, '%');
            Format--;
            break;
        default:
            /* Unknown conversion: show it as written rather than guess. */
            WmtPutChar(&Out, '%');
            WmtPutChar(&Out, Char);
            break;
        }
    }
    WmtTerminate(&Out);
    return Out.Length;
}

static size_t
WmtFormat(_Out_writes_(Size) char *Buffer, _In_ size_t Size, _In_z_ PCSTR Format, ...)
{
    va_list Args;
    size_t Length;

    va_start(Args, Format);
    Length = WmtFormatV(Buffer, Size, Format, Args);
    va_end(Args);
    return Length;
}

/* Marks a truncated line so a reader knows the message went on. */
static VOID
WmtMarkTruncated(_Inout_updates_(Size) char *Buffer, _In_ size_t Size, _In_ size_t Wanted)
{
    if (Wanted >= Size && Size > 4) {
        Buffer[Size - 4] = '.';
        Buffer[Size - 3] = '.';
        Buffer[Size - 2] = '.';
        Buffer[Size - 1] = '\0';
    }
}

/* ------------------------------------------------------------------------ */
/* Test state (shared with helper threads)                                  */
/* ------------------------------------------------------------------------ */

#define WMT_LINE_SIZE    640
#define WMT_NAME_SIZE    128
#define WMT_MAX_THREADS  160  /* registry.call_slots_more_threads_than_slots: 144 */
#define WMT_JOIN_WARN_MS 60000

static char WmtCurrentName[WMT_NAME_SIZE];   /* "suite.name" of the running test */
static LONG volatile WmtFailureCount;        /* failures recorded by any thread   */
static LONG volatile WmtFirstClaimed;        /* 1 once a thread owns WmtFirstFailure */
static LONG volatile WmtFirstReady;          /* 1 once WmtFirstFailure is written  */
static char WmtFirstFailure[WMT_LINE_SIZE];  /* "<file>:<line> <message>"          */
static PCSTR volatile WmtSkipReason;

static LONG
WmtReadLong(_In_ LONG volatile *Value)
{
    return InterlockedCompareExchange(Value, 0, 0);
}

/* File name without directories: CMake passes absolute paths to __FILE__. */
static PCSTR
WmtBaseName(_In_z_ PCSTR Path)
{
    PCSTR Base = Path;

    for (; *Path != '\0'; Path++) {
        if (*Path == '/' || *Path == '\\') {
            Base = Path + 1;
        }
    }
    return Base;
}

static VOID
WmtPrintLine(_In_z_ PCSTR Format, ...)
{
    char Line[WMT_LINE_SIZE + WMT_NAME_SIZE];
    va_list Args;
    size_t Wanted;

    va_start(Args, Format);
    Wanted = WmtFormatV(Line, sizeof(Line), Format, Args);
    va_end(Args);
    WmtMarkTruncated(Line, sizeof(Line), Wanted);
    WmtPlatformPrint(Line);
}

static VOID
WmtRecordFailureV(_In_z_ PCSTR File, _In_ int Line, _In_z_ PCSTR Format, _In_ va_list Args)
{
    char Message[WMT_LINE_SIZE];
    size_t Used;
    size_t Wanted;

    Used = WmtFormat(Message, sizeof(Message), "%s:%d ", WmtBaseName(File), Line);
    if (Used >= sizeof(Message)) {
        Used = sizeof(Message) - 1;
    }
    Wanted = Used + WmtFormatV(Message + Used, sizeof(Message) - Used, Format, Args);
    WmtMarkTruncated(Message, sizeof(Message), Wanted);

    InterlockedIncrement(&WmtFailureCount);
    if (InterlockedCompareExchange(&WmtFirstClaimed, 1, 0) == 0) {
        /* The first failure becomes the FAIL line's message. */
        RtlCopyMemory(WmtFirstFailure, Message, sizeof(Message));
        InterlockedExchange(&WmtFirstReady, 1);
    }
    /* Every failure is also shown as it happens, so it is in the log even
     * if the test then hangs or the kernel brings the run down. */
    WmtPrintLine("WMT INFO %s check failed: %s", WmtCurrentName, Message);
}

VOID
WmtFail(PCSTR File, int Line, PCSTR Format, ...)
{
    va_list Args;

    va_start(Args, Format);
    WmtRecordFailureV(File, Line, Format, Args);
    va_end(Args);
}

/* The framework's own checks, reported with the framework's location. */
static VOID
WmtFrameworkFail(_In_z_ PCSTR Format, ...)
{
    va_list Args;

    va_start(Args, Format);
    WmtRecordFailureV(__FILE__, __LINE__, Format, Args);
    va_end(Args);
}

VOID
WmtSkip(PCSTR Reason)
{
    InterlockedExchangePointer((PVOID volatile *)&WmtSkipReason, (PVOID)Reason);
}

VOID
WmtInfo(PCSTR Format, ...)
{
    char Text[WMT_LINE_SIZE];
    va_list Args;
    size_t Wanted;

    va_start(Args, Format);
    Wanted = WmtFormatV(Text, sizeof(Text), Format, Args);
    va_end(Args);
    WmtMarkTruncated(Text, sizeof(Text), Wanted);
    WmtPrintLine("WMT INFO %s", Text);
}

BOOLEAN
WmtFailed(VOID)
{
    return WmtReadLong(&WmtFailureCount) != 0;
}

PCSTR
WmtStatusText(NTSTATUS Status)
{
    static const char Unknown[] = "STATUS_<unknown>";
    PCSTR Name = WmStatusName(Status);
    ULONG Index;

    for (Index = 0; Index < sizeof(Unknown) && Name[Index] == Unknown[Index]; Index++) {
    }
    if (Index != sizeof(Unknown)) { /* the library knows it */
        return Name;
    }
    /* Kernel codes a failing test may see that the library never returns. */
    switch (Status) {
    case STATUS_PENDING:          return "STATUS_PENDING";
    case STATUS_ALERTED:          return "STATUS_ALERTED";
    case STATUS_USER_APC:         return "STATUS_USER_APC";
    case STATUS_NO_MEMORY:        return "STATUS_NO_MEMORY";
    case STATUS_NOT_IMPLEMENTED:  return "STATUS_NOT_IMPLEMENTED";
    case STATUS_ACCESS_VIOLATION: return "STATUS_ACCESS_VIOLATION";
    case STATUS_MUTANT_LIMIT_EXCEEDED: return "STATUS_MUTANT_LIMIT_EXCEEDED";
    default:                      return Name;
    }
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * The thread object type for ObReferenceObjectByHandle. The WDK declares
 * "extern POBJECT_TYPE *PsThreadType" without dllimport: the name is the
 * import slot, and *PsThreadType reads the exported variable. mingw-w64
 * declares it NTSYSAPI (dllimport) with the same type, so the name already
 * is the exported variable's value, and *PsThreadType would read one level
 * too deep (a fault in Wine).
 */
#if defined(__MINGW32__) && !defined(_NTSYSTEM_)
#define WMT_THREAD_OBJECT_TYPE ((POBJECT_TYPE)(PVOID)PsThreadType)
#else
#define WMT_THREAD_OBJECT_TYPE (*PsThreadType)
#endif

/* Static slots: starting a thread allocates no pool, so a test that injects
 * pool failures can still start helpers, and pool accounting stays exact. */
typedef struct _WMT_THREAD_SLOT {
    LONG volatile   InUse;
    PKSTART_ROUTINE Routine;
    PVOID           Context;
    PVOID volatile  Object;
} WMT_THREAD_SLOT;

static WMT_THREAD_SLOT WmtThreadSlots[WMT_MAX_THREADS];
static LONG volatile WmtLiveThreads;

static KSTART_ROUTINE WmtThreadMain;

static VOID
NTAPI WmtThreadMain(_In_ PVOID Context)
{
    WMT_THREAD_SLOT *Slot = (WMT_THREAD_SLOT *)Context;
    KIRQL Irql;

    Slot->Routine(Slot->Context);

    /* A helper that returns with IRQL raised is a test bug; the kernel would
     * bug-check the exit, so report it and exit cleanly. */
    Irql = KeGetCurrentIrql();
    if (Irql != PASSIVE_LEVEL) {
        WmtFrameworkFail("helper thread returned at IRQL %u", (unsigned)Irql);
        KeLowerIrql(PASSIVE_LEVEL);
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

NTSTATUS
WmtStartThread(WMT_THREAD *Thread, PKSTART_ROUTINE Routine, PVOID Context)
{
    WMT_THREAD_SLOT *Slot = NULL;
    HANDLE Handle = NULL;
    PVOID Object = NULL;
    NTSTATUS Status;
    ULONG Index;

    if (Thread == NULL || Routine == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    Thread->Object = NULL;
    for (Index = 0; Index < WMT_MAX_THREADS; Index++) {
        if (InterlockedCompareExchange(&WmtThreadSlots[Index].InUse, 1, 0) == 0) {
            Slot = &WmtThreadSlots[Index];
            break;
        }
    }
    if (Slot == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    Slot->Routine = Routine;
    Slot->Context = Context;
    InterlockedExchangePointer(&Slot->Object, NULL);

    Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, WmtThreadMain, Slot);
    if (!NT_SUCCESS(Status)) {
        InterlockedExchange(&Slot->InUse, 0);
        return Status;
    }
    Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, WMT_THREAD_OBJECT_TYPE, KernelMode, &Object, NULL);
    ZwClose(Handle);
    if (!NT_SUCCESS(Status)) {
        /* The thread runs but cannot be waited for: keep its slot forever
         * (its routine and context stay valid) and report it. */
        WmtFrameworkFail("ObReferenceObjectByHandle(thread) returned 0x%08lx", (unsigned long)(ULONG)Status);
        return Status;
    }
    InterlockedExchangePointer(&Slot->Object, Object);
    InterlockedIncrement(&WmtLiveThreads);
    Thread->Object = Object;
    return STATUS_SUCCESS;
}

NTSTATUS
WmtJoinThread(WMT_THREAD *Thread)
{
    LARGE_INTEGER Timeout;
    NTSTATUS Status;
    ULONG Index;

    if (Thread == NULL || Thread->Object == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    /* Wait forever, but say so in the log if a helper looks stuck. */
    Timeout.QuadPart = WMT_MS(WMT_JOIN_WARN_MS);
    Status = KeWaitForSingleObject(Thread->Object, Executive, KernelMode, FALSE, &Timeout);
    if (Status == STATUS_TIMEOUT) {
        WmtFrameworkFail("helper thread still running after %u ms (deadlock?)", (unsigned)WMT_JOIN_WARN_MS);
        Status = KeWaitForSingleObject(Thread->Object, Executive, KernelMode, FALSE, NULL);
    }
    if (Status != STATUS_SUCCESS) {
        return Status;
    }
    for (Index = 0; Index < WMT_MAX_THREADS; Index++) {
        if (InterlockedCompareExchangePointer(&WmtThreadSlots[Index].Object, NULL, Thread->Object)
            == Thread->Object) {
            InterlockedExchange(&WmtThreadSlots[Index].InUse, 0);
            break;
        }
    }
    ObDereferenceObject(Thread->Object);
    Thread->Object = NULL;
    InterlockedDecrement(&WmtLiveThreads);
    return STATUS_SUCCESS;
}

NTSTATUS
WmtRunThreads(ULONG Count, PKSTART_ROUTINE Routine, PVOID Context)
{
    WMT_THREAD Threads[16];
    NTSTATUS Status = STATUS_SUCCESS;
    NTSTATUS JoinStatus;
    ULONG Started;
    ULONG Index;

    if (Count == 0 || Count > 16) {
        return STATUS_INVALID_PARAMETER;
    }
    for (Started = 0; Started < Count; Started++) {
        Status = WmtStartThread(&Threads[Started], Routine, Context);
        if (!NT_SUCCESS(Status)) {
            break;
        }
    }
    for (Index = 0; Index < Started; Index++) {
        JoinStatus = WmtJoinThread(&Threads[Index]);
        if (NT_SUCCESS(Status) && !NT_SUCCESS(JoinStatus)) {
            Status = JoinStatus;
        }
    }
    return Status;
}

VOID
WmtSleep(ULONG Milliseconds)
{
    LARGE_INTEGER Interval;

    Interval.QuadPart = WMT_MS(Milliseconds);
    (VOID)KeDelayExecutionThread(KernelMode, FALSE, &Interval);
}

/* ------------------------------------------------------------------------ */
/* Kernel capability probes                                                 */
/* ------------------------------------------------------------------------ */

BOOLEAN
WmtKernelModelsIrql(VOID)
{
    KIRQL OldIrql;
    KIRQL Raised;

    KeRaiseIrql(APC_LEVEL, &OldIrql);
    Raised = KeGetCurrentIrql();
    KeLowerIrql(OldIrql);
    return Raised == APC_LEVEL;
}

typedef struct _WMT_HANDOFF_PROBE {
    KMUTEX   Mutex;
    KEVENT   Held;        /* the holder owns the mutex (or failed to)      */
    KEVENT   Waiting;     /* the waiter is about to wait                   */
    NTSTATUS HolderStatus;
} WMT_HANDOFF_PROBE;

static KSTART_ROUTINE WmtHandoffHolder;

static VOID
NTAPI WmtHandoffHolder(_In_ PVOID Context)
{
    WMT_HANDOFF_PROBE *Probe = (WMT_HANDOFF_PROBE *)Context;
    NTSTATUS Status;

    Status = KeWaitForSingleObject(&Probe->Mutex, Executive, KernelMode, FALSE, NULL);
    Probe->HolderStatus = Status;
    KeSetEvent(&Probe->Held, IO_NO_INCREMENT, FALSE);
    if (Status != STATUS_SUCCESS) {
        return;
    }
    (VOID)KeWaitForSingleObject(&Probe->Waiting, Executive, KernelMode, FALSE, NULL);
    /* Give the waiter time to block; the answer does not depend on it. */
    WmtSleep(100);
    (VOID)KeReleaseMutex(&Probe->Mutex, FALSE);
}

BOOLEAN
WmtKernelHandsOffKMutex(VOID)
{
    WMT_HANDOFF_PROBE Probe;
    WMT_THREAD Holder;
    LARGE_INTEGER Timeout;
    NTSTATUS Status;
    BOOLEAN HandedOff = FALSE;

    KeInitializeMutex(&Probe.Mutex, 0);
    KeInitializeEvent(&Probe.Held, NotificationEvent, FALSE);
    KeInitializeEvent(&Probe.Waiting, NotificationEvent, FALSE);
    Probe.HolderStatus = STATUS_UNSUCCESSFUL;

    Status = WmtStartThread(&Holder, WmtHandoffHolder, &Probe);
    if (!NT_SUCCESS(Status)) {
        WmtInfo("KMUTEX hand-off probe: could not start a thread (0x%08lx)", (unsigned long)(ULONG)Status);
        return FALSE;
    }
    (VOID)KeWaitForSingleObject(&Probe.Held, Executive, KernelMode, FALSE, NULL);
    if (Probe.HolderStatus == STATUS_SUCCESS) {
        KeSetEvent(&Probe.Waiting, IO_NO_INCREMENT, FALSE);
        /* The holder releases ~100 ms into this wait; a kernel that hands the
         * mutex to a waiter returns STATUS_SUCCESS well before 2 s. */
        Timeout.QuadPart = WMT_MS(2000);
        Status = KeWaitForSingleObject(&Probe.Mutex, Executive, KernelMode, FALSE, &Timeout);
        if (Status == STATUS_SUCCESS) {
            HandedOff = TRUE;
            (VOID)KeReleaseMutex(&Probe.Mutex, FALSE);
        }
    } else {
        WmtInfo("KMUTEX hand-off probe: uncontended wait returned 0x%08lx",
                (unsigned long)(ULONG)Probe.HolderStatus);
    }
    /* On a timeout the holder has released already (or is about to): joining
     * it leaves the mutex unowned and nothing running. */
    (VOID)WmtJoinThread(&Holder);
    return HandedOff;
}

/* ------------------------------------------------------------------------ */
/* Runner                                                                   */
/* ------------------------------------------------------------------------ */

#define WMT_DECLARE_ONE_(Suite) WMT_DECLARE_SUITE(Suite);
WMT_ALL_SUITES(WMT_DECLARE_ONE_)
#undef WMT_DECLARE_ONE_

typedef struct _WMT_SUITE_REF {
    const WMT_TEST *Tests;
    const ULONG    *Count;
} WMT_SUITE_REF;

#define WMT_REF_ONE_(Suite) { WmtSuite_##Suite, &WmtSuiteCount_##Suite },
static const WMT_SUITE_REF WmtSuites[] = {
    WMT_ALL_SUITES(WMT_REF_ONE_)
};
#undef WMT_REF_ONE_

static BOOLEAN WmtIrqlModelled;
static BOOLEAN WmtKMutexHandOff;

static BOOLEAN
WmtContains(_In_z_ PCSTR Text, _In_z_ PCSTR Part)
{
    PCSTR Start;
    PCSTR A;
    PCSTR B;

    for (Start = Text;; Start++) {
        for (A = Start, B = Part; *B != '\0' && *A == *B; A++, B++) {
        }
        if (*B == '\0') {
            return TRUE;
        }
        if (*Start == '\0') {
            return FALSE;
        }
    }
}

/* The reason a test cannot run on this kernel, or NULL. */
static PCSTR
WmtUnmetNeed(_In_ const WMT_TEST *Test)
{
    if ((Test->Flags & WMT_HOST_ONLY) != 0 && !WmtPlatformCanRunHostOnly()) {
        return (Test->Flags & WMT_DEATH) != 0
            ? "death test: needs the host kernel model (the test must end in a bug check)"
            : "needs the host kernel model's test hooks (hostkernel.h)";
    }
    if ((Test->Flags & WMT_NEEDS_IRQL) != 0 && !WmtIrqlModelled) {
        return "kernel does not model IRQL (KeGetCurrentIrql reads PASSIVE_LEVEL after KeRaiseIrql)";
    }
    if ((Test->Flags & WMT_KMUTEX_HANDOFF) != 0 && !WmtKMutexHandOff) {
        return "kernel's KMUTEX does not hand off to a waiter (Wine 8 defect, see docs/wine.md)";
    }
    return NULL;
}

static VOID
WmtResetTestState(VOID)
{
    InterlockedExchange(&WmtFailureCount, 0);
    InterlockedExchange(&WmtFirstReady, 0);
    InterlockedExchange(&WmtFirstClaimed, 0);
    InterlockedExchangePointer((PVOID volatile *)&WmtSkipReason, NULL);
    WmtFirstFailure[0] = '\0';
}

/* Runs one ordinary (non-death) test and the checks after it. */
static VOID
WmtRunBody(_In_ const WMT_TEST *Test)
{
    LONG LibraryBefore = WmQueryOutstandingAllocations();
    LONG PoolBefore = WmtPlatformOutstandingPool();
    BOOLEAN ApcsBefore = KeAreApcsDisabled();
    LONG ThreadsBefore = WmtReadLong(&WmtLiveThreads);
    LONG LibraryAfter;
    LONG PoolAfter;
    LONG Threads;
    KIRQL Irql;

    Test->Routine();

    Threads = WmtReadLong(&WmtLiveThreads);
    if (Threads != ThreadsBefore) {
        WmtFrameworkFail("test returned with %ld helper thread(s) not joined",
                         (long)(Threads - ThreadsBefore));
    }
    Irql = KeGetCurrentIrql();
    if (Irql != PASSIVE_LEVEL) {
        WmtFrameworkFail("test left IRQL at %u (expected PASSIVE_LEVEL)", (unsigned)Irql);
        KeLowerIrql(PASSIVE_LEVEL);
    }
    LibraryAfter = WmQueryOutstandingAllocations();
    if (LibraryAfter != LibraryBefore) {
        WmtFrameworkFail("library pool blocks outstanding: %ld before the test, %ld after",
                         (long)LibraryBefore, (long)LibraryAfter);
    }
    PoolAfter = WmtPlatformOutstandingPool();
    if (PoolAfter != PoolBefore) {
        WmtFrameworkFail("kernel pool blocks outstanding: %ld before the test, %ld after",
                         (long)PoolBefore, (long)PoolAfter);
    }
    if (KeAreApcsDisabled() != ApcsBefore) {
        WmtFrameworkFail("KeAreApcsDisabled() was %u before the test and %u after (a KMUTEX or "
                         "critical region still held?)", (unsigned)ApcsBefore,
                         (unsigned)KeAreApcsDisabled());
    }
}

static VOID
WmtRunOne(_In_ const WMT_TEST *Test, _Inout_ WMT_RESULTS *Results)
{
    PCSTR Reason;
    PCSTR Why = NULL;
    LONG Failures;

    WmtPrintLine("WMT START %s", WmtCurrentName);
    WmtResetTestState();

    Reason = WmtUnmetNeed(Test);
    if (Reason != NULL) {
        WmtPrintLine("WMT SKIP %s %s", WmtCurrentName, Reason);
        Results->Skipped++;
        return;
    }

    if ((Test->Flags & WMT_DEATH) != 0) {
        if (WmtPlatformRunDeath(Test, &Why)) {
            WmtPrintLine("WMT PASS %s", WmtCurrentName);
            Results->Passed++;
        } else {
            WmtPrintLine("WMT FAIL %s %s:%d %s", WmtCurrentName, WmtBaseName(__FILE__), __LINE__,
                         Why != NULL ? Why : "death test did not end as expected");
            Results->Failed++;
        }
        return;
    }

    WmtRunBody(Test);

    Failures = WmtReadLong(&WmtFailureCount);
    if (Failures != 0) {
        if (Failures > 1) {
            WmtPrintLine("WMT FAIL %s %s (%ld failures in all)", WmtCurrentName,
                         WmtReadLong(&WmtFirstReady) ? WmtFirstFailure : "?", (long)Failures);
        } else {
            WmtPrintLine("WMT FAIL %s %s", WmtCurrentName,
                         WmtReadLong(&WmtFirstReady) ? WmtFirstFailure : "?");
        }
        Results->Failed++;
    } else if (WmtSkipReason != NULL) {
        WmtPrintLine("WMT SKIP %s %s", WmtCurrentName, WmtSkipReason);
        Results->Skipped++;
    } else {
        WmtPrintLine("WMT PASS %s", WmtCurrentName);
        Results->Passed++;
    }
}

VOID
WmtRunAll(PCSTR Filter, WMT_RESULTS *Results)
{
    ULONG SuiteIndex;
    ULONG TestIndex;
    const WMT_TEST *Test;

    Results->Passed = 0;
    Results->Failed = 0;
    Results->Skipped = 0;

    WmtIrqlModelled = WmtKernelModelsIrql();
    WmtPrintLine("WMT INFO kernel models IRQL: %s", WmtIrqlModelled ? "yes" : "no");
    WmtKMutexHandOff = WmtKernelHandsOffKMutex();
    WmtPrintLine("WMT INFO kernel hands a released KMUTEX to a waiter: %s",
                 WmtKMutexHandOff ? "yes" : "no");
    WmtPrintLine("WMT INFO host-model-only tests: %s", WmtPlatformCanRunHostOnly() ? "run" : "skipped");

    for (SuiteIndex = 0; SuiteIndex < sizeof(WmtSuites) / sizeof(WmtSuites[0]); SuiteIndex++) {
        for (TestIndex = 0; TestIndex < *WmtSuites[SuiteIndex].Count; TestIndex++) {
            Test = &WmtSuites[SuiteIndex].Tests[TestIndex];
            WmtFormat(WmtCurrentName, sizeof(WmtCurrentName), "%s.%s", Test->Suite, Test->Name);
            if (Filter != NULL && Filter[0] != '\0' && !WmtContains(WmtCurrentName, Filter)) {
                continue;
            }
            WmtRunOne(Test, Results);
        }
    }
    WmtCurrentName[0] = '\0';
    WmtPrintLine("%lu passed, %lu failed, %lu skipped", (unsigned long)Results->Passed,
                 (unsigned long)Results->Failed, (unsigned long)Results->Skipped);
}
