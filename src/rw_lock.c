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

/* ------------------------------------------------------------------------ */
/* Push-lock routines                                                       */
/* ------------------------------------------------------------------------ */

/*
 * Resolved at run time (Windows 10 1809+; absent on Wine 8). Published here
 * (WmpRwPushRoutines, declared in rw_lock.h for the inline fast path) when
 * the first push-lock-backed lock is initialised, so acquire and release
 * cost one load and an indirect call, and stay valid for every such lock
 * even if the lookup cache is reset later (tests do that).
 */
static const WMP_ROUTINE WmpPushRoutineIds[WmpPushRoutineCount] = {
    WmpRoutineExAcquirePushLockExclusiveEx,
    WmpRoutineExAcquirePushLockSharedEx,
    WmpRoutineExReleasePushLockExclusiveEx,
    WmpRoutineExReleasePushLockSharedEx,
    WmpRoutineExTryAcquirePushLockExclusiveEx,
    WmpRoutineExTryAcquirePushLockSharedEx,
    WmpRoutineExInitializePushLock,
};

PVOID volatile WmpRwPushRoutines[WmpPushRoutineCount];

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
        if (Index < WmpPushRequiredCount && Found[Index] == NULL) {
            return FALSE;
        }
    }
    /* Every initialiser stores the same addresses: benign, and atomic. */
    for (Index = 0; Index < WmpPushRoutineCount; Index++) {
        WmpStorePointerRelaxed(&WmpRwPushRoutines[Index], Found[Index]);
    }
    return TRUE;
}


/* ------------------------------------------------------------------------ */
/* Reader table                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Only a thread's own entries matter to it: a thread looks itself up, and the
 * only thread that writes Thread into a slot, or clears it, is Thread itself.
 * So relaxed loads suffice for the slots, and a slot it sees as taken by
 * another thread can only be that thread's (or stale-but-not-ours). A table
 * another thread appended is read through an acquire of Next, which pairs
 * with the interlocked publication: its free slots and its first reader are
 * seen as written (without it the C memory model, and ThreadSanitizer, see a
 * race on them).
 */
BOOLEAN
WmpRwIsReader(_In_ PWM_RW_LOCK Rw, _In_ PVOID Thread)
{
    PWM_RW_READER_TABLE Table = &Rw->Readers;
    ULONG Index;

    do {
        for (Index = 0; Index < WM_RW_LOCK_INLINE_READERS; Index++) {
            if (WmpLoadPointerRelaxed(&Table->Slots[Index].Thread) == Thread) {
                return TRUE;
            }
        }
        Table = WmpLoadPointerAcquire(&Table->Next);
    } while (Table != NULL);
    return FALSE;
}

/* Marks every slot of Table free (WMP_OWNER_FREE: lock.h), its count at
 * Sequence. */
static VOID
WmpRwFreeSlots(_Inout_ PWM_RW_READER_TABLE Table, _In_ ULONG_PTR Sequence)
{
    ULONG Index;

    for (Index = 0; Index < WM_RW_LOCK_INLINE_READERS; Index++) {
        Table->Slots[Index].Thread = WMP_OWNER_FREE;
        Table->Slots[Index].Sequence = Sequence;
    }
}

/* Claims a free slot for Thread; appends a table when all are taken (NULL
 * when that allocation fails). */
PWM_READER_SLOT
WmpRwClaimSlot(_Inout_ PWM_RW_LOCK Rw, _In_ PVOID Thread)
{
    PWM_RW_READER_TABLE Table = &Rw->Readers;
    PWM_RW_READER_TABLE Next;
    PWM_RW_READER_TABLE New;
    ULONG Index;

    for (;;) {
        for (Index = 0; Index < WM_RW_LOCK_INLINE_READERS; Index++) {
            if (WmpLoadPointerRelaxed(&Table->Slots[Index].Thread) == WMP_OWNER_FREE &&
                WmpTryClaimPointer(&Table->Slots[Index].Thread, Thread, WMP_OWNER_FREE)) {
                return &Table->Slots[Index];
            }
        }
        Next = WmpLoadPointerAcquire(&Table->Next);
        if (Next == NULL) {
            /* Every slot is taken: publish a new table with our slot taken. */
            New = (PWM_RW_READER_TABLE)WmpAllocate(sizeof(*New), WM_TAG_RW_READERS);
            if (New == NULL) {
                return NULL;
            }
            WmpRwFreeSlots(New, 0);
            New->Slots[0].Thread = Thread;
            Next = InterlockedCompareExchangePointer((PVOID volatile *)&Table->Next, New, NULL);
            if (Next == NULL) {
                return &New->Slots[0];
            }
            /* Another reader appended first: use its table. */
            WmpFree(New, WM_TAG_RW_READERS);
        }
        Table = Next;
    }
}

/* ------------------------------------------------------------------------ */
/* Operations                                                               */
/* ------------------------------------------------------------------------ */

/* An ERESOURCE behind the push-lock routines' signature (WM_RW_LOCK.Routines):
 * Object is the lock's Object union, where the ERESOURCE is. */
static VOID FASTCALL
WmpRwResourceAcquireExclusive(_Inout_ PULONG_PTR Object, _In_ ULONG Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    (VOID)ExAcquireResourceExclusiveLite((PERESOURCE)(PVOID)Object, TRUE); /* waits: always TRUE */
}

static VOID FASTCALL
WmpRwResourceAcquireShared(_Inout_ PULONG_PTR Object, _In_ ULONG Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    (VOID)ExAcquireResourceSharedLite((PERESOURCE)(PVOID)Object, TRUE); /* waits: always TRUE */
}

static VOID FASTCALL
WmpRwResourceRelease(_Inout_ PULONG_PTR Object, _In_ ULONG Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    ExReleaseResourceLite((PERESOURCE)(PVOID)Object);
}

static WMP_EX_PUSH_LOCK_ROUTINE *const WmpRwResourceRoutines[WmpPushRequiredCount] = {
    WmpRwResourceAcquireExclusive, /* WmpPushAcquireExclusive */
    WmpRwResourceAcquireShared,    /* WmpPushAcquireShared    */
    WmpRwResourceRelease,          /* WmpPushReleaseExclusive */
    WmpRwResourceRelease,          /* WmpPushReleaseShared    */
};

/* Initialises the lock as an ERESOURCE, or as a push lock when PushLock
 * (the kernel exports the push-lock routines: WmpResolvePushRoutines). */
static VOID
WmpRwSetUp(_Inout_ PWM_LOCK_HEADER Lock, _In_ BOOLEAN PushLock)
{
    PWM_RW_LOCK Rw = WMP_RW_LOCK(Lock);
    WMP_EX_INITIALIZE_PUSH_LOCK *InitializePushLock;
    ULONG Index;

    /* Each slot's shared tokens start where this initialisation's exclusive
     * ones do (lock.c): a shared guard copied in the storage's previous life
     * does not match the same thread's next shared guard in the same slot.
     * Appended tables' need not: they go with the lock. */
    WmpRwFreeSlots(&Rw->Readers, Lock->Generation);
    /* Chosen once: a lock keeps the kernel object it was initialised as. */
    if (PushLock) {
        InitializePushLock = WMP_RW_PUSH(WMP_EX_INITIALIZE_PUSH_LOCK, WmpPushInitialize);
        if (InitializePushLock != NULL) {
            InitializePushLock(&Rw->Object.PushLock);
        } else {
            Rw->Object.PushLock = 0;
        }
        for (Index = 0; Index < WmpPushRequiredCount; Index++) {
            Rw->Routines[Index] = WMP_RW_PUSH(WMP_EX_PUSH_LOCK_ROUTINE, Index);
        }
        Lock->KindByte = (UCHAR)WmRwLockPushLock;
    } else {
        /* Cannot fail: the storage is ours, nonpaged and aligned. */
        (VOID)ExInitializeResourceLite(&Rw->Object.Resource);
        for (Index = 0; Index < WmpPushRequiredCount; Index++) {
            Rw->Routines[Index] = WmpRwResourceRoutines[Index];
        }
        Lock->KindByte = (UCHAR)WmRwLockResource;
    }
}

static VOID
WmpRwLockInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    WmpRwSetUp(Lock, WmpResolvePushRoutines());
}

static VOID
WmpResourceRwLockInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    WmpRwSetUp(Lock, FALSE);
}

static NTSTATUS
WmpRwLockAcquire(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout, _In_ BOOLEAN Try,
                 _Inout_ PWM_GUARD Guard)
{
    BOOLEAN Shared = (Guard->Mode & WMP_GUARD_MODE_MASK) == WMP_GUARD_SHARED;

    /* Neither kernel object has a timed wait: only "do not wait" is offered
     * (the IRQL and the upgrade are checked first, as for any timeout). */
    if (Timeout != NULL && Timeout->QuadPart != 0) {
        if (KeGetCurrentIrql() > APC_LEVEL) {
            return STATUS_WM_IRQL_TOO_HIGH;
        }
        return STATUS_NOT_SUPPORTED;
    }
    /* Both Ops tables: an ERESOURCE-only lock's routines are the ERESOURCE
     * ones (WmpRwResourceRoutines), so one path serves both. */
    return WmpRwAcquire(Lock, Guard, Shared, (BOOLEAN)(Timeout == NULL), Try, FALSE);
}

static VOID
WmpRwLockRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    WmpRwRelease(Lock, Guard, (BOOLEAN)((Guard->Mode & WMP_GUARD_MODE_MASK) == WMP_GUARD_SHARED), FALSE);
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

static BOOLEAN
WmpRwLockIsReader(_In_ PWM_LOCK_HEADER Lock, _In_ PVOID Thread)
{
    return WmpRwIsReader(WMP_RW_LOCK(Lock), Thread);
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

/* The two tables differ only in their name and initialisation: a lock's
 * Routines say which kernel object it is, so every other operation is
 * shared. */
#define WMP_RW_LOCK_OPS(Name, Initialize)                                      \
    {                                                                          \
        Name, sizeof(WM_RW_LOCK), FALSE, Initialize, WmpRwLockAcquire,         \
        WmpRwLockRelease, WmpRwLockCheckReleaseIrql, WmpRwLockDelete,          \
        WMP_OPS_FLAG_TEARDOWN_MAX_APC, WmpRwLockIsReader,                      \
    }

const WM_LOCK_OPS WmRwLockOps = WMP_RW_LOCK_OPS("RwLock", WmpRwLockInitialize);
/* Always an ERESOURCE (WM_DECLARE_RESOURCE_RW_LOCK_TYPE). */
const WM_LOCK_OPS WmResourceRwLockOps = WMP_RW_LOCK_OPS("ResourceRwLock", WmpResourceRwLockInitialize);
