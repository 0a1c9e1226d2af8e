/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Critical sections: a mutex that protects a section of code
 *              rather than a value (the seed crate's planned "critical
 *              section"), backed by a KMUTEX or a FAST_MUTEX.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics (beyond those in lock.h, which apply unchanged):
 *  - Enter/leave are the lock/unlock of the chosen kernel object, through the
 *    same generic core as KMutex and FastMutex, so IRQL, recursion, ownership
 *    and every status code are theirs:
 *      WmCriticalSectionKMutex     recursive, nested guards left newest
 *                                  first; enter <= APC_LEVEL (try and a
 *                                  zero timeout <= DISPATCH_LEVEL); timed enter;
 *                                  holder in a critical region.
 *      WmCriticalSectionFastMutex  not recursive (STATUS_WM_RECURSIVE_ACQUIRE);
 *                                  enter <= APC_LEVEL, raises to APC_LEVEL until
 *                                  leave; try needs ExTryToAcquireFastMutex
 *                                  (else STATUS_NOT_SUPPORTED); no timed wait
 *                                  (a non-zero timeout: STATUS_NOT_SUPPORTED).
 *  - Leave releases once and disarms the guard; a second leave returns
 *    STATUS_WM_NOT_LOCKED; another thread's leave STATUS_WM_NOT_OWNER.
 *  - Delete refuses a section that is entered (STATUS_WM_MUTEX_HELD).
 *  - Storage: nonpaged. WmInitializeCriticalSection works in place on memory
 *    the driver owns (a global, a device extension, its own nonpaged block;
 *    pointer-aligned) with no allocation; WmCreateCriticalSection allocates it
 *    (tag WM_TAG_LOCK). WmDeleteCriticalSection undoes either.
 *
 * What of the KMutex shape is meaningless here, and why: a critical section
 * owns no data, so there is no value pointer in the guard, no destructor, and
 * no into-inner / into-pool (there is nothing to hand out). Everything else —
 * IRQL-checked enter returning NTSTATUS, typed guard, scoped release,
 * leave-safe, delete — is the same.
 *
 *     static WM_CRITICAL_SECTION Section;              // driver global
 *
 *     Status = WmInitializeCriticalSection(&Section, WmCriticalSectionFastMutex);
 *     ...
 *     WM_WITH_CRITICAL_SECTION(&Section, Guard, Status) {
 *         TouchSharedHardwareState();                  // one thread at a time
 *     } WM_END_WITH_CRITICAL_SECTION(Guard);
 *     ...
 *     Status = WmDeleteCriticalSection(&Section);
 *
 * The generic forms work too: WM_WITH_LOCK(WM_CRITICAL_SECTION, Guard, Status,
 * WmEnterCriticalSection(&Section, &Guard)) and, on GCC/clang,
 * `WM_CRITICAL_SECTION_GUARD Guard WM_AUTO_UNLOCK(WM_CRITICAL_SECTION) = { 0 };`.
 */
#ifndef WDKMUTEX_CRITICAL_SECTION_H
#define WDKMUTEX_CRITICAL_SECTION_H

#include "lock.h"
#include "kmutex.h"
#include "fast_mutex.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel object behind a critical section. */
typedef enum _WM_CRITICAL_SECTION_KIND {
    WmCriticalSectionKMutex = 0,
    WmCriticalSectionFastMutex = 1
} WM_CRITICAL_SECTION_KIND;

/* A critical section (treat as opaque; do not copy or move once initialised). */
typedef struct _WM_CRITICAL_SECTION {
    union {
        WM_LOCK_HEADER Header;
        WM_KMUTEX      KMutex;
        WM_FAST_MUTEX  FastMutex;
    } Lock;
    /* The generic core's locks always own a value: a section's is this
     * byte, which nothing reads or hands out. */
    UCHAR Unused;
} WM_CRITICAL_SECTION, *PWM_CRITICAL_SECTION;

/* What enter fills in: disarmed (Base.Lock == NULL) unless the section is
 * entered. Zero-initialise it; do not copy it while armed. */
typedef struct _WM_CRITICAL_SECTION_GUARD {
    WM_GUARD Base;
} WM_CRITICAL_SECTION_GUARD, *PWM_CRITICAL_SECTION_GUARD;

/*
 * WmInitializeCriticalSection
 *
 * Initialises a critical section in storage the caller owns. No allocation.
 * IRQL: <= DISPATCH_LEVEL.
 * Returns STATUS_SUCCESS; STATUS_WM_INVALID_PARAMETER (NULL or not
 * pointer-aligned Section, unknown Kind); STATUS_WM_IRQL_TOO_HIGH;
 * STATUS_NOT_SUPPORTED (as WmInitializeLibrary).
 * Remarks: Section must be nonpaged and must not be moved while initialised.
 */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS
WmInitializeCriticalSection(
    _Out_ PWM_CRITICAL_SECTION Section,
    _In_ WM_CRITICAL_SECTION_KIND Kind);

/*
 * WmCreateCriticalSection
 *
 * Allocates (nonpaged, tag WM_TAG_LOCK) and initialises a critical section.
 * IRQL: <= DISPATCH_LEVEL.
 * Returns STATUS_SUCCESS; STATUS_WM_INVALID_PARAMETER (NULL Section, unknown
 * Kind); STATUS_WM_IRQL_TOO_HIGH; STATUS_WM_POOL_ALLOCATION_FAILED;
 * STATUS_NOT_SUPPORTED (as WmInitializeLibrary). *Section is NULL on failure.
 */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS
WmCreateCriticalSection(
    _In_ WM_CRITICAL_SECTION_KIND Kind,
    _Outptr_ PWM_CRITICAL_SECTION *Section);

/*
 * WmDeleteCriticalSection
 *
 * Deletes a critical section: frees it if WmCreateCriticalSection allocated
 * it, otherwise leaves the storage deinitialised (enter then returns
 * STATUS_WM_NOT_INITIALIZED until it is initialised again).
 * IRQL: <= DISPATCH_LEVEL.
 * Returns STATUS_SUCCESS; STATUS_WM_NOT_INITIALIZED (NULL, never initialised
 * or already deleted); STATUS_WM_MUTEX_HELD (entered: nothing changed);
 * STATUS_WM_IRQL_TOO_HIGH.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
WmDeleteCriticalSection(
    _In_opt_ PWM_CRITICAL_SECTION Section);

/*
 * WmEnterCriticalSection (inline)
 *
 * Waits until the calling thread owns the section, and arms Guard.
 * IRQL: <= APC_LEVEL. A FAST_MUTEX section raises to APC_LEVEL until leave;
 * a KMUTEX section leaves the IRQL alone and disables normal kernel APCs.
 * Returns STATUS_SUCCESS; STATUS_WM_INVALID_PARAMETER (NULL Guard);
 * STATUS_WM_NOT_INITIALIZED; STATUS_WM_IRQL_TOO_HIGH;
 * STATUS_WM_RECURSIVE_ACQUIRE (FAST_MUTEX section already owned by the caller).
 * Guard is disarmed, with Guard->Base.Status set, on every failure.
 */
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
_When_(return == 0, _Acquires_lock_(*Section))
WMP_FORCEINLINE NTSTATUS
WmEnterCriticalSection(
    _In_opt_ PWM_CRITICAL_SECTION Section,
    _Out_ PWM_CRITICAL_SECTION_GUARD Guard)
{
    PWM_LOCK_HEADER Lock = Section != NULL ? &Section->Lock.Header : NULL;
    NTSTATUS Status;

    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    /* Inline, with the core's steps and the kind known (see lock.h), as the
     * typed layers have it: a section costs what a typed lock costs. The
     * KMUTEX section's kind compare is the Ops check that lock makes anyway
     * (its Ops is the KMUTEX's, so not NULL). Everything else goes the
     * FAST_MUTEX way: a FAST_MUTEX section, and never-initialised or deleted
     * storage of either kind, whose NULL Owner that kind's owner check
     * refuses (lock.h). */
    if (Lock != NULL && Lock->Ops == &WmKMutexOps) {
        Status = WmpLockAcquireBegin(Lock, WMP_GUARD_EXCLUSIVE, &Guard->Base,
                                     WMP_KIND_TRAITS_WM_KMUTEX | WMP_KIND_OPS_CHECKED);
        if (Status != STATUS_SUCCESS) {
            return Status;
        }
        Status = WmpLockAcquireEnd(Lock, WMP_GUARD_EXCLUSIVE, &Guard->Base,
                                   WmpKindAcquire_WM_KMUTEX(Lock, &Guard->Base), WMP_KIND_TRAITS_WM_KMUTEX);
        Guard->Base.Tag = (UCHAR)WmCriticalSectionKMutex;
        return Status;
    }
    if (Lock != NULL) {
        Status = WmpLockAcquireBegin(Lock, WMP_GUARD_EXCLUSIVE, &Guard->Base, WMP_KIND_TRAITS_WM_FAST_MUTEX);
        if (Status != STATUS_SUCCESS) {
            return Status;
        }
        Status = WmpLockAcquireEnd(Lock, WMP_GUARD_EXCLUSIVE, &Guard->Base,
                                   WmpKindAcquire_WM_FAST_MUTEX(Lock, &Guard->Base), WMP_KIND_TRAITS_WM_FAST_MUTEX);
        Guard->Base.Tag = (UCHAR)WmCriticalSectionFastMutex;
        return Status;
    }
    /* NULL. Failed inline: no call takes the guard's address, so an armed
     * guard may live in registers. */
    return WmpLockGuardFail(&Guard->Base, WMP_GUARD_EXCLUSIVE, STATUS_WM_NOT_INITIALIZED);
}

/*
 * WmEnterCriticalSectionTimeout
 *
 * As WmEnterCriticalSection, but waits at most Timeout (100 ns units; negative
 * relative, positive absolute, WM_TIMEOUT_MS(ms) for milliseconds; 0 = do not
 * wait).
 * IRQL: <= APC_LEVEL; a zero Timeout on a KMUTEX section <= DISPATCH_LEVEL.
 * Returns as WmEnterCriticalSection, plus STATUS_TIMEOUT (not entered; note
 * NT_SUCCESS(STATUS_TIMEOUT) is TRUE: compare with STATUS_SUCCESS) and
 * STATUS_NOT_SUPPORTED (FAST_MUTEX section: a non-zero Timeout, or a zero one
 * on a kernel without ExTryToAcquireFastMutex).
 */
_When_(Timeout != 0, _IRQL_requires_max_(APC_LEVEL))
_When_(Timeout == 0, _IRQL_requires_max_(DISPATCH_LEVEL)) _Must_inspect_result_
NTSTATUS
WmEnterCriticalSectionTimeout(
    _In_opt_ PWM_CRITICAL_SECTION Section,
    _In_ LONGLONG Timeout,
    _Out_ PWM_CRITICAL_SECTION_GUARD Guard);

/*
 * WmTryEnterCriticalSection
 *
 * Enters the section only if that needs no wait.
 * IRQL: KMUTEX section <= DISPATCH_LEVEL; FAST_MUTEX section <= APC_LEVEL.
 * Returns as WmEnterCriticalSection, plus STATUS_WM_LOCK_BUSY (another thread
 * is inside) and STATUS_NOT_SUPPORTED (FAST_MUTEX section on a kernel without
 * ExTryToAcquireFastMutex, e.g. Wine 8).
 */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
_When_(return == 0, _Acquires_lock_(*Section))
NTSTATUS
WmTryEnterCriticalSection(
    _In_opt_ PWM_CRITICAL_SECTION Section,
    _Out_ PWM_CRITICAL_SECTION_GUARD Guard);

/*
 * WmLeaveCriticalSection (inline)
 *
 * Leaves the section Guard entered and disarms Guard. Like WmUnlock it does
 * not check the IRQL (KMUTEX: <= DISPATCH_LEVEL and on the same side of
 * DISPATCH_LEVEL as the enter; FAST_MUTEX: exactly APC_LEVEL, the level enter
 * left the thread at); use WmLeaveCriticalSectionSafe when unsure.
 * Returns STATUS_SUCCESS; STATUS_WM_INVALID_PARAMETER (NULL Guard);
 * STATUS_WM_NOT_LOCKED (not armed: nothing left); STATUS_WM_NOT_OWNER.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
WMP_FORCEINLINE NTSTATUS
WmLeaveCriticalSection(
    _Inout_opt_ PWM_CRITICAL_SECTION_GUARD Guard)
{
    PWM_LOCK_HEADER Lock = Guard != NULL ? Guard->Base.Lock : NULL;

    /* A section's guards are exclusive. The guard's Tag says the kind as
     * enter found it, a constant on each path of an inline enter, so the
     * compiler can follow each path through to here and keep its facts (the
     * token compare folds). The section's kind need not be compared again:
     * a stale copy of a guard of a section deleted since fails the owner
     * check (under Wine, the token check: lock.c), and one initialised
     * again as the other kind fails the token check too (tokens of the two
     * kinds differ in parity: lock.h, WMP_GENERATION_PARITY), so the other
     * kind's release is never run. */
    if (Lock != NULL) {
        if (Guard->Base.Tag == (UCHAR)WmCriticalSectionFastMutex) {
            return WmpLockReleaseExclusive(&Guard->Base, WMP_KIND_TRAITS_WM_FAST_MUTEX,
                                           WmpKindRelease_WM_FAST_MUTEX);
        }
        /* Tag == WmCriticalSectionKMutex */
        return WmpLockReleaseExclusive(&Guard->Base, WMP_KIND_TRAITS_WM_KMUTEX, WmpKindRelease_WM_KMUTEX);
    }
    return Guard == NULL ? STATUS_WM_INVALID_PARAMETER : STATUS_WM_NOT_LOCKED;
}

/*
 * WmLeaveCriticalSectionSafe
 *
 * As WmLeaveCriticalSection, but first checks the IRQL; on a wrong one it
 * returns STATUS_WM_IRQL_TOO_HIGH, STATUS_WM_IRQL_NOT_APC_LEVEL or
 * STATUS_WM_IRQL_MISMATCH and the section stays entered.
 * IRQL: any.
 */
_IRQL_requires_max_(HIGH_LEVEL)
NTSTATUS
WmLeaveCriticalSectionSafe(
    _Inout_opt_ PWM_CRITICAL_SECTION_GUARD Guard);

/* Scoped-release hooks (WM_WITH_LOCK / WM_AUTO_UNLOCK with WM_CRITICAL_SECTION). */
WM_GENERATED_HOT NTSTATUS WmpUnlock_WM_CRITICAL_SECTION(PWM_CRITICAL_SECTION_GUARD Guard)
{
    return WmLeaveCriticalSection(Guard);
}
WM_GENERATED_HOT VOID WmpGuardCleanup_WM_CRITICAL_SECTION(PWM_CRITICAL_SECTION_GUARD Guard)
{
    /* Scope exit cannot report: a disarmed guard is a no-op by design. */
    if (Guard->Base.Lock != NULL) (VOID)WmLeaveCriticalSection(Guard);
}

/* Runs the body inside the section; Status says whether it ran. */
#define WM_WITH_CRITICAL_SECTION(Section, Guard, StatusVar) \
    WM_WITH_LOCK(WM_CRITICAL_SECTION, Guard, StatusVar, WmEnterCriticalSection((Section), &Guard))
#define WM_END_WITH_CRITICAL_SECTION(Guard) WM_END_WITH_LOCK(WM_CRITICAL_SECTION, Guard)

#ifdef __cplusplus
}
#endif
#endif /* WDKMUTEX_CRITICAL_SECTION_H */
