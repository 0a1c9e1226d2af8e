/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Scoped critical and guarded regions: KeEnterCriticalRegion /
 *              KeLeaveCriticalRegion and KeEnterGuardedRegion /
 *              KeLeaveGuardedRegion behind a guard that leaves exactly once.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics:
 *  - Enter: IRQL <= APC_LEVEL (STATUS_WM_IRQL_TOO_HIGH above it: nothing
 *    entered). A critical region turns off normal kernel APCs and user APCs
 *    for the calling thread (special kernel APCs still run); a guarded region
 *    turns off every APC. Regions nest; each enter needs its own guard.
 *  - Leave: exactly once per guard, on the thread that entered
 *    (STATUS_WM_NOT_OWNER otherwise: a region belongs to a thread); a second
 *    leave returns STATUS_WM_NOT_LOCKED and leaves nothing. WmLeaveRegion does
 *    not check IRQL (like WmUnlock); WmLeaveRegionSafe returns
 *    STATUS_WM_IRQL_TOO_HIGH above APC_LEVEL and stays in the region.
 *  - A thread must leave every region before it returns to user mode or
 *    exits (the kernel bug-checks APC_INDEX_MISMATCH / 0x20 otherwise): scoped
 *    forms make that structural.
 *
 * What of the lock shape is meaningless here, and why: a region is per-thread
 * state, not an object — there is nothing to create, own, destroy or hand
 * out, no value in the guard, and no contention (so no try or timeout).
 *
 *     NTSTATUS Status;
 *     WM_WITH_CRITICAL_REGION(Region, Status) {
 *         ExAcquireResourceSharedLite(&Resource, TRUE);   // needs the region
 *         ...
 *         ExReleaseResourceLite(&Resource);
 *     } WM_END_WITH_REGION(Region);
 *
 *     // GCC/clang: leave at scope exit on every path.
 *     WM_REGION_GUARD Region WM_AUTO_UNLOCK(WM_REGION) = { 0 };
 *     Status = WmEnterGuardedRegion(&Region);
 */
#ifndef WDKMUTEX_REGION_H
#define WDKMUTEX_REGION_H

#include "lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* WM_REGION_GUARD.Kind */
#define WMP_REGION_CRITICAL 1
#define WMP_REGION_GUARDED  2

/* One entered region. Zero-initialised it is disarmed; do not copy it while armed. */
typedef struct _WM_REGION_GUARD {
    PVOID    Thread;   /* the thread inside the region; NULL when disarmed */
    struct _WM_REGION_GUARD *Self; /* its own address while armed: a copy is refused */
    UCHAR    Kind;     /* WMP_REGION_*                                     */
    NTSTATUS Status;   /* outcome of the last enter on this guard          */
} WM_REGION_GUARD, *PWM_REGION_GUARD;

/*
 * WmEnterCriticalRegion
 *
 * KeEnterCriticalRegion, and arms Guard to leave it.
 * IRQL: <= APC_LEVEL.
 * Returns STATUS_SUCCESS; STATUS_WM_INVALID_PARAMETER (NULL Guard);
 * STATUS_WM_IRQL_TOO_HIGH (nothing entered, Guard disarmed).
 */
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
_When_(return == 0, _Acquires_lock_(_Global_critical_region_))
NTSTATUS
WmEnterCriticalRegion(
    _Out_ PWM_REGION_GUARD Guard);

/*
 * WmEnterGuardedRegion
 *
 * KeEnterGuardedRegion, and arms Guard to leave it.
 * IRQL: <= APC_LEVEL.
 * Returns as WmEnterCriticalRegion.
 */
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
_When_(return == 0, _Acquires_lock_(_Global_critical_region_))
NTSTATUS
WmEnterGuardedRegion(
    _Out_ PWM_REGION_GUARD Guard);

/*
 * WmLeaveRegion
 *
 * Leaves the region Guard entered (KeLeaveCriticalRegion or
 * KeLeaveGuardedRegion) and disarms Guard. Does not check IRQL.
 * IRQL: <= APC_LEVEL (not checked).
 * Returns STATUS_SUCCESS; STATUS_WM_INVALID_PARAMETER (NULL Guard);
 * STATUS_WM_NOT_LOCKED (not armed: nothing left); STATUS_WM_NOT_OWNER (another
 * thread entered it, or Guard is a copy of the guard that did: nothing left).
 */
_IRQL_requires_max_(APC_LEVEL)
_When_(return == 0, _Releases_lock_(_Global_critical_region_))
NTSTATUS
WmLeaveRegion(
    _Inout_opt_ PWM_REGION_GUARD Guard);

/*
 * WmLeaveRegionSafe
 *
 * As WmLeaveRegion, but returns STATUS_WM_IRQL_TOO_HIGH above APC_LEVEL and
 * stays in the region (lower the IRQL and call it again).
 * IRQL: any.
 */
_IRQL_requires_max_(HIGH_LEVEL)
_When_(return == 0, _Releases_lock_(_Global_critical_region_))
NTSTATUS
WmLeaveRegionSafe(
    _Inout_opt_ PWM_REGION_GUARD Guard);

/* Scoped-release hooks (WM_WITH_LOCK / WM_AUTO_UNLOCK with WM_REGION). */
WM_GENERATED NTSTATUS WmpUnlock_WM_REGION(PWM_REGION_GUARD Guard)
{
    return WmLeaveRegion(Guard);
}
WM_GENERATED VOID WmpGuardCleanup_WM_REGION(PWM_REGION_GUARD Guard)
{
    /* Scope exit cannot report: a disarmed guard is a no-op by design. */
    if (Guard->Thread != NULL) (VOID)WmLeaveRegion(Guard);
}

/* Runs the body inside a critical / guarded region; Status says whether it ran. */
#define WM_WITH_CRITICAL_REGION(Guard, StatusVar) \
    WM_WITH_LOCK(WM_REGION, Guard, StatusVar, WmEnterCriticalRegion(&Guard))
#define WM_WITH_GUARDED_REGION(Guard, StatusVar) \
    WM_WITH_LOCK(WM_REGION, Guard, StatusVar, WmEnterGuardedRegion(&Guard))
#define WM_END_WITH_REGION(Guard) WM_END_WITH_LOCK(WM_REGION, Guard)

#ifdef __cplusplus
}
#endif
#endif /* WDKMUTEX_REGION_H */
