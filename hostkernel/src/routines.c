/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     MmGetSystemRoutineAddress (§14): the model's export table, and
 *              hiding routines so tests can play an older or smaller kernel.
 * ENVIRONMENT: Host (Linux user mode).
 */
#include "hkp.h"

typedef struct _HK_ROUTINE_ENTRY {
    PCSTR Name;
    PVOID Address;
} HK_ROUTINE_ENTRY;

/* Every exported routine the model implements. Names the WDK makes macros or
 * inlines (KeAcquireSpinLock, KeRaiseIrql, KeWaitForMutexObject,
 * ObDereferenceObject, ExAcquirePushLockExclusive ...) are not exports (§14). */
#define HK_ROUTINE(Name) { #Name, (PVOID)(ULONG_PTR)&Name }
static const HK_ROUTINE_ENTRY HkpRoutines[] = {
    HK_ROUTINE(KeBugCheckEx),
    HK_ROUTINE(KeBugCheck),
    HK_ROUTINE(ExRaiseStatus),
    HK_ROUTINE(DbgBreakPoint),
    HK_ROUTINE(RtlCompareMemory),
    HK_ROUTINE(RtlInitUnicodeString),
    HK_ROUTINE(RtlInitString),
    HK_ROUTINE(RtlInitAnsiString),
    HK_ROUTINE(RtlCompareUnicodeString),
    HK_ROUTINE(RtlEqualUnicodeString),
    HK_ROUTINE(KeGetCurrentIrql),
    HK_ROUTINE(KfRaiseIrql),
    HK_ROUTINE(KeLowerIrql),
    HK_ROUTINE(KeRaiseIrqlToDpcLevel),
    HK_ROUTINE(KeRaiseIrqlToSynchLevel),
    HK_ROUTINE(KeGetCurrentThread),
    HK_ROUTINE(PsGetCurrentThread),
    HK_ROUTINE(PsGetCurrentThreadId),
    HK_ROUTINE(PsGetCurrentProcessId),
    HK_ROUTINE(PsGetCurrentProcess),
    HK_ROUTINE(PsIsSystemThread),
    HK_ROUTINE(PsGetThreadId),
    HK_ROUTINE(PsCreateSystemThread),
    HK_ROUTINE(PsTerminateSystemThread),
    HK_ROUTINE(ObReferenceObjectByHandle),
    HK_ROUTINE(ObfReferenceObject),
    HK_ROUTINE(ObfDereferenceObject),
    HK_ROUTINE(ObReferenceObjectByPointer),
    HK_ROUTINE(ZwClose),
    HK_ROUTINE(KeDelayExecutionThread),
    HK_ROUTINE(KeEnterCriticalRegion),
    HK_ROUTINE(KeLeaveCriticalRegion),
    HK_ROUTINE(KeEnterGuardedRegion),
    HK_ROUTINE(KeLeaveGuardedRegion),
    HK_ROUTINE(KeAreApcsDisabled),
    HK_ROUTINE(KeAreAllApcsDisabled),
    HK_ROUTINE(KeWaitForSingleObject),
    HK_ROUTINE(KeInitializeEvent),
    HK_ROUTINE(KeSetEvent),
    HK_ROUTINE(KeResetEvent),
    HK_ROUTINE(KeClearEvent),
    HK_ROUTINE(KeReadStateEvent),
    HK_ROUTINE(KeInitializeMutex),
    HK_ROUTINE(KeReleaseMutex),
    HK_ROUTINE(KeReadStateMutex),
    HK_ROUTINE(ExInitializeFastMutex),
    HK_ROUTINE(ExAcquireFastMutex),
    HK_ROUTINE(ExReleaseFastMutex),
    HK_ROUTINE(ExTryToAcquireFastMutex),
    HK_ROUTINE(ExAcquireFastMutexUnsafe),
    HK_ROUTINE(ExReleaseFastMutexUnsafe),
    HK_ROUTINE(KeInitializeGuardedMutex),
    HK_ROUTINE(KeAcquireGuardedMutex),
    HK_ROUTINE(KeReleaseGuardedMutex),
    HK_ROUTINE(KeTryToAcquireGuardedMutex),
    HK_ROUTINE(KeAcquireGuardedMutexUnsafe),
    HK_ROUTINE(KeReleaseGuardedMutexUnsafe),
    HK_ROUTINE(KeInitializeSpinLock),
    HK_ROUTINE(KeAcquireSpinLockRaiseToDpc),
    HK_ROUTINE(KeReleaseSpinLock),
    HK_ROUTINE(KeAcquireSpinLockAtDpcLevel),
    HK_ROUTINE(KeReleaseSpinLockFromDpcLevel),
    HK_ROUTINE(KeTryToAcquireSpinLockAtDpcLevel),
    HK_ROUTINE(KeTestSpinLock),
    HK_ROUTINE(KeAcquireInStackQueuedSpinLock),
    HK_ROUTINE(KeReleaseInStackQueuedSpinLock),
    HK_ROUTINE(KeAcquireInStackQueuedSpinLockAtDpcLevel),
    HK_ROUTINE(KeReleaseInStackQueuedSpinLockFromDpcLevel),
    HK_ROUTINE(ExInitializeResourceLite),
    HK_ROUTINE(ExDeleteResourceLite),
    HK_ROUTINE(ExAcquireResourceExclusiveLite),
    HK_ROUTINE(ExAcquireResourceSharedLite),
    HK_ROUTINE(ExReleaseResourceLite),
    HK_ROUTINE(ExIsResourceAcquiredExclusiveLite),
    HK_ROUTINE(ExIsResourceAcquiredSharedLite),
    HK_ROUTINE(ExGetExclusiveWaiterCount),
    HK_ROUTINE(ExGetSharedWaiterCount),
    HK_ROUTINE(ExConvertExclusiveToSharedLite),
    HK_ROUTINE(ExEnterCriticalRegionAndAcquireResourceExclusive),
    HK_ROUTINE(ExReleaseResourceAndLeaveCriticalRegion),
    HK_ROUTINE(ExInitializePushLock),
    HK_ROUTINE(ExAcquirePushLockExclusiveEx),
    HK_ROUTINE(ExAcquirePushLockSharedEx),
    HK_ROUTINE(ExReleasePushLockExclusiveEx),
    HK_ROUTINE(ExReleasePushLockSharedEx),
    HK_ROUTINE(ExTryAcquirePushLockExclusiveEx),
    HK_ROUTINE(ExTryAcquirePushLockSharedEx),
    HK_ROUTINE(ExInitializeRundownProtection),
    HK_ROUTINE(ExReInitializeRundownProtection),
    HK_ROUTINE(ExAcquireRundownProtection),
    HK_ROUTINE(ExReleaseRundownProtection),
    HK_ROUTINE(ExWaitForRundownProtectionRelease),
    HK_ROUTINE(ExRundownCompleted),
    HK_ROUTINE(ExAllocatePool2),
    HK_ROUTINE(ExAllocatePoolWithTag),
    HK_ROUTINE(ExAllocatePool),
    HK_ROUTINE(ExFreePoolWithTag),
    HK_ROUTINE(ExFreePool),
    HK_ROUTINE(MmGetSystemRoutineAddress),
    HK_ROUTINE(KeQuerySystemTime),
    HK_ROUTINE(KeQuerySystemTimePrecise),
    HK_ROUTINE(KeQueryInterruptTime),
    HK_ROUTINE(KeQueryInterruptTimePrecise),
    HK_ROUTINE(KeQueryPerformanceCounter),
    HK_ROUTINE(KeQueryTickCount),
    HK_ROUTINE(KeQueryTimeIncrement),
    HK_ROUTINE(KeStallExecutionProcessor),
    HK_ROUTINE(KeGetCurrentProcessorNumber),
    HK_ROUTINE(KeQueryActiveProcessorCount),
    HK_ROUTINE(KeIpiGenericCall),
    HK_ROUTINE(DbgPrint),
    HK_ROUTINE(DbgPrintEx),
    HK_ROUTINE(vDbgPrintEx),
};
#undef HK_ROUTINE

#define HK_ROUTINE_COUNT (sizeof(HkpRoutines) / sizeof(HkpRoutines[0]))

static BOOLEAN HkpRoutineHidden[HK_ROUTINE_COUNT]; /* __atomic accesses only */

/* Index of the routine named by Length characters of a 16-bit or 8-bit
 * string, or -1. Routine names are ASCII and compared exactly. */
static LONG
HkpFindRoutine(const WCHAR *Wide, PCSTR Narrow, SIZE_T Length)
{
    SIZE_T Index;
    SIZE_T Char;

    for (Index = 0; Index < HK_ROUTINE_COUNT; Index++) {
        PCSTR Name = HkpRoutines[Index].Name;
        for (Char = 0; Char < Length; Char++) {
            WCHAR Expected = Wide != NULL ? Wide[Char] : (WCHAR)(UCHAR)Narrow[Char];
            if (Name[Char] == '\0' || (WCHAR)(UCHAR)Name[Char] != Expected) {
                break;
            }
        }
        if (Char == Length && Name[Length] == '\0') {
            return (LONG)Index;
        }
    }
    return -1;
}

PVOID NTAPI
MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
    PKTHREAD Thread = HkpCurrentThread();
    LONG Index;

    /* §14: PASSIVE_LEVEL only; the model reports it as rule IrqlExPassive
     * (0xC4/0x00020008, P2 IRQL). */
    if (Thread->Irql != PASSIVE_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_EX_PASSIVE, Thread->Irql, SystemRoutineName, 0);
    }
    if (SystemRoutineName == NULL || SystemRoutineName->Buffer == NULL) {
        return NULL;
    }
    Index = HkpFindRoutine(SystemRoutineName->Buffer, NULL, SystemRoutineName->Length / sizeof(WCHAR));
    if (Index < 0 || __atomic_load_n(&HkpRoutineHidden[Index], __ATOMIC_ACQUIRE)) {
        return NULL;
    }
    /* Without membarrier the model cannot give the IPI's barrier (ipi.c). */
    if (HkpRoutines[Index].Address == (PVOID)(ULONG_PTR)&KeIpiGenericCall && !HkpIpiAvailable()) {
        return NULL;
    }
    return HkpRoutines[Index].Address;
}

VOID
HkHideRoutine(PCSTR AsciiName, BOOLEAN Hide)
{
    LONG Index;

    if (AsciiName == NULL) {
        return;
    }
    Index = HkpFindRoutine(NULL, AsciiName, strlen(AsciiName));
    if (Index >= 0) {
        __atomic_store_n(&HkpRoutineHidden[Index], (BOOLEAN)(Hide != FALSE), __ATOMIC_RELEASE);
    }
}
