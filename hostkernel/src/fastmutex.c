/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Fast mutexes (§5) and guarded mutexes (§6).
 * ENVIRONMENT: Host (Linux user mode).
 *
 * Both are non-recursive exclusive locks: Count 1 = free, 0 = owned, Owner =
 * the KTHREAD, waiters queued on the embedded event/gate and handed the lock
 * in FIFO order by the releasing thread. State changes under the dispatcher
 * lock. Where Windows deadlocks (recursive acquire) the model bug checks
 * MUTEX_ALREADY_OWNED (0xBF: P1 mutex, P2 thread, P3 0) instead of hanging.
 */
#include "hkp.h"

#define HK_GATE_SIZE ((UCHAR)(sizeof(KGATE) / sizeof(LONG)))

static BOOLEAN
HkpInsideApcDisabledRegion(PKTHREAD Thread)
{
    return (BOOLEAN)(Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0);
}

/* ------------------------------------------------------------------------ */
/* The core both share                                                      */
/* ------------------------------------------------------------------------ */

/*
 * FAST_MUTEX and KGUARDED_MUTEX have the same head (Count, Owner, Contention)
 * and queue waiters on their dispatcher object's wait list (Event / Gate).
 * One definition of the state changes and the owner checks, instantiated per
 * type (the field names are the same; the wait list is the argument):
 *   PrefixRefuseRecursion  0xBF where Windows would deadlock the owner
 *   PrefixTake             takes it, waiting while it is owned
 *   PrefixGive             hands it to the first waiter, or frees it
 *   PrefixCheckRelease     0xC4/0x1004 not the owner, 0xC4/0x1009 released
 *                          with the other API (Unsafe or not) than acquired
 * All with the dispatcher lock held; the checks drop it before bug-checking.
 */
#define HK_DEFINE_EXCLUSIVE_MUTEX_CORE(Prefix, TYPE, WAIT_LIST)                          \
    static VOID Prefix##RefuseRecursion(TYPE *Mutex, PKTHREAD Thread)                   \
    {                                                                                   \
        if ((PVOID)Mutex->Owner == (PVOID)Thread) {                                     \
            HkpUnlock();                                                                \
            KeBugCheckEx(MUTEX_ALREADY_OWNED, (ULONG_PTR)Mutex, (ULONG_PTR)Thread, 0, 0); \
        }                                                                               \
    }                                                                                   \
    static VOID Prefix##Take(TYPE *Mutex, PKTHREAD Thread)                              \
    {                                                                                   \
        HK_WAIT_BLOCK Block;                                                            \
                                                                                        \
        if (Mutex->Count == 1) {                                                        \
            Mutex->Count = 0;                                                           \
            Mutex->Owner = Thread;                                                      \
            return;                                                                     \
        }                                                                               \
        Mutex->Contention++;                                                            \
        Block.Thread = Thread;                                                          \
        Block.Kind = 0;                                                                 \
        Block.Irql = Thread->Irql;                                                      \
        /* The releaser makes us the owner (Count stays 0). */                          \
        (VOID)HkpBlock(&Mutex->WAIT_LIST, &Block, NULL);                                \
    }                                                                                   \
    static VOID Prefix##Give(TYPE *Mutex)                                               \
    {                                                                                   \
        HK_WAIT_BLOCK *Block = HkpGrantFirst(&Mutex->WAIT_LIST);                        \
                                                                                        \
        if (Block != NULL) {                                                            \
            Mutex->Owner = Block->Thread;                                               \
        } else {                                                                        \
            Mutex->Owner = NULL;                                                        \
            Mutex->Count = 1;                                                           \
        }                                                                               \
    }                                                                                   \
    static VOID Prefix##CheckRelease(TYPE *Mutex, PKTHREAD Thread, BOOLEAN Unsafe)      \
    {                                                                                   \
        PVOID Owner = (PVOID)Mutex->Owner;                                              \
        BOOLEAN HeldUnsafe = Mutex->HkUnsafe != 0;                                      \
                                                                                        \
        if (Owner != (PVOID)Thread) {                                                   \
            /* Deadlock Detection: released by a thread that does not own it      */    \
            /* (0x1004: P2 mutex, P3 releasing thread, P4 owner).                 */    \
            HkpUnlock();                                                                \
            HkpVerifierBugCheck(HK_DV_WRONG_THREAD_RELEASE, Mutex, Thread, Owner);      \
        }                                                                               \
        if (HeldUnsafe != Unsafe) {                                                     \
            /* §5: an Unsafe acquire released with the other API, or the reverse  */    \
            /* (0x1009).                                                          */    \
            HkpUnlock();                                                                \
            HkpVerifierBugCheck(HK_DV_RELEASE_API_MISMATCH, Mutex, Thread, HeldUnsafe); \
        }                                                                               \
    }                                                                                   \
    typedef int Prefix##Defined

HK_DEFINE_EXCLUSIVE_MUTEX_CORE(HkpFastMutex, FAST_MUTEX, Event.Header.WaitListHead);
HK_DEFINE_EXCLUSIVE_MUTEX_CORE(HkpGuardedMutex, KGUARDED_MUTEX, Gate.Header.WaitListHead);

/* ------------------------------------------------------------------------ */
/* FAST_MUTEX                                                               */
/* ------------------------------------------------------------------------ */

static VOID
HkpCheckFastMutex(PFAST_MUTEX FastMutex)
{
    /* Never initialised (ExInitializeFastMutex sets up the event): §17 0x1002. */
    if (FastMutex == NULL || FastMutex->Event.Header.Size != (UCHAR)(sizeof(KEVENT) / sizeof(LONG)) ||
        FastMutex->Event.Header.Type != HK_EVENT_SYNCHRONIZATION_OBJECT) {
        HkpVerifierBugCheck(HK_DV_UNINITIALIZED_LOCK, FastMutex, 0, 0);
    }
}

VOID NTAPI
ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    FastMutex->Count = FM_LOCK_BIT;
    FastMutex->Owner = NULL;
    FastMutex->Contention = 0;
    KeInitializeEvent(&FastMutex->Event, SynchronizationEvent, FALSE);
    FastMutex->OldIrql = PASSIVE_LEVEL;
    FastMutex->HkUnsafe = 0;
    memset(FastMutex->HkSpare, 0, sizeof(FastMutex->HkSpare));
}

VOID FASTCALL
ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL OldIrql = Thread->Irql;

    /* §5: above APC_LEVEL → 0xC4/0x33 (P2 IRQL, P3 mutex). */
    if (OldIrql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_DV_FAST_MUTEX_ACQUIRE_IRQL, OldIrql, FastMutex, 0);
    }
    HkpCheckFastMutex(FastMutex);
    HkpLock();
    HkpFastMutexRefuseRecursion(FastMutex, Thread);
    /* §5: raise to APC_LEVEL first, then wait; the old IRQL is saved in the mutex. */
    HkpRaiseIrql(Thread, APC_LEVEL);
    HkpFastMutexTake(FastMutex, Thread);
    FastMutex->OldIrql = OldIrql;
    FastMutex->HkUnsafe = 0;
    HkpUnlock();
}

BOOLEAN FASTCALL
ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL OldIrql = Thread->Irql;
    BOOLEAN Acquired = FALSE;

    if (OldIrql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_DV_FAST_MUTEX_ACQUIRE_IRQL, OldIrql, FastMutex, 0);
    }
    HkpCheckFastMutex(FastMutex);
    HkpLock();
    /* Busy (also when the caller owns it: a try cannot deadlock) → FALSE and
     * IRQL unchanged (§5). */
    if (FastMutex->Count == 1) {
        FastMutex->Count = 0;
        FastMutex->Owner = Thread;
        FastMutex->OldIrql = OldIrql;
        FastMutex->HkUnsafe = 0;
        HkpRaiseIrql(Thread, APC_LEVEL);
        Acquired = TRUE;
    }
    HkpUnlock();
    return Acquired;
}

VOID FASTCALL
ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL OldIrql;

    /* §5: release at IRQL != APC_LEVEL → 0xC4/0x34 (P2 IRQL, P3 APC disable
     * count, P4 mutex). */
    if (Thread->Irql != APC_LEVEL) {
        HkpVerifierBugCheck(HK_DV_FAST_MUTEX_RELEASE_IRQL, Thread->Irql, HkpCombinedApcDisable(Thread), FastMutex);
    }
    HkpCheckFastMutex(FastMutex);
    HkpLock();
    HkpFastMutexCheckRelease(FastMutex, Thread, FALSE);
    OldIrql = (KIRQL)FastMutex->OldIrql;
    HkpFastMutexGive(FastMutex);
    HkpUnlock();
    HkpLowerIrqlChecked(Thread, OldIrql);
}

/* §5: the Unsafe pair needs IRQL == APC_LEVEL, or (per the DDI page, §22.7)
 * a critical or guarded region below it; otherwise 0xC4/0x39 / 0x3A
 * (P2 IRQL, P3 mutex). */
static VOID
HkpCheckUnsafeContext(PKTHREAD Thread, PVOID Mutex, ULONG Violation)
{
    if (Thread->Irql > APC_LEVEL || (Thread->Irql < APC_LEVEL && !HkpInsideApcDisabledRegion(Thread))) {
        HkpVerifierBugCheck(Violation, Thread->Irql, Mutex, 0);
    }
}

VOID FASTCALL
ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread = HkpCurrentThread();

    HkpCheckUnsafeContext(Thread, FastMutex, HK_DV_UNSAFE_ACQUIRE_IRQL);
    HkpCheckFastMutex(FastMutex);
    HkpLock();
    HkpFastMutexRefuseRecursion(FastMutex, Thread);
    HkpFastMutexTake(FastMutex, Thread);
    FastMutex->HkUnsafe = 1;
    HkpUnlock();
}

VOID FASTCALL
ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    PKTHREAD Thread = HkpCurrentThread();

    HkpCheckUnsafeContext(Thread, FastMutex, HK_DV_UNSAFE_RELEASE_IRQL);
    HkpCheckFastMutex(FastMutex);
    HkpLock();
    HkpFastMutexCheckRelease(FastMutex, Thread, TRUE);
    FastMutex->HkUnsafe = 0;
    HkpFastMutexGive(FastMutex);
    HkpUnlock();
}

/* ------------------------------------------------------------------------ */
/* KGUARDED_MUTEX (§6)                                                      */
/* ------------------------------------------------------------------------ */

static VOID
HkpCheckGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    if (Mutex == NULL || Mutex->Gate.Header.Size != HK_GATE_SIZE || Mutex->Gate.Header.Type != HK_GATE_OBJECT) {
        HkpVerifierBugCheck(HK_DV_UNINITIALIZED_LOCK, Mutex, 0, 0);
    }
}

/* §6, rule IrqlKeApcLte1: every guarded mutex routine at IRQL <= APC_LEVEL
 * (0xC4/0x0002000F, P2 IRQL, P3 mutex). */
static VOID
HkpCheckGuardedIrql(PKTHREAD Thread, PKGUARDED_MUTEX Mutex)
{
    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_APC_LTE1, Thread->Irql, Mutex, 0);
    }
}

VOID FASTCALL
KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    Mutex->Count = GM_LOCK_BIT;
    Mutex->Owner = NULL;
    Mutex->Contention = 0;
    Mutex->Gate.Header.Type = HK_GATE_OBJECT;
    Mutex->Gate.Header.Signalling = 0;
    Mutex->Gate.Header.Size = HK_GATE_SIZE;
    Mutex->Gate.Header.Reserved1 = 0;
    Mutex->Gate.Header.SignalState = 0;
    InitializeListHead(&Mutex->Gate.Header.WaitListHead);
    Mutex->CombinedApcDisable = 0;
    Mutex->HkUnsafe = 0;
    memset(Mutex->HkSpare, 0, sizeof(Mutex->HkSpare));
}

VOID FASTCALL
KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    PKTHREAD Thread = HkpCurrentThread();

    HkpCheckGuardedIrql(Thread, Mutex);
    HkpCheckGuardedMutex(Mutex);
    HkpLock();
    HkpGuardedMutexRefuseRecursion(Mutex, Thread);
    /* §6: enters a guarded region (implicit: not a KeEnterGuardedRegion). */
    Thread->SpecialApcDisable--;
    HkpGuardedMutexTake(Mutex, Thread);
    Mutex->SpecialApcDisable = Thread->SpecialApcDisable;
    Mutex->HkUnsafe = 0;
    HkpUnlock();
}

BOOLEAN FASTCALL
KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    PKTHREAD Thread = HkpCurrentThread();
    BOOLEAN Acquired = FALSE;

    HkpCheckGuardedIrql(Thread, Mutex);
    HkpCheckGuardedMutex(Mutex);
    HkpLock();
    Thread->SpecialApcDisable--;
    if (Mutex->Count == 1) {
        Mutex->Count = 0;
        Mutex->Owner = Thread;
        Mutex->SpecialApcDisable = Thread->SpecialApcDisable;
        Mutex->HkUnsafe = 0;
        Acquired = TRUE;
    } else {
        Thread->SpecialApcDisable++; /* §6: leaves the guarded region again */
    }
    HkpUnlock();
    return Acquired;
}

VOID FASTCALL
KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    PKTHREAD Thread = HkpCurrentThread();

    HkpCheckGuardedIrql(Thread, Mutex);
    HkpCheckGuardedMutex(Mutex);
    HkpLock();
    HkpGuardedMutexCheckRelease(Mutex, Thread, FALSE);
    /* §6: the guarded region entered by the acquire must be the one left
     * (ReactOS asserts it; rule GuardedRegions, 0xC4/0x0004000E). */
    if (Mutex->SpecialApcDisable != Thread->SpecialApcDisable) {
        SHORT Expected = Mutex->SpecialApcDisable;
        HkpUnlock();
        HkpVerifierBugCheck(HK_RULE_GUARDED_REGIONS, Mutex, (ULONG_PTR)(USHORT)Thread->SpecialApcDisable,
                            (ULONG_PTR)(USHORT)Expected);
    }
    HkpGuardedMutexGive(Mutex);
    Thread->SpecialApcDisable++;
    HkpUnlock();
}

/* §6: the Unsafe variants leave the guarded region to the caller, who must be
 * at APC_LEVEL or inside a guarded region already. Guarded mutexes are fast
 * mutexes since Windows 8 (§6), so the fast mutex Unsafe codes apply
 * (0xC4/0x39 acquire, 0x3A release). */
static VOID
HkpCheckGuardedUnsafeContext(PKTHREAD Thread, PKGUARDED_MUTEX Mutex, ULONG Violation)
{
    HkpCheckGuardedIrql(Thread, Mutex);
    if (Thread->Irql < APC_LEVEL && Thread->SpecialApcDisable == 0) {
        HkpVerifierBugCheck(Violation, Thread->Irql, Mutex, 0);
    }
}

VOID FASTCALL
KeAcquireGuardedMutexUnsafe(PKGUARDED_MUTEX Mutex)
{
    PKTHREAD Thread = HkpCurrentThread();

    HkpCheckGuardedUnsafeContext(Thread, Mutex, HK_DV_UNSAFE_ACQUIRE_IRQL);
    HkpCheckGuardedMutex(Mutex);
    HkpLock();
    HkpGuardedMutexRefuseRecursion(Mutex, Thread);
    HkpGuardedMutexTake(Mutex, Thread);
    Mutex->SpecialApcDisable = Thread->SpecialApcDisable;
    Mutex->HkUnsafe = 1;
    HkpUnlock();
}

VOID FASTCALL
KeReleaseGuardedMutexUnsafe(PKGUARDED_MUTEX Mutex)
{
    PKTHREAD Thread = HkpCurrentThread();

    HkpCheckGuardedUnsafeContext(Thread, Mutex, HK_DV_UNSAFE_RELEASE_IRQL);
    HkpCheckGuardedMutex(Mutex);
    HkpLock();
    HkpGuardedMutexCheckRelease(Mutex, Thread, TRUE);
    Mutex->HkUnsafe = 0;
    HkpGuardedMutexGive(Mutex);
    HkpUnlock();
}
