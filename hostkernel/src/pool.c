/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Pool (§13): every block tracked in a side table (address, size,
 *              tag, paged or not) so frees are checked like BAD_POOL_CALLER
 *              (0xC2) does, plus accounting and failure injection for tests.
 * ENVIRONMENT: Host (Linux user mode).
 */
#define _GNU_SOURCE
#include <stdlib.h>

#include "hkp.h"

#define HK_POOL_BUCKETS 4096
#define HK_POOL_FILL_UNINITIALIZED 0xCD /* catches reliance on zeroed pool  */
#define HK_POOL_FILL_FREED         0xDD

typedef struct _HK_POOL_BLOCK {
    struct _HK_POOL_BLOCK *Next;
    PVOID Address;
    SIZE_T Size;
    ULONG Tag;
    POOL_TYPE Type;
} HK_POOL_BLOCK;

/* The table lives outside the blocks: a bad or double free is looked up, never
 * read from the freed memory. */
static pthread_mutex_t HkpPoolLock = PTHREAD_MUTEX_INITIALIZER;
static HK_POOL_BLOCK *HkpPoolTable[HK_POOL_BUCKETS];
static LONG HkpPoolLive;
static LONG64 HkpPoolLiveBytes;
static LONG64 HkpPoolAllocations;
static LONG HkpPoolFailCountdown;

static ULONG
HkpPoolHash(const VOID *Address)
{
    ULONG_PTR Value = (ULONG_PTR)Address >> 4;

    return (ULONG)((Value ^ (Value >> 12) ^ (Value >> 24)) % HK_POOL_BUCKETS);
}

static BOOLEAN
HkpIsPagedType(POOL_TYPE Type)
{
    /* Base types with bit 0 set are paged (PagedPool, PagedPoolCacheAligned,
     * PagedPoolSession ...); NonPagedPoolNx (512) is not. */
    return (BOOLEAN)(((ULONG)Type & 1) != 0);
}

/* Returns a block's memory to the host. */
static VOID
HkpPoolRelease(PVOID Address, SIZE_T Size, POOL_TYPE Type)
{
    if (HkpIsPagedType(Type)) {
        HkpPagedFree(Address, Size);
    } else {
        free(Address);
    }
}

/* With HkpPoolLock held: TRUE if the injected failure is due now. */
static BOOLEAN
HkpPoolInjectFailure(VOID)
{
    if (HkpPoolFailCountdown > 0) {
        HkpPoolFailCountdown--;
        if (HkpPoolFailCountdown == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

/* Allocation after the argument checks: NULL on (injected) failure. */
static PVOID
HkpPoolAllocate(POOL_TYPE Type, SIZE_T Size, ULONG Tag, BOOLEAN Zero)
{
    HK_POOL_BLOCK *Block;
    PVOID Address = NULL;
    ULONG Bucket;
    BOOLEAN Fail;

    pthread_mutex_lock(&HkpPoolLock);
    Fail = HkpPoolInjectFailure();
    pthread_mutex_unlock(&HkpPoolLock);
    if (Fail) {
        return NULL;
    }

    /* §13: >= PAGE_SIZE page aligned, else 16-byte aligned. Paged pool gets
     * pages of its own (page aligned), which paging.c trims. */
    if (HkpIsPagedType(Type)) {
        Address = HkpPagedAllocate(Size);
    } else if (posix_memalign(&Address, Size >= PAGE_SIZE ? PAGE_SIZE : 16, Size) != 0) {
        Address = NULL;
    }
    if (Address == NULL) {
        return NULL;
    }
    Block = malloc(sizeof(*Block));
    if (Block == NULL) {
        HkpPoolRelease(Address, Size, Type);
        return NULL;
    }
    memset(Address, Zero ? 0 : HK_POOL_FILL_UNINITIALIZED, Size);
    Block->Address = Address;
    Block->Size = Size;
    Block->Tag = Tag;
    Block->Type = Type;
    Bucket = HkpPoolHash(Address);

    pthread_mutex_lock(&HkpPoolLock);
    Block->Next = HkpPoolTable[Bucket];
    HkpPoolTable[Bucket] = Block;
    HkpPoolLive++;
    HkpPoolLiveBytes += (LONG64)Size;
    HkpPoolAllocations++;
    pthread_mutex_unlock(&HkpPoolLock);
    return Address;
}

/* §13: paged pool at IRQL <= APC_LEVEL, nonpaged at <= DISPATCH_LEVEL, else
 * BAD_POOL_CALLER 0x08 (P2 IRQL, P3 pool type, P4 size). A spin lock holder is
 * at DISPATCH_LEVEL, so it cannot allocate paged pool either. Zero bytes →
 * BAD_POOL_CALLER 0x00 (P2 0, P3 pool type, P4 tag). */
static VOID
HkpPoolCheckAllocate(POOL_TYPE Type, SIZE_T Size, ULONG Tag)
{
    KIRQL Irql = HkpCurrentThread()->Irql;

    if (Irql > (HkpIsPagedType(Type) ? APC_LEVEL : DISPATCH_LEVEL)) {
        KeBugCheckEx(BAD_POOL_CALLER, 0x08, Irql, (ULONG_PTR)Type, Size);
    }
    if (Size == 0) {
        KeBugCheckEx(BAD_POOL_CALLER, 0x00, 0, (ULONG_PTR)Type, Tag);
    }
}

PVOID NTAPI
ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    PVOID Address;

    HkpPoolCheckAllocate(PoolType, NumberOfBytes, Tag);
    /* §13: not initialised (POOL_ZERO_ALLOCATION asks for zeroed memory). */
    Address = HkpPoolAllocate(PoolType, NumberOfBytes, Tag, ((ULONG)PoolType & POOL_ZERO_ALLOCATION) != 0);
    if (Address == NULL && ((ULONG)PoolType & POOL_RAISE_IF_ALLOCATION_FAILURE) != 0) {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    }
    return Address;
}

PVOID NTAPI
ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    return ExAllocatePoolWithTag(PoolType, NumberOfBytes, 0x656E6F4E /* "None" */);
}

#define HK_POOL_FLAGS_REQUIRED_KNOWN                                                                    \
    (POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_SESSION | POOL_FLAG_CACHE_ALIGNED |      \
     POOL_FLAG_RAISE_ON_FAILURE | POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)

PVOID NTAPI
ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    ULONG64 Required = Flags & 0xFFFFFFFFULL;
    ULONG64 Kinds = Flags & (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED);
    BOOLEAN Raise = (Flags & POOL_FLAG_RAISE_ON_FAILURE) != 0;
    POOL_TYPE Type;
    PVOID Address;

    /* §13: unknown (or reserved) required flags, not exactly one pool kind,
     * or a zero tag → NULL (or the exception with RAISE_ON_FAILURE; its code
     * is unconfirmed, the model raises STATUS_INSUFFICIENT_RESOURCES).
     * Unknown optional (high 32) flags are ignored. */
    if ((Required & ~HK_POOL_FLAGS_REQUIRED_KNOWN) != 0 ||
        (Kinds != POOL_FLAG_NON_PAGED && Kinds != POOL_FLAG_NON_PAGED_EXECUTE && Kinds != POOL_FLAG_PAGED) ||
        Tag == 0) {
        if (Raise) {
            ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
        }
        return NULL;
    }
    Type = Kinds == POOL_FLAG_PAGED ? PagedPool : (Kinds == POOL_FLAG_NON_PAGED ? NonPagedPoolNx : NonPagedPoolExecute);
    HkpPoolCheckAllocate(Type, NumberOfBytes, Tag);
    /* §13: zeroed unless POOL_FLAG_UNINITIALIZED. */
    Address = HkpPoolAllocate(Type, NumberOfBytes, Tag, (Flags & POOL_FLAG_UNINITIALIZED) == 0);
    if (Address == NULL && Raise) {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    }
    return Address;
}

VOID NTAPI
ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    KIRQL Irql = HkpCurrentThread()->Irql;
    HK_POOL_BLOCK **Link;
    HK_POOL_BLOCK *Block;
    PERESOURCE Resource;

    pthread_mutex_lock(&HkpPoolLock);
    for (Link = &HkpPoolTable[HkpPoolHash(P)]; *Link != NULL; Link = &(*Link)->Next) {
        if ((*Link)->Address == P) {
            break;
        }
    }
    Block = *Link;
    if (Block == NULL) {
        /* §13: double free (or a pointer pool never returned) → 0xC2/0x07
         * (P2 reserved 0, P3 header contents: none here, P4 address). */
        pthread_mutex_unlock(&HkpPoolLock);
        KeBugCheckEx(BAD_POOL_CALLER, 0x07, 0, 0, (ULONG_PTR)P);
    }
    /* §13: paged pool freed above APC_LEVEL, nonpaged above DISPATCH_LEVEL
     * → 0xC2/0x09 (P2 IRQL, P3 pool type, P4 address). */
    if (Irql > (HkpIsPagedType(Block->Type) ? APC_LEVEL : DISPATCH_LEVEL)) {
        POOL_TYPE Type = Block->Type;
        pthread_mutex_unlock(&HkpPoolLock);
        KeBugCheckEx(BAD_POOL_CALLER, 0x09, Irql, (ULONG_PTR)Type, (ULONG_PTR)P);
    }
    /* §13: a non-zero tag that differs from the allocation's → 0xC2/0x0A
     * (P2 address, P3 allocator's tag, P4 tag used); PROTECTED_POOL ignored. */
    if (Tag != 0 && ((Tag & ~PROTECTED_POOL) != (Block->Tag & ~PROTECTED_POOL))) {
        ULONG Allocated = Block->Tag;
        pthread_mutex_unlock(&HkpPoolLock);
        KeBugCheckEx(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)P, Allocated, Tag);
    }
    /* §8: freeing pool that holds an ERESOURCE not yet deleted → 0xC4/0xD2
     * (P2 resource, P3 pool address, P4 size). */
    Resource = HkpFindResourceInRange(P, Block->Size);
    if (Resource != NULL) {
        SIZE_T Size = Block->Size;
        pthread_mutex_unlock(&HkpPoolLock);
        HkpVerifierBugCheck(HK_DV_POOL_FREE_ACTIVE_RESOURCE, Resource, P, Size);
    }
    *Link = Block->Next;
    HkpPoolLive--;
    HkpPoolLiveBytes -= (LONG64)Block->Size;
    pthread_mutex_unlock(&HkpPoolLock);

    memset(P, HK_POOL_FILL_FREED, Block->Size);
    HkpPoolRelease(P, Block->Size, Block->Type);
    free(Block);
}

VOID NTAPI
ExFreePool(PVOID P)
{
    ExFreePoolWithTag(P, 0);
}

/* ------------------------------------------------------------------------ */
/* Test hooks (hostkernel.h)                                                */
/* ------------------------------------------------------------------------ */

LONG
HkPoolOutstanding(VOID)
{
    LONG Value;

    pthread_mutex_lock(&HkpPoolLock);
    Value = HkpPoolLive;
    pthread_mutex_unlock(&HkpPoolLock);
    return Value;
}

LONG64
HkPoolOutstandingBytes(VOID)
{
    LONG64 Value;

    pthread_mutex_lock(&HkpPoolLock);
    Value = HkpPoolLiveBytes;
    pthread_mutex_unlock(&HkpPoolLock);
    return Value;
}

LONG
HkPoolOutstandingWithTag(ULONG Tag)
{
    LONG Count = 0;
    ULONG Bucket;
    HK_POOL_BLOCK *Block;

    pthread_mutex_lock(&HkpPoolLock);
    for (Bucket = 0; Bucket < HK_POOL_BUCKETS; Bucket++) {
        for (Block = HkpPoolTable[Bucket]; Block != NULL; Block = Block->Next) {
            if (Block->Tag == Tag) {
                Count++;
            }
        }
    }
    pthread_mutex_unlock(&HkpPoolLock);
    return Count;
}

LONG64
HkPoolAllocationCount(VOID)
{
    LONG64 Value;

    pthread_mutex_lock(&HkpPoolLock);
    Value = HkpPoolAllocations;
    pthread_mutex_unlock(&HkpPoolLock);
    return Value;
}

VOID
HkPoolFailAfter(LONG N)
{
    pthread_mutex_lock(&HkpPoolLock);
    HkpPoolFailCountdown = N > 0 ? N : 0;
    pthread_mutex_unlock(&HkpPoolLock);
}
