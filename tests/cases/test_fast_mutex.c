/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of FastMutex: the behaviour every lock shares
 *              (lock_cases.inc) plus the refused recursion, APC_LEVEL while
 *              held, the exact-APC_LEVEL release rule, the try routine that
 *              not every kernel exports, and the raw DDI misuse it prevents.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

#ifdef WM_HOST_MODEL
#include "wmp.h" /* WmpResetRoutineCache: re-resolve after hiding a routine */
#endif

WM_DECLARE_FAST_MUTEX_TYPE(WMT_FM, WmtFm, WMT_VALUE);

#define WMT_GEN_SUITE                fast_mutex
#define WMT_GEN_TYPE                 WMT_FM
#define WMT_GEN_PREFIX               WmtFm
#define WMT_GEN_MAX_WAIT_IRQL        APC_LEVEL
#define WMT_GEN_MAX_TRY_IRQL         APC_LEVEL
#define WMT_GEN_TIMED_WAIT           0
#define WMT_GEN_TRY_EXPORT           "ExTryToAcquireFastMutex"
#define WMT_GEN_HANDOFF_FLAGS        0
#define WMT_GEN_UNLOCK_TOO_HIGH_IRQL DISPATCH_LEVEL
#include "lock_cases.inc"

/* ------------------------------------------------------------------------ */
/* Recursion is refused, not deadlocked                                     */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(fast_mutex, recursive_acquire_refused)
{
    static WMT_VALUE Sentinel;
    WMT_GEN_PROBER Prober;
    WMT_FM Mutex;
    WMT_FM_GUARD Guard = { 0 };
    WMT_FM_GUARD Again = { 0 };
    BOOLEAN CanTry = WmtGenCanTry();
    NTSTATUS Status;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGenProberStart(&Prober, Mutex), STATUS_SUCCESS);
    Status = WmtFmLock(Mutex, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    if (Status == STATUS_SUCCESS) {
        /* Every way of acquiring again is refused, and nothing is armed. */
        Again.Value = &Sentinel;
        WMT_EXPECT_STATUS(WmtFmLock(Mutex, &Again), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT(Again.Value == NULL);
        WMT_EXPECT_STATUS(Again.Base.Status, STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT_STATUS(WmtFmTryLock(Mutex, &Again), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT_STATUS(WmtFmLockTimeout(Mutex, 0, &Again), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT_STATUS(WmtFmLockTimeout(Mutex, WM_TIMEOUT_MS(10), &Again), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT(Again.Value == NULL);
        WMT_EXPECT_STATUS(WmtFmUnlock(&Again), STATUS_WM_NOT_LOCKED);

        /* The first acquisition is untouched: still held, still armed. */
        WMT_EXPECT(Guard.Value == &Mutex.Object->Value);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), WMT_GEN_TRY_BUSY(CanTry));
        Guard.Value->Counter += 1;
        WMT_EXPECT_STATUS(WmtFmUnlock(&Guard), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), WMT_GEN_TRY_FREE(CanTry));
    }
    WmtGenProberStop(&Prober);
    WMT_STOP_IF_FAILED();

    /* The lock is still usable. */
    WMT_CHECK_STATUS(WmtFmLock(Mutex, &Again), STATUS_SUCCESS);
    WMT_CHECK_EQ(Again.Value->Counter, 1);
    WMT_CHECK_STATUS(WmtFmUnlock(&Again), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtFmDestroy(&Mutex), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* IRQL while held, and the release rule                                    */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(fast_mutex, held_runs_at_apc_level)
{
    WMT_FM Mutex;
    WMT_FM_GUARD Guard = { 0 };
    NTSTATUS Status;
    KIRQL Old;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);

    Status = WmtFmLock(Mutex, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    /* Raised to APC_LEVEL: all APCs off. */
    WMT_EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    WMT_EXPECT(KeAreAllApcsDisabled() == TRUE);
    if (Status == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmtFmUnlock(&Guard), STATUS_SUCCESS);
    }
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK(KeAreAllApcsDisabled() == FALSE);

    /* Locked at APC_LEVEL, unlock restores APC_LEVEL (the caller's IRQL). */
    Old = WmtRaiseIrql(APC_LEVEL);
    Status = WmtFmLock(Mutex, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    WMT_EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    if (Status == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmtFmUnlockSafe(&Guard), STATUS_SUCCESS);
    }
    WMT_EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    WmtLowerIrql(Old);
    WMT_CHECK_STATUS(WmtFmDestroy(&Mutex), STATUS_SUCCESS);
}

WMT_TEST_FN(fast_mutex, unlock_safe_below_apc_level_keeps_lock)
{
    WMT_GEN_PROBER Prober;
    WMT_FM Mutex;
    WMT_FM_GUARD Guard = { 0 };
    BOOLEAN CanTry = WmtGenCanTry();
    NTSTATUS Status;
    KIRQL Old;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGenProberStart(&Prober, Mutex), STATUS_SUCCESS);
    Status = WmtFmLock(Mutex, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    if (Status == STATUS_SUCCESS) {
        /* A caller that lowered IRQL while holding it (a bug): refused. */
        KeLowerIrql(PASSIVE_LEVEL);
        WMT_EXPECT_STATUS(WmtFmUnlockSafe(&Guard), STATUS_WM_IRQL_NOT_APC_LEVEL);
        WMT_EXPECT(Guard.Value != NULL);
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == TRUE);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), WMT_GEN_TRY_BUSY(CanTry));
        /* Back at APC_LEVEL it releases and restores the IRQL it saved. */
        Old = WmtRaiseIrql(APC_LEVEL);
        WMT_EXPECT_EQ(Old, PASSIVE_LEVEL);
        WMT_EXPECT_STATUS(WmtFmUnlockSafe(&Guard), STATUS_SUCCESS);
        WMT_EXPECT(Guard.Value == NULL);
        WMT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), WMT_GEN_TRY_FREE(CanTry));
    }
    WmtGenProberStop(&Prober);
    WMT_STOP_IF_FAILED();
    WMT_CHECK_STATUS(WmtFmDestroy(&Mutex), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Try and timeouts                                                         */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(fast_mutex, nonzero_timeout_not_supported)
{
    WMT_FM Mutex;
    WMT_FM_GUARD Guard = { 0 };
    BOOLEAN CanTry = WmtGenCanTry();

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    /* FAST_MUTEX has no timed wait: refused even when free, nothing taken. */
    WMT_CHECK_STATUS(WmtFmLockTimeout(Mutex, WM_TIMEOUT_MS(10), &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK(Guard.Value == NULL);
    WMT_CHECK_STATUS(WmtFmLockTimeout(Mutex, 1, &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == FALSE);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    /* A zero timeout is a try. */
    WMT_CHECK_STATUS(WmtFmLockTimeout(Mutex, 0, &Guard), WMT_GEN_TRY_FREE(CanTry));
    if (Guard.Value != NULL) {
        WMT_CHECK_STATUS(WmtFmUnlock(&Guard), STATUS_SUCCESS);
    }
    WMT_CHECK_STATUS(WmtFmDestroy(&Mutex), STATUS_SUCCESS);
}

#ifdef WM_HOST_MODEL
/* On a kernel without ExTryToAcquireFastMutex (Wine 8) try-lock reports
 * STATUS_NOT_SUPPORTED; once the kernel has it again (after re-resolution)
 * it works. */
WMT_TEST_FN(fast_mutex, try_without_kernel_export_not_supported)
{
    WMT_FM Mutex;
    WMT_FM_GUARD Guard = { 0 };
    NTSTATUS Try;
    NTSTATUS ZeroWait;
    NTSTATUS Lock;
    BOOLEAN Exported;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);

    HkHideRoutine("ExTryToAcquireFastMutex", TRUE);
    WmpResetRoutineCache();
    Exported = WmtKernelExports("ExTryToAcquireFastMutex");
    Try = WmtFmTryLock(Mutex, &Guard);
    if (Try == STATUS_SUCCESS) {
        (VOID)WmtFmUnlock(&Guard);
    }
    ZeroWait = WmtFmLockTimeout(Mutex, 0, &Guard);
    if (ZeroWait == STATUS_SUCCESS) {
        (VOID)WmtFmUnlock(&Guard);
    }
    /* A blocking lock does not need the routine. */
    Lock = WmtFmLock(Mutex, &Guard);
    if (Lock == STATUS_SUCCESS) {
        (VOID)WmtFmUnlock(&Guard);
    }
    HkHideRoutine("ExTryToAcquireFastMutex", FALSE);
    WmpResetRoutineCache();

    WMT_CHECK(Exported == FALSE);
    WMT_CHECK_STATUS(Try, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(ZeroWait, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(Lock, STATUS_SUCCESS);

    WMT_CHECK(WmtKernelExports("ExTryToAcquireFastMutex"));
    WMT_CHECK_STATUS(WmtFmTryLock(Mutex, &Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtFmUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtFmDestroy(&Mutex), STATUS_SUCCESS);
}
#endif

/* Before the optional DDIs are resolved (first use at PASSIVE_LEVEL or
 * WmInitializeLibrary), a try above PASSIVE_LEVEL cannot look the routine
 * up and reports STATUS_NOT_SUPPORTED; after resolution it works there. */
#ifdef WM_HOST_MODEL
WMT_TEST_FN(fast_mutex, try_at_apc_before_resolution)
{
    WMT_FM Mutex;
    WMT_FM_GUARD Guard = { 0 };
    NTSTATUS Before;
    NTSTATUS After;
    KIRQL Old;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK(WmtKernelExports("ExTryToAcquireFastMutex"));

    WmpResetRoutineCache();
    Old = WmtRaiseIrql(APC_LEVEL);
    Before = WmtFmTryLock(Mutex, &Guard);
    if (Before == STATUS_SUCCESS) {
        (VOID)WmtFmUnlockSafe(&Guard);
    }
    WmtLowerIrql(Old);

    WMT_CHECK_STATUS(WmInitializeLibrary(), STATUS_SUCCESS);
    Old = WmtRaiseIrql(APC_LEVEL);
    After = WmtFmTryLock(Mutex, &Guard);
    if (After == STATUS_SUCCESS) {
        WMT_EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
        WMT_EXPECT_STATUS(WmtFmUnlockSafe(&Guard), STATUS_SUCCESS);
    }
    WmtLowerIrql(Old);

    WMT_CHECK_STATUS(Before, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(After, STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtFmDestroy(&Mutex), STATUS_SUCCESS);
}
#endif

/* ------------------------------------------------------------------------ */
/* Raw FAST_MUTEX misuse                                                    */
/* ------------------------------------------------------------------------ */

#ifdef WM_HOST_MODEL
static FAST_MUTEX WmtRawFastMutex;

/* ExAcquireFastMutex above APC_LEVEL: Driver Verifier bug check 0xC4, P1 0x33.
 * The library returns STATUS_WM_IRQL_TOO_HIGH instead (irql_limits_of_lock). */
WMT_TEST_FN(fast_mutex, raw_acquire_at_dispatch_bugchecks)
{
    KIRQL Old;

    ExInitializeFastMutex(&WmtRawFastMutex);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    ExAcquireFastMutex(&WmtRawFastMutex);
    KeLowerIrql(Old);
    WMT_CHECK(!"ExAcquireFastMutex at DISPATCH_LEVEL returned");
}
#endif

WMT_SUITE(fast_mutex) {
    WMT_GEN_CASES,
    WMT_CASE(fast_mutex, recursive_acquire_refused, 0),
    WMT_CASE(fast_mutex, held_runs_at_apc_level, WMT_NEEDS_IRQL),
    WMT_CASE(fast_mutex, unlock_safe_below_apc_level_keeps_lock, WMT_NEEDS_IRQL),
    WMT_CASE(fast_mutex, nonzero_timeout_not_supported, 0),
#ifdef WM_HOST_MODEL
    WMT_CASE(fast_mutex, try_without_kernel_export_not_supported, WMT_HOST_ONLY),
    WMT_CASE(fast_mutex, try_at_apc_before_resolution, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_DEATH_CASE(fast_mutex, raw_acquire_at_dispatch_bugchecks, 0xC4, 0x33),
#endif
};
WMT_SUITE_END(fast_mutex);
