/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The one pool allocator of the library, and run-time lookup of
 *              DDIs that not every kernel exports.
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

/* POOL_FLAG_NON_PAGED (ExAllocatePool2, Windows 10 2004+). Defined here
 * because older DDK headers (and mingw-w64's) do not have POOL_FLAGS. */
#define WMP_POOL_FLAG_NON_PAGED 0x0000000000000040ULL

static LONG volatile WmpOutstanding;

/* ------------------------------------------------------------------------ */
/* Optional DDIs                                                            */
/* ------------------------------------------------------------------------ */

static const PCSTR WmpRoutineNames[WmpRoutineCount] = {
    "ExAllocatePool2",
    "ExTryToAcquireFastMutex",
    "KeAcquireGuardedMutex",
    "KeReleaseGuardedMutex",
    "KeTryToAcquireGuardedMutex",
    "KeTryToAcquireSpinLockAtDpcLevel",
    "ExInitializePushLock",
    "ExAcquirePushLockExclusiveEx",
    "ExAcquirePushLockSharedEx",
    "ExReleasePushLockExclusiveEx",
    "ExReleasePushLockSharedEx",
    "ExTryAcquirePushLockExclusiveEx",
    "ExTryAcquirePushLockSharedEx",
    "KeIpiGenericCall",
};

/* A name is looked up once; State says whether Address is the answer yet. */
static PVOID volatile WmpRoutineAddress[WmpRoutineCount];
static LONG volatile WmpRoutineState[WmpRoutineCount];

static PVOID
WmpLookupRoutine(_In_z_ PCSTR AsciiName)
{
    WCHAR Buffer[64];
    UNICODE_STRING Name;
    USHORT Length = 0;

    /* Widen by hand: L"" literals are not 16-bit on every compiler we build with. */
    while (Length < (sizeof(Buffer) / sizeof(Buffer[0])) - 1 && AsciiName[Length] != '\0') {
        Buffer[Length] = (WCHAR)AsciiName[Length];
        Length++;
    }
    Buffer[Length] = 0;
    Name.Buffer = Buffer;
    Name.Length = (USHORT)(Length * sizeof(WCHAR));
    Name.MaximumLength = (USHORT)(Name.Length + sizeof(WCHAR));
    return MmGetSystemRoutineAddress(&Name);
}

PVOID
WmpGetRoutine(_In_ WMP_ROUTINE Routine)
{
    PVOID Address;

    if (WmpLoadLongAcquire(&WmpRoutineState[Routine]) != 0) {
        return WmpLoadPointerRelaxed(&WmpRoutineAddress[Routine]);
    }

    /* MmGetSystemRoutineAddress is PASSIVE_LEVEL only; above it, behave as if
     * the routine were absent for this call and look it up later. */
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        return NULL;
    }

    Address = WmpLookupRoutine(WmpRoutineNames[Routine]);
    InterlockedExchangePointer((PVOID volatile *)&WmpRoutineAddress[Routine], Address);
    InterlockedExchange(&WmpRoutineState[Routine], 1);
    return Address;
}

VOID
WmpResetRoutineCache(VOID)
{
    ULONG Index;

    for (Index = 0; Index < WmpRoutineCount; Index++) {
        InterlockedExchange(&WmpRoutineState[Index], 0);
        InterlockedExchangePointer((PVOID volatile *)&WmpRoutineAddress[Index], NULL);
    }
}

_Use_decl_annotations_
NTSTATUS
WmInitializeLibrary(VOID)
{
    ULONG Index;

    if (!WmpThreadIdentityMapped()) {
        return STATUS_NOT_SUPPORTED;
    }
    if (KeGetCurrentIrql() != PASSIVE_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    for (Index = 0; Index < WmpRoutineCount; Index++) {
        (VOID)WmpGetRoutine((WMP_ROUTINE)Index);
    }
    return STATUS_SUCCESS;
}

BOOLEAN
WmUsesExAllocatePool2(VOID)
{
    return WmpGetRoutine(WmpRoutineExAllocatePool2) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Allocator                                                                */
/* ------------------------------------------------------------------------ */

_Use_decl_annotations_
PVOID
WmpAllocate(SIZE_T Size, ULONG Tag)
{
    WMP_EX_ALLOCATE_POOL2 *AllocatePool2;
    PVOID Block;

    /* Both allocators bug-check on these; the library reports them instead. */
    if (Size == 0 || KeGetCurrentIrql() > DISPATCH_LEVEL) {
        return NULL;
    }

    AllocatePool2 = (WMP_EX_ALLOCATE_POOL2 *)WmpGetRoutine(WmpRoutineExAllocatePool2);
    if (AllocatePool2 != NULL) {
        /* Zeroed by the kernel (no POOL_FLAG_UNINITIALIZED). */
        Block = AllocatePool2(WMP_POOL_FLAG_NON_PAGED, Size, Tag);
    } else {
#if defined(_MSC_VER)
#pragma warning(push)
#pragma warning(disable : 4996) /* deprecated in favour of ExAllocatePool2, which this kernel lacks */
#endif
        Block = ExAllocatePoolWithTag(NonPagedPoolNx, Size, Tag);
#if defined(_MSC_VER)
#pragma warning(pop)
#endif
        if (Block != NULL) {
            /* The legacy allocator does not zero; callers rely on zeroed blocks. */
            RtlZeroMemory(Block, Size);
        }
    }

    if (Block != NULL) {
        InterlockedIncrement(&WmpOutstanding);
    }
    return Block;
}

_Use_decl_annotations_
VOID
WmpFree(PVOID Block, ULONG Tag)
{
    InterlockedDecrement(&WmpOutstanding);
    ExFreePoolWithTag(Block, Tag);
}

LONG
WmQueryOutstandingAllocations(VOID)
{
    return WmpLoadLongAcquire(&WmpOutstanding);
}

_Use_decl_annotations_
VOID
WmFreeValue(PVOID Value)
{
    if (Value != NULL) {
        WmpFree(Value, WM_TAG_VALUE);
    }
}
