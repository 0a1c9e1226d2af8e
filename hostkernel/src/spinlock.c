/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Spin locks and in-stack queued spin locks (§7).
 * ENVIRONMENT: Host (Linux user mode).
 *
 * A held lock stores KTHREAD | 1 (| 2 for the queued API), as a ReactOS DBG
 * build does, so the model can tell recursion (0xF SPIN_LOCK_ALREADY_OWNED,
 * P1 lock) and a release by a non-owner (0x10 SPIN_LOCK_NOT_OWNED, P1 lock,
 * P2 owner value) from a real wait. Waiting is a real spin with sched_yield.
 * Queued locks are plain test-and-set locks here (no MCS queue); the
 * holder's record keeps the handle its acquire queued, so a release through
 * any other handle is reported (HkpHandleLock).
 */
#include <sched.h>

#include "hkp.h"

#define HK_SPIN_HELD   ((ULONG_PTR)1)
#define HK_SPIN_QUEUED ((ULONG_PTR)2)

static ULONG_PTR
HkpSpinValue(PKTHREAD Thread, BOOLEAN Queued)
{
    return (ULONG_PTR)Thread | HK_SPIN_HELD | (Queued ? HK_SPIN_QUEUED : 0);
}

static VOID
HkpCheckNotOwned(PKSPIN_LOCK SpinLock, PKTHREAD Thread)
{
    ULONG_PTR Value = __atomic_load_n(SpinLock, __ATOMIC_RELAXED);

    if ((Value & ~(HK_SPIN_HELD | HK_SPIN_QUEUED)) == (ULONG_PTR)Thread && Value != 0) {
        KeBugCheckEx(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)SpinLock, 0, 0, 0);
    }
}

static BOOLEAN
HkpSpinTry(PKSPIN_LOCK SpinLock, ULONG_PTR Value)
{
    ULONG_PTR Expected = 0;

    return __atomic_compare_exchange_n(SpinLock, &Expected, Value, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static VOID
HkpPushRecord(PKTHREAD Thread, PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE Handle, KIRQL OldIrql)
{
    if (Thread->SpinLocksHeld < HK_MAX_SPIN_RECORDS) {
        Thread->SpinLocks[Thread->SpinLocksHeld].Lock = SpinLock;
        Thread->SpinLocks[Thread->SpinLocksHeld].Handle = Handle;
        Thread->SpinLocks[Thread->SpinLocksHeld].OldIrql = OldIrql;
    }
    Thread->SpinLocksHeld++;
}

/* The most recent record of SpinLock, or -1. */
static LONG
HkpFindRecord(PKTHREAD Thread, PKSPIN_LOCK SpinLock)
{
    LONG Index;

    for (Index = HkpSpinRecordCount(Thread) - 1; Index >= 0; Index--) {
        if (Thread->SpinLocks[Index].Lock == SpinLock) {
            break;
        }
    }
    return Index;
}

/* Removes SpinLock's record; returns the IRQL saved at its acquire. */
static KIRQL
HkpPopRecord(PKTHREAD Thread, PKSPIN_LOCK SpinLock)
{
    LONG Count = HkpSpinRecordCount(Thread);
    LONG Index = HkpFindRecord(Thread, SpinLock);
    KIRQL OldIrql = DISPATCH_LEVEL;

    if (Index >= 0) {
        OldIrql = Thread->SpinLocks[Index].OldIrql;
        for (; Index + 1 < Count; Index++) {
            Thread->SpinLocks[Index] = Thread->SpinLocks[Index + 1];
        }
    }
    if (Thread->SpinLocksHeld > 0) {
        Thread->SpinLocksHeld--;
    }
    return OldIrql;
}

static VOID
HkpSpinAcquire(PKSPIN_LOCK SpinLock, PKTHREAD Thread, PKLOCK_QUEUE_HANDLE Handle, KIRQL OldIrql)
{
    ULONG_PTR Value = HkpSpinValue(Thread, Handle != NULL);

    HkpCheckNotOwned(SpinLock, Thread);
    while (!HkpSpinTry(SpinLock, Value)) {
        sched_yield();
    }
    HkpPushRecord(Thread, SpinLock, Handle, OldIrql);
}

/* Ownership checks of a release (§7, §17); returns the saved IRQL. */
static KIRQL
HkpSpinRelease(PKSPIN_LOCK SpinLock, PKTHREAD Thread, BOOLEAN Queued)
{
    ULONG_PTR Value = __atomic_load_n(SpinLock, __ATOMIC_RELAXED);

    if (Value == HkpSpinValue(Thread, !Queued)) {
        /* Taken with one API, released with the other: 0xC4/0x1009. */
        HkpVerifierBugCheck(HK_DV_RELEASE_API_MISMATCH, SpinLock, Thread, Value);
    }
    if (Value != HkpSpinValue(Thread, Queued)) {
        KeBugCheckEx(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)SpinLock, Value, 0, 0);
    }
    __atomic_store_n(SpinLock, (ULONG_PTR)0, __ATOMIC_RELEASE);
    return HkpPopRecord(Thread, SpinLock);
}

VOID NTAPI
KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
    __atomic_store_n(SpinLock, (ULONG_PTR)0, __ATOMIC_RELAXED);
}

KIRQL NTAPI
KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL OldIrql = Thread->Irql;

    /* §7: above DISPATCH_LEVEL → 0xC4/0x42 (P2 IRQL, P3 lock). */
    if (OldIrql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_ACQUIRE_IRQL, OldIrql, SpinLock, 0);
    }
    HkpRaiseIrql(Thread, DISPATCH_LEVEL);
    HkpSpinAcquire(SpinLock, Thread, NULL, OldIrql);
    return OldIrql;
}

VOID NTAPI
KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL Saved;

    /* §7: release at IRQL != DISPATCH_LEVEL (often a double release after the
     * first one lowered IRQL) → 0xC4/0x32 (P2 IRQL, P3 lock). */
    if (Thread->Irql != DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_RELEASE_IRQL, Thread->Irql, SpinLock, 0);
    }
    Saved = HkpSpinRelease(SpinLock, Thread, FALSE);
    /* §18 IrqlKeReleaseSpinLock: NewIrql must be the acquire's OldIrql
     * (0xC4/0x00020015, P2 lock, P3 NewIrql, P4 expected). */
    if (NewIrql != Saved) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_RELEASE_SPIN, SpinLock, NewIrql, Saved);
    }
    HkpLowerIrqlChecked(Thread, NewIrql);
}

VOID NTAPI
KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §7: below DISPATCH_LEVEL → 0xC4/0x40 (P2 IRQL, P3 lock). */
    if (Thread->Irql < DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_AT_DPC_ACQUIRE_IRQL, Thread->Irql, SpinLock, 0);
    }
    HkpSpinAcquire(SpinLock, Thread, NULL, Thread->Irql);
}

VOID NTAPI
KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §7: below DISPATCH_LEVEL → 0xC4/0x41 (P2 IRQL, P3 lock). */
    if (Thread->Irql < DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_AT_DPC_RELEASE_IRQL, Thread->Irql, SpinLock, 0);
    }
    (VOID)HkpSpinRelease(SpinLock, Thread, FALSE);
}

BOOLEAN FASTCALL
KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    PKTHREAD Thread = HkpCurrentThread();

    if (Thread->Irql < DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_AT_DPC_ACQUIRE_IRQL, Thread->Irql, SpinLock, 0);
    }
    /* A holder trying again is the recursion a DBG kernel reports (0xF). */
    HkpCheckNotOwned(SpinLock, Thread);
    if (!HkpSpinTry(SpinLock, HkpSpinValue(Thread, FALSE))) {
        return FALSE;
    }
    HkpPushRecord(Thread, SpinLock, NULL, Thread->Irql);
    return TRUE;
}

BOOLEAN FASTCALL
KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
    /* §7: FALSE while held, never acquires. */
    if (__atomic_load_n(SpinLock, __ATOMIC_RELAXED) != 0) {
        YieldProcessor();
        return FALSE;
    }
    return TRUE;
}

VOID FASTCALL
KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL OldIrql = Thread->Irql;

    if (OldIrql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_ACQUIRE_IRQL, OldIrql, SpinLock, 0);
    }
    HkpRaiseIrql(Thread, DISPATCH_LEVEL);
    HkpSpinAcquire(SpinLock, Thread, LockHandle, OldIrql);
    LockHandle->LockQueue.Next = NULL;
    LockHandle->LockQueue.Lock = SpinLock;
    LockHandle->OldIrql = OldIrql; /* §7: the old IRQL lives in the handle */
}

VOID FASTCALL
KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = HkpCurrentThread();

    if (Thread->Irql < DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_AT_DPC_ACQUIRE_IRQL, Thread->Irql, SpinLock, 0);
    }
    HkpSpinAcquire(SpinLock, Thread, LockHandle, Thread->Irql);
    LockHandle->LockQueue.Next = NULL;
    LockHandle->LockQueue.Lock = SpinLock;
    LockHandle->OldIrql = Thread->Irql;
}

/* A handle that no queued acquire filled in: the wrong API for the lock.
 * A handle other than the one the acquire queued (a copy, or the handle
 * moved): only the queued one is linked into the lock, so a queue-based
 * release through another waits for a successor that never links. Wine's
 * (an MCS queue, kernel-semantics §Wine) spins forever (measured: the driver
 * host hangs); Windows' queued locks are queue-based too and are expected
 * to spin likewise, at DISPATCH_LEVEL. No bug check is documented for it;
 * the model stops with SPIN_LOCK_NOT_OWNED (0x10; P2 the handle, P3 the
 * queued one), the handle not owning the lock, rather than hang. */
static PKSPIN_LOCK
HkpHandleLock(PKLOCK_QUEUE_HANDLE LockHandle, PKTHREAD Thread)
{
    PKSPIN_LOCK SpinLock = LockHandle->LockQueue.Lock;
    LONG Index;

    if (SpinLock == NULL) {
        HkpVerifierBugCheck(HK_DV_RELEASE_API_MISMATCH, LockHandle, Thread, 0);
    }
    Index = HkpFindRecord(Thread, SpinLock);
    if (Index >= 0 && Thread->SpinLocks[Index].Handle != NULL && Thread->SpinLocks[Index].Handle != LockHandle) {
        KeBugCheckEx(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)SpinLock, (ULONG_PTR)LockHandle,
                     (ULONG_PTR)Thread->SpinLocks[Index].Handle, 0);
    }
    return SpinLock;
}

VOID FASTCALL
KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = HkpCurrentThread();
    PKSPIN_LOCK SpinLock;

    /* §7: the queued release runs at DISPATCH_LEVEL (0xC4/0x36 otherwise). */
    if (Thread->Irql != DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_QUEUED_SPIN_RELEASE_IRQL, Thread->Irql, LockHandle, 0);
    }
    SpinLock = HkpHandleLock(LockHandle, Thread);
    (VOID)HkpSpinRelease(SpinLock, Thread, TRUE);
    LockHandle->LockQueue.Lock = NULL;
    HkpLowerIrqlChecked(Thread, LockHandle->OldIrql);
}

VOID FASTCALL
KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
    PKTHREAD Thread = HkpCurrentThread();
    PKSPIN_LOCK SpinLock;

    if (Thread->Irql < DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_SPIN_AT_DPC_RELEASE_IRQL, Thread->Irql, LockHandle, 0);
    }
    SpinLock = HkpHandleLock(LockHandle, Thread);
    (VOID)HkpSpinRelease(SpinLock, Thread, TRUE);
    LockHandle->LockQueue.Lock = NULL;
}
