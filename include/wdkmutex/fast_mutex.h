/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     FastMutex: a FAST_MUTEX that owns a value of the caller's type.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics (beyond those in lock.h):
 *  - Lock requires IRQL <= APC_LEVEL and raises to APC_LEVEL; the guard keeps
 *    the previous IRQL and unlock restores it. While held the thread runs at
 *    APC_LEVEL: all APCs are off, and it must not touch paged data that could
 *    fault into an APC-dependent path.
 *  - Unlock must run at APC_LEVEL (WmUnlockSafe returns
 *    STATUS_WM_IRQL_NOT_APC_LEVEL below it, STATUS_WM_IRQL_TOO_HIGH above).
 *  - Not recursive. The kernel deadlocks a thread that re-acquires a fast
 *    mutex it holds; this library records the owner and returns
 *    STATUS_WM_RECURSIVE_ACQUIRE instead. Cost: reading the current thread and
 *    one relaxed compare before the acquire, one store after it, one before
 *    the release.
 *  - Try-lock uses ExTryToAcquireFastMutex, resolved at run time (Wine 8 does
 *    not export it): where the kernel lacks it, try-lock returns
 *    STATUS_NOT_SUPPORTED. FAST_MUTEX has no timed wait, so NameLockTimeout
 *    accepts only a zero timeout (a try that reports STATUS_TIMEOUT) and returns
 *    STATUS_NOT_SUPPORTED for any other; use a KMutex where a bounded wait
 *    matters.
 *  - Storage is nonpaged, as for KMutex.
 *
 * WM_DECLARE_FAST_MUTEX_TYPE(TYPE, Prefix, T) generates the same functions as
 * WM_DECLARE_KMUTEX_TYPE (see kmutex.h).
 */
#ifndef WDKMUTEX_FAST_MUTEX_H
#define WDKMUTEX_FAST_MUTEX_H

#include "lock.h"

typedef struct _WM_FAST_MUTEX {
    WM_LOCK_HEADER Header;
    FAST_MUTEX     Mutex;
} WM_FAST_MUTEX, *PWM_FAST_MUTEX;

extern const WM_LOCK_OPS WmFastMutexOps;

/* The kind's fast path for the typed layer (see lock.h): the blocking
 * acquire and the release, inline. fast_mutex.c's WmFastMutexOps uses the
 * same. */
#define WMP_KIND_TRAITS_WM_FAST_MUTEX 0

WMP_FORCEINLINE NTSTATUS
WmpKindAcquire_WM_FAST_MUTEX(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard)
{
    KIRQL Irql = KeGetCurrentIrql();

    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* Filled before the call (it cannot fail): a guard in memory then keeps
     * nothing across it. Raises to APC_LEVEL; the kernel keeps the old IRQL
     * in the mutex. */
    Guard->OldIrql = Irql;
    ExAcquireFastMutex(&CONTAINING_RECORD(Lock, WM_FAST_MUTEX, Header)->Mutex);
    return STATUS_SUCCESS;
}

WMP_FORCEINLINE VOID
WmpKindRelease_WM_FAST_MUTEX(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    UNREFERENCED_PARAMETER(Guard);
    /* Restores the IRQL saved at acquisition. */
    ExReleaseFastMutex(&CONTAINING_RECORD(Lock, WM_FAST_MUTEX, Header)->Mutex);
}

#define WM_DECLARE_FAST_MUTEX_TYPE(TYPE, Prefix, T) \
    WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, WM_FAST_MUTEX, &WmFastMutexOps)

#endif /* WDKMUTEX_FAST_MUTEX_H */
