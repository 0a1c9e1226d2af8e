/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     RwLock: a reader/writer lock that owns a value of the caller's
 *              type. Shared guards read it (const access), an exclusive guard
 *              writes it. Backed by a push lock where the kernel exports the
 *              push-lock routines, otherwise by an ERESOURCE.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics (beyond those in lock.h):
 *  - Lock (exclusive) and LockShared, their try forms, and both unlocks:
 *    IRQL <= APC_LEVEL. The library enters a critical region before the
 *    kernel acquire and leaves it after the kernel release, as both ERESOURCE
 *    and push locks require (normal kernel APCs stay off while a guard is
 *    armed); the caller does nothing for it.
 *  - Any number of threads may hold shared guards at once; an exclusive guard
 *    excludes every other guard. Shared guards give `const T *Value`.
 *  - No upgrade: a thread holding a shared guard that asks for the lock
 *    exclusively gets STATUS_WM_UPGRADE_REFUSED (the kernel would make it
 *    wait for itself forever). Release the shared guard, then lock.
 *  - Not recursive, in either mode: a second shared guard on the same lock by
 *    the same thread, or any guard while it holds the exclusive one, returns
 *    STATUS_WM_RECURSIVE_ACQUIRE (push locks hang on both; a recursive shared
 *    acquire can also deadlock behind a waiting writer). To know its readers
 *    the lock records each shared holder's thread in a small table; the
 *    first WM_RW_LOCK_INLINE_READERS sit in the lock object, more concurrent
 *    readers get further tables from nonpaged pool (tag WM_TAG_RW_READERS),
 *    kept until destroy. LockShared returns STATUS_WM_POOL_ALLOCATION_FAILED
 *    if such a table cannot be allocated (nothing acquired).
 *  - Try forms: STATUS_WM_LOCK_BUSY when the lock cannot be granted at once
 *    (STATUS_NOT_SUPPORTED on a push lock whose kernel lacks the try export).
 *    Neither ERESOURCE nor push locks have a timed wait: the timeout forms
 *    accept only 0 (a try that reports STATUS_TIMEOUT) and return
 *    STATUS_NOT_SUPPORTED for any other value.
 *  - Create, Initialize: IRQL <= DISPATCH_LEVEL. Destroy, IntoInner, IntoPool:
 *    IRQL <= APC_LEVEL (ExDeleteResourceLite), STATUS_WM_IRQL_TOO_HIGH above.
 *    Destroy refuses while any guard, shared or exclusive, is armed.
 *  - Storage: nonpaged (Create allocates it; Initialize takes nonpaged,
 *    pointer-aligned caller storage).
 *
 * Backing, chosen once per lock when it is created or initialised:
 *  - WmRwLockPushLock: the kernel exports ExAcquirePushLockExclusiveEx,
 *    ExAcquirePushLockSharedEx, ExReleasePushLockExclusiveEx and
 *    ExReleasePushLockSharedEx (Windows 10 1809 and later). They are looked
 *    up at run time, never imported. The try forms use
 *    ExTryAcquirePushLockExclusiveEx / ExTryAcquirePushLockSharedEx, which
 *    Windows exports alongside; on a kernel that lacks them the try forms
 *    return STATUS_NOT_SUPPORTED (the host model tests both: it exports
 *    them, and a test hides them). ExInitializePushLock is used
 *    when exported, otherwise the lock is set to 0 (its documented initial
 *    state).
 *  - WmRwLockResource: otherwise (Wine 8 exports none of them; its older
 *    Exf...PushLock exports are stubs that abort, and this library never calls
 *    them), or when the lock is created above PASSIVE_LEVEL before
 *    WmInitializeLibrary resolved them. An ERESOURCE: ExAcquireResource
 *    SharedLite / ExclusiveLite (Wait = FALSE for the try forms),
 *    ExReleaseResourceLite, ExDeleteResourceLite at destroy.
 *  PrefixQueryBacking(Handle) says which one a lock uses. Behaviour is the
 *  same on both. The lock calls the chosen backing's routines through a
 *  table in the lock object; on an ERESOURCE that costs small adapters to
 *  the push-lock routines' signature (about 4 instructions a lock + unlock).
 *
 * WM_DECLARE_RESOURCE_RW_LOCK_TYPE declares the same API (the same lock
 * object, guards and semantics) for a lock that is an ERESOURCE on every
 * kernel, whatever it exports: its lock and unlock call the ERESOURCE
 * routines directly. For drivers that want ERESOURCE's behaviour on every
 * Windows version, or run where push locks are absent anyway (before
 * Windows 10 1809). Its PrefixQueryBacking returns WmRwLockResource.
 *
 * Declare a type once, then use its functions:
 *
 *     WM_DECLARE_RW_LOCK_TYPE(CONFIG_LOCK, ConfigLock, CONFIG);
 *
 *     CONFIG_LOCK_SHARED_GUARD Reader;               // const CONFIG *Value
 *     Status = ConfigLockLockShared(Config, &Reader);
 *     Size = Reader.Value->Size;
 *     Status = ConfigLockUnlockShared(&Reader);
 *
 *     CONFIG_LOCK_GUARD Writer;                      // CONFIG *Value
 *     Status = ConfigLockLock(Config, &Writer);
 *     Writer.Value->Size = NewSize;
 *     Status = ConfigLockUnlock(&Writer);
 *
 *     // Scoped: pass TYPE for exclusive guards, TYPE_SHARED for shared ones.
 *     WM_WITH_LOCK(CONFIG_LOCK_SHARED, Guard, Status, ConfigLockLockShared(Config, &Guard)) {
 *         Use(Guard.Value->Size);
 *     } WM_END_WITH_LOCK(CONFIG_LOCK_SHARED, Guard);
 *
 * Generated: everything WM_DECLARE_KMUTEX_TYPE generates (see kmutex.h; the
 * exclusive side, IRQL as above), plus
 *   TYPE_SHARED_GUARD                       { WM_GUARD Base; const T *Value; }
 *   PrefixLockShared(TYPE, TYPE_SHARED_GUARD *)          waits
 *   PrefixTryLockShared(TYPE, TYPE_SHARED_GUARD *)       STATUS_WM_LOCK_BUSY
 *   PrefixLockSharedTimeout(TYPE, LONGLONG, TYPE_SHARED_GUARD *)
 *   PrefixUnlockShared(TYPE_SHARED_GUARD *)              see WmUnlock
 *   PrefixUnlockSharedSafe(TYPE_SHARED_GUARD *)          see WmUnlockSafe
 *   WM_RW_LOCK_BACKING PrefixQueryBacking(TYPE)          any IRQL
 */
#ifndef WDKMUTEX_RW_LOCK_H
#define WDKMUTEX_RW_LOCK_H

#include "lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Pool tag of the reader tables beyond the first (see above). */
#define WM_TAG_RW_READERS WM_MAKE_TAG('W', 'm', 'R', 'w')

/* Reader threads recorded in the lock object itself. */
#define WM_RW_LOCK_INLINE_READERS 4

/* Which kernel object backs an RwLock (WM_LOCK_HEADER.KindByte). */
typedef enum _WM_RW_LOCK_BACKING {
    WmRwLockNotInitialized = 0, /* NULL or destroyed handle           */
    WmRwLockResource = 1,       /* ERESOURCE                          */
    WmRwLockPushLock = 2        /* EX_PUSH_LOCK (Windows 10 1809+)    */
} WM_RW_LOCK_BACKING;

/* Threads holding shared guards (lock.h's WM_READER_SLOT). Slots are claimed
 * with a compare-and-swap and cleared by their holder; tables are appended,
 * never unlinked, until destroy. */
typedef struct _WM_RW_READER_TABLE {
    struct _WM_RW_READER_TABLE *volatile Next;
    WM_READER_SLOT Slots[WM_RW_LOCK_INLINE_READERS];
} WM_RW_READER_TABLE, *PWM_RW_READER_TABLE;

/* Push-lock routines (EX_PUSH_LOCK is a ULONG_PTR), resolved at run time and
 * published by rw_lock.c when the first push-lock-backed lock is initialised. */
typedef VOID (FASTCALL WMP_EX_PUSH_LOCK_ROUTINE)(_Inout_ PULONG_PTR PushLock, _In_ ULONG Flags);
typedef BOOLEAN (FASTCALL WMP_EX_TRY_PUSH_LOCK_ROUTINE)(_Inout_ PULONG_PTR PushLock, _In_ ULONG Flags);
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
extern PVOID volatile WmpRwPushRoutines[WmpPushRoutineCount];
#define WMP_RW_PUSH(Type, Which) ((Type *)WmpLoadPointerRelaxed(&WmpRwPushRoutines[Which]))
#define WMP_PUSH_LOCK_FLAGS 0 /* EX_DEFAULT_PUSH_LOCK_FLAGS */

/* Lock object of an RwLock. */
typedef struct _WM_RW_LOCK {
    WM_LOCK_HEADER     Header;
    /* The backing's wait-forever acquire and release routines, indexed by
     * WmpPushAcquireExclusive .. WmpPushReleaseShared, chosen once at
     * initialisation: the kernel's push-lock routines, or rw_lock.c's
     * ERESOURCE ones with the same signature. The fast path calls them with
     * no test of the backing and no load of a global. */
    WMP_EX_PUSH_LOCK_ROUTINE *Routines[WmpPushRequiredCount];
    WM_RW_READER_TABLE Readers;
    union {
        ERESOURCE Resource;   /* WmRwLockResource */
        ULONG_PTR PushLock;   /* WmRwLockPushLock (EX_PUSH_LOCK) */
    } Object;
} WM_RW_LOCK, *PWM_RW_LOCK;

extern const WM_LOCK_OPS WmRwLockOps;
/* The same kind, always backed by an ERESOURCE (WM_DECLARE_RESOURCE_RW_LOCK_TYPE). */
extern const WM_LOCK_OPS WmResourceRwLockOps;

/* --- Private: the kind's fast path for the typed layer (see lock.h), inline;
 *     rw_lock.c's WmRwLockOps uses the same code. ------------------------- */

/* rw_lock.c: is Thread a recorded reader; record it (may grow the table:
 * NULL when that allocation fails). */
BOOLEAN WmpRwIsReader(_In_ PWM_RW_LOCK Rw, _In_ PVOID Thread);
PWM_READER_SLOT WmpRwClaimSlot(_Inout_ PWM_RW_LOCK Rw, _In_ PVOID Thread);

/*
 * Acquires shared or exclusive; Wait FALSE = a try (the caller checked that
 * a zero timeout was asked). Guard->Thread is the caller (set by the core).
 * ResourceOnly: a constant, TRUE for a lock that is an ERESOURCE whatever the
 * kernel exports (WM_DECLARE_RESOURCE_RW_LOCK_TYPE), which calls the kernel
 * directly; FALSE calls the routines the lock chose at initialisation.
 */
WMP_FORCEINLINE NTSTATUS
WmpRwAcquire(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard, _In_ BOOLEAN Shared, _In_ BOOLEAN Wait,
             _In_ BOOLEAN Try, _In_ BOOLEAN ResourceOnly)
{
    PWM_RW_LOCK Rw = CONTAINING_RECORD(Lock, WM_RW_LOCK, Header);
    BOOLEAN PushLock = !ResourceOnly && Lock->KindByte == (UCHAR)WmRwLockPushLock;
    WMP_EX_TRY_PUSH_LOCK_ROUTINE *TryToAcquire = NULL;
    PWM_READER_SLOT Slot = NULL;
    KIRQL Irql = KeGetCurrentIrql();
    BOOLEAN Acquired;

    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* The core already refused a thread that holds it exclusively, and a
     * reader asking again (WmRwLockOps.IsReader). */
    /* A push lock tries only where the kernel exports the try routines. */
    if (!Wait && PushLock) {
        TryToAcquire = WMP_RW_PUSH(WMP_EX_TRY_PUSH_LOCK_ROUTINE, Shared ? WmpPushTryShared : WmpPushTryExclusive);
        if (TryToAcquire == NULL) {
            return STATUS_NOT_SUPPORTED;
        }
    }
    /* Record the reader before waiting, so a failure to record it leaves
     * nothing acquired: the first inline slot when free (one reader at a
     * time, the common case: a compare-and-swap with no load first), else
     * rw_lock.c. */
    if (Shared) {
        Slot = &Rw->Readers.Slots[0];
        if (!WmpTryClaimPointer(&Slot->Thread, Guard->Thread, WMP_OWNER_FREE)) {
            Slot = WmpRwClaimSlot(Rw, Guard->Thread);
            if (Slot == NULL) {
                return STATUS_WM_POOL_ALLOCATION_FAILED;
            }
        }
    }
    /* Filled before the kernel calls, so a guard in memory keeps nothing
     * across them; a failure disarms it. */
    Guard->OldIrql = Irql;
    /* Both kernel objects require normal kernel APCs off from acquire to
     * release (a suspended holder would block everyone). */
    KeEnterCriticalRegion();
    if (Wait && ResourceOnly) {
        (VOID)(Shared ? ExAcquireResourceSharedLite(&Rw->Object.Resource, TRUE)
                      : ExAcquireResourceExclusiveLite(&Rw->Object.Resource, TRUE)); /* waits: TRUE */
        Acquired = TRUE;
    } else if (Wait) {
        Rw->Routines[Shared ? WmpPushAcquireShared : WmpPushAcquireExclusive](&Rw->Object.PushLock,
                                                                              WMP_PUSH_LOCK_FLAGS);
        Acquired = TRUE;
    } else if (PushLock) {
        Acquired = TryToAcquire(&Rw->Object.PushLock, WMP_PUSH_LOCK_FLAGS);
    } else {
        Acquired = Shared ? ExAcquireResourceSharedLite(&Rw->Object.Resource, FALSE)
                          : ExAcquireResourceExclusiveLite(&Rw->Object.Resource, FALSE);
    }
    if (!Acquired) {
        KeLeaveCriticalRegion();
        if (Slot != NULL) {
            WmpStorePointerRelease(&Slot->Thread, WMP_OWNER_FREE);
        }
        return Try ? STATUS_WM_LOCK_BUSY : STATUS_TIMEOUT;
    }
    if (Shared) {
        Guard->KindData.Reader = Slot;
    }
    return STATUS_SUCCESS;
}

WMP_FORCEINLINE VOID
WmpRwRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard, _In_ BOOLEAN Shared, _In_ BOOLEAN ResourceOnly)
{
    PWM_RW_LOCK Rw = CONTAINING_RECORD(Lock, WM_RW_LOCK, Header);

    /* Out of the table first: once the kernel lock is released this thread
     * may be asked to look itself up again at any time. Release: the slot's
     * next holder takes its token from the Sequence this holder moved on. */
    if (Shared) {
        WmpStorePointerRelease(&Guard->KindData.Reader->Thread, WMP_OWNER_FREE);
    }
    if (ResourceOnly) {
        ExReleaseResourceLite(&Rw->Object.Resource);
    } else {
        Rw->Routines[Shared ? WmpPushReleaseShared : WmpPushReleaseExclusive](&Rw->Object.PushLock,
                                                                              WMP_PUSH_LOCK_FLAGS);
    }
    KeLeaveCriticalRegion();
}

/* The kind's fast paths for the typed layer (lock.h), for each of the two
 * lock object types: WM_RW_LOCK (the backing chosen at initialisation) and
 * WM_RESOURCE_RW_LOCK (the same object, always an ERESOURCE). */
typedef WM_RW_LOCK WM_RESOURCE_RW_LOCK;

/* One mode's acquire (wait forever) and release, named Acquire and Release. */
#define WMP_DECLARE_RW_KIND_PAIR(Acquire, Release, Shared, ResourceOnly)            \
    WMP_FORCEINLINE NTSTATUS                                                          \
    Acquire(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard)                    \
    {                                                                                 \
        return WmpRwAcquire(Lock, Guard, Shared, TRUE, FALSE, ResourceOnly);          \
    }                                                                                 \
    WMP_FORCEINLINE VOID                                                              \
    Release(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)                       \
    {                                                                                 \
        WmpRwRelease(Lock, Guard, Shared, ResourceOnly);                              \
    }                                                                                 \
    typedef int WmpDeclaredRwPair_##Acquire

#define WMP_DECLARE_RW_KIND_FUNCTIONS(LockObjectType, ResourceOnly)                   \
    WMP_DECLARE_RW_KIND_PAIR(WmpKindAcquire_##LockObjectType, WmpKindRelease_##LockObjectType, \
                             FALSE, ResourceOnly);                                    \
    WMP_DECLARE_RW_KIND_PAIR(WmpKindAcquireShared_##LockObjectType,                   \
                             WmpKindReleaseShared_##LockObjectType, TRUE, ResourceOnly)

#define WMP_KIND_TRAITS_WM_RW_LOCK          WMP_KIND_SHARED
#define WMP_KIND_TRAITS_WM_RESOURCE_RW_LOCK WMP_KIND_SHARED
WMP_DECLARE_RW_KIND_FUNCTIONS(WM_RW_LOCK, FALSE);
WMP_DECLARE_RW_KIND_FUNCTIONS(WM_RESOURCE_RW_LOCK, TRUE);

/* The backing of a lock header (typed layers use PrefixQueryBacking). Any IRQL. */
WM_INLINE WM_RW_LOCK_BACKING
WmpRwLockBacking(_In_opt_ PWM_LOCK_HEADER Lock)
{
    if (Lock == NULL || (Lock->Ops != &WmRwLockOps && Lock->Ops != &WmResourceRwLockOps)) {
        return WmRwLockNotInitialized;
    }
    return (WM_RW_LOCK_BACKING)Lock->KindByte;
}

/* The generator behind both declarations below. */
#define WMP_DECLARE_RW_LOCK_TYPE(TYPE, Prefix, T, LockObjectType, Ops)                \
    WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, LockObjectType, Ops);                      \
    typedef struct _##TYPE##_SHARED_GUARD {                                           \
        WM_GUARD Base;                                                                \
        const T *Value;                                                               \
    } TYPE##_SHARED_GUARD;                                                            \
    WMP_DECLARE_LOCK_MODE_ACQUIRE(TYPE, TYPE##_SHARED_GUARD, WmpAcquireShared_##TYPE); \
    WM_GENERATED_HOT _IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_             \
    NTSTATUS Prefix##LockShared(TYPE Lock, TYPE##_SHARED_GUARD *Guard)                \
    {                                                                                 \
        PWM_LOCK_HEADER Lock_ = Lock.Object ? &Lock.Object->Lock.Header : NULL;       \
        NTSTATUS Status_;                                                             \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                        \
        /* The core's steps around the kind's shared acquire (see lock.h). */         \
        Status_ = WmpLockAcquireBegin(Lock_, WMP_GUARD_SHARED, &Guard->Base,          \
                                      WMP_KIND_TRAITS_##LockObjectType);              \
        if (Status_ == STATUS_SUCCESS) {                                              \
            Status_ = WmpLockAcquireEnd(Lock_, WMP_GUARD_SHARED, &Guard->Base,        \
                                        WmpKindAcquireShared_##LockObjectType(Lock_, &Guard->Base),  \
                                        WMP_KIND_TRAITS_##LockObjectType);            \
        }                                                                             \
        Guard->Value = (Status_ == STATUS_SUCCESS) ? &Lock.Object->Value : NULL;      \
        return Status_;                                                               \
    }                                                                                 \
    WM_GENERATED _IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_                 \
    NTSTATUS Prefix##TryLockShared(TYPE Lock, TYPE##_SHARED_GUARD *Guard)             \
    {                                                                                 \
        LARGE_INTEGER Due_;                                                           \
        Due_.QuadPart = 0;                                                            \
        return WmpAcquireShared_##TYPE(Lock, WMP_GUARD_SHARED, &Due_, TRUE, Guard);   \
    }                                                                                 \
    WM_GENERATED _IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_                 \
    NTSTATUS Prefix##LockSharedTimeout(TYPE Lock, LONGLONG Timeout,                   \
                                       TYPE##_SHARED_GUARD *Guard)                    \
    {                                                                                 \
        LARGE_INTEGER Due_;                                                           \
        Due_.QuadPart = Timeout;                                                      \
        return WmpAcquireShared_##TYPE(Lock, WMP_GUARD_SHARED, &Due_, FALSE, Guard);  \
    }                                                                                 \
    WM_GENERATED_HOT _IRQL_requires_max_(APC_LEVEL)                                   \
    NTSTATUS WmpUnlock_##TYPE##_SHARED(TYPE##_SHARED_GUARD *Guard)                    \
    {                                                                                 \
        NTSTATUS Status_;                                                             \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                        \
        Status_ = WmpLockReleaseCheck(&Guard->Base, WMP_GUARD_SHARED, WMP_KIND_TRAITS_##LockObjectType); \
        if (Status_ != STATUS_SUCCESS) return Status_;                                \
        WmpLockReleaseBookkeeping(&Guard->Base, WMP_GUARD_SHARED, WMP_KIND_TRAITS_##LockObjectType); \
        WmpKindReleaseShared_##LockObjectType(Guard->Base.Lock, &Guard->Base);        \
        Guard->Base.Lock = NULL;                                                      \
        Guard->Value = NULL;                                                          \
        return STATUS_SUCCESS;                                                        \
    }                                                                                 \
    WM_GENERATED_HOT _IRQL_requires_max_(APC_LEVEL)                                   \
    NTSTATUS Prefix##UnlockShared(TYPE##_SHARED_GUARD *Guard)                         \
    {                                                                                 \
        return WmpUnlock_##TYPE##_SHARED(Guard);                                      \
    }                                                                                 \
    WM_GENERATED _IRQL_requires_max_(HIGH_LEVEL)                                      \
    NTSTATUS Prefix##UnlockSharedSafe(TYPE##_SHARED_GUARD *Guard)                     \
    {                                                                                 \
        NTSTATUS Status_;                                                             \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                        \
        Status_ = WmUnlockSafe(&Guard->Base);                                         \
        if (Status_ == STATUS_SUCCESS) Guard->Value = NULL;                           \
        return Status_;                                                               \
    }                                                                                 \
    WM_GENERATED_HOT VOID WmpGuardCleanup_##TYPE##_SHARED(TYPE##_SHARED_GUARD *Guard) \
    {                                                                                 \
        if (Guard->Base.Lock != NULL) (VOID)WmpUnlock_##TYPE##_SHARED(Guard);         \
    }                                                                                 \
    WM_GENERATED _IRQL_requires_max_(HIGH_LEVEL)                                      \
    WM_RW_LOCK_BACKING Prefix##QueryBacking(TYPE Lock)                                \
    {                                                                                 \
        return WmpRwLockBacking(Lock.Object ? &Lock.Object->Lock.Header : NULL);      \
    }                                                                                 \
    typedef int WmpDeclaredRw_##TYPE

/* The backing the kernel offers (see above). */
#define WM_DECLARE_RW_LOCK_TYPE(TYPE, Prefix, T) \
    WMP_DECLARE_RW_LOCK_TYPE(TYPE, Prefix, T, WM_RW_LOCK, &WmRwLockOps)
/* Always an ERESOURCE (see above). */
#define WM_DECLARE_RESOURCE_RW_LOCK_TYPE(TYPE, Prefix, T) \
    WMP_DECLARE_RW_LOCK_TYPE(TYPE, Prefix, T, WM_RESOURCE_RW_LOCK, &WmResourceRwLockOps)

#ifdef __cplusplus
}
#endif
#endif /* WDKMUTEX_RW_LOCK_H */
