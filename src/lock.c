/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The generic core of every data-owning lock: creation in pool or
 *              caller storage, acquisition with owner bookkeeping, guarded
 *              release, destroy, into-inner and into-pool. Kind-specific work
 *              goes through the kind's WM_LOCK_OPS.
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

#if (defined(_M_AMD64) || defined(__x86_64__)) && WM_THREAD_IDENTITY_FALLBACK
/* The identity where gs:[188h] is not mapped (see compiler.h). */
PVOID
WmpCurrentThreadIdSlow(VOID)
{
    return (PVOID)PsGetCurrentThreadId();
}
#endif

/* ------------------------------------------------------------------------ */
/* Creation                                                                 */
/* ------------------------------------------------------------------------ */

/* The highest IRQL at which the kind's Initialize / Delete may run. */
static KIRQL
WmpSetupMaxIrql(_In_ PCWM_LOCK_OPS Ops)
{
    return (Ops->Flags & WMP_OPS_FLAG_SETUP_MAX_APC) != 0 ? APC_LEVEL : DISPATCH_LEVEL;
}

static KIRQL
WmpTeardownMaxIrql(_In_ PCWM_LOCK_OPS Ops)
{
    return (Ops->Flags & WMP_OPS_FLAG_TEARDOWN_MAX_APC) != 0 ? APC_LEVEL : DISPATCH_LEVEL;
}

static NTSTATUS
WmpCheckLayout(_In_ PCWM_LOCK_OPS Ops, _In_ SIZE_T ObjectSize, _In_ SIZE_T ValueOffset,
               _In_ SIZE_T ValueSize)
{
    /* The typed layer computes these with sizeof/offsetof; the checks guard
     * direct callers of the core against zero sizes and overflow. */
    if (ValueSize == 0 || ValueSize > 0xFFFFFFFFUL || ValueOffset < Ops->ObjectSize ||
        ValueOffset > 0xFFFF) {
        return STATUS_WM_INVALID_SIZE;
    }
    if (ValueSize > ((SIZE_T)-1) - ValueOffset || ValueOffset + ValueSize > ObjectSize) {
        return STATUS_WM_INVALID_SIZE;
    }
    return STATUS_SUCCESS;
}

/* The checks Create and Initialize share, in this order: the thread identity
 * first (compiler.h: nothing else may touch per-thread state before it),
 * then IRQL, then the layout. */
static NTSTATUS
WmpCheckSetUp(_In_ PCWM_LOCK_OPS Ops, _In_ SIZE_T ObjectSize, _In_ SIZE_T ValueOffset,
              _In_ SIZE_T ValueSize)
{
    if (!WmpThreadIdentityMapped()) {
        return STATUS_NOT_SUPPORTED;
    }
    if (KeGetCurrentIrql() > WmpSetupMaxIrql(Ops)) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    return WmpCheckLayout(Ops, ObjectSize, ValueOffset, ValueSize);
}

/* Where each lock's acquisition count starts: every initialisation takes
 * the next 2^16, with its kind's parity (lock.h, WMP_GENERATION_PARITY).
 * Caller storage initialised again after a teardown would otherwise count
 * from the same value, and a guard copied in its previous life could match
 * a new acquisition's token. */
static LONG volatile WmpGenerationSeed;

static VOID
WmpSetUp(_In_ PCWM_LOCK_OPS Ops, _Inout_ PWM_LOCK_HEADER Lock, _In_ SIZE_T ValueOffset,
         _In_ SIZE_T ValueSize, _In_opt_ const VOID *Initial,
         _In_opt_ PWM_VALUE_DESTRUCTOR Destructor, _In_ UCHAR Flags)
{
    Lock->Owner = WMP_OWNER_FREE;
    Lock->Ops = Ops;
    Lock->Generation = (ULONG)InterlockedExchangeAdd(&WmpGenerationSeed, 0x10000) |
                       WMP_GENERATION_PARITY(Ops->Recursive);
    Lock->Newest = 0;
    Lock->ValueOffset = (USHORT)ValueOffset;
    Lock->Flags = Flags;
    Lock->ValueSize = (ULONG)ValueSize;
    Lock->Destructor = Destructor;
    Ops->Initialize(Lock);

    /* Copy the caller's value in: the caller's copy may be on its stack. */
    if (Initial != NULL) {
        RtlCopyMemory(WmpLockValue(Lock), Initial, ValueSize);
    }
}

_Use_decl_annotations_
NTSTATUS
WmpLockCreate(PCWM_LOCK_OPS Ops, SIZE_T ObjectSize, SIZE_T ValueOffset, SIZE_T ValueSize,
              const VOID *Initial, PWM_VALUE_DESTRUCTOR Destructor, PWM_LOCK_HEADER *Lock)
{
    PWM_LOCK_HEADER Object;
    NTSTATUS Status;

    if (Lock == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    *Lock = NULL;
    if (Ops == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpCheckSetUp(Ops, ObjectSize, ValueOffset, ValueSize);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    /* One nonpaged block holds the kernel object and the value (zeroed). */
    Object = (PWM_LOCK_HEADER)WmpAllocate(ObjectSize, WM_TAG_LOCK);
    if (Object == NULL) {
        return STATUS_WM_POOL_ALLOCATION_FAILED;
    }
    WmpSetUp(Ops, Object, ValueOffset, ValueSize, Initial, Destructor, WMP_LOCK_FLAG_POOL);
    *Lock = Object;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmpLockInitialize(PCWM_LOCK_OPS Ops, PVOID Storage, SIZE_T ObjectSize, SIZE_T ValueOffset,
                  SIZE_T ValueSize, const VOID *Initial, PWM_VALUE_DESTRUCTOR Destructor)
{
    NTSTATUS Status;

    if (Ops == NULL || Storage == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    /* Kernel dispatcher objects must be 8-byte aligned on 64-bit (§2). */
    if (((ULONG_PTR)Storage & (sizeof(PVOID) - 1)) != 0) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpCheckSetUp(Ops, ObjectSize, ValueOffset, ValueSize);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    RtlZeroMemory(Storage, ObjectSize);
    WmpSetUp(Ops, (PWM_LOCK_HEADER)Storage, ValueOffset, ValueSize, Initial, Destructor, 0);
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* Acquire and release                                                      */
/* ------------------------------------------------------------------------ */

/* The core's steps are inline in lock.h (WmpLockAcquireBegin/End,
 * WmpLockReleaseCheck/Bookkeeping) so the typed layers pay no call for them;
 * these compose the same steps with the kind's WM_LOCK_OPS, for everyone else. */

_Use_decl_annotations_
NTSTATUS
WmpLockAcquire(PWM_LOCK_HEADER Lock, PLARGE_INTEGER Timeout, BOOLEAN Try, PWM_GUARD Guard)
{
    return WmpLockAcquireMode(Lock, WMP_GUARD_EXCLUSIVE, Timeout, Try, Guard);
}

_Use_decl_annotations_
NTSTATUS
WmpLockAcquireMode(PWM_LOCK_HEADER Lock, UCHAR Mode, PLARGE_INTEGER Timeout, BOOLEAN Try,
                   PWM_GUARD Guard)
{
    NTSTATUS Status;

    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpLockAcquireBegin(Lock, Mode, Guard, WMP_KIND_TRAITS_FROM_OPS);
    if (Status != STATUS_SUCCESS) {
        return Status;
    }
    return WmpLockAcquireEnd(Lock, Mode, Guard, Lock->Ops->Acquire(Lock, Timeout, Try, Guard),
                             WMP_KIND_TRAITS_FROM_OPS);
}

_Use_decl_annotations_
NTSTATUS
WmUnlock(PWM_GUARD Guard)
{
    NTSTATUS Status;

    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpLockReleaseCheck(Guard, WMP_GUARD_MODE_FROM_GUARD, WMP_KIND_TRAITS_FROM_OPS);
    if (Status != STATUS_SUCCESS) {
        return Status;
    }
    WmpLockReleaseBookkeeping(Guard, WMP_GUARD_MODE_FROM_GUARD, WMP_KIND_TRAITS_FROM_OPS);
    Guard->Lock->Ops->Release(Guard->Lock, Guard);
    Guard->Lock = NULL;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmUnlockSafe(PWM_GUARD Guard)
{
    NTSTATUS Status;

    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpLockReleaseCheck(Guard, WMP_GUARD_MODE_FROM_GUARD, WMP_KIND_TRAITS_FROM_OPS);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    /* A wrong IRQL leaves the lock held so the caller can fix it and retry. */
    Status = Guard->Lock->Ops->CheckReleaseIrql(Guard);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    return WmUnlock(Guard);
}

BOOLEAN
WmIsLockOwnedByCurrentThread(PWM_LOCK_HEADER Lock)
{
    return Lock != NULL && WmpIsOwner(Lock, WmpCurrentThread());
}

/* ------------------------------------------------------------------------ */
/* Teardown                                                                 */
/* ------------------------------------------------------------------------ */

/* Common preconditions of destroy, into-inner and into-pool. */
static NTSTATUS
WmpCheckTeardown(_In_opt_ PWM_LOCK_HEADER Lock, _In_ BOOLEAN ForRegistry)
{
    if (Lock == NULL || Lock->Ops == NULL) {
        return STATUS_WM_NOT_INITIALIZED;
    }
    /* The registry frees its locks itself, once no thread can reach them. */
    if ((Lock->Flags & WMP_LOCK_FLAG_REGISTRY) != 0 && !ForRegistry) {
        return STATUS_WM_OWNED_BY_REGISTRY;
    }
    if (KeGetCurrentIrql() > WmpTeardownMaxIrql(Lock->Ops)) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* Freeing a held lock would leave its holder with a dangling guard. */
    if (WmpLockIsHeld(Lock)) {
        return STATUS_WM_MUTEX_HELD;
    }
    return STATUS_SUCCESS;
}

static VOID
WmpRelease(_Inout_ PWM_LOCK_HEADER Lock)
{
    if (Lock->Ops->Delete != NULL) {
        Lock->Ops->Delete(Lock);
    }
    if ((Lock->Flags & WMP_LOCK_FLAG_POOL) != 0) {
        WmpFree(Lock, WM_TAG_LOCK);
    } else {
        /* Caller storage stays; as never-initialised storage it has no
         * Owner, so a stale handle is refused (the acquisition fast path
         * looks only at Owner). Under Wine the owner check reads a NULL
         * Owner as the caller (compiler.h), so the count moves on too: a
         * stale guard of the last acquisition then fails the token check. */
        Lock->Ops = NULL;
        Lock->Generation += 2;
        WmpStorePointerRelaxed(&Lock->Owner, NULL);
    }
}

static NTSTATUS
WmpDestroy(_In_opt_ PWM_LOCK_HEADER Lock, _In_ BOOLEAN ForRegistry)
{
    NTSTATUS Status;

    Status = WmpCheckTeardown(Lock, ForRegistry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    if (Lock->Destructor != NULL) {
        Lock->Destructor(WmpLockValue(Lock));
    }
    WmpRelease(Lock);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmpLockDestroy(PWM_LOCK_HEADER Lock)
{
    return WmpDestroy(Lock, FALSE);
}

NTSTATUS
WmpRegistryLockDestroy(_In_ PWM_LOCK_HEADER Lock)
{
    return WmpDestroy(Lock, TRUE);
}

/* Preconditions of handing the value out (into-inner, into-pool). */
static NTSTATUS
WmpCheckMoveOut(_In_opt_ PWM_LOCK_HEADER Lock, _In_ SIZE_T ValueSize)
{
    NTSTATUS Status = WmpCheckTeardown(Lock, FALSE);

    if (NT_SUCCESS(Status) && ValueSize != Lock->ValueSize) {
        Status = STATUS_WM_INVALID_SIZE;
    }
    return Status;
}

_Use_decl_annotations_
NTSTATUS
WmpLockIntoInner(PWM_LOCK_HEADER Lock, PVOID Value, SIZE_T ValueSize)
{
    NTSTATUS Status;

    if (Value == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpCheckMoveOut(Lock, ValueSize);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    /* The value moves to the caller, so its destructor is not run. */
    RtlCopyMemory(Value, WmpLockValue(Lock), ValueSize);
    WmpRelease(Lock);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmpLockIntoPool(PWM_LOCK_HEADER Lock, SIZE_T ValueSize, PVOID *Value)
{
    NTSTATUS Status;
    PVOID Block;

    if (Value == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    *Value = NULL;
    Status = WmpCheckMoveOut(Lock, ValueSize);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    /* Allocate before touching the lock, so a failure loses nothing. */
    Block = WmpAllocate(ValueSize, WM_TAG_VALUE);
    if (Block == NULL) {
        return STATUS_WM_POOL_ALLOCATION_FAILED;
    }
    RtlCopyMemory(Block, WmpLockValue(Lock), ValueSize);
    WmpRelease(Lock);
    *Value = Block;
    return STATUS_SUCCESS;
}
