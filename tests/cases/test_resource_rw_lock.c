/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of the ERESOURCE-only RwLock
 *              (WM_DECLARE_RESOURCE_RW_LOCK_TYPE): the behaviour every lock
 *              shares (lock_cases.inc), every RwLock test (rw_cases.inc), and
 *              that the lock is an ERESOURCE whatever the kernel exports.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

WM_DECLARE_RESOURCE_RW_LOCK_TYPE(WMT_RW, WmtRw, WMT_VALUE);

/* An ERESOURCE can always try (Wait = FALSE): no export to look for. */
#define WMT_GEN_SUITE                resource_rw_lock
#define WMT_GEN_TYPE                 WMT_RW
#define WMT_GEN_PREFIX               WmtRw
#define WMT_GEN_MAX_WAIT_IRQL        APC_LEVEL
#define WMT_GEN_MAX_TRY_IRQL         APC_LEVEL
#define WMT_GEN_TIMED_WAIT           0
#define WMT_GEN_HANDOFF_FLAGS        0
#define WMT_GEN_UNLOCK_TOO_HIGH_IRQL DISPATCH_LEVEL
#include "lock_cases.inc"

#define WMT_RW_DECLARE WM_DECLARE_RESOURCE_RW_LOCK_TYPE
#include "rw_cases.inc"

/* ------------------------------------------------------------------------ */
/* Backing                                                                  */
/* ------------------------------------------------------------------------ */

/* An ERESOURCE even where the kernel exports push locks (the host model
 * does), and the guards hold that ERESOURCE: the kernel says so where it
 * exports the queries. */
WMT_TEST_FN(resource_rw_lock, backing_is_always_eresource)
{
    WMT_RW Lock;
    WMT_RW Null = { NULL };
    WMT_RW_GUARD Writer = { 0 };
    WMT_RW_SHARED_GUARD Reader = { 0 };
    PERESOURCE Resource;
    BOOLEAN CanAsk = WmtKernelExports("ExIsResourceAcquiredExclusiveLite") &&
                     WmtKernelExports("ExIsResourceAcquiredSharedLite");

    WmtInfo("resource_rw_lock: an ERESOURCE; push locks are %s by this kernel",
            WmtKernelExports("ExAcquirePushLockExclusiveEx") ? "exported" : "not exported");
    WMT_CHECK_EQ(WmtRwQueryBacking(Null), WmRwLockNotInitialized);
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Lock, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRwQueryBacking(Lock), WmRwLockResource);
    Resource = &Lock.Object->Lock.Object.Resource;

    WMT_CHECK_STATUS(WmtRwLock(Lock, &Writer), STATUS_SUCCESS);
    if (CanAsk) {
        WMT_EXPECT(ExIsResourceAcquiredExclusiveLite(Resource));
    }
    WMT_CHECK_STATUS(WmtRwUnlock(&Writer), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRwLockShared(Lock, &Reader), STATUS_SUCCESS);
    if (CanAsk) {
        WMT_EXPECT(!ExIsResourceAcquiredExclusiveLite(Resource));
        WMT_EXPECT_EQ(ExIsResourceAcquiredSharedLite(Resource), 1);
    }
    WMT_CHECK_STATUS(WmtRwUnlockShared(&Reader), STATUS_SUCCESS);
    if (CanAsk) {
        WMT_EXPECT_EQ(ExIsResourceAcquiredSharedLite(Resource), 0);
    } else {
        WmtInfo("resource_rw_lock: this kernel does not export ExIsResourceAcquired...Lite; "
                "the guards' hold on the ERESOURCE was not asked");
    }
    WMT_CHECK_STATUS(WmtRwDestroy(&Lock), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRwQueryBacking(Lock), WmRwLockNotInitialized);
}

WMT_SUITE(resource_rw_lock) {
    WMT_GEN_APC_TEARDOWN_CASES
    WMT_CASE(resource_rw_lock, backing_is_always_eresource, 0),
    WMT_RW_CASES
};
WMT_SUITE_END(resource_rw_lock);
