/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The behaviour every lock kind shares (lock_cases.inc) for
 *              QueuedSpinLock: life cycle, bad input, teardown, IRQL limits,
 *              scoped forms and randomized guard sequences. Its own cases
 *              (IRQL raised and restored, at-DPC-level forms, exclusion, a
 *              stress, guard copies) are in test_spin_lock.c.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 *
 * As for SpinLock, bodies that wait while holding are not listed. The
 * kernel has no try for in-stack queued spin locks, and the guard's token
 * is its address (the kernel links its queue handle).
 */
#include "wmt_cases.h"

WM_DECLARE_QUEUED_SPIN_LOCK_TYPE(WMT_QSL, WmtQsl, WMT_VALUE);

#define WMT_GEN_SUITE                queued_spin_lock
#define WMT_GEN_TYPE                 WMT_QSL
#define WMT_GEN_PREFIX               WmtQsl
#define WMT_GEN_MAX_WAIT_IRQL        DISPATCH_LEVEL
#define WMT_GEN_MAX_TRY_IRQL         DISPATCH_LEVEL
#define WMT_GEN_TIMED_WAIT           0
#define WMT_GEN_NO_TRY               1
#define WMT_GEN_ADDRESS_TOKEN        1
#define WMT_GEN_HANDOFF_FLAGS        0
#define WMT_GEN_UNLOCK_TOO_HIGH_IRQL HIGH_LEVEL
#include "lock_cases.inc"

/* Shared bodies not listed (lock_cases.inc): those that wait while holding,
 * and the generic stress, which waits for Wine's preempted holders too long.
 * test_spin_lock.c's spinning helpers cover the same ground. External
 * linkage: no compiler calls them unused. */
VOID (*const WmtQueuedSpinLockUnlisted[])(VOID) = {
    WMT_GEN_WAITING_BODIES,
    WMT_GEN_BODY(stress_no_lost_update),
};

WMT_SUITE(queued_spin_lock) {
    WMT_GEN_SPIN_SAFE_CASES
};
WMT_SUITE_END(queued_spin_lock);
