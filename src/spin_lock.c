/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     SpinLock and QueuedSpinLock: the KSPIN_LOCK operations behind
 *              the generic lock core.
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

/* The guard's words hold the kernel's queue handle (lock.h, WmpGuardQueue). */
WM_STATIC_ASSERT(sizeof(KLOCK_QUEUE_HANDLE) <= WMP_QUEUE_HANDLE_WORDS * sizeof(ULONG_PTR),
                 "the queue handle fits the guard's words");
WM_STATIC_ASSERT(_Alignof(KLOCK_QUEUE_HANDLE) <= _Alignof(ULONG_PTR),
                 "the guard's words are aligned for the queue handle");

#define WMP_SPIN_LOCK(Lock)        (&CONTAINING_RECORD((Lock), WM_SPIN_LOCK, Header)->SpinLock)
#define WMP_QUEUED_SPIN_LOCK(Lock) (&CONTAINING_RECORD((Lock), WM_QUEUED_SPIN_LOCK, Header)->SpinLock)

/* ------------------------------------------------------------------------ */
/* Shared by both kinds                                                     */
/* ------------------------------------------------------------------------ */

/* IRQL check of an acquisition: the raising forms run at <= DISPATCH_LEVEL,
 * the at-DPC-level forms at exactly DISPATCH_LEVEL. */
static NTSTATUS
WmpSpinCheckAcquireIrql(_In_ KIRQL Irql, _In_ BOOLEAN AtDpcLevel)
{
    if (Irql > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    if (AtDpcLevel && Irql != DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_NOT_DISPATCH_LEVEL;
    }
    return STATUS_SUCCESS;
}

/* Every spin-lock release runs at DISPATCH_LEVEL: the raising forms hold the
 * CPU there until the release lowers it, the at-DPC-level forms never left it. */
static NTSTATUS
WmpSpinCheckReleaseIrql(_In_ PWM_GUARD Guard)
{
    KIRQL Irql = KeGetCurrentIrql();

    UNREFERENCED_PARAMETER(Guard);
    if (Irql > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    if (Irql < DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_NOT_DISPATCH_LEVEL;
    }
    return STATUS_SUCCESS;
}

static VOID
WmpSpinInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    /* Both kinds keep the KSPIN_LOCK at the same place after the header. */
    KeInitializeSpinLock(WMP_SPIN_LOCK(Lock));
}

/* ------------------------------------------------------------------------ */
/* SpinLock                                                                 */
/* ------------------------------------------------------------------------ */

static NTSTATUS
WmpSpinLockAcquire(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout, _In_ BOOLEAN Try,
                   _Inout_ PWM_GUARD Guard)
{
    PKSPIN_LOCK SpinLock = WMP_SPIN_LOCK(Lock);
    BOOLEAN AtDpcLevel = (Guard->Mode & WMP_GUARD_AT_DPC_LEVEL) != 0;
    KIRQL Irql;
    KIRQL OldIrql;
    WMP_KE_TRY_TO_ACQUIRE_SPIN_LOCK_AT_DPC_LEVEL *TryToAcquire;
    NTSTATUS Status;

    /* Raising and spinning: the typed layer's inline path, one implementation. */
    if (Timeout == NULL && !AtDpcLevel) {
        return WmpKindAcquire_WM_SPIN_LOCK(Lock, Guard);
    }
    Irql = KeGetCurrentIrql();
    OldIrql = Irql;
    Status = WmpSpinCheckAcquireIrql(Irql, AtDpcLevel);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    if (Timeout == NULL) {
        KeAcquireSpinLockAtDpcLevel(SpinLock);
    } else {
        /* A spin lock cannot time out: only "do not wait" is offered, and only
         * through the DISPATCH_LEVEL try routine (Wine 8 does not export it). */
        if (Timeout->QuadPart != 0) {
            return STATUS_NOT_SUPPORTED;
        }
        TryToAcquire = (WMP_KE_TRY_TO_ACQUIRE_SPIN_LOCK_AT_DPC_LEVEL *)
            WmpGetRoutine(WmpRoutineKeTryToAcquireSpinLockAtDpcLevel);
        if (TryToAcquire == NULL) {
            return STATUS_NOT_SUPPORTED;
        }
        if (!AtDpcLevel) {
            KeRaiseIrql(DISPATCH_LEVEL, &OldIrql);
        }
        if (!TryToAcquire(SpinLock)) {
            if (!AtDpcLevel) {
                KeLowerIrql(OldIrql);
            }
            return Try ? STATUS_WM_LOCK_BUSY : STATUS_TIMEOUT;
        }
        if (!AtDpcLevel) {
            /* Taken at DISPATCH_LEVEL, so released from it, then lowered by
             * hand: KeReleaseSpinLock's IRQL must be its acquire's. */
            Guard->Mode |= WMP_GUARD_KIND_PRIVATE;
        }
    }
    Guard->OldIrql = OldIrql;
    return STATUS_SUCCESS;
}

static VOID
WmpSpinLockRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    WmpKindRelease_WM_SPIN_LOCK(Lock, Guard);
}

const WM_LOCK_OPS WmSpinLockOps = {
    "SpinLock",
    sizeof(WM_SPIN_LOCK),
    FALSE,
    WmpSpinInitialize,
    WmpSpinLockAcquire,
    WmpSpinLockRelease,
    WmpSpinCheckReleaseIrql,
    NULL,
    0,
    NULL, /* no shared guards */
};

/* ------------------------------------------------------------------------ */
/* QueuedSpinLock                                                           */
/* ------------------------------------------------------------------------ */

static NTSTATUS
WmpQueuedSpinLockAcquire(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout,
                         _In_ BOOLEAN Try, _Inout_ PWM_GUARD Guard)
{
    BOOLEAN AtDpcLevel = (Guard->Mode & WMP_GUARD_AT_DPC_LEVEL) != 0;
    KIRQL Irql;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(Try);
    if (Timeout == NULL && !AtDpcLevel) {
        return WmpKindAcquire_WM_QUEUED_SPIN_LOCK(Lock, Guard);
    }
    Irql = KeGetCurrentIrql();
    Status = WmpSpinCheckAcquireIrql(Irql, AtDpcLevel);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    /* The kernel has no try routine for in-stack queued spin locks. */
    if (Timeout != NULL) {
        return STATUS_NOT_SUPPORTED;
    }
    KeAcquireInStackQueuedSpinLockAtDpcLevel(WMP_QUEUED_SPIN_LOCK(Lock), WmpGuardQueue(Guard));
    Guard->OldIrql = DISPATCH_LEVEL;
    return STATUS_SUCCESS;
}

static VOID
WmpQueuedSpinLockRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    WmpKindRelease_WM_QUEUED_SPIN_LOCK(Lock, Guard);
}

const WM_LOCK_OPS WmQueuedSpinLockOps = {
    "QueuedSpinLock",
    sizeof(WM_QUEUED_SPIN_LOCK),
    FALSE,
    WmpSpinInitialize,
    WmpQueuedSpinLockAcquire,
    WmpQueuedSpinLockRelease,
    WmpSpinCheckReleaseIrql,
    NULL,
    WMP_OPS_FLAG_PINNED_GUARD, /* = WMP_KIND_TRAITS_WM_QUEUED_SPIN_LOCK */
    NULL, /* no shared guards */
};
