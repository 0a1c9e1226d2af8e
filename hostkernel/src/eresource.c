/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Executive resources (§8), push locks (§9) and rundown
 *              protection (§10).
 * ENVIRONMENT: Host (Linux user mode).
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "hkp.h"

/* ------------------------------------------------------------------------ */
/* ERESOURCE (§8)                                                           */
/*                                                                          */
/* State under the dispatcher lock: OwnerEntry = exclusive owner and its    */
/* recursion count (Flag has ResourceOwnedExclusive); OwnerTable = shared   */
/* owners with per-thread counts (a malloc'd side table); HkWaitList =      */
/* queued waiters (Kind 1 = exclusive, 0 = shared), granted by releasers.   */
/* Initialised resources are registered (like the kernel's list of all     */
/* resources) so re-initialisation, deleting an uninitialised resource and */
/* freeing pool that holds a live one are caught.                          */
/* ------------------------------------------------------------------------ */

#define HK_WAIT_SHARED    0
#define HK_WAIT_EXCLUSIVE 1

typedef struct _HK_RESOURCE_ENTRY {
    struct _HK_RESOURCE_ENTRY *Next;
    PERESOURCE Resource;
} HK_RESOURCE_ENTRY;

static pthread_mutex_t HkpResourceListLock = PTHREAD_MUTEX_INITIALIZER;
static HK_RESOURCE_ENTRY *HkpResources;

static BOOLEAN
HkpResourceRegistered(PERESOURCE Resource)
{
    HK_RESOURCE_ENTRY *Entry;
    BOOLEAN Found = FALSE;

    pthread_mutex_lock(&HkpResourceListLock);
    for (Entry = HkpResources; Entry != NULL; Entry = Entry->Next) {
        if (Entry->Resource == Resource) {
            Found = TRUE;
            break;
        }
    }
    pthread_mutex_unlock(&HkpResourceListLock);
    return Found;
}

PERESOURCE
HkpFindResourceInRange(const VOID *Start, SIZE_T Size)
{
    HK_RESOURCE_ENTRY *Entry;
    PERESOURCE Found = NULL;
    ULONG_PTR Low = (ULONG_PTR)Start;

    pthread_mutex_lock(&HkpResourceListLock);
    for (Entry = HkpResources; Entry != NULL; Entry = Entry->Next) {
        ULONG_PTR Address = (ULONG_PTR)Entry->Resource;
        if (Address >= Low && Address - Low < Size) {
            Found = Entry->Resource;
            break;
        }
    }
    pthread_mutex_unlock(&HkpResourceListLock);
    return Found;
}

/* Every acquire and release checks its resource. A mark bound to the
 * resource's address, set by initialisation and cleared by delete, says
 * "registered here" at a constant cost: a walk of the list would cost more
 * for resources initialised earlier, and the wrapper benchmark would then
 * measure the order its resources were initialised in. Never-initialised,
 * deleted and moved (copied) resources lack the mark. */
#define HK_RESOURCE_MARK ((ULONG_PTR)0x5245534F55524345ULL) /* "RESOURCE" */
#define HkpResourceMark(Resource) ((PVOID)((ULONG_PTR)(Resource) ^ HK_RESOURCE_MARK))

static VOID
HkpCheckResource(PERESOURCE Resource)
{
    if (Resource == NULL || Resource->Reserved2 != HkpResourceMark(Resource)) {
        HkpVerifierBugCheck(HK_DV_UNINITIALIZED_LOCK, Resource, 0, 0);
    }
}

/* §8: acquire and release need normal kernel APCs disabled (a critical or
 * guarded region, a held KMUTEX, or IRQL >= APC_LEVEL): 0xC4/0x37 acquire,
 * 0x38 release (P2 IRQL, P3 APC disable count, P4 resource). */
static VOID
HkpCheckResourceApcs(PKTHREAD Thread, PERESOURCE Resource, ULONG Violation)
{
    if (Thread->Irql < APC_LEVEL && Thread->KernelApcDisable == 0 && Thread->SpecialApcDisable == 0) {
        HkpVerifierBugCheck(Violation, Thread->Irql, HkpCombinedApcDisable(Thread), Resource);
    }
}

/* With the dispatcher lock held: the shared-owner slot of Thread, or NULL. */
static POWNER_ENTRY
HkpSharedEntry(PERESOURCE Resource, PKTHREAD Thread)
{
    ULONG Index;

    for (Index = 0; Index < Resource->HkTableSize; Index++) {
        if (Resource->OwnerTable[Index].OwnerThread == (ERESOURCE_THREAD)Thread) {
            return &Resource->OwnerTable[Index];
        }
    }
    return NULL;
}

/* With the dispatcher lock held: adds one shared acquisition for Thread.
 * FALSE if the side table cannot grow. */
static BOOLEAN
HkpAddShared(PERESOURCE Resource, PKTHREAD Thread)
{
    POWNER_ENTRY Entry = HkpSharedEntry(Resource, Thread);
    POWNER_ENTRY Table;
    ULONG Index;

    if (Entry != NULL) {
        Entry->OwnerCount++;
        return TRUE;
    }
    for (Index = 0; Index < Resource->HkTableSize; Index++) {
        if (Resource->OwnerTable[Index].OwnerThread == 0) {
            break;
        }
    }
    if (Index == Resource->HkTableSize) {
        ULONG NewSize = Resource->HkTableSize == 0 ? 4 : Resource->HkTableSize * 2;
        Table = realloc(Resource->OwnerTable, NewSize * sizeof(OWNER_ENTRY));
        if (Table == NULL) {
            return FALSE;
        }
        memset(Table + Resource->HkTableSize, 0, (NewSize - Resource->HkTableSize) * sizeof(OWNER_ENTRY));
        Resource->OwnerTable = Table;
        Resource->HkTableSize = NewSize;
    }
    Resource->OwnerTable[Index].OwnerThread = (ERESOURCE_THREAD)Thread;
    Resource->OwnerTable[Index].OwnerCount = 1;
    Resource->ActiveCount++;
    Resource->ActiveEntries++;
    return TRUE;
}

static BOOLEAN
HkpOwnedExclusive(PERESOURCE Resource)
{
    return (BOOLEAN)((Resource->Flag & ResourceOwnedExclusive) != 0);
}

static VOID
HkpTakeExclusive(PERESOURCE Resource, PKTHREAD Thread)
{
    Resource->Flag |= ResourceOwnedExclusive;
    Resource->OwnerEntry.OwnerThread = (ERESOURCE_THREAD)Thread;
    Resource->OwnerEntry.OwnerCount = 1;
    Resource->ActiveCount = 1;
    Resource->ActiveEntries = 1;
}

/* With the dispatcher lock held, once the resource is free: the first
 * waiter, if exclusive, gets it; otherwise every queued shared waiter does. */
static VOID
HkpResourceGrantWaiters(PERESOURCE Resource)
{
    PLIST_ENTRY Entry;
    PLIST_ENTRY Next;
    HK_WAIT_BLOCK *Block;

    if (Resource->ActiveCount != 0 || IsListEmpty(&Resource->HkWaitList)) {
        return;
    }
    Block = CONTAINING_RECORD(Resource->HkWaitList.Flink, HK_WAIT_BLOCK, Entry);
    if (Block->Kind == HK_WAIT_EXCLUSIVE) {
        HkpGrant(Block);
        Resource->NumberOfExclusiveWaiters--;
        HkpTakeExclusive(Resource, Block->Thread);
        return;
    }
    for (Entry = Resource->HkWaitList.Flink; Entry != &Resource->HkWaitList; Entry = Next) {
        Next = Entry->Flink;
        Block = CONTAINING_RECORD(Entry, HK_WAIT_BLOCK, Entry);
        if (Block->Kind == HK_WAIT_SHARED && HkpAddShared(Resource, Block->Thread)) {
            HkpGrant(Block);
            Resource->NumberOfSharedWaiters--;
        }
    }
}

NTSTATUS NTAPI
ExInitializeResourceLite(PERESOURCE Resource)
{
    HK_RESOURCE_ENTRY *Entry;

    /* §8: initialising a live resource again → 0xC4/0xD0 (P2 resource). */
    if (HkpResourceRegistered(Resource)) {
        HkpVerifierBugCheck(HK_DV_RESOURCE_REINITIALIZE, Resource, 0, 0);
    }
    Entry = malloc(sizeof(*Entry));
    if (Entry == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    memset(Resource, 0, sizeof(*Resource));
    InitializeListHead(&Resource->SystemResourcesList);
    InitializeListHead(&Resource->HkWaitList);
    Resource->Reserved2 = HkpResourceMark(Resource);
    Entry->Resource = Resource;
    pthread_mutex_lock(&HkpResourceListLock);
    Entry->Next = HkpResources;
    HkpResources = Entry;
    pthread_mutex_unlock(&HkpResourceListLock);
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI
ExDeleteResourceLite(PERESOURCE Resource)
{
    PKTHREAD Thread = HkpCurrentThread();
    HK_RESOURCE_ENTRY **Link;
    HK_RESOURCE_ENTRY *Entry = NULL;
    BOOLEAN Busy;

    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_EX_APC_LTE3, Thread->Irql, Resource, 0);
    }
    /* §8: deleting a resource never initialised → 0xC4/0xD1 (P2 resource). */
    if (!HkpResourceRegistered(Resource)) {
        HkpVerifierBugCheck(HK_DV_RESOURCE_DELETE_UNINIT, Resource, 0, 0);
    }
    HkpLock();
    Busy = (BOOLEAN)(Resource->ActiveCount != 0 || !IsListEmpty(&Resource->HkWaitList));
    HkpUnlock();
    /* §17 Deadlock Detection: a deleted lock still owned → 0xC4/0x100B. */
    if (Busy) {
        HkpVerifierBugCheck(HK_DV_DELETED_LOCK_OWNED, Resource, 0, 0);
    }
    pthread_mutex_lock(&HkpResourceListLock);
    for (Link = &HkpResources; *Link != NULL; Link = &(*Link)->Next) {
        if ((*Link)->Resource == Resource) {
            Entry = *Link;
            *Link = Entry->Next;
            break;
        }
    }
    pthread_mutex_unlock(&HkpResourceListLock);
    free(Entry);
    Resource->Reserved2 = NULL;
    free(Resource->OwnerTable);
    Resource->OwnerTable = NULL;
    Resource->HkTableSize = 0;
    return STATUS_SUCCESS;
}

static BOOLEAN
HkpAcquireResource(PERESOURCE Resource, BOOLEAN Wait, BOOLEAN Exclusive)
{
    PKTHREAD Thread = HkpCurrentThread();
    HK_WAIT_BLOCK Block;
    BOOLEAN Grantable;

    /* §18 IrqlExApcLte3: at IRQL <= APC_LEVEL (0xC4/0x00020007). */
    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_EX_APC_LTE3, Thread->Irql, Resource, 0);
    }
    HkpCheckResourceApcs(Thread, Resource, HK_DV_RESOURCE_ACQUIRE_APCS);
    HkpCheckResource(Resource);

    HkpLock();
    if (HkpOwnedExclusive(Resource) && Resource->OwnerEntry.OwnerThread == (ERESOURCE_THREAD)Thread) {
        /* §8: the exclusive owner may re-acquire, either way, as exclusive. */
        Resource->OwnerEntry.OwnerCount++;
        HkpUnlock();
        return TRUE;
    }
    if (Exclusive) {
        if (HkpSharedEntry(Resource, Thread) != NULL) {
            /* §8: a shared owner asking for exclusive waits for itself. With
             * Wait that is a self-deadlock: 0xC4/0x1000 (P2 resource). */
            HkpUnlock();
            if (!Wait) {
                return FALSE;
            }
            HkpVerifierBugCheck(HK_DV_SELF_DEADLOCK_SHARED, Resource, Thread, 0);
        }
        Grantable = (BOOLEAN)(Resource->ActiveCount == 0);
        if (Grantable) {
            HkpTakeExclusive(Resource, Thread);
            HkpUnlock();
            return TRUE;
        }
    } else {
        /* §8: shared if unowned, if shared-owned with no exclusive waiter,
         * or recursively by a current shared owner. */
        Grantable = (BOOLEAN)(Resource->ActiveCount == 0 || HkpSharedEntry(Resource, Thread) != NULL ||
                              (!HkpOwnedExclusive(Resource) && Resource->NumberOfExclusiveWaiters == 0));
        if (Grantable && HkpAddShared(Resource, Thread)) {
            HkpUnlock();
            return TRUE;
        }
        if (Grantable) {
            HkpUnlock();
            return FALSE; /* the host is out of memory for the owner table */
        }
    }
    if (!Wait) {
        HkpUnlock();
        return FALSE;
    }
    Resource->ContentionCount++;
    if (Exclusive) {
        Resource->NumberOfExclusiveWaiters++;
    } else {
        Resource->NumberOfSharedWaiters++;
    }
    Block.Thread = Thread;
    Block.Kind = Exclusive ? HK_WAIT_EXCLUSIVE : HK_WAIT_SHARED;
    Block.Irql = Thread->Irql;
    (VOID)HkpBlock(&Resource->HkWaitList, &Block, NULL);
    HkpUnlock();
    return TRUE;
}

BOOLEAN NTAPI
ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)
{
    return HkpAcquireResource(Resource, Wait, TRUE);
}

BOOLEAN NTAPI
ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)
{
    return HkpAcquireResource(Resource, Wait, FALSE);
}

VOID FASTCALL
ExReleaseResourceLite(PERESOURCE Resource)
{
    PKTHREAD Thread = HkpCurrentThread();
    POWNER_ENTRY Entry;

    HkpCheckResourceApcs(Thread, Resource, HK_DV_RESOURCE_RELEASE_APCS);
    HkpCheckResource(Resource);
    HkpLock();
    if (HkpOwnedExclusive(Resource) && Resource->OwnerEntry.OwnerThread == (ERESOURCE_THREAD)Thread) {
        if (--Resource->OwnerEntry.OwnerCount == 0) {
            Resource->Flag &= (USHORT)~ResourceOwnedExclusive;
            Resource->OwnerEntry.OwnerThread = 0;
            Resource->ActiveCount = 0;
            Resource->ActiveEntries = 0;
            HkpResourceGrantWaiters(Resource);
        }
        HkpUnlock();
        return;
    }
    Entry = HkpSharedEntry(Resource, Thread);
    if (Entry == NULL) {
        /* §8: released by a thread that does not own it → RESOURCE_NOT_OWNED
         * (0xE3: P1 resource, P2 thread, P3 owner table, P4 0). */
        POWNER_ENTRY Table = Resource->OwnerTable;
        HkpUnlock();
        KeBugCheckEx(RESOURCE_NOT_OWNED, (ULONG_PTR)Resource, (ULONG_PTR)Thread, (ULONG_PTR)Table, 0);
    }
    if (--Entry->OwnerCount == 0) {
        Entry->OwnerThread = 0;
        Resource->ActiveCount--;
        Resource->ActiveEntries--;
        HkpResourceGrantWaiters(Resource);
    }
    HkpUnlock();
}

VOID NTAPI
ExConvertExclusiveToSharedLite(PERESOURCE Resource)
{
    PKTHREAD Thread = HkpCurrentThread();
    LONG Count;
    POWNER_ENTRY Table;

    HkpCheckResource(Resource);
    HkpLock();
    if (!HkpOwnedExclusive(Resource) || Resource->OwnerEntry.OwnerThread != (ERESOURCE_THREAD)Thread) {
        Table = Resource->OwnerTable;
        HkpUnlock();
        KeBugCheckEx(RESOURCE_NOT_OWNED, (ULONG_PTR)Resource, (ULONG_PTR)Thread, (ULONG_PTR)Table, 0);
    }
    Count = Resource->OwnerEntry.OwnerCount;
    Resource->Flag &= (USHORT)~ResourceOwnedExclusive;
    Resource->OwnerEntry.OwnerThread = 0;
    Resource->OwnerEntry.OwnerCount = 0;
    Resource->ActiveCount = 0;
    Resource->ActiveEntries = 0;
    if (HkpAddShared(Resource, Thread)) {
        HkpSharedEntry(Resource, Thread)->OwnerCount = Count;
    }
    /* Shared waiters can join now; exclusive ones keep waiting. */
    {
        PLIST_ENTRY Link;
        PLIST_ENTRY Next;
        for (Link = Resource->HkWaitList.Flink; Link != &Resource->HkWaitList; Link = Next) {
            HK_WAIT_BLOCK *Block = CONTAINING_RECORD(Link, HK_WAIT_BLOCK, Entry);
            Next = Link->Flink;
            if (Block->Kind == HK_WAIT_SHARED && HkpAddShared(Resource, Block->Thread)) {
                HkpGrant(Block);
                Resource->NumberOfSharedWaiters--;
            }
        }
    }
    HkpUnlock();
}

BOOLEAN NTAPI
ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)
{
    PKTHREAD Thread = HkpCurrentThread();
    BOOLEAN Owned;

    HkpCheckResource(Resource);
    HkpLock();
    Owned = (BOOLEAN)(HkpOwnedExclusive(Resource) && Resource->OwnerEntry.OwnerThread == (ERESOURCE_THREAD)Thread);
    HkpUnlock();
    return Owned;
}

ULONG NTAPI
ExIsResourceAcquiredSharedLite(PERESOURCE Resource)
{
    PKTHREAD Thread = HkpCurrentThread();
    POWNER_ENTRY Entry;
    ULONG Count = 0;

    HkpCheckResource(Resource);
    HkpLock();
    /* The number of acquisitions the caller holds, shared or exclusive. */
    if (HkpOwnedExclusive(Resource) && Resource->OwnerEntry.OwnerThread == (ERESOURCE_THREAD)Thread) {
        Count = (ULONG)Resource->OwnerEntry.OwnerCount;
    } else if ((Entry = HkpSharedEntry(Resource, Thread)) != NULL) {
        Count = (ULONG)Entry->OwnerCount;
    }
    HkpUnlock();
    return Count;
}

ULONG NTAPI
ExGetExclusiveWaiterCount(PERESOURCE Resource)
{
    ULONG Count;

    HkpCheckResource(Resource);
    HkpLock();
    Count = Resource->NumberOfExclusiveWaiters;
    HkpUnlock();
    return Count;
}

ULONG NTAPI
ExGetSharedWaiterCount(PERESOURCE Resource)
{
    ULONG Count;

    HkpCheckResource(Resource);
    HkpLock();
    Count = Resource->NumberOfSharedWaiters;
    HkpUnlock();
    return Count;
}

PVOID NTAPI
ExEnterCriticalRegionAndAcquireResourceExclusive(PERESOURCE Resource)
{
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceExclusiveLite(Resource, TRUE);
    return KeGetCurrentThread(); /* opaque to callers (§8) */
}

VOID FASTCALL
ExReleaseResourceAndLeaveCriticalRegion(PERESOURCE Resource)
{
    ExReleaseResourceLite(Resource);
    KeLeaveCriticalRegion();
}

/* ------------------------------------------------------------------------ */
/* Push locks (§9): 0 free, exclusive = KTHREAD | 1, shared = count << 4 | 2. */
/* Waiters re-check on every dispatcher broadcast (grant order not fair).   */
/* ------------------------------------------------------------------------ */

#define HK_PUSH_EXCLUSIVE   ((ULONG_PTR)1)
#define HK_PUSH_SHARED      ((ULONG_PTR)2)
#define HK_PUSH_SHARE_SHIFT 4

/* §9: acquire and release inside a critical region (normal kernel APCs off):
 * 0xC4/0xEA acquire, 0xEB release (P2 APC disable count, P3 push lock). */
static VOID
HkpCheckPushLockApcs(PKTHREAD Thread, PEX_PUSH_LOCK PushLock, ULONG Violation)
{
    if (Thread->Irql < APC_LEVEL && Thread->KernelApcDisable == 0 && Thread->SpecialApcDisable == 0) {
        HkpVerifierBugCheck(Violation, HkpCombinedApcDisable(Thread), PushLock, 0);
    }
}

VOID NTAPI
ExInitializePushLock(PEX_PUSH_LOCK PushLock)
{
    __atomic_store_n(PushLock, (ULONG_PTR)0, __ATOMIC_RELAXED);
}

VOID FASTCALL
ExAcquirePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    PKTHREAD Thread = HkpCurrentThread();
    ULONG_PTR Mine = (ULONG_PTR)Thread | HK_PUSH_EXCLUSIVE;

    UNREFERENCED_PARAMETER(Flags);
    HkpCheckPushLockApcs(Thread, PushLock, HK_DV_PUSH_LOCK_ACQUIRE_APCS);
    HkpLock();
    /* §9: exclusive re-acquire by the owner hangs on Windows: 0xBF here. */
    if (*PushLock == Mine) {
        HkpUnlock();
        KeBugCheckEx(MUTEX_ALREADY_OWNED, (ULONG_PTR)PushLock, (ULONG_PTR)Thread, 0, 0);
    }
    while (*PushLock != 0) {
        (VOID)HkpWaitForChange(NULL);
    }
    *PushLock = Mine;
    HkpUnlock();
}

VOID FASTCALL
ExAcquirePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    PKTHREAD Thread = HkpCurrentThread();

    UNREFERENCED_PARAMETER(Flags);
    HkpCheckPushLockApcs(Thread, PushLock, HK_DV_PUSH_LOCK_ACQUIRE_APCS);
    HkpLock();
    if (*PushLock == ((ULONG_PTR)Thread | HK_PUSH_EXCLUSIVE)) {
        /* §9: shared while holding it exclusive hangs on Windows. */
        HkpUnlock();
        KeBugCheckEx(MUTEX_ALREADY_OWNED, (ULONG_PTR)PushLock, (ULONG_PTR)Thread, 0, 0);
    }
    while ((*PushLock & HK_PUSH_EXCLUSIVE) != 0) {
        (VOID)HkpWaitForChange(NULL);
    }
    *PushLock = ((((*PushLock >> HK_PUSH_SHARE_SHIFT) + 1)) << HK_PUSH_SHARE_SHIFT) | HK_PUSH_SHARED;
    HkpUnlock();
}

/* The try forms (wdm.h's ExTryAcquirePushLockExclusive/Shared macros):
 * acquire only if that needs no wait, else FALSE; the same critical region
 * rule as the waiting forms. A try never waits, so the recursion that hangs
 * a waiting acquire (§9) just fails here: the lock is not free. */
static BOOLEAN
HkpTryAcquirePushLock(PEX_PUSH_LOCK PushLock, BOOLEAN Shared)
{
    PKTHREAD Thread = HkpCurrentThread();
    ULONG_PTR Value;
    BOOLEAN Acquired = FALSE;

    HkpCheckPushLockApcs(Thread, PushLock, HK_DV_PUSH_LOCK_ACQUIRE_APCS);
    HkpLock();
    Value = *PushLock;
    if (Shared ? (Value & HK_PUSH_EXCLUSIVE) == 0 : Value == 0) {
        *PushLock = Shared ? ((((Value >> HK_PUSH_SHARE_SHIFT) + 1)) << HK_PUSH_SHARE_SHIFT) | HK_PUSH_SHARED
                           : (ULONG_PTR)Thread | HK_PUSH_EXCLUSIVE;
        Acquired = TRUE;
    }
    HkpUnlock();
    return Acquired;
}

BOOLEAN FASTCALL
ExTryAcquirePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    return HkpTryAcquirePushLock(PushLock, FALSE);
}

BOOLEAN FASTCALL
ExTryAcquirePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    UNREFERENCED_PARAMETER(Flags);
    return HkpTryAcquirePushLock(PushLock, TRUE);
}

VOID FASTCALL
ExReleasePushLockExclusiveEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    PKTHREAD Thread = HkpCurrentThread();
    ULONG_PTR Value;

    UNREFERENCED_PARAMETER(Flags);
    HkpCheckPushLockApcs(Thread, PushLock, HK_DV_PUSH_LOCK_RELEASE_APCS);
    HkpLock();
    Value = *PushLock;
    if (Value != ((ULONG_PTR)Thread | HK_PUSH_EXCLUSIVE)) {
        HkpUnlock();
        /* §17: not held exclusively → release of an unacquired lock (0x1007);
         * held by another thread → wrong-thread release (0x1004). */
        HkpVerifierBugCheck((Value & HK_PUSH_EXCLUSIVE) != 0 ? HK_DV_WRONG_THREAD_RELEASE : HK_DV_RELEASE_UNACQUIRED,
                            PushLock, Thread, Value);
    }
    *PushLock = 0;
    HkpBroadcast();
    HkpUnlock();
}

VOID FASTCALL
ExReleasePushLockSharedEx(PEX_PUSH_LOCK PushLock, ULONG Flags)
{
    PKTHREAD Thread = HkpCurrentThread();
    ULONG_PTR Value;
    ULONG_PTR Shares;

    UNREFERENCED_PARAMETER(Flags);
    HkpCheckPushLockApcs(Thread, PushLock, HK_DV_PUSH_LOCK_RELEASE_APCS);
    HkpLock();
    Value = *PushLock;
    if ((Value & HK_PUSH_SHARED) == 0) {
        HkpUnlock();
        HkpVerifierBugCheck(HK_DV_RELEASE_UNACQUIRED, PushLock, Thread, Value);
    }
    Shares = (Value >> HK_PUSH_SHARE_SHIFT) - 1;
    *PushLock = Shares == 0 ? 0 : ((Shares << HK_PUSH_SHARE_SHIFT) | HK_PUSH_SHARED);
    if (Shares == 0) {
        HkpBroadcast();
    }
    HkpUnlock();
}

/* ------------------------------------------------------------------------ */
/* Rundown protection (§10): Count = references * 2 | EX_RUNDOWN_ACTIVE.    */
/* ------------------------------------------------------------------------ */

VOID FASTCALL
ExInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)
{
    __atomic_store_n(&RunRef->Count, (ULONG_PTR)0, __ATOMIC_RELAXED);
}

VOID FASTCALL
ExReInitializeRundownProtection(PEX_RUNDOWN_REF RunRef)
{
    HkpLock();
    RunRef->Count = 0;
    HkpUnlock();
}

BOOLEAN FASTCALL
ExAcquireRundownProtection(PEX_RUNDOWN_REF RunRef)
{
    BOOLEAN Acquired = FALSE;

    HkpLock();
    /* §10: FALSE once rundown has started. */
    if ((RunRef->Count & EX_RUNDOWN_ACTIVE) == 0) {
        RunRef->Count += EX_RUNDOWN_COUNT_INC;
        Acquired = TRUE;
    }
    HkpUnlock();
    return Acquired;
}

VOID FASTCALL
ExReleaseRundownProtection(PEX_RUNDOWN_REF RunRef)
{
    PKTHREAD Thread = HkpCurrentThread();

    HkpLock();
    if ((RunRef->Count >> EX_RUNDOWN_COUNT_SHIFT) == 0) {
        /* More releases than acquires: release of something not acquired. */
        ULONG_PTR Count = RunRef->Count;
        HkpUnlock();
        HkpVerifierBugCheck(HK_DV_RELEASE_UNACQUIRED, RunRef, Thread, Count);
    }
    RunRef->Count -= EX_RUNDOWN_COUNT_INC;
    if (RunRef->Count == EX_RUNDOWN_ACTIVE) {
        HkpBroadcast(); /* the rundown waiter can go on */
    }
    HkpUnlock();
}

VOID FASTCALL
ExWaitForRundownProtectionRelease(PEX_RUNDOWN_REF RunRef)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* It blocks: IRQL <= APC_LEVEL (§10; rule IrqlKeApcLte1's code). */
    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_APC_LTE1, Thread->Irql, RunRef, 0);
    }
    HkpLock();
    /* §10: no new acquires from now on; returns once references are gone. */
    RunRef->Count |= EX_RUNDOWN_ACTIVE;
    while (RunRef->Count != EX_RUNDOWN_ACTIVE) {
        (VOID)HkpWaitForChange(NULL);
    }
    HkpUnlock();
}

VOID FASTCALL
ExRundownCompleted(PEX_RUNDOWN_REF RunRef)
{
    HkpLock();
    RunRef->Count = EX_RUNDOWN_ACTIVE;
    HkpUnlock();
}
