/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     GuardedMutex: the KGUARDED_MUTEX operations behind the generic
 *              lock core, and the FAST_MUTEX fallback for kernels that do not
 *              export them (see guarded_mutex.h for why the fallback is sound).
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

#define WMP_GUARDED_MUTEX(Lock) CONTAINING_RECORD((Lock), WM_GUARDED_MUTEX, Header)

/*
 * KeTryToAcquireGuardedMutex, resolved at run time (never imported) and
 * published when the first native lock is initialised, so it stays valid for
 * every native lock even if the lookup cache is reset later (tests do that).
 * Acquire and release live in each lock (guarded_mutex.h).
 */
static PVOID volatile WmpGuardedMutexTryRoutine;

/*
 * The fallback backing's acquire and release, with the kernel routines'
 * signature so a lock calls either through the same pointer. Critical region
 * first: ExAcquireFastMutexUnsafe is documented for a caller inside one; the
 * guarded region is what a guarded mutex holder is promised. Released in
 * reverse order.
 */
static VOID FASTCALL
WmpGuardedMutexFallbackAcquire(_Inout_ PKGUARDED_MUTEX Guarded)
{
    PWM_GUARDED_MUTEX Mutex = CONTAINING_RECORD(Guarded, WM_GUARDED_MUTEX, Mutex.Guarded);

    KeEnterCriticalRegion();
    KeEnterGuardedRegion();
    ExAcquireFastMutexUnsafe(&Mutex->Mutex.Fallback);
}

static VOID FASTCALL
WmpGuardedMutexFallbackRelease(_Inout_ PKGUARDED_MUTEX Guarded)
{
    PWM_GUARDED_MUTEX Mutex = CONTAINING_RECORD(Guarded, WM_GUARDED_MUTEX, Mutex.Guarded);

    ExReleaseFastMutexUnsafe(&Mutex->Mutex.Fallback);
    KeLeaveGuardedRegion();
    KeLeaveCriticalRegion();
}

static VOID
WmpGuardedMutexInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    PWM_GUARDED_MUTEX Mutex = WMP_GUARDED_MUTEX(Lock);
    PVOID Acquire = WmpGetRoutine(WmpRoutineKeAcquireGuardedMutex);
    PVOID Release = WmpGetRoutine(WmpRoutineKeReleaseGuardedMutex);
    PVOID TryToAcquire = WmpGetRoutine(WmpRoutineKeTryToAcquireGuardedMutex);

    /* Chosen once: a lock is acquired and released by the same routines for
     * its whole life, even if a later lookup would answer differently. All
     * three or none (above PASSIVE_LEVEL an unresolved lookup reads as
     * absent). */
    if (Acquire != NULL && Release != NULL && TryToAcquire != NULL) {
        /* Every initialiser stores the same address: the race is benign, the
         * atomic store keeps it defined. */
        WmpStorePointerRelaxed(&WmpGuardedMutexTryRoutine, TryToAcquire);
        KeInitializeGuardedMutex(&Mutex->Mutex.Guarded);
        Mutex->AcquireRoutine = (WMP_KE_GUARDED_MUTEX_ROUTINE *)Acquire;
        Mutex->ReleaseRoutine = (WMP_KE_GUARDED_MUTEX_ROUTINE *)Release;
        Lock->KindByte = (UCHAR)WmGuardedMutexNative;
    } else {
        ExInitializeFastMutex(&Mutex->Mutex.Fallback);
        Mutex->AcquireRoutine = WmpGuardedMutexFallbackAcquire;
        Mutex->ReleaseRoutine = WmpGuardedMutexFallbackRelease;
        Lock->KindByte = (UCHAR)WmGuardedMutexFallback;
    }
}

static NTSTATUS
WmpGuardedMutexAcquire(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout,
                       _In_ BOOLEAN Try, _Inout_ PWM_GUARD Guard)
{
    PWM_GUARDED_MUTEX Mutex = WMP_GUARDED_MUTEX(Lock);
    KIRQL Irql;

    /* Blocking: the typed layer's inline path, one implementation. */
    if (Timeout == NULL) {
        return WmpKindAcquire_WM_GUARDED_MUTEX(Lock, Guard);
    }
    Irql = KeGetCurrentIrql();
    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* KGUARDED_MUTEX has no timed wait: only "do not wait" is offered. The
     * fallback has no try that leaves the IRQL alone (ExTryToAcquireFastMutex
     * raises to APC_LEVEL). */
    if (Timeout->QuadPart != 0 || Lock->KindByte != (UCHAR)WmGuardedMutexNative) {
        return STATUS_NOT_SUPPORTED;
    }
    if (!((WMP_KE_TRY_TO_ACQUIRE_GUARDED_MUTEX *)WmpLoadPointerRelaxed(&WmpGuardedMutexTryRoutine))(
            &Mutex->Mutex.Guarded)) {
        /* The kernel left the guarded region again on failure. */
        return Try ? STATUS_WM_LOCK_BUSY : STATUS_TIMEOUT;
    }
    Guard->OldIrql = Irql;
    return STATUS_SUCCESS;
}

static VOID
WmpGuardedMutexRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    WmpKindRelease_WM_GUARDED_MUTEX(Lock, Guard);
}

static NTSTATUS
WmpGuardedMutexCheckReleaseIrql(_In_ PWM_GUARD Guard)
{
    UNREFERENCED_PARAMETER(Guard);
    /* KeReleaseGuardedMutex and KeLeaveGuardedRegion: IRQL <= APC_LEVEL. */
    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    return STATUS_SUCCESS;
}

const WM_LOCK_OPS WmGuardedMutexOps = {
    "GuardedMutex",
    sizeof(WM_GUARDED_MUTEX),
    FALSE,
    WmpGuardedMutexInitialize,
    WmpGuardedMutexAcquire,
    WmpGuardedMutexRelease,
    WmpGuardedMutexCheckReleaseIrql,
    NULL,
    WMP_OPS_FLAG_SETUP_MAX_APC,
    NULL, /* no shared guards */
};
