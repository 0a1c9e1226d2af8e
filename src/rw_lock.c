/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     RwLock: the reader/writer operations behind the generic lock
 *              core, on a push lock or an ERESOURCE, with the reader table
 *              that turns a self-deadlocking upgrade into an error.
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

#define WMP_RW_LOCK(Lock) CONTAINING_RECORD((Lock), WM_RW_LOCK, Header)

/* EX_DEFAULT_PUSH_LOCK_FLAGS: the only flags value drivers pass. */
#define WMP_PUSH_LOCK_FLAGS 0

/* ------------------------------------------------------------------------ */
/* Push-lock routines                                                       */
/* ------------------------------------------------------------------------ */

/*
 * Resolved at run time (Windows 10 1809+; absent on Wine 8). Published here
 * when the first push-lock-backed lock is initialised, so acquire and release
 * cost one load and an indirect call, and stay valid for every such lock even
 * if the lookup cache is reset later (tests do that).
 */
typedef enum _WMP_PUSH_ROUTINE {
    WmpPushAcquireExclusive = 0,
    WmpPushAcquireShared,
    WmpPushReleaseExclusive,
    WmpPushReleaseShared,
    WmpPushRequiredCount,   /* the ones above decide the backing          */
    WmpPushTryExclusive = WmpPushRequiredCount, /* optional: try forms     */
    WmpPushTryShared,       /* optional: try forms                         */
    WmpPushInitialize,      /* optional: without it the lock is set to 0   */
    WmpPushRoutineCount
} WMP_PUSH_ROUTINE;

static const WMP_ROUTINE WmpPushRoutineIds[WmpPushRoutineCount] = {
    WmpRoutineExAcquirePushLockExclusiveEx,
    WmpRoutineExAcquirePushLockSharedEx,
    WmpRoutineExReleasePushLockExclusiveEx,
    WmpRoutineExReleasePushLockSharedEx,
    WmpRoutineExTryAcquirePushLockExclusiveEx,
    WmpRoutineExTryAcquirePushLockSharedEx,
    WmpRoutineExInitializePushLock,
};

static PVOID volatile WmpPushRoutines[WmpPushRoutineCount];

/* TRUE, with the routines published, when the four acquire/release routines
 * are exported (and resolved: above PASSIVE_LEVEL an unresolved lookup reads
 * as absent). Windows exports the try routines with them; a kernel that does
 * not (the host model) gets STATUS_NOT_SUPPORTED from the try forms. */
static BOOLEAN
WmpResolvePushRoutines(VOID)
{
    PVOID Found[WmpPushRoutineCount];
    ULONG Index;

    for (Index = 0; Index < WmpPushRoutineCount; Index++) {
        Found[Index] = WmpGetRoutine(WmpPushRoutineIds[Index]);
        if (Found[Index] == NULL && Index < WmpPushRequiredCount) {
            return FALSE;
        }
    }
    /* Every initialiser stores the same addresses: benign, and atomic. */
    for (Index = 0; Index < WmpPushRoutineCount; Index++) {
        WmpStorePointerRelaxed(&WmpPushRoutines[Index], Found[Index]);
    }
    return TRUE;
}

#define WMP_PUSH_ROUTINE(Type, Which) ((Type *)WmpLoadPointerRelaxed(&WmpPushRoutines[Which]))

/* ------------------------------------------------------------------------ */
/* Reader table                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Only a thread's own entries matter to it: a thread looks itself up, and the
 * only thread that writes Thread into a slot, or clears it, is Thread itself.
 * So relaxed loads suffice for the lookup, and a slot it sees as taken by
 * another thread can only be that thread's (or stale-but-not-ours).
 */
static BOOLEAN
WmpRwIsReader(_In_ PWM_RW_LOCK Rw, _In_ PVOID Thread)
{
    PWM_RW_READER_TABLE Table = &Rw->Readers;
    ULONG Index;

    do {
        for (Index = 0; Index < WM_RW_LOCK_INLINE_READERS; Index++) {
            if (WmpLoadPointerRelaxed(&Table->Slots[Index]) == Thread) {
                return TRUE;
            }
        }
        Table = WmpLoadPointerRelaxed(&Table->Next);
    } while (Table != NULL);
    return FALSE;
}

/* Claims a free slot for Thread; appends a table when all are taken. */
static NTSTATUS
WmpRwClaimSlot(_Inout_ PWM_RW_LOCK Rw, _In_ PVOID Thread, _Out_ PVOID volatile **Slot)
{
    PWM_RW_READER_TABLE Table = &Rw->Readers;
    PWM_RW_READER_TABLE Next;
    PWM_RW_READER_TABLE New;
    ULONG Index;

    for (;;) {
        for (Index = 0; Index < WM_RW_LOCK_INLINE_READERS; Index++) {
            if (WmpLoadPointerRelaxed(&Table->Slots[Index]) == NULL &&
                InterlockedCompareExchangePointer(&Table->Slots[Index], Thread, NULL) == NULL) {
                *Slot = &Table->Slots[Index];
                return STATUS_SUCCESS;
            }
        }
        Next = WmpLoadPointerRelaxed(&Table->Next);
        if (Next == NULL) {
            /* Every slot is taken: publish a new table with our slot taken. */
            New = (PWM_RW_READER_TABLE)WmpAllocate(sizeof(*New), WM_TAG_RW_READERS);
            if (New == NULL) {
                return STATUS_WM_POOL_ALLOCATION_FAILED;
            }
            New->Slots[0] = Thread;
            Next = InterlockedCompareExchangePointer((PVOID volatile *)&Table->Next, New, NULL);
            if (Next == NULL) {
                *Slot = &New->Slots[0];
                return STATUS_SUCCESS;
            }
            /* Another reader appended first: use its table. */
            WmpFree(New, WM_TAG_RW_READERS);
        }
        Table = Next;
    }
}

WM_INLINE VOID
WmpRwReleaseSlot(_Inout_ PVOID volatile *Slot)
{
    WmpStorePointerRelaxed(Slot, NULL);
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

static VOID
WmpRwLockInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    PWM_RW_LOCK Rw = WMP_RW_LOCK(Lock);
    WMP_EX_INITIALIZE_PUSH_LOCK *InitializePushLock;

    /* Chosen once: a lock keeps the kernel object it was initialised as. */
    if (WmpResolvePushRoutines()) {
        InitializePushLock = WMP_PUSH_ROUTINE(WMP_EX_INITIALIZE_PUSH_LOCK, WmpPushInitialize);
        if (InitializePushLock != NULL) {
            InitializePushLock(&Rw->Object.PushLock);
        } else {
            Rw->Object.PushLock = 0;
        }
        Lock->KindByte = (UCHAR)WmRwLockPushLock;
    } else {
        /* Cannot fail: the storage is ours, nonpaged and aligned. */
        (VOID)ExInitializeResourceLite(&Rw->Object.Resource);
        Lock->KindByte = (UCHAR)WmRwLockResource;
    }
}

/* Takes the kernel lock (the caller is in a critical region). A try on a
 * push lock needs TryToAcquire, which the caller checked. */
static BOOLEAN
WmpRwKernelAcquire(_Inout_ PWM_RW_LOCK Rw, _In_ BOOLEAN Shared, _In_ BOOLEAN Wait,
                   _In_opt_ WMP_EX_TRY_PUSH_LOCK_ROUTINE *TryToAcquire)
{
    if (Rw->Header.KindByte == (UCHAR)WmRwLockPushLock) {
        if (Wait) {
            WMP_PUSH_ROUTINE(WMP_EX_PUSH_LOCK_ROUTINE,
                             Shared ? WmpPushAcquireShared : WmpPushAcquireExclusive)(
                &Rw->Object.PushLock, WMP_PUSH_LOCK_FLAGS);
            return TRUE;
        }
        return TryToAcquire(&Rw->Object.PushLock, WMP_PUSH_LOCK_FLAGS);
    }
    return Shared ? ExAcquireResourceSharedLite(&Rw->Object.Resource, Wait)
                  : ExAcquireResourceExclusiveLite(&Rw->Object.Resource, Wait);
}

static NTSTATUS
WmpRwLockAcquire(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout, _In_ BOOLEAN Try,
                 _Inout_ PWM_GUARD Guard)
{
    PWM_RW_LOCK Rw = WMP_RW_LOCK(Lock);
    BOOLEAN Shared = (Guard->Mode & WMP_GUARD_MODE_MASK) == WMP_GUARD_SHARED;
    PVOID volatile *Slot = NULL;
    KIRQL Irql = KeGetCurrentIrql();
    WMP_EX_TRY_PUSH_LOCK_ROUTINE *TryToAcquire = NULL;
    NTSTATUS Status;

    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* The core already refused a thread that holds it exclusively. A reader
     * asking again would wait for itself (exclusive) or could wait behind a
     * writer that waits for it (shared). No shared holder at all means this
     * thread is not one: it is the only one that could make itself one. */
    if (WmpLoadLongAcquire(&Lock->SharedHolders) != 0 && WmpRwIsReader(Rw, Guard->Thread)) {
        return Shared ? STATUS_WM_RECURSIVE_ACQUIRE : STATUS_WM_UPGRADE_REFUSED;
    }
    /* Neither kernel object has a timed wait: only "do not wait" is offered,
     * and on a push lock only where the kernel exports the try routines. */
    if (Timeout != NULL) {
        if (Timeout->QuadPart != 0) {
            return STATUS_NOT_SUPPORTED;
        }
        if (Lock->KindByte == (UCHAR)WmRwLockPushLock) {
            TryToAcquire = WMP_PUSH_ROUTINE(WMP_EX_TRY_PUSH_LOCK_ROUTINE,
                                            Shared ? WmpPushTryShared : WmpPushTryExclusive);
            if (TryToAcquire == NULL) {
                return STATUS_NOT_SUPPORTED;
            }
        }
    }
    /* Record the reader before waiting, so a failure to record it leaves
     * nothing acquired. */
    if (Shared) {
        Status = WmpRwClaimSlot(Rw, Guard->Thread, &Slot);
        if (!NT_SUCCESS(Status)) {
            return Status;
        }
    }

    /* Both kernel objects require normal kernel APCs off from acquire to
     * release (a suspended holder would block everyone). */
    KeEnterCriticalRegion();
    if (!WmpRwKernelAcquire(Rw, Shared, (BOOLEAN)(Timeout == NULL), TryToAcquire)) {
        KeLeaveCriticalRegion();
        if (Slot != NULL) {
            WmpRwReleaseSlot(Slot);
        }
        return Try ? STATUS_WM_LOCK_BUSY : STATUS_TIMEOUT;
    }
    Guard->KindData.ReaderSlot = Slot;
    Guard->OldIrql = Irql;
    Guard->AcquireIrql = Irql;
    return STATUS_SUCCESS;
}

static VOID
WmpRwLockRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    PWM_RW_LOCK Rw = WMP_RW_LOCK(Lock);
    BOOLEAN Shared = (Guard->Mode & WMP_GUARD_MODE_MASK) == WMP_GUARD_SHARED;

    /* Out of the table first: once the kernel lock is released this thread
     * may be asked to look itself up again at any time. */
    if (Shared) {
        WmpRwReleaseSlot(Guard->KindData.ReaderSlot);
    }
    if (Lock->KindByte == (UCHAR)WmRwLockPushLock) {
        WMP_PUSH_ROUTINE(WMP_EX_PUSH_LOCK_ROUTINE,
                         Shared ? WmpPushReleaseShared : WmpPushReleaseExclusive)(
            &Rw->Object.PushLock, WMP_PUSH_LOCK_FLAGS);
    } else {
        ExReleaseResourceLite(&Rw->Object.Resource);
    }
    KeLeaveCriticalRegion();
}

static NTSTATUS
WmpRwLockCheckReleaseIrql(_In_ PWM_GUARD Guard)
{
    UNREFERENCED_PARAMETER(Guard);
    /* KeLeaveCriticalRegion: IRQL <= APC_LEVEL. */
    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    return STATUS_SUCCESS;
}

static VOID
WmpRwLockDelete(_Inout_ PWM_LOCK_HEADER Lock)
{
    PWM_RW_LOCK Rw = WMP_RW_LOCK(Lock);
    PWM_RW_READER_TABLE Table;
    PWM_RW_READER_TABLE Next;

    if (Lock->KindByte == (UCHAR)WmRwLockResource) {
        /* Unlinks it from the kernel's resource list before the storage goes. */
        (VOID)ExDeleteResourceLite(&Rw->Object.Resource);
    }
    /* No guard is armed (the core checked), so no reader uses a table. */
    Table = Rw->Readers.Next;
    Rw->Readers.Next = NULL;
    while (Table != NULL) {
        Next = Table->Next;
        WmpFree(Table, WM_TAG_RW_READERS);
        Table = Next;
    }
}

const WM_LOCK_OPS WmRwLockOps = {
    "RwLock",
    sizeof(WM_RW_LOCK),
    FALSE,
    WmpRwLockInitialize,
    WmpRwLockAcquire,
    WmpRwLockRelease,
    WmpRwLockCheckReleaseIrql,
    WmpRwLockDelete,
    WMP_OPS_FLAG_TEARDOWN_MAX_APC,
};
