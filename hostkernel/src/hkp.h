/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Private declarations shared by the model's sources: the thread
 *              object, the dispatcher lock and wait blocks, bug-check codes.
 * ENVIRONMENT: Host (Linux user mode).
 */
#ifndef HKP_H
#define HKP_H

#include <pthread.h>
#include <setjmp.h>
#include <time.h>

#include "hostkernel.h"

/* ------------------------------------------------------------------------ */
/* Bug check codes (§1) and Driver Verifier 0xC4 subcodes (§5-§18)          */
/* ------------------------------------------------------------------------ */

#define APC_INDEX_MISMATCH                  0x00000001U
#define IRQL_NOT_GREATER_OR_EQUAL           0x00000009U
#define IRQL_NOT_LESS_OR_EQUAL              0x0000000AU
#define SPIN_LOCK_ALREADY_OWNED             0x0000000FU
#define SPIN_LOCK_NOT_OWNED                 0x00000010U
#define REFERENCE_BY_POINTER                0x00000018U
#define KMODE_EXCEPTION_NOT_HANDLED         0x0000001EU
#define KERNEL_APC_PENDING_DURING_EXIT      0x00000020U
#define SYSTEM_THREAD_EXCEPTION_NOT_HANDLED 0x0000007EU
#define INVALID_KERNEL_HANDLE               0x00000093U
#define MUTEX_ALREADY_OWNED                 0x000000BFU
#define BAD_POOL_CALLER                     0x000000C2U
#define DRIVER_VERIFIER_DETECTED_VIOLATION  0x000000C4U
#define IRQL_UNEXPECTED_VALUE               0x000000C8U
#define RESOURCE_NOT_OWNED                  0x000000E3U
#define THREAD_TERMINATE_HELD_MUTEX         0x4000008AU

/* 0xC4 parameter 1 values used by the model. */
#define HK_DV_RAISE_IRQL_LOWER          0x30   /* §12 */
#define HK_DV_LOWER_IRQL_HIGHER         0x31   /* §12 */
#define HK_DV_SPIN_RELEASE_IRQL         0x32   /* §7  */
#define HK_DV_FAST_MUTEX_ACQUIRE_IRQL   0x33   /* §5  */
#define HK_DV_FAST_MUTEX_RELEASE_IRQL   0x34   /* §5  */
#define HK_DV_QUEUED_SPIN_RELEASE_IRQL  0x36   /* §7  */
#define HK_DV_RESOURCE_ACQUIRE_APCS     0x37   /* §8  */
#define HK_DV_RESOURCE_RELEASE_APCS     0x38   /* §8  */
#define HK_DV_UNSAFE_ACQUIRE_IRQL       0x39   /* §5  */
#define HK_DV_UNSAFE_RELEASE_IRQL       0x3A   /* §5  */
#define HK_DV_LEAVE_REGION_UNBALANCED   0x3E   /* §11 */
#define HK_DV_SPIN_AT_DPC_ACQUIRE_IRQL  0x40   /* §7  */
#define HK_DV_SPIN_AT_DPC_RELEASE_IRQL  0x41   /* §7  */
#define HK_DV_SPIN_ACQUIRE_IRQL         0x42   /* §7  */
#define HK_DV_RESOURCE_REINITIALIZE     0xD0   /* §8  */
#define HK_DV_RESOURCE_DELETE_UNINIT    0xD1   /* §8  */
#define HK_DV_POOL_FREE_ACTIVE_RESOURCE 0xD2   /* §8  */
#define HK_DV_PUSH_LOCK_ACQUIRE_APCS    0xEA   /* §9  */
#define HK_DV_PUSH_LOCK_RELEASE_APCS    0xEB   /* §9  */
#define HK_DV_ENTER_REGION_IRQL         0x11A  /* §11 */
#define HK_DV_LEAVE_REGION_IRQL         0x11B  /* §11 */
#define HK_DV_WAIT_ABOVE_DISPATCH       0x120  /* §16 */
#define HK_DV_WAIT_DISPATCH_INFINITE    0x121  /* §16 */
#define HK_DV_WAIT_DISPATCH_TIMEOUT     0x122  /* §16 */
#define HK_DV_SELF_DEADLOCK_SHARED      0x1000 /* §8, §17 Deadlock Detection */
#define HK_DV_UNINITIALIZED_LOCK        0x1002 /* §17 */
#define HK_DV_WRONG_THREAD_RELEASE      0x1004 /* §17 */
#define HK_DV_RELEASE_UNACQUIRED        0x1007 /* §17 */
#define HK_DV_ACQUIRE_API_MISMATCH      0x1008 /* §17 */
#define HK_DV_RELEASE_API_MISMATCH      0x1009 /* §17 */
#define HK_DV_DELETED_LOCK_OWNED        0x100B /* §17 */
#define HK_RULE_IRQL_EX_APC_LTE3        0x00020007U /* §18 IrqlExApcLte3 */
#define HK_RULE_IRQL_EX_PASSIVE         0x00020008U /* §18 IrqlExPassive */
#define HK_RULE_IRQL_KE_APC_LTE1        0x0002000FU /* §18 IrqlKeApcLte1 */
#define HK_RULE_IRQL_KE_DISPATCH_LTE    0x00020011U /* §18 IrqlKeDispatchLte */
#define HK_RULE_IRQL_KE_RELEASE_SPIN    0x00020015U /* §18 IrqlKeReleaseSpinLock */
#define HK_RULE_IRQL_PS_PASSIVE         0x0002001CU /* §18 IrqlPsPassive */
#define HK_RULE_GUARDED_REGIONS         0x0004000EU /* §11 GuardedRegions */

#define HkpVerifierBugCheck(Sub, P2, P3, P4) \
    KeBugCheckEx(DRIVER_VERIFIER_DETECTED_VIOLATION, (ULONG_PTR)(Sub), (ULONG_PTR)(P2), (ULONG_PTR)(P3), (ULONG_PTR)(P4))

/* ------------------------------------------------------------------------ */
/* Thread object                                                            */
/* ------------------------------------------------------------------------ */

#define HK_MAX_SPIN_RECORDS 32

typedef struct _HK_SPIN_RECORD {
    PKSPIN_LOCK Lock;
    PKLOCK_QUEUE_HANDLE Handle; /* in-stack queued: the handle the acquire queued */
    KIRQL OldIrql;     /* IRQL before the acquire (DISPATCH for *AtDpcLevel) */
} HK_SPIN_RECORD;

#define HK_THREAD_MAGIC 0x4B544852U /* "KTHR" */

/* A KTHREAD/ETHREAD. Only its own thread touches Irql, the APC counters,
 * the region depths and the spin-lock records, except that a thread granting
 * a KMUTEX to a blocked waiter updates the waiter's KernelApcDisable and
 * mutex list under the dispatcher lock (the waiter reads them after it
 * re-takes that lock). */
struct _KTHREAD {
    DISPATCHER_HEADER Header;    /* signalled when the thread ends (§15)         */
    ULONG Magic;
    LONG volatile RefCount;      /* object references (atomic)                  */
    BOOLEAN SystemThread;        /* created by PsCreateSystemThread             */
    KIRQL Irql;
    BOOLEAN WaitNext;            /* KeReleaseMutex/KeSetEvent(..., TRUE) (§4)    */
    KIRQL WaitIrql;              /* IRQL to restore at the next wait            */
    SHORT KernelApcDisable;      /* §3: critical regions + held KMUTEXes        */
    SHORT SpecialApcDisable;     /* §3: guarded regions + held guarded mutexes  */
    LONG CriticalRegions;        /* explicit KeEnterCriticalRegion depth        */
    LONG GuardedRegions;         /* explicit KeEnterGuardedRegion depth         */
    LIST_ENTRY MutantListHead;   /* held KMUTEXes, oldest first (dispatcher lock) */
    LONG OwnedMutexes;
    LONG SpinLocksHeld;
    HK_SPIN_RECORD SpinLocks[HK_MAX_SPIN_RECORDS];
    HANDLE ThreadId;
    PKSTART_ROUTINE StartRoutine;
    PVOID StartContext;
    NTSTATUS ExitStatus;
    jmp_buf ExitJump;            /* PsTerminateSystemThread unwinds to here     */
    struct _KTHREAD *NextAdopted;
};

/* Spin-lock records a thread keeps (past HK_MAX_SPIN_RECORDS held locks are
 * only counted). */
static inline LONG
HkpSpinRecordCount(PKTHREAD Thread)
{
    return Thread->SpinLocksHeld < HK_MAX_SPIN_RECORDS ? Thread->SpinLocksHeld : HK_MAX_SPIN_RECORDS;
}

/* The calling thread's object; threads not made by PsCreateSystemThread (the
 * initial thread) get one on first use. */
PKTHREAD HkpCurrentThread(VOID);
PKTHREAD HkpThreadFromObject(PVOID Object); /* NULL if not a thread object */
VOID HkpLowerIrqlChecked(PKTHREAD Thread, KIRQL NewIrql); /* KeLowerIrql's checks */
VOID HkpRaiseIrql(PKTHREAD Thread, KIRQL NewIrql);       /* internal: no checks */
/* paging.c: paged pool on pages of its own, trimmed on a raise to
 * DISPATCH_LEVEL or above (Force IRQL Checking); touching it there is 0xD1. */
PVOID HkpPagedAllocate(SIZE_T Size);
VOID HkpPagedFree(PVOID Address, SIZE_T Size);
VOID HkpPagedTrim(VOID);
/* Sets Thread's IRQL (only a thread changes its own: wdm.h's thread-local
 * copy is the running thread's). */
static inline VOID
HkpSetIrql(PKTHREAD Thread, KIRQL NewIrql)
{
    Thread->Irql = NewIrql;
    if (Thread == HkCurrentThreadObject) {
        HkCurrentIrql = NewIrql;
    }
}
/* Sets Thread's IRQL to NewIrql >= its current one, trimming paged pool
 * when that crosses into DISPATCH_LEVEL. */
static inline VOID
HkpSetRaisedIrql(PKTHREAD Thread, KIRQL NewIrql)
{
    KIRQL OldIrql = Thread->Irql;

    HkpSetIrql(Thread, NewIrql);
    if (NewIrql >= DISPATCH_LEVEL && OldIrql < DISPATCH_LEVEL) {
        HkpPagedTrim();
    }
}
VOID HkpThreadFree(PKTHREAD Thread);
ULONG HkpCombinedApcDisable(PKTHREAD Thread);

/* ------------------------------------------------------------------------ */
/* Dispatcher lock and wait blocks                                          */
/* ------------------------------------------------------------------------ */

/* One lock and one condition variable for every blocking object, like the
 * NT dispatcher lock. Waiters queue a wait block on the object, the thread
 * that frees the object grants it to the first block (under the lock) and
 * broadcasts; every waiter re-checks its own block. */
typedef struct _HK_WAIT_BLOCK {
    LIST_ENTRY Entry;
    PKTHREAD Thread;
    ULONG Kind;          /* object-specific (ERESOURCE: shared/exclusive)     */
    KIRQL Irql;          /* waiter's IRQL (KMUTEX acquire IRQL)               */
    BOOLEAN Satisfied;   /* granted by another thread                         */
} HK_WAIT_BLOCK;

VOID HkpLock(VOID);
VOID HkpUnlock(VOID);
/* With the lock held: queues Block at the tail of WaitList and sleeps until
 * it is granted (TRUE) or Deadline passes (FALSE, Block dequeued). */
BOOLEAN HkpBlock(PLIST_ENTRY WaitList, HK_WAIT_BLOCK *Block, const struct timespec *Deadline);
/* With the lock held: dequeues and grants the first waiter, or NULL. */
HK_WAIT_BLOCK *HkpGrantFirst(PLIST_ENTRY WaitList);
VOID HkpGrant(HK_WAIT_BLOCK *Block);
/* With the lock held: waits for any state change (broadcast); FALSE once
 * Deadline (if any) passed. For objects without a wait queue. */
BOOLEAN HkpWaitForChange(const struct timespec *Deadline);
VOID HkpBroadcast(VOID);

/* Converts a KeWaitXxx timeout (non-NULL, non-zero) to a CLOCK_MONOTONIC
 * deadline. Negative = relative, positive = absolute system time (§4). */
VOID HkpDeadlineFromTimeout(LONGLONG Timeout, struct timespec *Deadline);
LONGLONG HkpSystemTime(VOID);    /* 100 ns since 1601-01-01 (CLOCK_REALTIME) */
LONGLONG HkpMonotonic100ns(VOID);

/* ------------------------------------------------------------------------ */
/* Cross-module checks                                                      */
/* ------------------------------------------------------------------------ */

/* A live ERESOURCE lies in [Start, Start + Size): its address, else NULL. */
PERESOURCE HkpFindResourceInRange(const VOID *Start, SIZE_T Size);

/* FALSE when the host kernel refused membarrier registration: the routine
 * table then hides KeIpiGenericCall (ipi.c). */
BOOLEAN HkpIpiAvailable(VOID);

#endif /* HKP_H */
