/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     KMutex: the KMUTEX operations behind the generic lock core.
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

#define WMP_KMUTEX(Lock) CONTAINING_RECORD((Lock), WM_KMUTEX, Header)

static VOID
WmpKMutexInitialize(_Inout_ PWM_LOCK_HEADER Lock)
{
    /* Level is reserved and must be zero. */
    KeInitializeMutex(&WMP_KMUTEX(Lock)->Mutex, 0);
}

static NTSTATUS
WmpKMutexAcquire(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout, _In_ BOOLEAN Try,
                 _Inout_ PWM_GUARD Guard)
{
    KIRQL Irql;
    BOOLEAN ZeroWait = (Timeout != NULL && Timeout->QuadPart == 0);
    NTSTATUS Status;

    /* Waiting forever: the typed layer's inline path, one implementation. */
    if (Timeout == NULL) {
        return WmpKindAcquire_WM_KMUTEX(Lock, Guard);
    }
    Irql = KeGetCurrentIrql();
    /* KeWaitForSingleObject: <= DISPATCH_LEVEL for a zero timeout, otherwise
     * <= APC_LEVEL; above that the kernel bug-checks, we report instead. */
    if (Irql > (ZeroWait ? DISPATCH_LEVEL : APC_LEVEL)) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }

    Status = WmpKMutexWait(Lock, Guard, Irql, Timeout);
    if (Status == STATUS_TIMEOUT) {
        return Try ? STATUS_WM_LOCK_BUSY : STATUS_TIMEOUT;
    }
    return Status;
}

static VOID
WmpKMutexRelease(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard)
{
    WmpKindRelease_WM_KMUTEX(Lock, Guard);
}

static NTSTATUS
WmpKMutexCheckReleaseIrql(_In_ PWM_GUARD Guard)
{
    KIRQL Irql = KeGetCurrentIrql();

    if (Irql > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* KeReleaseMutex raises STATUS_MUTANT_NOT_OWNED when a mutex acquired at
     * DISPATCH_LEVEL is released below it, or the reverse. */
    if ((Irql == DISPATCH_LEVEL) != (Guard->OldIrql == DISPATCH_LEVEL)) {
        return STATUS_WM_IRQL_MISMATCH;
    }
    return STATUS_SUCCESS;
}

const WM_LOCK_OPS WmKMutexOps = {
    "KMutex",
    sizeof(WM_KMUTEX),
    TRUE,
    WmpKMutexInitialize,
    WmpKMutexAcquire,
    WmpKMutexRelease,
    WmpKMutexCheckReleaseIrql,
    NULL,
    0,
    NULL, /* no shared guards */
};
