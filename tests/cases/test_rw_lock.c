/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of RwLock (WM_DECLARE_RW_LOCK_TYPE): the behaviour every
 *              lock shares (lock_cases.inc, exclusive guards) and every
 *              RwLock test (rw_cases.inc: shared guards, upgrade, recursion,
 *              the reader table, the critical region, the IRQL limits, a
 *              reader/writer stress) on the backing this kernel gives (push
 *              lock or ERESOURCE) and, on the host, again on the other one;
 *              the backing's choice, and raw ERESOURCE / push-lock misuse.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

#ifdef WM_HOST_MODEL
#include "wmp.h" /* WmpResetRoutineCache: re-resolve after hiding a routine */
#endif

WM_DECLARE_RW_LOCK_TYPE(WMT_RW, WmtRw, WMT_VALUE);

/* TRUE when a lock created now is push-lock backed. PASSIVE_LEVEL. */
static BOOLEAN
WmtRwPushLockExpected(VOID)
{
    return WmtKernelExports("ExAcquirePushLockExclusiveEx") && WmtKernelExports("ExAcquirePushLockSharedEx") &&
           WmtKernelExports("ExReleasePushLockExclusiveEx") && WmtKernelExports("ExReleasePushLockSharedEx");
}

/* For lock_cases.inc: an export present exactly when try works. A push lock
 * tries with ExTryAcquirePushLock...Ex; an ERESOURCE can always try, and
 * every kernel exports ExAcquireResourceExclusiveLite. */
static PCSTR
WmtRwTryExport(VOID)
{
    return WmtRwPushLockExpected() ? "ExTryAcquirePushLockExclusiveEx" : "ExAcquireResourceExclusiveLite";
}

#define WMT_GEN_SUITE                rw_lock
#define WMT_GEN_TYPE                 WMT_RW
#define WMT_GEN_PREFIX               WmtRw
#define WMT_GEN_MAX_WAIT_IRQL        APC_LEVEL
#define WMT_GEN_MAX_TRY_IRQL         APC_LEVEL
#define WMT_GEN_TIMED_WAIT           0
#define WMT_GEN_TRY_EXPORT           WmtRwTryExport()
#define WMT_GEN_HANDOFF_FLAGS        0
#define WMT_GEN_UNLOCK_TOO_HIGH_IRQL DISPATCH_LEVEL
#include "lock_cases.inc"

#define WMT_RW_DECLARE WM_DECLARE_RW_LOCK_TYPE
#include "rw_cases.inc"

/* ------------------------------------------------------------------------ */
/* Backing                                                                  */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(rw_lock, backing_follows_kernel_exports)
{
    WMT_RW Lock;
    WMT_RW Null = { NULL };
    WM_RW_LOCK_BACKING Expected = WmtRwPushLockExpected() ? WmRwLockPushLock : WmRwLockResource;

    WmtInfo("rw_lock backing on this kernel: %s",
            Expected == WmRwLockPushLock ? "push lock"
                                         : "ERESOURCE (ExAcquirePushLockExclusiveEx not exported by this kernel)");
    WMT_CHECK_EQ(WmtRwQueryBacking(Null), WmRwLockNotInitialized);
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Lock, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRwQueryBacking(Lock), Expected);
    WMT_CHECK_STATUS(WmtRwDestroy(&Lock), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRwQueryBacking(Lock), WmRwLockNotInitialized);
}

/* ------------------------------------------------------------------------ */
/* The other backing, on the host                                           */
/* ------------------------------------------------------------------------ */

#ifdef WM_HOST_MODEL
/* Hides the push-lock exports: locks created meanwhile use an ERESOURCE. */
static VOID
WmtRwHidePushLocks(_In_ BOOLEAN Hide)
{
    HkHideRoutine("ExAcquirePushLockExclusiveEx", Hide);
    WmpResetRoutineCache();
}

#define WMT_RW_RESOURCE_CASE(Name)                                             \
    WMT_TEST_FN(rw_lock, resource_##Name)                                      \
    {                                                                          \
        WmtRwHidePushLocks(TRUE);                                              \
        WmtTest_rw_lock_##Name();                                              \
        WmtRwHidePushLocks(FALSE);                                             \
    }

WMT_RW_RESOURCE_CASE(create_lock_unlock_destroy)
WMT_RW_RESOURCE_CASE(initialize_caller_storage)
WMT_RW_RESOURCE_CASE(guard_value_null_unless_armed)
WMT_RW_RESOURCE_CASE(double_unlock_releases_once)
WMT_RW_RESOURCE_CASE(unlock_from_other_thread_refused)
WMT_RW_RESOURCE_CASE(try_and_timeout_while_other_thread_holds)
WMT_RW_RESOURCE_CASE(teardown_of_held_lock_refused)
WMT_RW_RESOURCE_CASE(into_pool_moves_value)
WMT_RW_RESOURCE_CASE(irql_limits_of_lock)
WMT_RW_RESOURCE_CASE(unlock_safe_too_high_keeps_lock)
WMT_RW_RESOURCE_CASE(contended_waiter_gets_lock)
WMT_RW_RESOURCE_CASE(stress_no_lost_update)
WMT_RW_RESOURCE_CASE(backing_follows_kernel_exports)
WMT_RW_RESOURCE_CASE(shared_guard_reads_const_value)
WMT_RW_RESOURCE_CASE(readers_hold_concurrently)
WMT_RW_RESOURCE_CASE(many_readers_grow_reader_table)
WMT_RW_RESOURCE_CASE(writer_and_readers_exclude)
WMT_RW_RESOURCE_CASE(writer_waits_for_reader)
WMT_RW_RESOURCE_CASE(upgrade_refused)
WMT_RW_RESOURCE_CASE(recursion_refused_in_both_modes)
WMT_RW_RESOURCE_CASE(shared_unlock_misuse)
WMT_RW_RESOURCE_CASE(shared_guard_copies_and_moves)
WMT_RW_RESOURCE_CASE(shared_stale_copy_from_previous_life_refused)
WMT_RW_RESOURCE_CASE(guards_hold_a_critical_region)
WMT_RW_RESOURCE_CASE(irql_limits_shared_and_teardown)
WMT_RW_RESOURCE_CASE(stress_readers_and_writers)
WMT_RW_RESOURCE_CASE(stress_writers_only)

/* A lock keeps the backing it was created with. */
WMT_TEST_FN(rw_lock, backing_chosen_once)
{
    WMT_RW Push;
    WMT_RW Resource = { NULL };
    WMT_RW_GUARD Guard = { 0 };
    WM_RW_LOCK_BACKING PushBacking;
    NTSTATUS PushLock;

    if (!WmtRwPushLockExpected()) {
        WMT_SKIP("the host model exports no push-lock routines");
    }
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Push, 0, 0), STATUS_SUCCESS);
    WmtRwHidePushLocks(TRUE);
    (VOID)WmtGenCreateFilled(&Resource, 0, 0);
    PushBacking = WmtRwQueryBacking(Push);
    PushLock = WmtRwLock(Push, &Guard);
    if (PushLock == STATUS_SUCCESS) {
        (VOID)WmtRwUnlock(&Guard);
    }
    WmtRwHidePushLocks(FALSE);
    WMT_CHECK_EQ(PushBacking, WmRwLockPushLock);
    WMT_CHECK_STATUS(PushLock, STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRwQueryBacking(Resource), WmRwLockResource);
    WMT_CHECK_STATUS(WmtRwDestroy(&Resource), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRwDestroy(&Push), STATUS_SUCCESS);
}


/* ------------------------------------------------------------------------ */
/* Raw ERESOURCE / push-lock misuse                                         */
/* ------------------------------------------------------------------------ */

static ERESOURCE WmtRawResource;

/* ExReleaseResourceLite by a thread that does not own it: RESOURCE_NOT_OWNED
 * (0xE3). The library's unlock from another thread returns STATUS_WM_NOT_OWNER. */
static KSTART_ROUTINE WmtRawReleaseThread;

static VOID NTAPI
WmtRawReleaseThread(_In_ PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    KeEnterCriticalRegion();
    ExReleaseResourceLite(&WmtRawResource);
    KeLeaveCriticalRegion();
}

WMT_TEST_FN(rw_lock, raw_resource_release_by_non_owner_bugchecks)
{
    (VOID)ExInitializeResourceLite(&WmtRawResource);
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceExclusiveLite(&WmtRawResource, TRUE);
    (VOID)WmtRunThreads(1, WmtRawReleaseThread, NULL);
    WMT_CHECK(!"ExReleaseResourceLite by a non-owner returned");
}

/* ExDeleteResourceLite of a resource that is held: Driver Verifier 0xC4
 * (deleted lock still owned). The library's destroy returns
 * STATUS_WM_MUTEX_HELD. */
WMT_TEST_FN(rw_lock, raw_resource_delete_held_bugchecks)
{
    (VOID)ExInitializeResourceLite(&WmtRawResource);
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceSharedLite(&WmtRawResource, TRUE);
    (VOID)ExDeleteResourceLite(&WmtRawResource);
    WMT_CHECK(!"ExDeleteResourceLite of a held resource returned");
}

/* ExAcquireResourceExclusiveLite outside a critical region: Driver Verifier
 * 0xC4, P1 0x37. The library enters the region itself. */
WMT_TEST_FN(rw_lock, raw_resource_acquire_without_critical_region_bugchecks)
{
    (VOID)ExInitializeResourceLite(&WmtRawResource);
    (VOID)ExAcquireResourceExclusiveLite(&WmtRawResource, TRUE);
    WMT_CHECK(!"ExAcquireResourceExclusiveLite with APCs enabled returned");
}

/* A shared owner asking for exclusive access waits for itself; Deadlock
 * Detection reports it (0xC4, P1 0x1000). The library returns
 * STATUS_WM_UPGRADE_REFUSED. */
WMT_TEST_FN(rw_lock, raw_resource_upgrade_bugchecks)
{
    (VOID)ExInitializeResourceLite(&WmtRawResource);
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceSharedLite(&WmtRawResource, TRUE);
    (VOID)ExAcquireResourceExclusiveLite(&WmtRawResource, TRUE);
    WMT_CHECK(!"ExAcquireResourceExclusiveLite by a shared owner returned");
}

/* The push-lock try routines are optional exports: a kernel with the
 * waiting ones but not these gets a push-lock RwLock whose try forms answer
 * STATUS_NOT_SUPPORTED and whose waiting forms work; with them, the try forms
 * take the lock. */
static VOID
WmtRwHideTryExports(_In_ BOOLEAN Hide)
{
    HkHideRoutine("ExTryAcquirePushLockExclusiveEx", Hide);
    HkHideRoutine("ExTryAcquirePushLockSharedEx", Hide);
    WmpResetRoutineCache();
}

WMT_TEST_FN(rw_lock, push_lock_try_follows_kernel_exports)
{
    WMT_RW Lock;
    WMT_RW_GUARD Writer = { 0 };
    WMT_RW_SHARED_GUARD Reader = { 0 };
    WM_RW_LOCK_BACKING Backing;
    NTSTATUS Status[6];

    WmtRwHideTryExports(TRUE);
    Status[0] = WmtGenCreateFilled(&Lock, 0, 0);
    if (Status[0] != STATUS_SUCCESS) {
        WmtRwHideTryExports(FALSE);
        WMT_CHECK_STATUS(Status[0], STATUS_SUCCESS);
    }
    Backing = WmtRwQueryBacking(Lock);
    Status[1] = WmtRwTryLock(Lock, &Writer);
    Status[2] = WmtRwTryLockShared(Lock, &Reader);
    Status[3] = WmtRwLockTimeout(Lock, 0, &Writer);
    Status[4] = WmtRwLockShared(Lock, &Reader);
    if (Status[4] == STATUS_SUCCESS) {
        (VOID)WmtRwUnlockShared(&Reader);
    }
    Status[5] = WmtRwLock(Lock, &Writer);
    if (Status[5] == STATUS_SUCCESS) {
        (VOID)WmtRwUnlock(&Writer);
    }
    WMT_CHECK_STATUS(WmtRwDestroy(&Lock), STATUS_SUCCESS);
    WmtRwHideTryExports(FALSE);

    WMT_EXPECT(Backing == WmRwLockPushLock);
    WMT_EXPECT_STATUS(Status[1], STATUS_NOT_SUPPORTED);
    WMT_EXPECT_STATUS(Status[2], STATUS_NOT_SUPPORTED);
    WMT_EXPECT_STATUS(Status[3], STATUS_NOT_SUPPORTED);
    WMT_EXPECT_STATUS(Status[4], STATUS_SUCCESS);
    WMT_EXPECT_STATUS(Status[5], STATUS_SUCCESS);

    /* Exported again: a new lock publishes them and its tries take it. */
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Lock, 0, 0), STATUS_SUCCESS);
    WMT_EXPECT(WmtRwQueryBacking(Lock) == WmRwLockPushLock);
    WMT_EXPECT_STATUS(WmtRwTryLock(Lock, &Writer), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRwTryLockShared(Lock, &Reader), STATUS_WM_RECURSIVE_ACQUIRE);
    WMT_EXPECT_STATUS(WmtRwUnlock(&Writer), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRwTryLockShared(Lock, &Reader), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtGenTryFromOtherThread(Lock), STATUS_WM_LOCK_BUSY);
    WMT_EXPECT_STATUS(WmtRwUnlockShared(&Reader), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtGenTryFromOtherThread(Lock), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRwDestroy(&Lock), STATUS_SUCCESS);
}

static EX_PUSH_LOCK WmtRawPushLock;

/* ExAcquirePushLockExclusiveEx outside a critical region: 0xC4, P1 0xEA. */
WMT_TEST_FN(rw_lock, raw_push_lock_without_critical_region_bugchecks)
{
    ExInitializePushLock(&WmtRawPushLock);
    ExAcquirePushLockExclusiveEx(&WmtRawPushLock, 0);
    WMT_CHECK(!"ExAcquirePushLockExclusiveEx with APCs enabled returned");
}
#endif /* WM_HOST_MODEL */

WMT_SUITE(rw_lock) {
    WMT_GEN_APC_TEARDOWN_CASES
    WMT_CASE(rw_lock, backing_follows_kernel_exports, 0),
    WMT_RW_CASES
#ifdef WM_HOST_MODEL
    WMT_CASE(rw_lock, resource_create_lock_unlock_destroy, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_initialize_caller_storage, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_guard_value_null_unless_armed, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_double_unlock_releases_once, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_unlock_from_other_thread_refused, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_try_and_timeout_while_other_thread_holds, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_teardown_of_held_lock_refused, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_into_pool_moves_value, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_irql_limits_of_lock, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_CASE(rw_lock, resource_unlock_safe_too_high_keeps_lock, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_CASE(rw_lock, resource_contended_waiter_gets_lock, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_stress_no_lost_update, WMT_HOST_ONLY | WMT_SLOW),
    WMT_CASE(rw_lock, resource_backing_follows_kernel_exports, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_shared_guard_reads_const_value, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_readers_hold_concurrently, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_many_readers_grow_reader_table, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_writer_and_readers_exclude, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_writer_waits_for_reader, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_upgrade_refused, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_recursion_refused_in_both_modes, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_shared_unlock_misuse, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_shared_guard_copies_and_moves, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_shared_stale_copy_from_previous_life_refused, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_guards_hold_a_critical_region, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, resource_irql_limits_shared_and_teardown, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_CASE(rw_lock, resource_stress_readers_and_writers, WMT_HOST_ONLY | WMT_SLOW),
    WMT_CASE(rw_lock, resource_stress_writers_only, WMT_HOST_ONLY | WMT_SLOW),
    WMT_CASE(rw_lock, backing_chosen_once, WMT_HOST_ONLY),
    WMT_CASE(rw_lock, push_lock_try_follows_kernel_exports, WMT_HOST_ONLY),
    WMT_DEATH_CASE_ANY_PARAM(rw_lock, raw_resource_release_by_non_owner_bugchecks, 0xE3),
    WMT_DEATH_CASE(rw_lock, raw_resource_delete_held_bugchecks, 0xC4, 0x100B),
    WMT_DEATH_CASE(rw_lock, raw_resource_acquire_without_critical_region_bugchecks, 0xC4, 0x37),
    WMT_DEATH_CASE(rw_lock, raw_resource_upgrade_bugchecks, 0xC4, 0x1000),
    WMT_DEATH_CASE(rw_lock, raw_push_lock_without_critical_region_bugchecks, 0xC4, 0xEA),
#endif
};
WMT_SUITE_END(rw_lock);
