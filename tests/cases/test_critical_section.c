/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of critical sections (KMUTEX- and FAST_MUTEX-backed, no
 *              value) and of the scoped critical / guarded region helpers.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

#ifdef WM_HOST_MODEL
#include "wmp.h" /* WmpResetRoutineCache */
#endif

/* TRUE when a try on a section of Kind works on this kernel. PASSIVE_LEVEL. */
static BOOLEAN
WmtSectionCanTry(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    return Kind == WmCriticalSectionKMutex || WmtKernelExports("ExTryToAcquireFastMutex");
}

/* A section in a driver global (resident, pointer-aligned). */
static WM_CRITICAL_SECTION WmtGlobalSection;

/* ------------------------------------------------------------------------ */
/* Helper threads                                                           */
/* ------------------------------------------------------------------------ */

/* A thread inside the section until told to leave. */
typedef struct _WMT_SECTION_HOLDER {
    PWM_CRITICAL_SECTION Section;
    KEVENT     Inside;
    KEVENT     Leave;
    NTSTATUS   EnterStatus;
    WMT_THREAD Thread;
} WMT_SECTION_HOLDER;

static KSTART_ROUTINE WmtSectionHolderThread;

static VOID NTAPI
WmtSectionHolderThread(_In_ PVOID Context)
{
    WMT_SECTION_HOLDER *Holder = Context;
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };

    Holder->EnterStatus = WmEnterCriticalSection(Holder->Section, &Guard);
    KeSetEvent(&Holder->Inside, IO_NO_INCREMENT, FALSE);
    (VOID)KeWaitForSingleObject(&Holder->Leave, Executive, KernelMode, FALSE, NULL);
    if (Holder->EnterStatus == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    }
}

static NTSTATUS
WmtSectionStartHolder(_Out_ WMT_SECTION_HOLDER *Holder, _In_ PWM_CRITICAL_SECTION Section)
{
    NTSTATUS Status;

    Holder->Section = Section;
    Holder->EnterStatus = STATUS_UNSUCCESSFUL;
    KeInitializeEvent(&Holder->Inside, NotificationEvent, FALSE);
    KeInitializeEvent(&Holder->Leave, NotificationEvent, FALSE);
    Status = WmtStartThread(&Holder->Thread, WmtSectionHolderThread, Holder);
    if (!NT_SUCCESS(Status)) {
        Holder->Thread.Object = NULL;
        return Status;
    }
    (VOID)KeWaitForSingleObject(&Holder->Inside, Executive, KernelMode, FALSE, NULL);
    return Holder->EnterStatus;
}

static VOID
WmtSectionStopHolder(_Inout_ WMT_SECTION_HOLDER *Holder)
{
    if (Holder->Thread.Object != NULL) {
        KeSetEvent(&Holder->Leave, IO_NO_INCREMENT, FALSE);
        WMT_EXPECT_STATUS(WmtJoinThread(&Holder->Thread), STATUS_SUCCESS);
    }
}

/* ------------------------------------------------------------------------ */
/* Bodies run for both kinds                                                */
/* ------------------------------------------------------------------------ */

static VOID
WmtSectionLifeCycle(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    LONG Before = WmQueryOutstandingAllocations();
    PWM_CRITICAL_SECTION Pool = NULL;
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };
    BOOLEAN CanTry = WmtSectionCanTry(Kind); /* a lookup: PASSIVE_LEVEL, not while inside */
    BOOLEAN ModelsIrql = WmtKernelModelsIrql(); /* probes by raising: not while inside */

    /* Caller storage: no pool at all. */
    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_SUCCESS);
    WMT_CHECK(Guard.Base.Lock == &WmtGlobalSection.Lock.Header);
    WMT_CHECK_EQ(Guard.Base.Status, STATUS_SUCCESS);
    WMT_CHECK(WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_WM_MUTEX_HELD);
    WMT_CHECK_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    WMT_CHECK(Guard.Base.Lock == NULL);
    WMT_CHECK(!WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    WMT_CHECK_STATUS(WmLeaveCriticalSection(&Guard), STATUS_WM_NOT_LOCKED);
    WMT_CHECK_STATUS(WmLeaveCriticalSectionSafe(&Guard), STATUS_WM_NOT_LOCKED);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
    /* Deleted: refused until initialised again. */
    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK(Guard.Base.Lock == NULL);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_SUCCESS);
    /* Leave-safe checks the IRQL: a FAST_MUTEX section needs APC_LEVEL, which
     * a kernel without an IRQL model (Wine) never reports. */
    WMT_CHECK_STATUS(ModelsIrql || Kind == WmCriticalSectionKMutex ? WmLeaveCriticalSectionSafe(&Guard)
                                                                   : WmLeaveCriticalSection(&Guard),
                     STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);

    /* Pool: one block, freed by delete. */
    WMT_CHECK_STATUS(WmCreateCriticalSection(Kind, &Pool), STATUS_SUCCESS);
    WMT_CHECK(Pool != NULL);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 1);
    WMT_CHECK_STATUS(WmEnterCriticalSectionTimeout(Pool, WM_TIMEOUT_MS(10),
                                                   &Guard),
                     Kind == WmCriticalSectionKMutex ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED);
    if (Guard.Base.Lock != NULL) {
        WMT_CHECK_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    }
    WMT_CHECK_STATUS(WmTryEnterCriticalSection(Pool, &Guard), CanTry ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED);
    if (Guard.Base.Lock != NULL) {
        WMT_CHECK_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    }
    WMT_CHECK_STATUS(WmDeleteCriticalSection(Pool), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

static VOID
WmtSectionBadParameters(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    static union {
        WM_CRITICAL_SECTION Section;
        UCHAR Bytes[sizeof(WM_CRITICAL_SECTION) + 16];
    } Raw;
    PWM_CRITICAL_SECTION Pool = (PWM_CRITICAL_SECTION)(ULONG_PTR)1;
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };
    LONG Before = WmQueryOutstandingAllocations();

    WMT_CHECK_STATUS(WmInitializeCriticalSection(NULL, Kind), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmInitializeCriticalSection((PWM_CRITICAL_SECTION)(PVOID)(Raw.Bytes + 1), Kind),
                     STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmInitializeCriticalSection(&Raw.Section, (WM_CRITICAL_SECTION_KIND)7),
                     STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmCreateCriticalSection(Kind, NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmCreateCriticalSection((WM_CRITICAL_SECTION_KIND)7, &Pool), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK(Pool == NULL);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);

    WMT_CHECK_STATUS(WmEnterCriticalSection(NULL, &Guard), STATUS_WM_NOT_INITIALIZED);
    /* Never initialised (zeroed, as a driver global is): refused, and no
     * kernel object is touched (enter reads it as a KMUTEX section, whose
     * Ops check refuses it). */
    RtlZeroMemory(&Raw, sizeof(Raw));
    WMT_CHECK_STATUS(WmEnterCriticalSection(&Raw.Section, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK(Guard.Base.Lock == NULL);
    WMT_CHECK_STATUS(WmTryEnterCriticalSection(&Raw.Section, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmEnterCriticalSectionTimeout(&Raw.Section, 0, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&Raw.Section), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmTryEnterCriticalSection(NULL, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmEnterCriticalSectionTimeout(NULL, 0, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(NULL), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmInitializeCriticalSection(&Raw.Section, Kind), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmEnterCriticalSection(&Raw.Section, NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmTryEnterCriticalSection(&Raw.Section, NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmEnterCriticalSectionTimeout(&Raw.Section, 0, NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmLeaveCriticalSection(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmLeaveCriticalSectionSafe(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&Raw.Section), STATUS_SUCCESS);
}

/* Recursion: a KMUTEX section nests (one leave per enter), a FAST_MUTEX one
 * is refused. */
static VOID
WmtSectionRecursion(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    WM_CRITICAL_SECTION_GUARD Outer = { 0 };
    WM_CRITICAL_SECTION_GUARD Inner = { 0 };

    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Outer), STATUS_SUCCESS);
    if (Kind == WmCriticalSectionKMutex) {
        WMT_EXPECT_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Inner), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Inner), STATUS_SUCCESS);
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    } else {
        WMT_EXPECT_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Inner), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT_STATUS(WmTryEnterCriticalSection(&WmtGlobalSection, &Inner), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT(Inner.Base.Lock == NULL);
    }
    WMT_CHECK_STATUS(WmLeaveCriticalSection(&Outer), STATUS_SUCCESS);
    WMT_CHECK(!WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
}

/* Another thread inside: try and a zero timeout fail, delete is refused,
 * leave from the wrong thread is refused. */
typedef struct _WMT_SECTION_FOREIGN {
    PWM_CRITICAL_SECTION_GUARD Guard;
    KEVENT   Go;       /* the test is inside: try to leave for it */
    KEVENT   Done;
    NTSTATUS Leave;
    NTSTATUS LeaveSafe;
} WMT_SECTION_FOREIGN;

static KSTART_ROUTINE WmtSectionForeignLeaveThread;

/* Started before the test enters (threads are created at PASSIVE_LEVEL; a
 * FAST_MUTEX section runs the test at APC_LEVEL). */
static VOID NTAPI
WmtSectionForeignLeaveThread(_In_ PVOID Context)
{
    WMT_SECTION_FOREIGN *Foreign = Context;

    (VOID)KeWaitForSingleObject(&Foreign->Go, Executive, KernelMode, FALSE, NULL);
    Foreign->Leave = WmLeaveCriticalSection(Foreign->Guard);
    Foreign->LeaveSafe = WmLeaveCriticalSectionSafe(Foreign->Guard);
    KeSetEvent(&Foreign->Done, IO_NO_INCREMENT, FALSE);
}

static VOID
WmtSectionContention(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    WMT_SECTION_HOLDER Holder;
    WMT_SECTION_FOREIGN Foreign;
    WMT_THREAD Thread;
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };
    BOOLEAN CanTry = WmtSectionCanTry(Kind);
    NTSTATUS Status;

    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    Status = WmtSectionStartHolder(&Holder, &WmtGlobalSection);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    if (Status == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmTryEnterCriticalSection(&WmtGlobalSection, &Guard),
                          CanTry ? STATUS_WM_LOCK_BUSY : STATUS_NOT_SUPPORTED);
        WMT_EXPECT(Guard.Base.Lock == NULL);
        WMT_EXPECT_STATUS(WmEnterCriticalSectionTimeout(&WmtGlobalSection, 0, &Guard),
                          CanTry ? STATUS_TIMEOUT : STATUS_NOT_SUPPORTED);
        if (Kind == WmCriticalSectionKMutex) {
            WMT_EXPECT_STATUS(WmEnterCriticalSectionTimeout(&WmtGlobalSection, WM_TIMEOUT_MS(30), &Guard),
                              STATUS_TIMEOUT);
        }
        WMT_EXPECT(Guard.Base.Lock == NULL);
        WMT_EXPECT_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_WM_MUTEX_HELD);
    }
    WmtSectionStopHolder(&Holder);
    WMT_STOP_IF_FAILED();

    /* Entered here, left elsewhere: refused, still entered. */
    Foreign.Guard = &Guard;
    Foreign.Leave = Foreign.LeaveSafe = STATUS_UNSUCCESSFUL;
    KeInitializeEvent(&Foreign.Go, NotificationEvent, FALSE);
    KeInitializeEvent(&Foreign.Done, NotificationEvent, FALSE);
    WMT_CHECK_STATUS(WmtStartThread(&Thread, WmtSectionForeignLeaveThread, &Foreign), STATUS_SUCCESS);
    Status = WmEnterCriticalSection(&WmtGlobalSection, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    KeSetEvent(&Foreign.Go, IO_NO_INCREMENT, FALSE);
    (VOID)KeWaitForSingleObject(&Foreign.Done, Executive, KernelMode, FALSE, NULL);
    if (Status == STATUS_SUCCESS) {
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
        WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    }
    WMT_EXPECT_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);
    WMT_CHECK_STATUS(Foreign.Leave, STATUS_WM_NOT_OWNER);
    WMT_CHECK_STATUS(Foreign.LeaveSafe, STATUS_WM_NOT_OWNER);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
}

/* Scoped forms: the body runs inside; the section is left however it ends. */
#if WM_HAS_CLEANUP_ATTRIBUTE
static NTSTATUS
WmtSectionAuto(_In_ PWM_CRITICAL_SECTION Section, _In_ BOOLEAN Early, _Out_ BOOLEAN *Held)
{
    WM_CRITICAL_SECTION_GUARD Guard WM_AUTO_UNLOCK(WM_CRITICAL_SECTION) = { 0 };
    NTSTATUS Status = WmEnterCriticalSection(Section, &Guard);

    *Held = FALSE;
    if (Status != STATUS_SUCCESS) {
        return Status;
    }
    *Held = WmIsLockOwnedByCurrentThread(&Section->Lock.Header);
    if (Early) {
        return STATUS_ALERTED;
    }
    return STATUS_SUCCESS;
}
#endif

static VOID
WmtSectionScoped(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    NTSTATUS Status = STATUS_UNSUCCESSFUL;
    BOOLEAN Inside = FALSE;
    ULONG Round;
    ULONG Tail = 0;

    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    for (Round = 0; Round < 4; Round++) {
        WM_WITH_CRITICAL_SECTION(&WmtGlobalSection, Guard, Status) {
            Inside = WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header);
            if ((Round & 1) != 0) {
                WM_LEAVE;
            }
            Tail++;
        } WM_END_WITH_CRITICAL_SECTION(Guard);
        WMT_CHECK_STATUS(Status, STATUS_SUCCESS);
        WMT_CHECK(Inside);
        WMT_CHECK(!WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
        WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    }
    WMT_CHECK_EQ(Tail, 2);
    WM_WITH_LOCK(WM_CRITICAL_SECTION, Guard, Status, WmEnterCriticalSection(&WmtGlobalSection, &Guard)) {
        Tail++;
    } WM_END_WITH_LOCK(WM_CRITICAL_SECTION, Guard);
    WMT_CHECK_EQ(Tail, 3);
    WM_WITH_CRITICAL_SECTION(NULL, Guard, Status) {
        Tail++;
    } WM_END_WITH_CRITICAL_SECTION(Guard);
    WMT_CHECK_STATUS(Status, STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_EQ(Tail, 3);
#if WM_HAS_CLEANUP_ATTRIBUTE
    WMT_CHECK_STATUS(WmtSectionAuto(&WmtGlobalSection, TRUE, &Inside), STATUS_ALERTED);
    WMT_CHECK(Inside);
    WMT_CHECK(!WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    WMT_CHECK_STATUS(WmtSectionAuto(&WmtGlobalSection, FALSE, &Inside), STATUS_SUCCESS);
    WMT_CHECK(!WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
#endif
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
}

/* IRQL: enter <= APC_LEVEL; a FAST_MUTEX section runs its holder at
 * APC_LEVEL; leave-safe keeps the section on a wrong IRQL. */
static VOID
WmtSectionIrql(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };
    NTSTATUS Status;
    KIRQL Old;

    WMT_CHECK_STATUS(WmInitializeLibrary(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    WMT_EXPECT_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmEnterCriticalSectionTimeout(&WmtGlobalSection, WM_TIMEOUT_MS(1), &Guard),
                      STATUS_WM_IRQL_TOO_HIGH);
    /* A KMUTEX section may be tried at DISPATCH_LEVEL (zero-timeout wait). */
    Status = WmTryEnterCriticalSection(&WmtGlobalSection, &Guard);
    WMT_EXPECT_STATUS(Status, Kind == WmCriticalSectionKMutex ? STATUS_SUCCESS : STATUS_WM_IRQL_TOO_HIGH);
    if (Status == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmLeaveCriticalSectionSafe(&Guard), STATUS_SUCCESS);
    }
    WmtLowerIrql(Old);
    WMT_STOP_IF_FAILED();

    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_SUCCESS);
    WMT_EXPECT_EQ(KeGetCurrentIrql(), Kind == WmCriticalSectionFastMutex ? APC_LEVEL : PASSIVE_LEVEL);
    /* KMUTEX: a critical region; FAST_MUTEX: APC_LEVEL (all APCs off). */
    WMT_EXPECT((Kind == WmCriticalSectionKMutex ? KeAreApcsDisabled() : KeAreAllApcsDisabled()) == TRUE);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    Status = WmLeaveCriticalSectionSafe(&Guard);
    WmtLowerIrql(Old);
    WMT_EXPECT_STATUS(Status, Kind == WmCriticalSectionKMutex ? STATUS_WM_IRQL_MISMATCH : STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT(Guard.Base.Lock != NULL);
    WMT_CHECK_STATUS(WmLeaveCriticalSectionSafe(&Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);

    /* Create/initialize/delete: <= DISPATCH_LEVEL. */
    Old = WmtRaiseIrql(HIGH_LEVEL);
    WMT_EXPECT_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_WM_IRQL_TOO_HIGH);
    WmtLowerIrql(Old);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    WMT_EXPECT_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
    WmtLowerIrql(Old);
}

/* Four threads, 100000 entries each, a plain counter, no lost update. */
static LONGLONG WmtSectionCounter;

static KSTART_ROUTINE WmtSectionStressThread;

static VOID NTAPI
WmtSectionStressThread(_In_ PVOID Context)
{
    PWM_CRITICAL_SECTION Section = Context;
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };
    ULONG Index;

    for (Index = 0; Index < 100000; Index++) {
        if (WmEnterCriticalSection(Section, &Guard) != STATUS_SUCCESS) {
            WMT_EXPECT(!"enter failed");
            return;
        }
        WmtSectionCounter = WmtSectionCounter + 1;
        if (WmLeaveCriticalSection(&Guard) != STATUS_SUCCESS) {
            WMT_EXPECT(!"leave failed");
            return;
        }
    }
}

/* Copies of an armed guard (lock.h): a guard is told from a stale copy by
 * the acquisition count, so the first leave through either one releases and
 * the other is refused after it. A KMUTEX section is recursive: a copy of the
 * outer guard is refused while an inner one is live (newest first). Either
 * way the section is entered and left once per enter. */
static VOID
WmtSectionCopies(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };
    WM_CRITICAL_SECTION_GUARD Inner = { 0 };
    WM_CRITICAL_SECTION_GUARD Copy;

    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_SUCCESS);
    Copy = Guard;
    if (Kind == WmCriticalSectionKMutex) {
        WMT_EXPECT_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Inner), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Copy), STATUS_WM_NOT_OWNER);
        WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Inner), STATUS_SUCCESS);
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    }
    WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Copy), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Guard), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Copy), STATUS_WM_NOT_LOCKED);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK(!WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    /* Left once: free for the next enter, and deletable. */
    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_SUCCESS);
    Copy = Guard;
    WMT_CHECK_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
    /* A copy of the last guard, after the delete: refused (under Wine by
     * its token, the owner being NULL: lock.c), nothing entered. */
    WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmLeaveCriticalSectionSafe(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static VOID
WmtSectionStress(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    PWM_CRITICAL_SECTION Section;

    WmtSectionCounter = 0;
    WMT_CHECK_STATUS(WmCreateCriticalSection(Kind, &Section), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRunThreads(4, WmtSectionStressThread, Section), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(Section), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtSectionCounter, 400000);
}

/* Every enter form arms a guard that the inline leave releases, whatever
 * bytes the guard held before (it is an _Out_ parameter); and a section
 * deleted and initialised again as the other kind refuses a stale copy of
 * a guard of the first one, releasing nothing. */
static VOID
WmtSectionEnterFormsAndKindChange(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    WM_CRITICAL_SECTION_KIND Other = Kind == WmCriticalSectionKMutex ? WmCriticalSectionFastMutex
                                                                      : WmCriticalSectionKMutex;
    WM_CRITICAL_SECTION_GUARD Guard;
    WM_CRITICAL_SECTION_GUARD Copy;
    NTSTATUS Status;

    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Kind), STATUS_SUCCESS);
    RtlFillMemory(&Guard, sizeof(Guard), 0xA5);
    Status = WmTryEnterCriticalSection(&WmtGlobalSection, &Guard);
    WMT_EXPECT(Status == STATUS_SUCCESS || Status == STATUS_NOT_SUPPORTED);
    if (Status == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    }
    if (Kind == WmCriticalSectionKMutex) {
        RtlFillMemory(&Guard, sizeof(Guard), 0x5A);
        WMT_EXPECT_STATUS(WmEnterCriticalSectionTimeout(&WmtGlobalSection, 0, &Guard), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    }
    WMT_STOP_IF_FAILED();

    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_SUCCESS);
    Copy = Guard;
    WMT_CHECK_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, Other), STATUS_SUCCESS);
    /* Worst case: the new count has come round to the copy's token, as it
     * may after 2^31 acquisitions. Only the count's parity, which differs
     * between the kinds (lock.h), still tells the copy from the new guard:
     * leave does not compare the section's kind again. */
    WmtGlobalSection.Lock.Header.Generation =
        ((ULONG)Copy.Base.Token - 2) | WMP_GENERATION_PARITY(Other == WmCriticalSectionKMutex);
    WMT_CHECK_STATUS(WmEnterCriticalSection(&WmtGlobalSection, &Guard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT(WmIsLockOwnedByCurrentThread(&WmtGlobalSection.Lock.Header));
    WMT_EXPECT_STATUS(WmLeaveCriticalSection(&Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
}

#define WMT_SECTION_BOTH(Name, Body)                                            \
    WMT_TEST_FN(critical_section, kmutex_##Name) { Body(WmCriticalSectionKMutex); } \
    WMT_TEST_FN(critical_section, fast_mutex_##Name) { Body(WmCriticalSectionFastMutex); }

WMT_SECTION_BOTH(life_cycle, WmtSectionLifeCycle)
WMT_SECTION_BOTH(bad_parameters, WmtSectionBadParameters)
WMT_SECTION_BOTH(recursion, WmtSectionRecursion)
WMT_SECTION_BOTH(contention, WmtSectionContention)
WMT_SECTION_BOTH(scoped_forms, WmtSectionScoped)
WMT_SECTION_BOTH(irql, WmtSectionIrql)
WMT_SECTION_BOTH(stress_no_lost_update, WmtSectionStress)
WMT_SECTION_BOTH(guard_copies, WmtSectionCopies)
WMT_SECTION_BOTH(enter_forms_and_kind_change, WmtSectionEnterFormsAndKindChange)

#ifdef WM_HOST_MODEL
WMT_TEST_FN(critical_section, pool_failure_at_create)
{
    PWM_CRITICAL_SECTION Section = (PWM_CRITICAL_SECTION)(ULONG_PTR)1;
    LONG Before = WmQueryOutstandingAllocations();
    NTSTATUS Status;

    HkPoolFailAfter(1);
    Status = WmCreateCriticalSection(WmCriticalSectionFastMutex, &Section);
    HkPoolFailAfter(0);
    WMT_CHECK_STATUS(Status, STATUS_WM_POOL_ALLOCATION_FAILED);
    WMT_CHECK(Section == NULL);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

/* A FAST_MUTEX section's try on a kernel without ExTryToAcquireFastMutex. */
WMT_TEST_FN(critical_section, fast_mutex_try_without_export)
{
    WM_CRITICAL_SECTION_GUARD Guard = { 0 };
    NTSTATUS Try;

    WMT_CHECK_STATUS(WmInitializeCriticalSection(&WmtGlobalSection, WmCriticalSectionFastMutex), STATUS_SUCCESS);
    HkHideRoutine("ExTryToAcquireFastMutex", TRUE);
    WmpResetRoutineCache();
    Try = WmTryEnterCriticalSection(&WmtGlobalSection, &Guard);
    if (Try == STATUS_SUCCESS) {
        (VOID)WmLeaveCriticalSection(&Guard);
    }
    HkHideRoutine("ExTryToAcquireFastMutex", FALSE);
    WmpResetRoutineCache();
    WMT_CHECK_STATUS(Try, STATUS_NOT_SUPPORTED);
    WMT_CHECK(Guard.Base.Lock == NULL);
    WMT_CHECK_STATUS(WmDeleteCriticalSection(&WmtGlobalSection), STATUS_SUCCESS);
}
#endif

/* ------------------------------------------------------------------------ */
/* Regions                                                                  */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(critical_section, region_enter_leave)
{
    WM_REGION_GUARD Critical = { 0 };
    WM_REGION_GUARD Guarded = { 0 };
    WM_REGION_GUARD Copy;
#ifdef WM_HOST_MODEL
    SHORT KernelBefore = HkKernelApcDisable();
    SHORT SpecialBefore = HkSpecialApcDisable();
#endif

    WMT_CHECK(KeAreApcsDisabled() == FALSE);
    WMT_CHECK_STATUS(WmEnterCriticalRegion(&Critical), STATUS_SUCCESS);
    WMT_CHECK(Critical.Thread != NULL);
    WMT_CHECK_EQ(Critical.Status, STATUS_SUCCESS);
    WMT_EXPECT(KeAreApcsDisabled() == TRUE);
#ifdef WM_HOST_MODEL
    WMT_EXPECT_EQ(HkKernelApcDisable(), KernelBefore - 1);
#endif
    /* Regions nest: each guard leaves its own. */
    WMT_CHECK_STATUS(WmEnterGuardedRegion(&Guarded), STATUS_SUCCESS);
#ifdef WM_HOST_MODEL
    WMT_EXPECT_EQ(HkSpecialApcDisable(), SpecialBefore - 1);
    WMT_EXPECT(KeAreAllApcsDisabled() == TRUE);
#endif
    Copy = Guarded;
    /* A copy of an armed guard is refused: one enter, one leave. */
    WMT_CHECK_STATUS(WmLeaveRegion(&Copy), STATUS_WM_NOT_OWNER);
    WMT_CHECK_STATUS(WmLeaveRegionSafe(&Copy), STATUS_WM_NOT_OWNER);
    WMT_CHECK_STATUS(WmLeaveRegion(&Guarded), STATUS_SUCCESS);
    WMT_CHECK(Guarded.Thread == NULL);
    WMT_CHECK_STATUS(WmLeaveRegion(&Guarded), STATUS_WM_NOT_LOCKED);
    WMT_CHECK_STATUS(WmLeaveRegionSafe(&Guarded), STATUS_WM_NOT_LOCKED);
    WMT_CHECK_STATUS(WmLeaveRegion(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT(KeAreApcsDisabled() == TRUE);
#ifdef WM_HOST_MODEL
    WMT_EXPECT_EQ(HkSpecialApcDisable(), SpecialBefore);
#endif
    WMT_CHECK_STATUS(WmLeaveRegionSafe(&Critical), STATUS_SUCCESS);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
#ifdef WM_HOST_MODEL
    WMT_CHECK_EQ(HkKernelApcDisable(), KernelBefore);
#endif
    WMT_CHECK_STATUS(WmEnterCriticalRegion(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmEnterGuardedRegion(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmLeaveRegion(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmLeaveRegionSafe(NULL), STATUS_WM_INVALID_PARAMETER);
}

static KSTART_ROUTINE WmtRegionForeignThread;

static VOID NTAPI
WmtRegionForeignThread(_In_ PVOID Context)
{
    PWM_REGION_GUARD Guard = Context;

    WMT_EXPECT_STATUS(WmLeaveRegion(Guard), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmLeaveRegionSafe(Guard), STATUS_WM_NOT_OWNER);
}

WMT_TEST_FN(critical_section, region_left_only_by_its_thread)
{
    WM_REGION_GUARD Region = { 0 };

    WMT_CHECK_STATUS(WmEnterGuardedRegion(&Region), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRunThreads(1, WmtRegionForeignThread, &Region), STATUS_SUCCESS);
    WMT_EXPECT(Region.Thread != NULL);
    WMT_CHECK_STATUS(WmLeaveRegion(&Region), STATUS_SUCCESS);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
}

WMT_TEST_FN(critical_section, region_irql)
{
    WM_REGION_GUARD Region = { 0 };
    NTSTATUS Status;
    KIRQL Old;

    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    WMT_EXPECT_STATUS(WmEnterCriticalRegion(&Region), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT(Region.Thread == NULL);
    WMT_EXPECT_EQ(Region.Status, STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmEnterGuardedRegion(&Region), STATUS_WM_IRQL_TOO_HIGH);
    WmtLowerIrql(Old);
    WMT_STOP_IF_FAILED();

    /* At APC_LEVEL both work. */
    Old = WmtRaiseIrql(APC_LEVEL);
    WMT_EXPECT_STATUS(WmEnterCriticalRegion(&Region), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmLeaveRegionSafe(&Region), STATUS_SUCCESS);
    WmtLowerIrql(Old);

    /* Leave-safe above APC_LEVEL stays in the region. */
    WMT_CHECK_STATUS(WmEnterCriticalRegion(&Region), STATUS_SUCCESS);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    Status = WmLeaveRegionSafe(&Region);
    WmtLowerIrql(Old);
    WMT_EXPECT_STATUS(Status, STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT(KeAreApcsDisabled() == TRUE);
    WMT_CHECK_STATUS(WmLeaveRegionSafe(&Region), STATUS_SUCCESS);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
}

#if WM_HAS_CLEANUP_ATTRIBUTE
static BOOLEAN
WmtRegionAuto(_In_ BOOLEAN Early)
{
    WM_REGION_GUARD Region WM_AUTO_UNLOCK(WM_REGION) = { 0 };

    if (WmEnterCriticalRegion(&Region) != STATUS_SUCCESS) {
        return FALSE;
    }
    if (Early) {
        return KeAreApcsDisabled();
    }
    return KeAreApcsDisabled();
}
#endif

WMT_TEST_FN(critical_section, region_scoped_forms)
{
    NTSTATUS Status = STATUS_UNSUCCESSFUL;
    BOOLEAN Inside = FALSE;
    ULONG Round;
#ifdef WM_HOST_MODEL
    SHORT SpecialBefore = HkSpecialApcDisable();
#endif

    for (Round = 0; Round < 2; Round++) {
        WM_WITH_CRITICAL_REGION(Region, Status) {
            Inside = KeAreApcsDisabled();
            if (Round == 1) {
                WM_LEAVE;
            }
        } WM_END_WITH_REGION(Region);
        WMT_CHECK_STATUS(Status, STATUS_SUCCESS);
        WMT_CHECK(Inside);
        WMT_CHECK(KeAreApcsDisabled() == FALSE);
    }
    Inside = FALSE;
    WM_WITH_GUARDED_REGION(Region, Status) {
#ifdef WM_HOST_MODEL
        Inside = HkSpecialApcDisable() == SpecialBefore - 1;
#else
        Inside = TRUE;
#endif
    } WM_END_WITH_REGION(Region);
    WMT_CHECK_STATUS(Status, STATUS_SUCCESS);
    WMT_CHECK(Inside);
#ifdef WM_HOST_MODEL
    WMT_CHECK_EQ(HkSpecialApcDisable(), SpecialBefore);
#endif
#if WM_HAS_CLEANUP_ATTRIBUTE
    WMT_CHECK(WmtRegionAuto(TRUE));
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
    WMT_CHECK(WmtRegionAuto(FALSE));
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
#endif
}

#ifdef WM_HOST_MODEL
/* Raw misuse: KeLeaveCriticalRegion without an enter, 0xC4 P1 0x3E. The
 * library's leave of a disarmed region guard returns STATUS_WM_NOT_LOCKED. */
WMT_TEST_FN(critical_section, raw_leave_region_unbalanced_bugchecks)
{
    KeLeaveCriticalRegion();
    WMT_CHECK(!"an unbalanced KeLeaveCriticalRegion returned");
}
#endif

WMT_SUITE(critical_section) {
    WMT_CASE(critical_section, kmutex_life_cycle, 0),
    WMT_CASE(critical_section, fast_mutex_life_cycle, 0),
    WMT_CASE(critical_section, kmutex_bad_parameters, 0),
    WMT_CASE(critical_section, fast_mutex_bad_parameters, 0),
    WMT_CASE(critical_section, kmutex_recursion, 0),
    WMT_CASE(critical_section, fast_mutex_recursion, 0),
    WMT_CASE(critical_section, kmutex_contention, WMT_KMUTEX_HANDOFF),
    WMT_CASE(critical_section, fast_mutex_contention, 0),
    WMT_CASE(critical_section, kmutex_scoped_forms, 0),
    WMT_CASE(critical_section, fast_mutex_scoped_forms, 0),
    WMT_CASE(critical_section, kmutex_irql, WMT_NEEDS_IRQL),
    WMT_CASE(critical_section, fast_mutex_irql, WMT_NEEDS_IRQL),
    WMT_CASE(critical_section, kmutex_stress_no_lost_update, WMT_SLOW | WMT_KMUTEX_HANDOFF),
    WMT_CASE(critical_section, fast_mutex_stress_no_lost_update, WMT_SLOW),
    WMT_CASE(critical_section, kmutex_guard_copies, 0),
    WMT_CASE(critical_section, fast_mutex_guard_copies, 0),
    WMT_CASE(critical_section, kmutex_enter_forms_and_kind_change, 0),
    WMT_CASE(critical_section, fast_mutex_enter_forms_and_kind_change, 0),
    WMT_CASE(critical_section, region_enter_leave, 0),
    WMT_CASE(critical_section, region_left_only_by_its_thread, 0),
    WMT_CASE(critical_section, region_irql, WMT_NEEDS_IRQL),
    WMT_CASE(critical_section, region_scoped_forms, 0),
#ifdef WM_HOST_MODEL
    WMT_CASE(critical_section, pool_failure_at_create, WMT_HOST_ONLY),
    WMT_CASE(critical_section, fast_mutex_try_without_export, WMT_HOST_ONLY),
    WMT_DEATH_CASE(critical_section, raw_leave_region_unbalanced_bugchecks, 0xC4, 0x3E),
#endif
};
WMT_SUITE_END(critical_section);
