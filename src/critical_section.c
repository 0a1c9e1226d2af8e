/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Critical sections (a KMUTEX or FAST_MUTEX lock without a value,
 *              on the generic core) and scoped critical / guarded regions.
 * ENVIRONMENT: Kernel mode.
 */
#include "wmp.h"

/* ------------------------------------------------------------------------ */
/* Critical sections                                                        */
/* ------------------------------------------------------------------------ */

static PCWM_LOCK_OPS
WmpSectionOps(_In_ WM_CRITICAL_SECTION_KIND Kind)
{
    switch (Kind) {
    case WmCriticalSectionKMutex:
        return &WmKMutexOps;
    case WmCriticalSectionFastMutex:
        return &WmFastMutexOps;
    default:
        return NULL;
    }
}

_Use_decl_annotations_
NTSTATUS
WmInitializeCriticalSection(PWM_CRITICAL_SECTION Section, WM_CRITICAL_SECTION_KIND Kind)
{
    PCWM_LOCK_OPS Ops = WmpSectionOps(Kind);

    if (Ops == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    /* The core checks storage, alignment and IRQL, and allocates nothing. */
    return WmpLockInitialize(Ops, Section, sizeof(*Section), offsetof(WM_CRITICAL_SECTION, Unused),
                             sizeof(Section->Unused), NULL, NULL);
}

_Use_decl_annotations_
NTSTATUS
WmCreateCriticalSection(WM_CRITICAL_SECTION_KIND Kind, PWM_CRITICAL_SECTION *Section)
{
    PCWM_LOCK_OPS Ops = WmpSectionOps(Kind);
    PWM_LOCK_HEADER Lock;
    NTSTATUS Status;

    if (Section == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    *Section = NULL;
    if (Ops == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpLockCreate(Ops, sizeof(WM_CRITICAL_SECTION), offsetof(WM_CRITICAL_SECTION, Unused),
                           sizeof(((PWM_CRITICAL_SECTION)NULL)->Unused), NULL, NULL, &Lock);
    if (NT_SUCCESS(Status)) {
        *Section = CONTAINING_RECORD(Lock, WM_CRITICAL_SECTION, Lock.Header);
    }
    return Status;
}

_Use_decl_annotations_
NTSTATUS
WmDeleteCriticalSection(PWM_CRITICAL_SECTION Section)
{
    return WmpLockDestroy(Section != NULL ? &Section->Lock.Header : NULL);
}

/* An armed guard carries its section's kind for the inline leave (Tag). */
static NTSTATUS
WmpSectionTagged(_In_opt_ PWM_CRITICAL_SECTION Section, _In_ NTSTATUS Status, _Inout_ PWM_CRITICAL_SECTION_GUARD Guard)
{
    if (Status == STATUS_SUCCESS) {
        Guard->Base.Tag = (UCHAR)(Section->Lock.Header.Ops == &WmFastMutexOps ? WmCriticalSectionFastMutex
                                                                             : WmCriticalSectionKMutex);
    }
    return Status;
}

_Use_decl_annotations_
NTSTATUS
WmEnterCriticalSectionTimeout(PWM_CRITICAL_SECTION Section, LONGLONG Timeout,
                              PWM_CRITICAL_SECTION_GUARD Guard)
{
    LARGE_INTEGER Due;

    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Due.QuadPart = Timeout;
    return WmpSectionTagged(Section, WmpLockAcquire(Section != NULL ? &Section->Lock.Header : NULL, &Due, FALSE,
                                                    &Guard->Base), Guard);
}

_Use_decl_annotations_
NTSTATUS
WmTryEnterCriticalSection(PWM_CRITICAL_SECTION Section, PWM_CRITICAL_SECTION_GUARD Guard)
{
    LARGE_INTEGER Due;

    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Due.QuadPart = 0;
    return WmpSectionTagged(Section, WmpLockAcquire(Section != NULL ? &Section->Lock.Header : NULL, &Due, TRUE,
                                                    &Guard->Base), Guard);
}

_Use_decl_annotations_
NTSTATUS
WmLeaveCriticalSectionSafe(PWM_CRITICAL_SECTION_GUARD Guard)
{
    return WmUnlockSafe(Guard != NULL ? &Guard->Base : NULL);
}

/* ------------------------------------------------------------------------ */
/* Critical and guarded regions                                             */
/* ------------------------------------------------------------------------ */

static NTSTATUS
WmpEnterRegion(_Out_ PWM_REGION_GUARD Guard, _In_ UCHAR Kind)
{
    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Guard->Thread = NULL;
    Guard->Self = NULL;
    Guard->Kind = Kind;
    /* Above APC_LEVEL the kernel routines can hang the system. */
    if (KeGetCurrentIrql() > APC_LEVEL) {
        Guard->Status = STATUS_WM_IRQL_TOO_HIGH;
        return Guard->Status;
    }
    if (Kind == WMP_REGION_GUARDED) {
        KeEnterGuardedRegion();
    } else {
        KeEnterCriticalRegion();
    }
    Guard->Thread = WmpCurrentThread();
    Guard->Self = Guard;
    Guard->Status = STATUS_SUCCESS;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmEnterCriticalRegion(PWM_REGION_GUARD Guard)
{
    return WmpEnterRegion(Guard, WMP_REGION_CRITICAL);
}

_Use_decl_annotations_
NTSTATUS
WmEnterGuardedRegion(PWM_REGION_GUARD Guard)
{
    return WmpEnterRegion(Guard, WMP_REGION_GUARDED);
}

/* Checks shared by both leave forms. */
static NTSTATUS
WmpCheckRegionGuard(_In_opt_ PWM_REGION_GUARD Guard)
{
    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    if (Guard->Thread == NULL) {
        return STATUS_WM_NOT_LOCKED;
    }
    /* The APC-disable counters are per thread: leaving on another thread
     * would unbalance both threads. */
    if (Guard->Thread != WmpCurrentThread() || Guard->Self != Guard) {
        return STATUS_WM_NOT_OWNER;
    }
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmLeaveRegion(PWM_REGION_GUARD Guard)
{
    NTSTATUS Status = WmpCheckRegionGuard(Guard);

    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    if (Guard->Kind == WMP_REGION_GUARDED) {
        KeLeaveGuardedRegion();
    } else {
        KeLeaveCriticalRegion();
    }
    Guard->Thread = NULL;
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmLeaveRegionSafe(PWM_REGION_GUARD Guard)
{
    NTSTATUS Status = WmpCheckRegionGuard(Guard);

    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    return WmLeaveRegion(Guard);
}
