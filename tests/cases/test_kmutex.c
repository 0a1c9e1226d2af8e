/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of KMutex: the behaviour every lock shares (lock_cases.inc)
 *              plus recursion, the critical region a held KMUTEX puts its
 *              holder in, the DISPATCH_LEVEL try/release pairing, and what the
 *              kernel does to raw KMUTEX misuse the library guards against.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

WM_DECLARE_KMUTEX_TYPE(WMT_KM, WmtKm, WMT_VALUE);

#define WMT_GEN_SUITE                kmutex
#define WMT_GEN_TYPE                 WMT_KM
#define WMT_GEN_PREFIX               WmtKm
#define WMT_GEN_MAX_WAIT_IRQL        APC_LEVEL
#define WMT_GEN_MAX_TRY_IRQL         DISPATCH_LEVEL
#define WMT_GEN_TIMED_WAIT           1
#define WMT_GEN_HANDOFF_FLAGS        WMT_KMUTEX_HANDOFF
#define WMT_GEN_UNLOCK_TOO_HIGH_IRQL HIGH_LEVEL
#define WMT_GEN_RECURSIVE            1
#include "lock_cases.inc"

/* ------------------------------------------------------------------------ */
/* Recursion                                                                */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(kmutex, recursive_lock_needs_as_many_unlocks)
{
    WMT_GEN_PROBER Prober;
    WMT_KM Mutex;
    WMT_KM_GUARD Guards[4];
    BOOLEAN ApcModel = WmtKernelKMutexDisablesApcs();
    NTSTATUS Status;
    ULONG Taken = 0;
    ULONG Index;

    RtlZeroMemory(Guards, sizeof(Guards));
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGenProberStart(&Prober, Mutex), STATUS_SUCCESS);

    /* Every way of locking works for the owner, each with its own guard. */
    Status = WmtKmLock(Mutex, &Guards[0]);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    Taken += Status == STATUS_SUCCESS;
    Status = WmtKmLock(Mutex, &Guards[1]);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    Taken += Status == STATUS_SUCCESS;
    Status = WmtKmTryLock(Mutex, &Guards[2]);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    Taken += Status == STATUS_SUCCESS;
    Status = WmtKmLockTimeout(Mutex, WM_TIMEOUT_MS(10), &Guards[3]);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    Taken += Status == STATUS_SUCCESS;

    if (Taken == 4) {
        for (Index = 1; Index < 4; Index++) {
            WMT_EXPECT(Guards[Index].Value == Guards[0].Value);
        }
        Guards[3].Value->Counter += 1;
        WMT_EXPECT_EQ(Guards[0].Value->Counter, 1);

        /* Released in reverse order; held until the last unlock. */
        for (Index = 3; Index > 0; Index--) {
            WMT_EXPECT_STATUS(WmtKmUnlock(&Guards[Index]), STATUS_SUCCESS);
            WMT_EXPECT(Guards[Index].Value == NULL);
            WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == TRUE);
            WMT_EXPECT(!ApcModel || KeAreApcsDisabled() == TRUE);
            WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), STATUS_WM_LOCK_BUSY);
        }
        WMT_EXPECT_STATUS(WmtKmUnlock(&Guards[0]), STATUS_SUCCESS);
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == FALSE);
        WMT_EXPECT(KeAreApcsDisabled() == FALSE);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), STATUS_SUCCESS);

        /* Newest first (lock.h): an older guard is refused, releasing
         * nothing and staying armed, until the newer one has released. */
        WMT_EXPECT_STATUS(WmtKmLock(Mutex, &Guards[0]), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmtKmLock(Mutex, &Guards[1]), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmtKmUnlock(&Guards[0]), STATUS_WM_NOT_OWNER);
        WMT_EXPECT(Guards[0].Value != NULL);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), STATUS_WM_LOCK_BUSY);
        WMT_EXPECT_STATUS(WmtKmUnlock(&Guards[1]), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), STATUS_WM_LOCK_BUSY);
        WMT_EXPECT_STATUS(WmtKmUnlock(&Guards[0]), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), STATUS_SUCCESS);
        /* Each guard released once. */
        WMT_EXPECT_STATUS(WmtKmUnlock(&Guards[0]), STATUS_WM_NOT_LOCKED);
        WMT_EXPECT_STATUS(WmtKmUnlock(&Guards[1]), STATUS_WM_NOT_LOCKED);
    } else {
        for (Index = 0; Index < 4; Index++) {
            if (Guards[Index].Value != NULL) {
                (VOID)WmtKmUnlock(&Guards[Index]);
            }
        }
    }
    WmtGenProberStop(&Prober);
    WMT_STOP_IF_FAILED();
    WMT_CHECK_STATUS(WmtKmDestroy(&Mutex), STATUS_SUCCESS);
}

/* A copy of a released guard is refused (status.h, STATUS_WM_NOT_OWNER:
 * "a copy of an already released guard ... Nothing released"), also while
 * the thread still holds the mutex through another, live guard: the copy
 * must not release the live guard's acquisition. A copy of a live guard is
 * that guard to the library (lock.h): it releases in the guard's turn, and
 * the original is refused after it. */
WMT_TEST_FN(kmutex, stale_guard_copy_refused_while_held_recursively)
{
    WMT_KM Mutex;
    WMT_KM_GUARD First = { 0 };
    WMT_KM_GUARD Second = { 0 };
    WMT_KM_GUARD Copy;
    WMT_KM_GUARD FirstCopy;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtKmLock(Mutex, &First), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtKmLock(Mutex, &Second), STATUS_SUCCESS);
    Copy = Second;
    FirstCopy = First;
    WMT_EXPECT_STATUS(WmtKmUnlock(&FirstCopy), STATUS_WM_NOT_OWNER);  /* not the newest yet */
    WMT_EXPECT_STATUS(WmtKmUnlock(&Second), STATUS_SUCCESS);

    WMT_EXPECT_STATUS(WmtKmUnlock(&Copy), STATUS_WM_NOT_OWNER);
    /* First's acquisition is still there: held. A second nested lock and
     * unlock leave the stale copy refused. */
    WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == TRUE);
    WMT_EXPECT_STATUS(WmtGenTryFromOtherThread(Mutex), STATUS_WM_LOCK_BUSY);
    WMT_EXPECT_STATUS(WmtKmLock(Mutex, &Second), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtKmUnlock(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmtKmUnlock(&Second), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtKmUnlock(&Copy), STATUS_WM_NOT_OWNER);
    /* First's copy is First now that it is the newest; First is refused after. */
    WMT_EXPECT_STATUS(WmtKmUnlock(&FirstCopy), STATUS_SUCCESS);
    WMT_EXPECT(FirstCopy.Value == NULL);
    WMT_EXPECT_STATUS(WmtKmUnlock(&First), STATUS_WM_NOT_OWNER);
    WMT_CHECK_STATUS(WmtGenTryFromOtherThread(Mutex), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtKmDestroy(&Mutex), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* APC state and IRQL while held                                            */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(kmutex, held_disables_normal_kernel_apcs_only)
{
    WMT_KM Mutex;
    WMT_KM_GUARD Outer = { 0 };
    WMT_KM_GUARD Inner = { 0 };

    if (!WmtKernelKMutexDisablesApcs()) {
        WMT_SKIP(WMT_NO_KMUTEX_APC_MODEL_REASON);
    }
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);

    WMT_CHECK_STATUS(WmtKmLock(Mutex, &Outer), STATUS_SUCCESS);
    /* A critical region: normal kernel APCs off, special kernel APCs on,
     * IRQL unchanged. */
    WMT_EXPECT(KeAreApcsDisabled() == TRUE);
    WMT_EXPECT(KeAreAllApcsDisabled() == FALSE);
    WMT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    WMT_EXPECT_STATUS(WmtKmLock(Mutex, &Inner), STATUS_SUCCESS);
    WMT_EXPECT(KeAreApcsDisabled() == TRUE);
    WMT_EXPECT(KeAreAllApcsDisabled() == FALSE);
    WMT_EXPECT_STATUS(WmtKmUnlock(&Inner), STATUS_SUCCESS);
    WMT_EXPECT(KeAreApcsDisabled() == TRUE);

    WMT_CHECK_STATUS(WmtKmUnlock(&Outer), STATUS_SUCCESS);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
    WMT_CHECK(KeAreAllApcsDisabled() == FALSE);
    WMT_CHECK_STATUS(WmtKmDestroy(&Mutex), STATUS_SUCCESS);
}

#ifdef WM_HOST_MODEL
/* The same, read from the model's counters: one critical-region level per
 * acquisition, none left after the last release. */
WMT_TEST_FN(kmutex, held_counts_in_kernel_apc_disable)
{
    WMT_KM Mutex;
    WMT_KM_GUARD Outer = { 0 };
    WMT_KM_GUARD Inner = { 0 };
    LONG Kernel = HkKernelApcDisable();
    LONG Special = HkSpecialApcDisable();
    LONG Owned = HkThreadOwnedMutexCount();

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtKmLock(Mutex, &Outer), STATUS_SUCCESS);
    WMT_EXPECT(HkKernelApcDisable() != Kernel);
    WMT_EXPECT_EQ(HkSpecialApcDisable(), Special);
    WMT_EXPECT_EQ(HkThreadOwnedMutexCount(), Owned + 1);
    WMT_EXPECT_STATUS(WmtKmLock(Mutex, &Inner), STATUS_SUCCESS);
    WMT_EXPECT_EQ(HkThreadOwnedMutexCount(), Owned + 1);   /* the same mutex */
    WMT_EXPECT_STATUS(WmtKmUnlock(&Inner), STATUS_SUCCESS);
    WMT_EXPECT(HkKernelApcDisable() != Kernel);
    WMT_CHECK_STATUS(WmtKmUnlock(&Outer), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkKernelApcDisable(), Kernel);
    WMT_CHECK_EQ(HkSpecialApcDisable(), Special);
    WMT_CHECK_EQ(HkThreadOwnedMutexCount(), Owned);
    WMT_CHECK_STATUS(WmtKmDestroy(&Mutex), STATUS_SUCCESS);
}
#endif

/* ------------------------------------------------------------------------ */
/* DISPATCH_LEVEL: try works there, and must be released there              */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(kmutex, try_at_dispatch_releases_at_dispatch_only)
{
    WMT_KM Mutex;
    WMT_KM_GUARD Guard = { 0 };
    NTSTATUS Status;
    KIRQL Old;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);

    /* Taken at DISPATCH_LEVEL, release attempted below it: refused, held. */
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    Status = WmtKmTryLock(Mutex, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    WmtLowerIrql(Old);
    if (Status == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmtKmUnlockSafe(&Guard), STATUS_WM_IRQL_MISMATCH);
        WMT_EXPECT(Guard.Value != NULL);
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == TRUE);
        Old = WmtRaiseIrql(DISPATCH_LEVEL);
        WMT_EXPECT_STATUS(WmtKmUnlockSafe(&Guard), STATUS_SUCCESS);
        WmtLowerIrql(Old);
    }
    WMT_STOP_IF_FAILED();

    /* Taken below DISPATCH_LEVEL, release attempted at it: refused, held. */
    WMT_CHECK_STATUS(WmtKmLock(Mutex, &Guard), STATUS_SUCCESS);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    WMT_EXPECT_STATUS(WmtKmUnlockSafe(&Guard), STATUS_WM_IRQL_MISMATCH);
    WMT_EXPECT(Guard.Value != NULL);
    WmtLowerIrql(Old);
    /* APC_LEVEL is still "below DISPATCH_LEVEL": allowed. */
    Old = WmtRaiseIrql(APC_LEVEL);
    WMT_EXPECT_STATUS(WmtKmUnlockSafe(&Guard), STATUS_SUCCESS);
    WmtLowerIrql(Old);
    WMT_CHECK(Guard.Value == NULL);
    WMT_CHECK(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == FALSE);
    WMT_CHECK_STATUS(WmtKmDestroy(&Mutex), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Raw KMUTEX misuse: what the kernel does where the library returns a status */
/* ------------------------------------------------------------------------ */

#ifdef WM_HOST_MODEL
static KMUTEX WmtRawMutex;

/* KeReleaseMutex of a mutex the thread no longer owns raises
 * STATUS_MUTANT_NOT_OWNED; unhandled in a system context that is bug check
 * 0x1E KMODE_EXCEPTION_NOT_HANDLED with P1 = the exception code. The library's
 * double unlock returns STATUS_WM_NOT_LOCKED instead. */
WMT_TEST_FN(kmutex, raw_double_release_bugchecks)
{
    KeInitializeMutex(&WmtRawMutex, 0);
    (VOID)KeWaitForSingleObject(&WmtRawMutex, Executive, KernelMode, FALSE, NULL);
    (VOID)KeReleaseMutex(&WmtRawMutex, FALSE);
    (VOID)KeReleaseMutex(&WmtRawMutex, FALSE);
    WMT_CHECK(!"the second KeReleaseMutex returned");
}

static KSTART_ROUTINE WmtExitHoldingThread;

static VOID NTAPI
WmtExitHoldingThread(_In_ PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    (VOID)KeWaitForSingleObject(&WmtRawMutex, Executive, KernelMode, FALSE, NULL);
    /* Returns (and the thread exits) still owning the mutex. */
}

/* A thread that exits owning a KMUTEX: THREAD_TERMINATE_HELD_MUTEX
 * (0x4000008A; P1 = the thread, so not compared). */
WMT_TEST_FN(kmutex, raw_thread_exit_holding_bugchecks)
{
    WMT_THREAD Thread;

    KeInitializeMutex(&WmtRawMutex, 0);
    WMT_CHECK_STATUS(WmtStartThread(&Thread, WmtExitHoldingThread, NULL), STATUS_SUCCESS);
    (VOID)WmtJoinThread(&Thread);
    WMT_CHECK(!"a thread exited holding a KMUTEX and the kernel let it");
}
#endif /* WM_HOST_MODEL */

WMT_SUITE(kmutex) {
    WMT_GEN_CASES,
    WMT_CASE(kmutex, recursive_lock_needs_as_many_unlocks, 0),
    WMT_CASE(kmutex, stale_guard_copy_refused_while_held_recursively, 0),
    WMT_CASE(kmutex, held_disables_normal_kernel_apcs_only, 0),
#ifdef WM_HOST_MODEL
    WMT_CASE(kmutex, held_counts_in_kernel_apc_disable, WMT_HOST_ONLY),
#endif
    WMT_CASE(kmutex, try_at_dispatch_releases_at_dispatch_only, WMT_NEEDS_IRQL),
#ifdef WM_HOST_MODEL
    WMT_DEATH_CASE(kmutex, raw_double_release_bugchecks, 0x1E, 0xC0000046),
    WMT_DEATH_CASE_ANY_PARAM(kmutex, raw_thread_exit_holding_bugchecks, 0x4000008A),
#endif
};
WMT_SUITE_END(kmutex);
