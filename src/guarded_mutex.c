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
 * The run-time resolved routines of the native backing (declared in
 * guarded_mutex.h for the inline fast path). Published when the first native
 * lock is initialised, so acquire and release cost one load and an indirect
 * call (no lookup), and stay valid for every native lock even if the lookup
 * cache is reset later (tests do that).
 */
PVOID volatile WmpGuardedMutexAcquireRoutine;
PVOID volatile WmpGuardedMutexReleaseRoutine;
PVOID volatile WmpGuardedMutexTryRoutine;

/* TRUE, with the routines published above, when all three are exported (and
 * resolved: above PASSIVE_LEVEL an unresolved lookup reads as absent). */
static BOOLEAN
WmpResolveGuardedRoutines(VOID)
{
    PVOID Acquire = WmpGetRoutine(WmpRoutineKeAcquireGuardedMutex);
    PVOID Release = WmpGetRoutine(WmpRoutineKeReleaseGuardedMutex);
    PVOID TryToAcquire = WmpGetRoutine(WmpRoutineKeTryToAcquireGuardedMutex);

    if (Acquire == NULL || Release == NULL || TryToAcquire == NULL) {
        return FALSE;
    }
    /* Every initialiser stores the same addresses: the race is benign, the
     * atomic stores keep it defined. */
    WmpStorePointerRelaxed(&WmpGuardedMutexAcquireRoutine, Acquire);
    WmpStorePointerRelaxed(&WmpGuardedMutexReleaseRoutine, Release);
    WmpStorePointerRelaxed(&WmpGuardedMutexTryRoutine, TryToAcquire);
    return TRUE;
}

static VOID
WmpGuardedMutexInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    PWM_GUARDED_MUTEX Mutex = WMP_GUARDED_MUTEX(Lock);

    /* Chosen once: a lock must be acquired and released by the same routines
     * for its whole life, even if a later lookup would answer differently. */
    if (WmpResolveGuardedRoutines()) {
        KeInitializeGuardedMutex(&Mutex->Mutex.Guarded);
        Lock->KindByte = (UCHAR)WmGuardedMutexNative;
    } else {
        ExInitializeFastMutex(&Mutex->Mutex.Fallback);
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
    Guard->AcquireIrql = Irql;
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
};
