/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     FastMutex: the FAST_MUTEX operations behind the generic lock core.
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

#define WMP_FAST_MUTEX(Lock) CONTAINING_RECORD((Lock), WM_FAST_MUTEX, Header)

static VOID
WmpFastMutexInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    ExInitializeFastMutex(&WMP_FAST_MUTEX(Lock)->Mutex);
}

static NTSTATUS
WmpFastMutexAcquire(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout, _In_ BOOLEAN Try,
                    _Inout_ PWM_GUARD Guard)
{
    KIRQL Irql;
    WMP_EX_TRY_TO_ACQUIRE_FAST_MUTEX *TryToAcquire;

    /* Blocking: the typed layer's inline path, one implementation. */
    if (Timeout == NULL) {
        return WmpKindAcquire_WM_FAST_MUTEX(Lock, Guard);
    }
    Irql = KeGetCurrentIrql();
    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* FAST_MUTEX has no timed wait: only "do not wait" is offered, and only
     * where the kernel exports the try routine (Wine 8 does not). */
    if (Timeout->QuadPart != 0) {
        return STATUS_NOT_SUPPORTED;
    }
    TryToAcquire = (WMP_EX_TRY_TO_ACQUIRE_FAST_MUTEX *)WmpGetRoutine(WmpRoutineExTryToAcquireFastMutex);
    if (TryToAcquire == NULL) {
        return STATUS_NOT_SUPPORTED;
    }
    if (!TryToAcquire(&WMP_FAST_MUTEX(Lock)->Mutex)) {
        return Try ? STATUS_WM_LOCK_BUSY : STATUS_TIMEOUT;
    }
    Guard->OldIrql = Irql;
    return STATUS_SUCCESS;
}

static VOID
WmpFastMutexRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    WmpKindRelease_WM_FAST_MUTEX(Lock, Guard);
}

static NTSTATUS
WmpFastMutexCheckReleaseIrql(_In_ PWM_GUARD Guard)
{
    KIRQL Irql = KeGetCurrentIrql();

    UNREFERENCED_PARAMETER(Guard);
    /* ExReleaseFastMutex must run at exactly APC_LEVEL. */
    if (Irql > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    if (Irql < APC_LEVEL) {
        return STATUS_WM_IRQL_NOT_APC_LEVEL;
    }
    return STATUS_SUCCESS;
}

const WM_LOCK_OPS WmFastMutexOps = {
    "FastMutex",
    sizeof(WM_FAST_MUTEX),
    FALSE,
    WmpFastMutexInitialize,
    WmpFastMutexAcquire,
    WmpFastMutexRelease,
    WmpFastMutexCheckReleaseIrql,
    NULL,
    0,
    NULL, /* no shared guards */
};
