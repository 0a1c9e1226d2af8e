/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     KMutex: a KMUTEX that owns a value of the caller's type.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics (beyond those in lock.h):
 *  - Recursive: the owning thread may lock again; every lock needs its own
 *    unlock (the kernel counts them). Each recursive lock gets its own guard,
 *    and nested guards are unlocked newest first: an older one is refused
 *    (STATUS_WM_NOT_OWNER, nothing released, still armed) while a newer one
 *    is live. The kernel would take any order; the library's rule is what
 *    lets it tell a live guard from a released one's copy by a count, not by
 *    the guard's address, so a guard may move and live in registers. Scoped
 *    release (WM_WITH_LOCK, WM_AUTO_UNLOCK) unlocks newest first by itself.
 *  - While held, normal kernel APCs and user APCs are disabled for the holder
 *    (a critical region); special kernel APCs still run.
 *  - Lock and timed lock: IRQL <= APC_LEVEL. Try-lock and a zero timeout:
 *    IRQL <= DISPATCH_LEVEL (the kernel allows a zero-timeout wait there).
 *  - A mutex taken at DISPATCH_LEVEL must be released at DISPATCH_LEVEL and one
 *    taken below it below it (the kernel raises STATUS_MUTANT_NOT_OWNED
 *    otherwise); WmUnlockSafe checks this and returns STATUS_WM_IRQL_MISMATCH.
 *  - A thread must not exit holding one (the kernel bug-checks 0x4000008A).
 *  - Storage is nonpaged: Create allocates it (tag WM_TAG_LOCK); Initialize
 *    takes caller storage that must be resident (nonpaged pool, a device
 *    extension, a driver global) and 8-byte aligned.
 *
 * Declare a type once (type names UPPER_CASE, function prefix PascalCase, as
 * in the WDK), then use its functions:
 *
 *     WM_DECLARE_KMUTEX_TYPE(COUNTER_MUTEX, CounterMutex, ULONG);
 *
 *     COUNTER_MUTEX Counter;
 *     COUNTER_MUTEX_GUARD Guard;
 *     ULONG Initial = 0;
 *     Status = CounterMutexCreate(&Counter, &Initial, NULL);  // IRQL <= DISPATCH
 *     Status = CounterMutexLock(Counter, &Guard);             // IRQL <= APC
 *     *Guard.Value += 1;                                      // typed, no cast
 *     Status = CounterMutexUnlock(&Guard);
 *     Status = CounterMutexDestroy(&Counter);
 *
 * Generated functions (all return NTSTATUS):
 *   PrefixCreate(TYPE *, const T *Initial, PWM_VALUE_DESTRUCTOR)  IRQL <= DISPATCH_LEVEL;
 *                                          Initial NULL = zeroed value
 *   PrefixInitialize(TYPE_STORAGE *, const T *, PWM_VALUE_DESTRUCTOR, TYPE *)
 *                                          caller storage, no allocation
 *   PrefixFromStorage(TYPE_STORAGE *)      the handle of caller storage, computed,
 *                                          not stored: a lock through it costs no
 *                                          handle load or NULL test; storage never
 *                                          initialised (zeroed) or torn down gives
 *                                          STATUS_WM_NOT_INITIALIZED
 *   PrefixLock(TYPE, TYPE_GUARD *)         IRQL <= APC_LEVEL, waits forever
 *   PrefixLockTimeout(TYPE, LONGLONG, TYPE_GUARD *)
 *                                          100 ns units (WM_TIMEOUT_MS); STATUS_TIMEOUT;
 *                                          a zero timeout is allowed up to DISPATCH_LEVEL
 *   PrefixTryLock(TYPE, TYPE_GUARD *)      IRQL <= DISPATCH_LEVEL; STATUS_WM_LOCK_BUSY
 *   PrefixUnlock(TYPE_GUARD *)             see WmUnlock
 *   PrefixUnlockSafe(TYPE_GUARD *)         see WmUnlockSafe
 *   PrefixDestroy(TYPE *)                  runs the destructor, frees, NULLs the handle
 *   PrefixIntoInner(TYPE *, T *Out)        copies out, frees, no destructor
 *   PrefixIntoPool(TYPE *, T **Out)        moves to pool; free with WmFreeValue(*Out)
 */
#ifndef WDKMUTEX_KMUTEX_H
#define WDKMUTEX_KMUTEX_H

#include "lock.h"

typedef struct _WM_KMUTEX {
    WM_LOCK_HEADER Header;
    KMUTEX         Mutex;
} WM_KMUTEX, *PWM_KMUTEX;

extern const WM_LOCK_OPS WmKMutexOps;

/* The kind's fast path for the typed layer (see lock.h): the wait-forever
 * acquire and the release, inline. kmutex.c's WmKMutexOps uses the same. */
#define WMP_KIND_TRAITS_WM_KMUTEX WMP_KIND_RECURSIVE

/* The wait of every KMutex acquire, at Irql (already checked), and the guard
 * it arms. Mutex waits must be KernelMode; non-alertable, so only
 * STATUS_SUCCESS or, with a Timeout, STATUS_TIMEOUT come back (a KMUTEX
 * cannot be abandoned: the kernel bug-checks a thread that exits holding
 * one). */
WMP_FORCEINLINE NTSTATUS
WmpKMutexWait(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard, _In_ KIRQL Irql,
              _In_opt_ PLARGE_INTEGER Timeout)
{
    /* Filled before the wait: a guard kept in memory then keeps nothing
     * across the call; a failed wait disarms the guard anyway. */
    Guard->OldIrql = Irql;
    return KeWaitForSingleObject(&CONTAINING_RECORD(Lock, WM_KMUTEX, Header)->Mutex, Executive, KernelMode,
                                 FALSE, Timeout);
}

WMP_FORCEINLINE NTSTATUS
WmpKindAcquire_WM_KMUTEX(_Inout_ PWM_LOCK_HEADER Lock, _Inout_ PWM_GUARD Guard)
{
    KIRQL Irql = KeGetCurrentIrql();

    /* A wait without a zero timeout: <= APC_LEVEL (the kernel bug-checks
     * above; the library reports). */
    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* Without a timeout the wait returns only STATUS_SUCCESS (above), so the
     * result needs no test. */
    (VOID)WmpKMutexWait(Lock, Guard, Irql, NULL);
    return STATUS_SUCCESS;
}

WMP_FORCEINLINE VOID
WmpKindRelease_WM_KMUTEX(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    UNREFERENCED_PARAMETER(Guard);
    (VOID)KeReleaseMutex(&CONTAINING_RECORD(Lock, WM_KMUTEX, Header)->Mutex, FALSE);
}

#define WM_DECLARE_KMUTEX_TYPE(TYPE, Prefix, T) \
    WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, WM_KMUTEX, &WmKMutexOps)

#endif /* WDKMUTEX_KMUTEX_H */
