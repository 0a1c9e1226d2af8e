/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     GuardedMutex: a KGUARDED_MUTEX that owns a value of the
 *              caller's type, with a documented fallback for kernels that do
 *              not export the guarded-mutex routines.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics (beyond those in lock.h):
 *  - Lock, try-lock and unlock: IRQL <= APC_LEVEL. The IRQL is not changed;
 *    instead the holder runs in a guarded region: every APC, special kernel
 *    APCs included, stays off until unlock (KeAcquireGuardedMutex enters it,
 *    KeReleaseGuardedMutex leaves it).
 *  - Not recursive. The kernel deadlocks a thread that re-acquires a guarded
 *    mutex it holds; the library returns STATUS_WM_RECURSIVE_ACQUIRE.
 *  - Try-lock: KeTryToAcquireGuardedMutex (STATUS_WM_LOCK_BUSY when held).
 *    KGUARDED_MUTEX has no timed wait: PrefixLockTimeout accepts only a zero
 *    timeout (a try that reports STATUS_TIMEOUT) and returns
 *    STATUS_NOT_SUPPORTED for any other.
 *  - Create, Initialize: IRQL <= APC_LEVEL (the guarded-mutex routines are
 *    all <= APC_LEVEL). Destroy, IntoInner, IntoPool: IRQL <= DISPATCH_LEVEL.
 *  - Storage is nonpaged (Create allocates it; Initialize takes nonpaged,
 *    pointer-aligned caller storage).
 *
 * Backing, chosen once per lock when it is created or initialised:
 *  - WmGuardedMutexNative: the kernel exports KeAcquireGuardedMutex,
 *    KeReleaseGuardedMutex and KeTryToAcquireGuardedMutex (every Windows
 *    since Server 2003 SP1). They are looked up at run time, never imported,
 *    so the driver still loads where they are missing.
 *  - WmGuardedMutexFallback: they are missing (Wine 8 exports only
 *    KeInitializeGuardedMutex), or were not resolved yet because the lock was
 *    created above PASSIVE_LEVEL before WmInitializeLibrary ran. The lock is
 *    then a FAST_MUTEX taken as
 *        KeEnterCriticalRegion(); KeEnterGuardedRegion();
 *        ExAcquireFastMutexUnsafe(&Mutex);
 *    and released in reverse order. Why this is a correct guarded mutex:
 *      * the guarded region gives exactly the APC state a guarded mutex
 *        promises (all kernel APCs off, IRQL unchanged);
 *      * ExAcquireFastMutexUnsafe does not touch the IRQL and is documented
 *        for callers "within a critical region that was previously entered by
 *        a call to KeEnterCriticalRegion" — the explicit critical region meets
 *        that precondition to the letter (the guarded region alone would
 *        already keep the holder from being suspended);
 *      * mutual exclusion, non-recursion and same-thread release are the
 *        FAST_MUTEX's, which is how Windows 8 and later implement guarded
 *        mutexes anyway.
 *    It relies on KeEnterCriticalRegion, KeEnterGuardedRegion (and their
 *    Leave routines), ExInitializeFastMutex and ExAcquire/ReleaseFastMutexUnsafe,
 *    all of which Wine 8 implements. The fallback has no try routine that
 *    leaves the IRQL alone: PrefixTryLock and a zero PrefixLockTimeout return
 *    STATUS_NOT_SUPPORTED there.
 *  PrefixQueryBacking(Handle) says which one a lock uses.
 *
 * WM_DECLARE_GUARDED_MUTEX_TYPE(TYPE, Prefix, T) generates the functions of
 * WM_DECLARE_KMUTEX_TYPE (see kmutex.h; IRQL as above), plus
 *   WM_GUARDED_MUTEX_BACKING PrefixQueryBacking(TYPE)   any IRQL
 */
#ifndef WDKMUTEX_GUARDED_MUTEX_H
#define WDKMUTEX_GUARDED_MUTEX_H

#include "lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which kernel object backs a GuardedMutex (WM_LOCK_HEADER.KindByte). */
typedef enum _WM_GUARDED_MUTEX_BACKING {
    WmGuardedMutexNotInitialized = 0, /* NULL or destroyed handle          */
    WmGuardedMutexNative = 1,         /* KGUARDED_MUTEX + Ke...GuardedMutex */
    WmGuardedMutexFallback = 2        /* FAST_MUTEX in a guarded region     */
} WM_GUARDED_MUTEX_BACKING;

typedef VOID (FASTCALL WMP_KE_GUARDED_MUTEX_ROUTINE)(_Inout_ PKGUARDED_MUTEX Mutex);
typedef BOOLEAN (FASTCALL WMP_KE_TRY_TO_ACQUIRE_GUARDED_MUTEX)(_Inout_ PKGUARDED_MUTEX Mutex);

/* Lock object of a GuardedMutex. Both layouts of Mutex are 56 bytes on x64. */
typedef struct _WM_GUARDED_MUTEX {
    WM_LOCK_HEADER Header;
    /* The backing's acquire and release, set once at initialisation: the
     * kernel's KeAcquire/KeReleaseGuardedMutex, or guarded_mutex.c's fallback
     * routines with the same signature over the FAST_MUTEX. The fast path
     * calls them directly, with no test of the backing (16 bytes a lock for
     * 6 instructions a lock and unlock). */
    WMP_KE_GUARDED_MUTEX_ROUTINE *AcquireRoutine;
    WMP_KE_GUARDED_MUTEX_ROUTINE *ReleaseRoutine;
    union {
        KGUARDED_MUTEX Guarded;   /* WmGuardedMutexNative   */
        FAST_MUTEX     Fallback;  /* WmGuardedMutexFallback */
    } Mutex;
} WM_GUARDED_MUTEX, *PWM_GUARDED_MUTEX;

extern const WM_LOCK_OPS WmGuardedMutexOps;

/* The kind's fast path for the typed layer (see lock.h): the blocking
 * acquire and the release, inline, for both backings. guarded_mutex.c's
 * WmGuardedMutexOps uses the same. */
#define WMP_KIND_TRAITS_WM_GUARDED_MUTEX 0

WMP_FORCEINLINE NTSTATUS
WmpKindAcquire_WM_GUARDED_MUTEX(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard)
{
    PWM_GUARDED_MUTEX Mutex = CONTAINING_RECORD(Lock, WM_GUARDED_MUTEX, Header);
    KIRQL Irql = KeGetCurrentIrql();

    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* Enters a guarded region; the IRQL is unchanged. */
    Mutex->AcquireRoutine(&Mutex->Mutex.Guarded);
    Guard->OldIrql = Irql;
    return STATUS_SUCCESS;
}

WMP_FORCEINLINE VOID
WmpKindRelease_WM_GUARDED_MUTEX(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    PWM_GUARDED_MUTEX Mutex = CONTAINING_RECORD(Lock, WM_GUARDED_MUTEX, Header);

    UNREFERENCED_PARAMETER(Guard);
    /* Leaves the guarded region the acquire entered. */
    Mutex->ReleaseRoutine(&Mutex->Mutex.Guarded);
}

/* The backing of a lock header (typed layers use PrefixQueryBacking). Any IRQL. */
WM_INLINE WM_GUARDED_MUTEX_BACKING
WmpGuardedMutexBacking(_In_opt_ PWM_LOCK_HEADER Lock)
{
    if (Lock == NULL || Lock->Ops != &WmGuardedMutexOps) {
        return WmGuardedMutexNotInitialized;
    }
    return (WM_GUARDED_MUTEX_BACKING)Lock->KindByte;
}

#define WM_DECLARE_GUARDED_MUTEX_TYPE(TYPE, Prefix, T)                                \
    WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, WM_GUARDED_MUTEX, &WmGuardedMutexOps);     \
    WM_GENERATED _IRQL_requires_max_(HIGH_LEVEL)                                      \
    WM_GUARDED_MUTEX_BACKING Prefix##QueryBacking(TYPE Mutex)                         \
    {                                                                                 \
        return WmpGuardedMutexBacking(Mutex.Object ? &Mutex.Object->Lock.Header : NULL); \
    }                                                                                 \
    typedef int WmpDeclaredBacking_##TYPE

#ifdef __cplusplus
}
#endif
#endif /* WDKMUTEX_GUARDED_MUTEX_H */
