/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of GuardedMutex: the behaviour every lock shares
 *              (lock_cases.inc) on the native KGUARDED_MUTEX and, on the host,
 *              again on the FAST_MUTEX fallback (the guarded-mutex exports
 *              hidden, as on Wine 8); the guarded region while held, refused
 *              recursion, the IRQL limits of create, and raw DDI misuse.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

#ifdef WM_HOST_MODEL
#include "wmp.h" /* WmpResetRoutineCache: re-resolve after hiding a routine */
#endif

WM_DECLARE_GUARDED_MUTEX_TYPE(WMT_GM, WmtGm, WMT_VALUE);

#define WMT_GEN_SUITE                guarded_mutex
#define WMT_GEN_TYPE                 WMT_GM
#define WMT_GEN_PREFIX               WmtGm
#define WMT_GEN_MAX_WAIT_IRQL        APC_LEVEL
#define WMT_GEN_MAX_TRY_IRQL         APC_LEVEL
#define WMT_GEN_TIMED_WAIT           0
#define WMT_GEN_TRY_EXPORT           "KeTryToAcquireGuardedMutex"
#define WMT_GEN_HANDOFF_FLAGS        0
#define WMT_GEN_UNLOCK_TOO_HIGH_IRQL DISPATCH_LEVEL
#include "lock_cases.inc"

/* The backing a new lock gets on this kernel. PASSIVE_LEVEL. */
static WM_GUARDED_MUTEX_BACKING
WmtGmExpectedBacking(VOID)
{
    return WmtKernelExports("KeAcquireGuardedMutex") && WmtKernelExports("KeReleaseGuardedMutex") &&
                   WmtKernelExports("KeTryToAcquireGuardedMutex")
               ? WmGuardedMutexNative
               : WmGuardedMutexFallback;
}

/* ------------------------------------------------------------------------ */
/* Backing                                                                  */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(guarded_mutex, backing_follows_kernel_exports)
{
    WMT_GM Mutex;
    WMT_GM Null = { NULL };
    WM_GUARDED_MUTEX_BACKING Expected = WmtGmExpectedBacking();

    WmtInfo("guarded_mutex backing on this kernel: %s",
            Expected == WmGuardedMutexNative ? "native KGUARDED_MUTEX"
                                             : "fallback (KeAcquireGuardedMutex not exported by this kernel)");
    WMT_CHECK_EQ(WmtGmQueryBacking(Null), WmGuardedMutexNotInitialized);
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtGmQueryBacking(Mutex), Expected);
    WMT_CHECK_STATUS(WmtGmDestroy(&Mutex), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtGmQueryBacking(Mutex), WmGuardedMutexNotInitialized);
}

/* ------------------------------------------------------------------------ */
/* Holder state                                                             */
/* ------------------------------------------------------------------------ */

/* A holder is in a guarded region (every APC off) and its IRQL is unchanged. */
static VOID
WmtGmCheckHolderState(_In_ WMT_GM Mutex)
{
    WMT_GM_GUARD Guard = { 0 };
    NTSTATUS Status;
#ifdef WM_HOST_MODEL
    SHORT SpecialBefore = HkSpecialApcDisable();
#endif

    Status = WmtGmLock(Mutex, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    if (Status != STATUS_SUCCESS) {
        return;
    }
    WMT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_EXPECT(KeAreApcsDisabled() == TRUE);
#ifdef WM_HOST_MODEL
    /* A guarded region: special kernel APCs are off too. */
    WMT_EXPECT(HkSpecialApcDisable() < SpecialBefore);
    WMT_EXPECT(KeAreAllApcsDisabled() == TRUE);
#endif
    WMT_EXPECT_STATUS(WmtGmUnlock(&Guard), STATUS_SUCCESS);
    WMT_EXPECT(KeAreApcsDisabled() == FALSE);
#ifdef WM_HOST_MODEL
    WMT_EXPECT_EQ(HkSpecialApcDisable(), SpecialBefore);
    WMT_EXPECT(KeAreAllApcsDisabled() == FALSE);
#endif
}

WMT_TEST_FN(guarded_mutex, held_in_guarded_region)
{
    WMT_GM Mutex;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WmtGmCheckHolderState(Mutex);
    WMT_CHECK_STATUS(WmtGmDestroy(&Mutex), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Recursion is refused, not deadlocked                                     */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(guarded_mutex, recursive_acquire_refused)
{
    static WMT_VALUE Sentinel;
    WMT_GEN_PROBER Prober;
    WMT_GM Mutex;
    WMT_GM_GUARD Guard = { 0 };
    WMT_GM_GUARD Again = { 0 };
    BOOLEAN CanTry = WmtGenCanTry();
    NTSTATUS Status;

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGenProberStart(&Prober, Mutex), STATUS_SUCCESS);
    Status = WmtGmLock(Mutex, &Guard);
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
    if (Status == STATUS_SUCCESS) {
        Again.Value = &Sentinel;
        WMT_EXPECT_STATUS(WmtGmLock(Mutex, &Again), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT(Again.Value == NULL);
        WMT_EXPECT_STATUS(WmtGmTryLock(Mutex, &Again), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT_STATUS(WmtGmLockTimeout(Mutex, 0, &Again), STATUS_WM_RECURSIVE_ACQUIRE);
        WMT_EXPECT_STATUS(WmtGmUnlock(&Again), STATUS_WM_NOT_LOCKED);
        /* The first acquisition is untouched. */
        WMT_EXPECT(Guard.Value == &Mutex.Object->Value);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), WMT_GEN_TRY_BUSY(CanTry));
        WMT_EXPECT_STATUS(WmtGmUnlock(&Guard), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmtGenProbeTryLock(&Prober), WMT_GEN_TRY_FREE(CanTry));
    }
    WmtGenProberStop(&Prober);
    WMT_STOP_IF_FAILED();
    WMT_CHECK_STATUS(WmtGmDestroy(&Mutex), STATUS_SUCCESS);
}

WMT_TEST_FN(guarded_mutex, nonzero_timeout_not_supported)
{
    WMT_GM Mutex;
    WMT_GM_GUARD Guard = { 0 };

    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGmLockTimeout(Mutex, WM_TIMEOUT_MS(10), &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(WmtGmLockTimeout(Mutex, 1, &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK(Guard.Value == NULL);
    WMT_CHECK(WmIsLockOwnedByCurrentThread(G_HEADER(Mutex)) == FALSE);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
    WMT_CHECK_STATUS(WmtGmLockTimeout(Mutex, 0, &Guard), WMT_GEN_TRY_FREE(WmtGenCanTry()));
    if (Guard.Value != NULL) {
        WMT_CHECK_STATUS(WmtGmUnlock(&Guard), STATUS_SUCCESS);
    }
    WMT_CHECK_STATUS(WmtGmDestroy(&Mutex), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* IRQL                                                                     */
/* ------------------------------------------------------------------------ */

/* Create and initialize need <= APC_LEVEL (the guarded-mutex routines are
 * <= APC_LEVEL); destroy and the into forms only free: <= DISPATCH_LEVEL. */
WMT_TEST_FN(guarded_mutex, irql_limits_of_setup_and_teardown)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_GM Mutex = { NULL };
    WMT_GM Other = { NULL };
    WMT_VALUE Out;
    WMT_VALUE *Moved = NULL;
    KIRQL Old;

    /* The generic version expects creation at DISPATCH_LEVEL to work. */
    (VOID)WmtTest_guarded_mutex_irql_limits_of_create_and_teardown;

    WmtGenResetDestructor();
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Mutex, 1, 1), STATUS_SUCCESS);

    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    WMT_EXPECT_STATUS(WmtGmCreate(&Other, NULL, NULL), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmtGmInitialize(&WmtGenStorage, NULL, NULL, &Other), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT(Other.Object == NULL);
    WMT_EXPECT_EQ(WmQueryOutstandingAllocations(), Before + 1);
    WmtLowerIrql(Old);

    Old = WmtRaiseIrql(HIGH_LEVEL);
    WMT_EXPECT_STATUS(WmtGmDestroy(&Mutex), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmtGmIntoInner(&Mutex, &Out), STATUS_WM_IRQL_TOO_HIGH);
    WmtLowerIrql(Old);
    WMT_CHECK(Mutex.Object != NULL);

    /* At APC_LEVEL creation works, at DISPATCH_LEVEL teardown does. */
    Old = WmtRaiseIrql(APC_LEVEL);
    WMT_EXPECT_STATUS(WmtGmCreate(&Other, NULL, NULL), STATUS_SUCCESS);
    WmtLowerIrql(Old);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    WMT_EXPECT_STATUS(WmtGmDestroy(&Other), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtGmIntoPool(&Mutex, &Moved), STATUS_SUCCESS);
    WmFreeValue(Moved);
    WmtLowerIrql(Old);
    WMT_CHECK(Mutex.Object == NULL);
    WMT_CHECK_EQ(WmtGenDestroyed, 0);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

/* ------------------------------------------------------------------------ */
/* The fallback, on the host: the guarded-mutex exports hidden              */
/* ------------------------------------------------------------------------ */

#ifdef WM_HOST_MODEL
static VOID
WmtGmHideExports(_In_ BOOLEAN Hide)
{
    HkHideRoutine("KeAcquireGuardedMutex", Hide);
    HkHideRoutine("KeReleaseGuardedMutex", Hide);
    HkHideRoutine("KeTryToAcquireGuardedMutex", Hide);
    WmpResetRoutineCache();
}

/* Runs a generic case with the exports hidden: every lock it creates uses
 * the fallback, and WmtGenCanTry() says try is not supported. */
#define WMT_GM_FALLBACK_CASE(Name)                                             \
    WMT_TEST_FN(guarded_mutex, fallback_##Name)                                \
    {                                                                          \
        WmtGmHideExports(TRUE);                                                \
        WmtTest_guarded_mutex_##Name();                                        \
        WmtGmHideExports(FALSE);                                               \
    }

WMT_GM_FALLBACK_CASE(create_lock_unlock_destroy)
WMT_GM_FALLBACK_CASE(initialize_caller_storage)
WMT_GM_FALLBACK_CASE(guard_value_null_unless_armed)
WMT_GM_FALLBACK_CASE(double_unlock_releases_once)
WMT_GM_FALLBACK_CASE(unlock_from_other_thread_refused)
WMT_GM_FALLBACK_CASE(try_and_timeout_while_other_thread_holds)
WMT_GM_FALLBACK_CASE(teardown_of_held_lock_refused)
WMT_GM_FALLBACK_CASE(into_inner_copies_without_destructor)
WMT_GM_FALLBACK_CASE(irql_limits_of_lock)
WMT_GM_FALLBACK_CASE(unlock_safe_too_high_keeps_lock)
WMT_GM_FALLBACK_CASE(scoped_with_lock_releases)
WMT_GM_FALLBACK_CASE(contended_waiter_gets_lock)
WMT_GM_FALLBACK_CASE(stress_no_lost_update)
WMT_GM_FALLBACK_CASE(recursive_acquire_refused)
WMT_GM_FALLBACK_CASE(held_in_guarded_region)
WMT_GM_FALLBACK_CASE(nonzero_timeout_not_supported)

WMT_TEST_FN(guarded_mutex, fallback_backing_and_try)
{
    WMT_GM Native;
    WMT_GM Fallback;
    WMT_GM_GUARD Guard = { 0 };
    WM_GUARDED_MUTEX_BACKING NativeBacking;
    WM_GUARDED_MUTEX_BACKING FallbackBacking;
    NTSTATUS Try;
    NTSTATUS NativeLock;
    SHORT KernelBefore = HkKernelApcDisable();
    SHORT SpecialBefore = HkSpecialApcDisable();

    WMT_CHECK(WmtKernelExports("KeAcquireGuardedMutex"));
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Native, 0, 0), STATUS_SUCCESS);

    WmtGmHideExports(TRUE);
    Fallback.Object = NULL;
    (VOID)WmtGenCreateFilled(&Fallback, 0, 0);
    FallbackBacking = WmtGmQueryBacking(Fallback);
    Try = WmtGmTryLock(Fallback, &Guard);
    if (Try == STATUS_SUCCESS) {
        (VOID)WmtGmUnlock(&Guard);
    }
    /* A lock made before the exports vanished keeps working natively. */
    NativeBacking = WmtGmQueryBacking(Native);
    NativeLock = WmtGmTryLock(Native, &Guard);
    if (NativeLock == STATUS_SUCCESS) {
        (VOID)WmtGmUnlock(&Guard);
    }
    WmtGmHideExports(FALSE);

    WMT_CHECK(Fallback.Object != NULL);
    WMT_CHECK_EQ(FallbackBacking, WmGuardedMutexFallback);
    WMT_CHECK_STATUS(Try, STATUS_NOT_SUPPORTED);
    WMT_CHECK_EQ(NativeBacking, WmGuardedMutexNative);
    WMT_CHECK_STATUS(NativeLock, STATUS_SUCCESS);

    /* A fallback lock stays a fallback lock once the exports are back. */
    WMT_CHECK_EQ(WmtGmQueryBacking(Fallback), WmGuardedMutexFallback);
    WMT_CHECK_STATUS(WmtGmTryLock(Fallback, &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(WmtGmLock(Fallback, &Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkKernelApcDisable(), KernelBefore - 1);   /* the explicit critical region */
    WMT_CHECK_EQ(HkSpecialApcDisable(), SpecialBefore - 1); /* the guarded region           */
    WMT_CHECK_STATUS(WmtGmUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkKernelApcDisable(), KernelBefore);
    WMT_CHECK_EQ(HkSpecialApcDisable(), SpecialBefore);
    WMT_CHECK_STATUS(WmtGmDestroy(&Fallback), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGmDestroy(&Native), STATUS_SUCCESS);
}

/* Created at APC_LEVEL before the exports were resolved: the fallback (the
 * lookup is PASSIVE_LEVEL only). After WmInitializeLibrary: native. */
WMT_TEST_FN(guarded_mutex, created_at_apc_before_resolution_uses_fallback)
{
    WMT_GM Early = { NULL };
    WMT_GM Late = { NULL };
    WMT_GM_GUARD Guard = { 0 };
    KIRQL Old;

    WmpResetRoutineCache();
    Old = WmtRaiseIrql(APC_LEVEL);
    WMT_EXPECT_STATUS(WmtGmCreate(&Early, NULL, NULL), STATUS_SUCCESS);
    WmtLowerIrql(Old);
    WMT_CHECK_STATUS(WmInitializeLibrary(), STATUS_SUCCESS);
    Old = WmtRaiseIrql(APC_LEVEL);
    WMT_EXPECT_STATUS(WmtGmCreate(&Late, NULL, NULL), STATUS_SUCCESS);
    WmtLowerIrql(Old);
    WMT_STOP_IF_FAILED();

    WMT_CHECK_EQ(WmtGmQueryBacking(Early), WmGuardedMutexFallback);
    WMT_CHECK_EQ(WmtGmQueryBacking(Late), WmGuardedMutexNative);
    WMT_CHECK_STATUS(WmtGmLock(Early, &Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGmUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGmLock(Late, &Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGmUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGmDestroy(&Early), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtGmDestroy(&Late), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Raw KGUARDED_MUTEX misuse                                                */
/* ------------------------------------------------------------------------ */

static KGUARDED_MUTEX WmtRawGuardedMutex;

/* KeAcquireGuardedMutex above APC_LEVEL: DDI rule IrqlKeApcLte1 (0xC4,
 * P1 0x0002000F). The library returns STATUS_WM_IRQL_TOO_HIGH instead. */
WMT_TEST_FN(guarded_mutex, raw_acquire_at_dispatch_bugchecks)
{
    KIRQL Old;

    KeInitializeGuardedMutex(&WmtRawGuardedMutex);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeAcquireGuardedMutex(&WmtRawGuardedMutex);
    KeLowerIrql(Old);
    WMT_CHECK(!"KeAcquireGuardedMutex at DISPATCH_LEVEL returned");
}

/* A second KeAcquireGuardedMutex by the holder deadlocks on Windows; the
 * model reports MUTEX_ALREADY_OWNED (0xBF). The library returns
 * STATUS_WM_RECURSIVE_ACQUIRE. */
WMT_TEST_FN(guarded_mutex, raw_recursive_acquire_bugchecks)
{
    KeInitializeGuardedMutex(&WmtRawGuardedMutex);
    KeAcquireGuardedMutex(&WmtRawGuardedMutex);
    KeAcquireGuardedMutex(&WmtRawGuardedMutex);
    WMT_CHECK(!"a recursive KeAcquireGuardedMutex returned");
}

/* Releasing a guarded mutex the thread does not hold (Driver Verifier:
 * release of an unowned lock, 0xC4 P1 0x1004). The library's unlock of a
 * disarmed guard returns STATUS_WM_NOT_LOCKED instead. */
WMT_TEST_FN(guarded_mutex, raw_release_not_held_bugchecks)
{
    KeInitializeGuardedMutex(&WmtRawGuardedMutex);
    KeReleaseGuardedMutex(&WmtRawGuardedMutex);
    WMT_CHECK(!"KeReleaseGuardedMutex of a free mutex returned");
}
#endif /* WM_HOST_MODEL */

WMT_SUITE(guarded_mutex) {
    WMT_GEN_APC_TEARDOWN_CASES
    WMT_GEN_CASE(stress_no_lost_update, WMT_SLOW),
    WMT_CASE(guarded_mutex, backing_follows_kernel_exports, 0),
    WMT_CASE(guarded_mutex, held_in_guarded_region, 0),
    WMT_CASE(guarded_mutex, recursive_acquire_refused, 0),
    WMT_CASE(guarded_mutex, nonzero_timeout_not_supported, 0),
    WMT_CASE(guarded_mutex, irql_limits_of_setup_and_teardown, WMT_NEEDS_IRQL),
#ifdef WM_HOST_MODEL
    WMT_CASE(guarded_mutex, fallback_create_lock_unlock_destroy, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_initialize_caller_storage, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_guard_value_null_unless_armed, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_double_unlock_releases_once, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_unlock_from_other_thread_refused, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_try_and_timeout_while_other_thread_holds, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_teardown_of_held_lock_refused, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_into_inner_copies_without_destructor, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_irql_limits_of_lock, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_CASE(guarded_mutex, fallback_unlock_safe_too_high_keeps_lock, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_CASE(guarded_mutex, fallback_scoped_with_lock_releases, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_contended_waiter_gets_lock, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_stress_no_lost_update, WMT_HOST_ONLY | WMT_SLOW),
    WMT_CASE(guarded_mutex, fallback_recursive_acquire_refused, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_held_in_guarded_region, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_nonzero_timeout_not_supported, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, fallback_backing_and_try, WMT_HOST_ONLY),
    WMT_CASE(guarded_mutex, created_at_apc_before_resolution_uses_fallback, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_DEATH_CASE(guarded_mutex, raw_acquire_at_dispatch_bugchecks, 0xC4, 0x0002000F),
    WMT_DEATH_CASE(guarded_mutex, raw_release_not_held_bugchecks, 0xC4, 0x1004),
    WMT_DEATH_CASE_ANY_PARAM(guarded_mutex, raw_recursive_acquire_bugchecks, 0xBF),
#endif
};
WMT_SUITE_END(guarded_mutex);
