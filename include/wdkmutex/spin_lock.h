/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     SpinLock and QueuedSpinLock: a KSPIN_LOCK that owns a value of
 *              the caller's type, taken either with the ordinary spin-lock
 *              routines or as an in-stack queued spin lock.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics (beyond those in lock.h):
 *  - PrefixLock requires IRQL <= DISPATCH_LEVEL and raises to DISPATCH_LEVEL;
 *    the guard keeps the previous IRQL and unlock restores it
 *    (KeAcquireSpinLock / KeReleaseSpinLock; for QueuedSpinLock
 *    KeAcquireInStackQueuedSpinLock / KeReleaseInStackQueuedSpinLock, with the
 *    KLOCK_QUEUE_HANDLE inside the guard).
 *  - PrefixLockAtDpcLevel requires IRQL == DISPATCH_LEVEL (a DPC, an ISR's
 *    deferred work, code already holding another spin lock) and leaves it
 *    there (KeAcquireSpinLockAtDpcLevel / ...FromDpcLevel; queued: the
 *    ...AtDpcLevel / ...FromDpcLevel in-stack routines). Below DISPATCH_LEVEL
 *    it returns STATUS_WM_IRQL_NOT_DISPATCH_LEVEL, above STATUS_WM_IRQL_TOO_HIGH.
 *  - Unlock must run at DISPATCH_LEVEL (the IRQL the lock holds the CPU at).
 *    WmUnlockSafe returns STATUS_WM_IRQL_NOT_DISPATCH_LEVEL below it and
 *    STATUS_WM_IRQL_TOO_HIGH above it; the lock stays held.
 *  - Not recursive. The kernel spins forever on a recursive acquire; the
 *    library records the owner and returns STATUS_WM_RECURSIVE_ACQUIRE.
 *    In a DPC the recorded owner is the thread the DPC interrupted (no
 *    thread of its own); that thread cannot hold the lock meanwhile (it is
 *    held at DISPATCH_LEVEL, which keeps DPCs off its processor), so nothing
 *    is refused wrongly. Unlock in the same DPC invocation that locked.
 *  - Try-lock: the kernel offers one only at DISPATCH_LEVEL
 *    (KeTryToAcquireSpinLockAtDpcLevel, resolved at run time; Wine 8 does not
 *    export it). PrefixTryLockAtDpcLevel calls it at DISPATCH_LEVEL;
 *    PrefixTryLock (IRQL <= DISPATCH_LEVEL) raises to DISPATCH_LEVEL, calls it,
 *    and lowers again when the lock is busy. Without the export both return
 *    STATUS_NOT_SUPPORTED, as they do at DISPATCH_LEVEL before the export was
 *    resolved (call WmInitializeLibrary at PASSIVE_LEVEL first).
 *    PrefixLockTimeout: spin locks do not time out; a zero timeout is a try
 *    (STATUS_TIMEOUT when busy), any other value STATUS_NOT_SUPPORTED.
 *  - While held: no waiting on dispatcher objects, no paged code or data, no
 *    exceptions — the kernel bug-checks (and so does the host model: paged
 *    pool touched at DISPATCH_LEVEL is DRIVER_IRQL_NOT_LESS_OR_EQUAL, 0xD1).
 *    Keep the body short.
 *  - Storage: the lock and its value must be in nonpaged memory (they are
 *    touched at DISPATCH_LEVEL). Create allocates nonpaged pool; Initialize
 *    takes caller storage that must be nonpaged (nonpaged pool, a device
 *    extension, a driver global) and pointer-aligned.
 *  - Create, Initialize, Destroy, IntoInner, IntoPool: IRQL <= DISPATCH_LEVEL.
 *
 * QueuedSpinLock differences:
 *  - Its guard holds the KLOCK_QUEUE_HANDLE, which the kernel links into the
 *    lock's queue: an armed guard must stay where it is (no copy, no move),
 *    and each acquisition needs its own guard, normally a local. Unlock
 *    through a copy or a moved guard returns STATUS_WM_NOT_OWNER and
 *    releases nothing, even while the original is armed (given a handle it
 *    never queued, a queue-based release waits for a successor that never
 *    comes: Wine's spins forever, measured).
 *  - The kernel has no try routine for in-stack queued spin locks:
 *    PrefixTryLock and PrefixLockTimeout return STATUS_NOT_SUPPORTED. (This
 *    is the one point of the KMutex shape that is meaningless here.)
 *  - A SpinLock and a QueuedSpinLock are distinct types so one KSPIN_LOCK can
 *    never be taken both ways (the kernel forbids mixing them).
 *
 * Declare a type once, then use its functions:
 *
 *     WM_DECLARE_SPIN_LOCK_TYPE(STATS_LOCK, StatsLock, ULONG);
 *
 *     STATS_LOCK Stats;
 *     STATS_LOCK_GUARD Guard;
 *     Status = StatsLockCreate(&Stats, NULL, NULL);     // IRQL <= DISPATCH_LEVEL
 *     Status = StatsLockLock(Stats, &Guard);            // raises to DISPATCH_LEVEL
 *     *Guard.Value += 1;
 *     Status = StatsLockUnlock(&Guard);                 // back to the old IRQL
 *
 *     // In a DPC routine (already at DISPATCH_LEVEL):
 *     Status = StatsLockLockAtDpcLevel(Stats, &Guard);
 *     ...
 *     Status = StatsLockUnlock(&Guard);                 // stays at DISPATCH_LEVEL
 *
 * Generated functions: everything WM_DECLARE_KMUTEX_TYPE generates (see
 * kmutex.h; IRQL as above), plus
 *   PrefixLockAtDpcLevel(TYPE, TYPE_GUARD *)      IRQL == DISPATCH_LEVEL
 *   PrefixTryLockAtDpcLevel(TYPE, TYPE_GUARD *)   IRQL == DISPATCH_LEVEL;
 *                                                 STATUS_WM_LOCK_BUSY, STATUS_NOT_SUPPORTED
 *                                                 (SpinLock only)
 * and WM_WITH_LOCK / WM_AUTO_UNLOCK work with TYPE as for every lock.
 */
#ifndef WDKMUTEX_SPIN_LOCK_H
#define WDKMUTEX_SPIN_LOCK_H

#include "lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lock object of a SpinLock (the header, then the kernel's spin lock). */
typedef struct _WM_SPIN_LOCK {
    WM_LOCK_HEADER Header;
    KSPIN_LOCK     SpinLock;
} WM_SPIN_LOCK, *PWM_SPIN_LOCK;

/* Lock object of a QueuedSpinLock: same layout, another kind. */
typedef struct _WM_QUEUED_SPIN_LOCK {
    WM_LOCK_HEADER Header;
    KSPIN_LOCK     SpinLock;
} WM_QUEUED_SPIN_LOCK, *PWM_QUEUED_SPIN_LOCK;

extern const WM_LOCK_OPS WmSpinLockOps;
extern const WM_LOCK_OPS WmQueuedSpinLockOps;

/* The kinds' fast paths for the typed layer (see lock.h): the raising
 * acquire and every release, inline. spin_lock.c's ops use the same. */
#define WMP_KIND_TRAITS_WM_SPIN_LOCK        0
#define WMP_KIND_TRAITS_WM_QUEUED_SPIN_LOCK WMP_KIND_PINNED_GUARD

WMP_FORCEINLINE NTSTATUS
WmpKindAcquire_WM_SPIN_LOCK(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard)
{
    KIRQL Irql = KeGetCurrentIrql();
    KIRQL OldIrql;

    if (Irql > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* Raises to DISPATCH_LEVEL; the previous IRQL goes into the guard (through
     * a local: a guard whose address no call sees can stay in registers). */
    KeAcquireSpinLock(&CONTAINING_RECORD(Lock, WM_SPIN_LOCK, Header)->SpinLock, &OldIrql);
    Guard->OldIrql = OldIrql;
    return STATUS_SUCCESS;
}

WMP_FORCEINLINE VOID
WmpKindRelease_WM_SPIN_LOCK(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    PKSPIN_LOCK SpinLock = &CONTAINING_RECORD(Lock, WM_SPIN_LOCK, Header)->SpinLock;

    if ((Guard->Mode & (WMP_GUARD_AT_DPC_LEVEL | WMP_GUARD_KIND_PRIVATE)) == 0) {
        /* Lowers to the IRQL saved at acquisition. */
        KeReleaseSpinLock(SpinLock, Guard->OldIrql);
        return;
    }
    /* Taken at DISPATCH_LEVEL (at-DPC-level forms, or a try that raised by
     * hand): released from it; a try's raise is undone by hand. */
    KeReleaseSpinLockFromDpcLevel(SpinLock);
    if ((Guard->Mode & WMP_GUARD_KIND_PRIVATE) != 0) {
        KeLowerIrql(Guard->OldIrql);
    }
}

WMP_FORCEINLINE NTSTATUS
WmpKindAcquire_WM_QUEUED_SPIN_LOCK(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard)
{
    KIRQL Irql = KeGetCurrentIrql();

    if (Irql > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* The queue handle lives in the guard: the kernel links it into the
     * lock's queue, and the release reads the saved IRQL from it. That IRQL
     * is the one read above (nothing changes this processor's IRQL in
     * between), so the guard takes it from the register, before the call:
     * the guard is in memory anyway, and nothing is kept across the call. */
    Guard->OldIrql = Irql;
    KeAcquireInStackQueuedSpinLock(&CONTAINING_RECORD(Lock, WM_QUEUED_SPIN_LOCK, Header)->SpinLock,
                                   WmpGuardQueue(Guard));
    return STATUS_SUCCESS;
}

WMP_FORCEINLINE VOID
WmpKindRelease_WM_QUEUED_SPIN_LOCK(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    UNREFERENCED_PARAMETER(Lock);
    /* The handle, not the lock, says what to release. */
    if ((Guard->Mode & WMP_GUARD_AT_DPC_LEVEL) != 0) {
        KeReleaseInStackQueuedSpinLockFromDpcLevel(WmpGuardQueue(Guard));
    } else {
        KeReleaseInStackQueuedSpinLock(WmpGuardQueue(Guard));
    }
}

/* The at-DISPATCH_LEVEL forms shared by both spin-lock declarators. */
#define WMP_DECLARE_SPIN_LOCK_DPC_FORMS(TYPE, Prefix)                                \
    WMP_DECLARE_LOCK_MODE_ACQUIRE(TYPE, TYPE##_GUARD, WmpAcquireMode_##TYPE);        \
    /* IRQL == DISPATCH_LEVEL; does not change it. */                                \
    WM_GENERATED _IRQL_requires_(DISPATCH_LEVEL) _Must_inspect_result_               \
    NTSTATUS Prefix##LockAtDpcLevel(TYPE Lock, TYPE##_GUARD *Guard)     \
    {                                                                                \
        return WmpAcquireMode_##TYPE(Lock, WMP_GUARD_AT_DPC_LEVEL, NULL, FALSE, Guard); \
    }                                                                                \
    /* IRQL == DISPATCH_LEVEL; STATUS_WM_LOCK_BUSY when held elsewhere. */           \
    WM_GENERATED _IRQL_requires_(DISPATCH_LEVEL) _Must_inspect_result_               \
    NTSTATUS Prefix##TryLockAtDpcLevel(TYPE Lock, TYPE##_GUARD *Guard)  \
    {                                                                                \
        LARGE_INTEGER Due_;                                                          \
        Due_.QuadPart = 0;                                                           \
        return WmpAcquireMode_##TYPE(Lock, WMP_GUARD_AT_DPC_LEVEL, &Due_, TRUE, Guard); \
    }                                                                                \
    typedef int WmpDeclaredDpcForms_##TYPE

/*
 * WM_DECLARE_SPIN_LOCK_TYPE(TYPE, Prefix, T)
 *
 * A KSPIN_LOCK owning a T, taken with KeAcquireSpinLock (raise) or
 * KeAcquireSpinLockAtDpcLevel (at DISPATCH_LEVEL).
 */
#define WM_DECLARE_SPIN_LOCK_TYPE(TYPE, Prefix, T)                                   \
    WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, WM_SPIN_LOCK, &WmSpinLockOps);            \
    WMP_DECLARE_SPIN_LOCK_DPC_FORMS(TYPE, Prefix)

/*
 * WM_DECLARE_QUEUED_SPIN_LOCK_TYPE(TYPE, Prefix, T)
 *
 * A KSPIN_LOCK owning a T, taken as an in-stack queued spin lock (the
 * KLOCK_QUEUE_HANDLE lives in the guard). PrefixTryLockAtDpcLevel, PrefixTryLock
 * and PrefixLockTimeout return STATUS_NOT_SUPPORTED.
 */
#define WM_DECLARE_QUEUED_SPIN_LOCK_TYPE(TYPE, Prefix, T)                            \
    WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, WM_QUEUED_SPIN_LOCK, &WmQueuedSpinLockOps); \
    WMP_DECLARE_SPIN_LOCK_DPC_FORMS(TYPE, Prefix)

#ifdef __cplusplus
}
#endif
#endif /* WDKMUTEX_SPIN_LOCK_H */
