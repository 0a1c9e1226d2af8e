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
 *    Windows exports alongside; on a kernel that lacks them (the host model)
 *    the try forms return STATUS_NOT_SUPPORTED. ExInitializePushLock is used
 *    when exported, otherwise the lock is set to 0 (its documented initial
 *    state).
 *  - WmRwLockResource: otherwise (Wine 8 exports none of them; its older
 *    Exf...PushLock exports are stubs that abort, and this library never calls
 *    them), or when the lock is created above PASSIVE_LEVEL before
 *    WmInitializeLibrary resolved them. An ERESOURCE: ExAcquireResource
 *    SharedLite / ExclusiveLite (Wait = FALSE for the try forms),
 *    ExReleaseResourceLite, ExDeleteResourceLite at destroy.
 *  PrefixQueryBacking(Handle) says which one a lock uses. Behaviour is the
 *  same on both.
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

/* Threads holding shared guards. Slots are claimed and cleared with
 * interlocked operations; tables are appended, never unlinked, until destroy. */
typedef struct _WM_RW_READER_TABLE {
    struct _WM_RW_READER_TABLE *volatile Next;
    PVOID volatile Slots[WM_RW_LOCK_INLINE_READERS];
} WM_RW_READER_TABLE, *PWM_RW_READER_TABLE;

/* Lock object of an RwLock. */
typedef struct _WM_RW_LOCK {
    WM_LOCK_HEADER     Header;
    WM_RW_READER_TABLE Readers;
    union {
        ERESOURCE Resource;   /* WmRwLockResource */
        ULONG_PTR PushLock;   /* WmRwLockPushLock (EX_PUSH_LOCK) */
    } Object;
} WM_RW_LOCK, *PWM_RW_LOCK;

extern const WM_LOCK_OPS WmRwLockOps;

/* The backing of a lock header (typed layers use PrefixQueryBacking). Any IRQL. */
WM_INLINE WM_RW_LOCK_BACKING
WmpRwLockBacking(_In_opt_ PWM_LOCK_HEADER Lock)
{
    if (Lock == NULL || Lock->Ops != &WmRwLockOps) {
        return WmRwLockNotInitialized;
    }
    return (WM_RW_LOCK_BACKING)Lock->KindByte;
}

#define WM_DECLARE_RW_LOCK_TYPE(TYPE, Prefix, T)                                      \
    WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, WM_RW_LOCK, &WmRwLockOps);                 \
    typedef struct _##TYPE##_SHARED_GUARD {                                           \
        WM_GUARD Base;                                                                \
        const T *Value;                                                               \
    } TYPE##_SHARED_GUARD;                                                            \
    WMP_DECLARE_LOCK_MODE_ACQUIRE(TYPE, TYPE##_SHARED_GUARD, WmpAcquireShared_##TYPE); \
    WM_GENERATED _IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_                 \
    NTSTATUS Prefix##LockShared(TYPE Lock, TYPE##_SHARED_GUARD *Guard)                \
    {                                                                                 \
        return WmpAcquireShared_##TYPE(Lock, WMP_GUARD_SHARED, NULL, FALSE, Guard);   \
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
    WM_GENERATED _IRQL_requires_max_(APC_LEVEL)                                       \
    NTSTATUS WmpUnlock_##TYPE##_SHARED(TYPE##_SHARED_GUARD *Guard)                    \
    {                                                                                 \
        NTSTATUS Status_;                                                             \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                        \
        Status_ = WmUnlock(&Guard->Base);                                             \
        if (Status_ == STATUS_SUCCESS) Guard->Value = NULL;                           \
        return Status_;                                                               \
    }                                                                                 \
    WM_GENERATED _IRQL_requires_max_(APC_LEVEL)                                       \
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
    WM_GENERATED VOID WmpGuardCleanup_##TYPE##_SHARED(TYPE##_SHARED_GUARD *Guard)     \
    {                                                                                 \
        if (Guard->Base.Lock != NULL) (VOID)WmpUnlock_##TYPE##_SHARED(Guard);         \
    }                                                                                 \
    WM_GENERATED _IRQL_requires_max_(HIGH_LEVEL)                                      \
    WM_RW_LOCK_BACKING Prefix##QueryBacking(TYPE Lock)                                \
    {                                                                                 \
        return WmpRwLockBacking(Lock.Object ? &Lock.Object->Lock.Header : NULL);      \
    }                                                                                 \
    typedef int WmpDeclaredRw_##TYPE

#ifdef __cplusplus
}
#endif
#endif /* WDKMUTEX_RW_LOCK_H */
