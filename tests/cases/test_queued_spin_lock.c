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

/* Shared bodies not listed: each waits (for a prober, a holder, or a sleep)
 * while holding the lock, which a spin-lock holder at DISPATCH_LEVEL must
 * not do; the generic stress waits for Wine's preempted holders too long.
 * test_spin_lock.c's spinning helpers cover the same ground. Referenced here,
 * with external linkage, so no compiler calls them unused. */
VOID (*const WmtQueuedSpinLockUnlisted[])(VOID) = {
    WmtTest_queued_spin_lock_guard_value_null_unless_armed,
    WmtTest_queued_spin_lock_double_unlock_releases_once,
    WmtTest_queued_spin_lock_unlock_from_other_thread_refused,
    WmtTest_queued_spin_lock_try_and_timeout_while_other_thread_holds,
    WmtTest_queued_spin_lock_unlock_safe_too_high_keeps_lock,
    WmtTest_queued_spin_lock_contended_waiter_gets_lock,
    WmtTest_queued_spin_lock_stress_no_lost_update,
};

WMT_SUITE(queued_spin_lock) {
    WMT_GEN_LIFE_CASES
    WMT_GEN_CASE(randomized_guard_sequence, 0),
    WMT_GEN_TEARDOWN_CASES
    WMT_GEN_CASE(irql_limits_of_lock, WMT_NEEDS_IRQL),
    WMT_GEN_CASE(irql_limits_of_create_and_teardown, WMT_NEEDS_IRQL),
    WMT_GEN_SCOPED_CASES
};
WMT_SUITE_END(queued_spin_lock);
