/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     The dispatcher: one lock and condition variable, wait blocks,
 *              timeouts, KeWaitForSingleObject, events and kernel mutexes.
 * ENVIRONMENT: Host (Linux user mode).
 */
#define _GNU_SOURCE
#include <errno.h>

#include "hkp.h"

static pthread_mutex_t HkpDispatcherLock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t HkpDispatcherCondition;
static pthread_once_t HkpDispatcherOnce = PTHREAD_ONCE_INIT;

static void
HkpDispatcherInitialize(void)
{
    pthread_condattr_t Attributes;

    /* Deadlines are CLOCK_MONOTONIC: relative waits ignore clock changes (§4). */
    pthread_condattr_init(&Attributes);
    pthread_condattr_setclock(&Attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&HkpDispatcherCondition, &Attributes);
    pthread_condattr_destroy(&Attributes);
}

VOID
HkpLock(VOID)
{
    pthread_once(&HkpDispatcherOnce, HkpDispatcherInitialize);
    pthread_mutex_lock(&HkpDispatcherLock);
}

VOID
HkpUnlock(VOID)
{
    pthread_mutex_unlock(&HkpDispatcherLock);
}

VOID
HkpBroadcast(VOID)
{
    pthread_cond_broadcast(&HkpDispatcherCondition);
}

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

#define HK_100NS_PER_SECOND 10000000LL
#define HK_SECONDS_1601_TO_1970 11644473600LL

LONGLONG
HkpSystemTime(VOID)
{
    struct timespec Now;

    clock_gettime(CLOCK_REALTIME, &Now);
    return ((LONGLONG)Now.tv_sec + HK_SECONDS_1601_TO_1970) * HK_100NS_PER_SECOND + Now.tv_nsec / 100;
}

LONGLONG
HkpMonotonic100ns(VOID)
{
    struct timespec Now;

    clock_gettime(CLOCK_MONOTONIC, &Now);
    return (LONGLONG)Now.tv_sec * HK_100NS_PER_SECOND + Now.tv_nsec / 100;
}

VOID
HkpDeadlineFromTimeout(LONGLONG Timeout, struct timespec *Deadline)
{
    LONGLONG Delta;
    LONGLONG Nanoseconds;

    if (Timeout < 0) {
        Delta = Timeout == INT64_MIN ? INT64_MAX : -Timeout;
    } else {
        /* Absolute system time: converted once; the model does not follow
         * later changes of the system clock. */
        Delta = Timeout - HkpSystemTime();
        if (Delta < 0) {
            Delta = 0;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, Deadline);
    /* Cap at about 100 years so the arithmetic cannot overflow. */
    if (Delta > 100LL * 365 * 24 * 3600 * HK_100NS_PER_SECOND) {
        Delta = 100LL * 365 * 24 * 3600 * HK_100NS_PER_SECOND;
    }
    Nanoseconds = Deadline->tv_nsec + (Delta % HK_100NS_PER_SECOND) * 100;
    Deadline->tv_sec += (time_t)(Delta / HK_100NS_PER_SECOND + Nanoseconds / 1000000000LL);
    Deadline->tv_nsec = (long)(Nanoseconds % 1000000000LL);
}

/* ------------------------------------------------------------------------ */
/* Wait blocks                                                              */
/* ------------------------------------------------------------------------ */

BOOLEAN
HkpBlock(PLIST_ENTRY WaitList, HK_WAIT_BLOCK *Block, const struct timespec *Deadline)
{
    int Result;

    Block->Satisfied = FALSE;
    InsertTailList(WaitList, &Block->Entry);
    for (;;) {
        if (Block->Satisfied) {
            return TRUE;
        }
        if (Deadline != NULL) {
            Result = pthread_cond_timedwait(&HkpDispatcherCondition, &HkpDispatcherLock, Deadline);
            if (Result == ETIMEDOUT && !Block->Satisfied) {
                RemoveEntryList(&Block->Entry);
                return FALSE;
            }
        } else {
            pthread_cond_wait(&HkpDispatcherCondition, &HkpDispatcherLock);
        }
    }
}

VOID
HkpGrant(HK_WAIT_BLOCK *Block)
{
    RemoveEntryList(&Block->Entry);
    Block->Satisfied = TRUE;
    HkpBroadcast();
}

HK_WAIT_BLOCK *
HkpGrantFirst(PLIST_ENTRY WaitList)
{
    HK_WAIT_BLOCK *Block;

    if (IsListEmpty(WaitList)) {
        return NULL;
    }
    Block = CONTAINING_RECORD(WaitList->Flink, HK_WAIT_BLOCK, Entry);
    HkpGrant(Block);
    return Block;
}

BOOLEAN
HkpWaitForChange(const struct timespec *Deadline)
{
    if (Deadline == NULL) {
        pthread_cond_wait(&HkpDispatcherCondition, &HkpDispatcherLock);
        return TRUE;
    }
    return pthread_cond_timedwait(&HkpDispatcherCondition, &HkpDispatcherLock, Deadline) != ETIMEDOUT;
}

/* ------------------------------------------------------------------------ */
/* Object validation                                                        */
/* ------------------------------------------------------------------------ */

#define HK_EVENT_SIZE  ((UCHAR)(sizeof(KEVENT) / sizeof(LONG)))
#define HK_MUTANT_SIZE ((UCHAR)(sizeof(KMUTANT) / sizeof(LONG)))

/* An object the Ke routines were never given to initialise (Size 0, or a
 * header that is not the expected kind): Driver Verifier's "uninitialised
 * lock" (§17, 0xC4/0x1002, P2 object). */
static VOID
HkpCheckEvent(PRKEVENT Event)
{
    if (Event == NULL || Event->Header.Size != HK_EVENT_SIZE ||
        (Event->Header.Type != HK_EVENT_NOTIFICATION_OBJECT && Event->Header.Type != HK_EVENT_SYNCHRONIZATION_OBJECT)) {
        HkpVerifierBugCheck(HK_DV_UNINITIALIZED_LOCK, Event, 0, 0);
    }
}

static VOID
HkpCheckMutex(PRKMUTEX Mutex)
{
    if (Mutex == NULL || Mutex->Header.Size != HK_MUTANT_SIZE || Mutex->Header.Type != HK_MUTANT_OBJECT) {
        HkpVerifierBugCheck(HK_DV_UNINITIALIZED_LOCK, Mutex, 0, 0);
    }
}

/* §4: the KeReleaseMutex/KeSetEvent(..., Wait = TRUE) pair returns at raised
 * IRQL; the next wait restores the caller's IRQL first. */
static VOID
HkpConsumeWaitNext(PKTHREAD Thread)
{
    if (Thread->WaitNext) {
        Thread->WaitNext = FALSE;
        HkpSetIrql(Thread, Thread->WaitIrql);
    }
}

static VOID
HkpSetWaitNext(PKTHREAD Thread)
{
    if (!Thread->WaitNext) {
        Thread->WaitNext = TRUE;
        Thread->WaitIrql = Thread->Irql;
        if (Thread->Irql < DISPATCH_LEVEL) {
            HkpSetRaisedIrql(Thread, DISPATCH_LEVEL);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Kernel mutexes (§4)                                                      */
/* ------------------------------------------------------------------------ */

/* With the dispatcher lock held: Thread takes (or re-takes) Mutex. On the
 * 1 -> 0 transition the thread becomes the owner, enters the implicit
 * critical region (KernelApcDisable -= ApcDisable) and lists the mutex. */
static VOID
HkpMutexTake(PRKMUTEX Mutex, PKTHREAD Thread, KIRQL Irql)
{
    Mutex->Header.SignalState--;
    if (Mutex->Header.SignalState == 0) {
        Mutex->OwnerThread = Thread;
        Mutex->HkAcquireIrql = Irql;
        InsertTailList(&Thread->MutantListHead, &Mutex->MutantListEntry);
        Thread->OwnedMutexes++;
        Thread->KernelApcDisable = (SHORT)(Thread->KernelApcDisable - Mutex->ApcDisable);
    }
}

VOID NTAPI
KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)
{
    UNREFERENCED_PARAMETER(Level); /* reserved (§4) */
    Mutex->Header.Type = HK_MUTANT_OBJECT;
    Mutex->Header.Signalling = 0;
    Mutex->Header.Size = HK_MUTANT_SIZE;
    Mutex->Header.Reserved1 = 0;
    Mutex->Header.SignalState = 1;
    InitializeListHead(&Mutex->Header.WaitListHead);
    InitializeListHead(&Mutex->MutantListEntry);
    Mutex->OwnerThread = NULL;
    Mutex->Abandoned = FALSE;
    Mutex->ApcDisable = 1;
    Mutex->HkAcquireIrql = PASSIVE_LEVEL;
    memset(Mutex->HkSpare, 0, sizeof(Mutex->HkSpare));
}

LONG NTAPI
KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL Irql = Thread->Irql;
    HK_WAIT_BLOCK *Block;
    LONG Previous;

    /* §18 IrqlKeDispatchLte: KeReleaseMutex at IRQL <= DISPATCH_LEVEL. */
    if (Irql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_DISPATCH_LTE, Irql, Mutex, 0);
    }
    HkpCheckMutex(Mutex);

    HkpLock();
    /* §4: releasing a mutex the thread does not own raises STATUS_MUTANT_NOT_OWNED
     * (STATUS_ABANDONED if abandoned); so does releasing at DISPATCH_LEVEL a
     * mutex acquired below it, or the reverse. */
    if (Mutex->OwnerThread != Thread || Mutex->Header.SignalState > 0) {
        BOOLEAN Abandoned = Mutex->Abandoned;
        HkpUnlock();
        ExRaiseStatus(Abandoned ? STATUS_ABANDONED : STATUS_MUTANT_NOT_OWNED);
    }
    if ((Mutex->HkAcquireIrql >= DISPATCH_LEVEL) != (Irql >= DISPATCH_LEVEL)) {
        HkpUnlock();
        ExRaiseStatus(STATUS_MUTANT_NOT_OWNED);
    }
    Previous = Mutex->Header.SignalState;
    Mutex->Header.SignalState++;
    if (Mutex->Header.SignalState == 1) {
        RemoveEntryList(&Mutex->MutantListEntry);
        InitializeListHead(&Mutex->MutantListEntry);
        if (Thread->OwnedMutexes > 0) {
            Thread->OwnedMutexes--;
        }
        Mutex->OwnerThread = NULL;
        Thread->KernelApcDisable = (SHORT)(Thread->KernelApcDisable + Mutex->ApcDisable);
        /* Hand-off: the first waiter owns the mutex before it even wakes. */
        Block = HkpGrantFirst(&Mutex->Header.WaitListHead);
        if (Block != NULL) {
            HkpMutexTake(Mutex, Block->Thread, Block->Irql);
        }
    }
    HkpUnlock();
    if (Wait) {
        HkpSetWaitNext(Thread);
    }
    return Previous;
}

LONG NTAPI
KeReadStateMutex(PRKMUTEX Mutex)
{
    LONG State;

    HkpCheckMutex(Mutex);
    HkpLock();
    State = Mutex->Header.SignalState; /* raw: <= 0 while owned (§4) */
    HkpUnlock();
    return State;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                   */
/* ------------------------------------------------------------------------ */

VOID NTAPI
KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    Event->Header.Type = Type == SynchronizationEvent ? HK_EVENT_SYNCHRONIZATION_OBJECT
                                                      : HK_EVENT_NOTIFICATION_OBJECT;
    Event->Header.Signalling = 0;
    Event->Header.Size = HK_EVENT_SIZE;
    Event->Header.Reserved1 = 0;
    Event->Header.SignalState = State ? 1 : 0;
    InitializeListHead(&Event->Header.WaitListHead);
}

LONG NTAPI
KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    PKTHREAD Thread = HkpCurrentThread();
    LONG Previous;

    UNREFERENCED_PARAMETER(Increment);
    if (Thread->Irql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_DISPATCH_LTE, Thread->Irql, Event, 0);
    }
    HkpCheckEvent(Event);
    HkpLock();
    Previous = Event->Header.SignalState;
    if (Event->Header.Type == HK_EVENT_NOTIFICATION_OBJECT) {
        /* Notification: every waiter is released and the event stays set. */
        Event->Header.SignalState = 1;
        while (HkpGrantFirst(&Event->Header.WaitListHead) != NULL) {
        }
    } else if (HkpGrantFirst(&Event->Header.WaitListHead) == NULL) {
        /* Synchronization: one waiter is released and the event resets;
         * with no waiter it stays set for the next wait. */
        Event->Header.SignalState = 1;
    }
    HkpUnlock();
    if (Wait) {
        HkpSetWaitNext(Thread);
    }
    return Previous;
}

LONG NTAPI
KeResetEvent(PRKEVENT Event)
{
    PKTHREAD Thread = HkpCurrentThread();
    LONG Previous;

    if (Thread->Irql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_DISPATCH_LTE, Thread->Irql, Event, 0);
    }
    HkpCheckEvent(Event);
    HkpLock();
    Previous = Event->Header.SignalState;
    Event->Header.SignalState = 0;
    HkpUnlock();
    return Previous;
}

VOID NTAPI
KeClearEvent(PRKEVENT Event)
{
    (VOID)KeResetEvent(Event);
}

LONG NTAPI
KeReadStateEvent(PRKEVENT Event)
{
    LONG State;

    HkpCheckEvent(Event);
    HkpLock();
    State = Event->Header.SignalState;
    HkpUnlock();
    return State;
}

/* ------------------------------------------------------------------------ */
/* KeWaitForSingleObject (§4, §16)                                          */
/* ------------------------------------------------------------------------ */

NTSTATUS NTAPI
KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                      PLARGE_INTEGER Timeout)
{
    PKTHREAD Thread = HkpCurrentThread();
    PDISPATCHER_HEADER Header = (PDISPATCHER_HEADER)Object;
    struct timespec Deadline;
    HK_WAIT_BLOCK Block;
    KIRQL Irql;
    UCHAR Type;

    UNREFERENCED_PARAMETER(WaitReason);
    UNREFERENCED_PARAMETER(Alertable); /* no alerts or APCs are ever delivered */

    HkpConsumeWaitNext(Thread);
    Irql = Thread->Irql;

    /* §16: above DISPATCH_LEVEL → 0x120; at DISPATCH_LEVEL only a zero
     * timeout is allowed: NULL → 0x121, non-zero → 0x122 (P2 object,
     * P3 timeout pointer). Spin lock holders are at DISPATCH_LEVEL. */
    if (Irql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_WAIT_ABOVE_DISPATCH, Irql, Object, Timeout);
    }
    if (Irql == DISPATCH_LEVEL) {
        if (Timeout == NULL) {
            HkpVerifierBugCheck(HK_DV_WAIT_DISPATCH_INFINITE, Object, Timeout, 0);
        }
        if (Timeout->QuadPart != 0) {
            HkpVerifierBugCheck(HK_DV_WAIT_DISPATCH_TIMEOUT, Object, Timeout, 0);
        }
    }

    if (Header == NULL) {
        HkpVerifierBugCheck(HK_DV_UNINITIALIZED_LOCK, Object, 0, 0);
    }
    Type = Header->Type;
    if (Type == HK_MUTANT_OBJECT) {
        HkpCheckMutex((PRKMUTEX)Object);
        /* §4: "If the given Object is a mutex, the caller must specify
         * KernelMode": treated as the wrong API for the object (0x1008). */
        if (WaitMode != KernelMode) {
            HkpVerifierBugCheck(HK_DV_ACQUIRE_API_MISMATCH, Object, WaitMode, 0);
        }
    } else if (Type == HK_THREAD_OBJECT) {
        if (HkpThreadFromObject(Object) == NULL) {
            HkpVerifierBugCheck(HK_DV_UNINITIALIZED_LOCK, Object, 0, 0);
        }
    } else {
        HkpCheckEvent((PRKEVENT)Object);
    }

    HkpLock();
    switch (Type) {
    case HK_MUTANT_OBJECT: {
        PRKMUTEX Mutex = (PRKMUTEX)Object;
        if (Mutex->Header.SignalState > 0 || Mutex->OwnerThread == Thread) {
            /* §4: recursion is limited to MINLONG. */
            if (Mutex->Header.SignalState == MINLONG) {
                HkpUnlock();
                ExRaiseStatus(STATUS_MUTANT_LIMIT_EXCEEDED);
            }
            HkpMutexTake(Mutex, Thread, Irql);
            HkpUnlock();
            return STATUS_SUCCESS;
        }
        break;
    }
    case HK_EVENT_SYNCHRONIZATION_OBJECT:
        if (Header->SignalState > 0) {
            Header->SignalState = 0;
            HkpUnlock();
            return STATUS_SUCCESS;
        }
        break;
    default: /* notification event, thread */
        if (Header->SignalState > 0) {
            HkpUnlock();
            return STATUS_SUCCESS;
        }
        break;
    }

    if (Timeout != NULL && Timeout->QuadPart == 0) {
        HkpUnlock();
        return STATUS_TIMEOUT;
    }
    if (Timeout != NULL) {
        HkpDeadlineFromTimeout(Timeout->QuadPart, &Deadline);
    }
    Block.Thread = Thread;
    Block.Kind = 0;
    Block.Irql = Irql;
    if (!HkpBlock(&Header->WaitListHead, &Block, Timeout != NULL ? &Deadline : NULL)) {
        HkpUnlock();
        return STATUS_TIMEOUT;
    }
    /* Granted by the releaser (a mutex is already ours, §4 hand-off). */
    HkpUnlock();
    return STATUS_SUCCESS;
}
