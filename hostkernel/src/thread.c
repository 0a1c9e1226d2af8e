/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Threads (system threads on pthreads), per-thread IRQL, APC
 *              disabling (critical and guarded regions), thread objects and
 *              handles, KeDelayExecutionThread.
 * ENVIRONMENT: Host (Linux user mode).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "hkp.h"

/* ------------------------------------------------------------------------ */
/* Thread objects                                                           */
/* ------------------------------------------------------------------------ */

typedef struct _OBJECT_TYPE {
    PCSTR Name;
} OBJECT_TYPE;

static OBJECT_TYPE HkpThreadType = { "Thread" };
static OBJECT_TYPE HkpProcessType = { "Process" };
static OBJECT_TYPE HkpEventType = { "Event" };
static POBJECT_TYPE HkpThreadTypePointer = &HkpThreadType;
static POBJECT_TYPE HkpProcessTypePointer = &HkpProcessType;
static POBJECT_TYPE HkpEventTypePointer = &HkpEventType;
POBJECT_TYPE *PsThreadType = &HkpThreadTypePointer;
POBJECT_TYPE *PsProcessType = &HkpProcessTypePointer;
POBJECT_TYPE *ExEventObjectType = &HkpEventTypePointer;

/* The one process: drivers' system threads live in the System process. */
struct _EPROCESS {
    ULONG Unused;
};
static struct _EPROCESS HkpSystemProcess;

__thread PKTHREAD HkCurrentThreadObject HK_TLS_FIXED_OFFSET;
__thread KIRQL HkCurrentIrql HK_TLS_FIXED_OFFSET;
static LONG volatile HkpNextThreadId = 0x100;

/* Threads the model adopted (not made by PsCreateSystemThread); kept for the
 * life of the process so leak checkers see them as reachable. */
static pthread_mutex_t HkpAdoptedLock = PTHREAD_MUTEX_INITIALIZER;
static PKTHREAD HkpAdopted;

static PKTHREAD
HkpAllocateThread(BOOLEAN SystemThread)
{
    PKTHREAD Thread = calloc(1, sizeof(*Thread));

    if (Thread == NULL) {
        return NULL;
    }
    Thread->Header.Type = HK_THREAD_OBJECT;
    Thread->Header.Size = (UCHAR)(sizeof(DISPATCHER_HEADER) / sizeof(LONG));
    Thread->Header.SignalState = 0;
    InitializeListHead(&Thread->Header.WaitListHead);
    Thread->Magic = HK_THREAD_MAGIC;
    Thread->SystemThread = SystemThread;
    Thread->Irql = PASSIVE_LEVEL;
    InitializeListHead(&Thread->MutantListHead);
    Thread->ThreadId = (HANDLE)(ULONG_PTR)(ULONG)__atomic_add_fetch(&HkpNextThreadId, 4, __ATOMIC_SEQ_CST);
    return Thread;
}

PKTHREAD
HkAdoptCurrentThread(VOID)
{
    PKTHREAD Thread = HkCurrentThreadObject;

    if (Thread != NULL) {
        return Thread;
    }
    Thread = HkpAllocateThread(FALSE);
    if (Thread == NULL) {
        abort(); /* the host is out of memory: nothing sensible to model */
    }
    Thread->RefCount = 1; /* never released: the thread is not the model's */
    pthread_mutex_lock(&HkpAdoptedLock);
    Thread->NextAdopted = HkpAdopted;
    HkpAdopted = Thread;
    pthread_mutex_unlock(&HkpAdoptedLock);
    HkCurrentThreadObject = Thread;
    HkCurrentIrql = Thread->Irql;
    return Thread;
}

/* The process's first thread runs driver code from main on. */
__attribute__((constructor)) static void
HkpAdoptFirstThread(void)
{
    (VOID)HkAdoptCurrentThread();
}

PKTHREAD
HkpCurrentThread(VOID)
{
    PKTHREAD Thread = HkCurrentThreadObject;

    if (__builtin_expect(Thread == NULL, 0)) {
        static const char Message[] = "hostkernel: a kernel routine was called on a thread the model does not know "
                                      "(create it with PsCreateSystemThread, or call HkAdoptCurrentThread first)\n";
        (void)!write(2, Message, sizeof(Message) - 1);
        abort();
    }
    return Thread;
}

PKTHREAD
HkpThreadFromObject(PVOID Object)
{
    PKTHREAD Thread = (PKTHREAD)Object;

    if (Object == NULL || Thread->Header.Type != HK_THREAD_OBJECT || Thread->Magic != HK_THREAD_MAGIC) {
        return NULL;
    }
    return Thread;
}

VOID
HkpThreadFree(PKTHREAD Thread)
{
    Thread->Magic = 0;
    free(Thread);
}

ULONG
HkpCombinedApcDisable(PKTHREAD Thread)
{
    /* §3: SpecialApcDisable << 16 | KernelApcDisable. */
    return ((ULONG)(USHORT)Thread->SpecialApcDisable << 16) | (ULONG)(USHORT)Thread->KernelApcDisable;
}

PETHREAD NTAPI
PsGetCurrentThread(VOID)
{
    return (PETHREAD)HkpCurrentThread();
}

HANDLE NTAPI
PsGetCurrentThreadId(VOID)
{
    return HkpCurrentThread()->ThreadId;
}

HANDLE NTAPI
PsGetThreadId(PETHREAD Thread)
{
    return ((PKTHREAD)Thread)->ThreadId;
}

HANDLE NTAPI
PsGetCurrentProcessId(VOID)
{
    return (HANDLE)(ULONG_PTR)4; /* the System process */
}

PEPROCESS NTAPI
PsGetCurrentProcess(VOID)
{
    return &HkpSystemProcess;
}

BOOLEAN NTAPI
PsIsSystemThread(PETHREAD Thread)
{
    return ((PKTHREAD)Thread)->SystemThread;
}

/* ------------------------------------------------------------------------ */
/* IRQL (§12). Per thread: the model has no processors to raise.            */
/* ------------------------------------------------------------------------ */

VOID
HkpRaiseIrql(PKTHREAD Thread, KIRQL NewIrql)
{
    HkpSetRaisedIrql(Thread, NewIrql);
}

VOID
HkpLowerIrqlChecked(PKTHREAD Thread, KIRQL NewIrql)
{
    /* §12: KeLowerIrql to a higher IRQL → 0xC4/0x31 (P2 current, P3 new, P4 0). */
    if (NewIrql > Thread->Irql) {
        HkpVerifierBugCheck(HK_DV_LOWER_IRQL_HIGHER, Thread->Irql, NewIrql, 0);
    }
    /* §7: a spin lock holder lowering IRQL below DISPATCH_LEVEL → 0xF (P1 lock). */
    if (NewIrql < DISPATCH_LEVEL && Thread->SpinLocksHeld > 0) {
        LONG Top = HkpSpinRecordCount(Thread);
        KeBugCheckEx(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)Thread->SpinLocks[Top - 1].Lock, 0, 0, 0);
    }
    HkpSetIrql(Thread, NewIrql);
}

KIRQL FASTCALL
KfRaiseIrql(KIRQL NewIrql)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL OldIrql = Thread->Irql;

    /* §12: KeRaiseIrql to a lower IRQL → 0xC4/0x30 (P2 current, P3 requested). */
    if (NewIrql < OldIrql || NewIrql > HIGH_LEVEL) {
        HkpVerifierBugCheck(HK_DV_RAISE_IRQL_LOWER, OldIrql, NewIrql, 0);
    }
    HkpSetRaisedIrql(Thread, NewIrql);
    return OldIrql;
}

VOID NTAPI
KeLowerIrql(KIRQL NewIrql)
{
    HkpLowerIrqlChecked(HkpCurrentThread(), NewIrql);
}

KIRQL NTAPI
KeRaiseIrqlToDpcLevel(VOID)
{
    return KfRaiseIrql(DISPATCH_LEVEL);
}

KIRQL NTAPI
KeRaiseIrqlToSynchLevel(VOID)
{
    return KfRaiseIrql(SYNCH_LEVEL);
}

/* ------------------------------------------------------------------------ */
/* Critical and guarded regions (§3, §11)                                   */
/* ------------------------------------------------------------------------ */

VOID NTAPI
KeEnterCriticalRegion(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §11: at IRQL > APC_LEVEL → 0xC4/0x11A (P2 IRQL). */
    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_DV_ENTER_REGION_IRQL, Thread->Irql, 0, 0);
    }
    if (Thread->KernelApcDisable == -32768) {
        KeBugCheckEx(APC_INDEX_MISMATCH, 0, 0, HkpCombinedApcDisable(Thread), 0); /* §3 counter floor */
    }
    Thread->KernelApcDisable--;
    Thread->CriticalRegions++;
}

VOID NTAPI
KeLeaveCriticalRegion(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §11: at IRQL > APC_LEVEL → 0xC4/0x11B; without a matching enter →
     * 0xC4/0x3E (P2 combined APC disable count). Held KMUTEXes do not count
     * as entered regions here, so an unbalanced leave is caught even then. */
    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_DV_LEAVE_REGION_IRQL, Thread->Irql, 0, 0);
    }
    if (Thread->CriticalRegions <= 0) {
        HkpVerifierBugCheck(HK_DV_LEAVE_REGION_UNBALANCED, HkpCombinedApcDisable(Thread), 0, 0);
    }
    Thread->CriticalRegions--;
    Thread->KernelApcDisable++;
}

VOID NTAPI
KeEnterGuardedRegion(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §11: guarded regions follow the critical-region codes (0x11A / 0x3E). */
    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_DV_ENTER_REGION_IRQL, Thread->Irql, 0, 0);
    }
    if (Thread->SpecialApcDisable == -32768) {
        KeBugCheckEx(APC_INDEX_MISMATCH, 0, 0, HkpCombinedApcDisable(Thread), 0);
    }
    Thread->SpecialApcDisable--;
    Thread->GuardedRegions++;
}

VOID NTAPI
KeLeaveGuardedRegion(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();

    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_DV_LEAVE_REGION_IRQL, Thread->Irql, 0, 0);
    }
    if (Thread->GuardedRegions <= 0) {
        HkpVerifierBugCheck(HK_DV_LEAVE_REGION_UNBALANCED, HkpCombinedApcDisable(Thread), 0, 0);
    }
    Thread->GuardedRegions--;
    Thread->SpecialApcDisable++;
}

BOOLEAN NTAPI
KeAreApcsDisabled(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §11: in a critical region (or holding a KMUTEX) or a guarded region. */
    return (BOOLEAN)(Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0);
}

BOOLEAN NTAPI
KeAreAllApcsDisabled(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §11: in a guarded region or at IRQL >= APC_LEVEL. */
    return (BOOLEAN)(Thread->SpecialApcDisable != 0 || Thread->Irql >= APC_LEVEL);
}

/* ------------------------------------------------------------------------ */
/* Handles: one kernel handle table, thread objects only                    */
/* ------------------------------------------------------------------------ */

#define HK_KERNEL_HANDLE_BIT ((ULONG_PTR)0xFFFFFFFF80000000ULL)

static pthread_mutex_t HkpHandleLock = PTHREAD_MUTEX_INITIALIZER;
static PVOID *HkpHandleTable;
static ULONG HkpHandleCapacity;

static NTSTATUS
HkpCreateHandle(PVOID Object, PHANDLE Handle)
{
    ULONG Index;
    NTSTATUS Status = STATUS_INSUFFICIENT_RESOURCES;

    pthread_mutex_lock(&HkpHandleLock);
    for (Index = 0; Index < HkpHandleCapacity; Index++) {
        if (HkpHandleTable[Index] == NULL) {
            break;
        }
    }
    if (Index == HkpHandleCapacity) {
        ULONG NewCapacity = HkpHandleCapacity == 0 ? 64 : HkpHandleCapacity * 2;
        PVOID *NewTable = realloc(HkpHandleTable, NewCapacity * sizeof(PVOID));
        if (NewTable != NULL) {
            memset(NewTable + HkpHandleCapacity, 0, (NewCapacity - HkpHandleCapacity) * sizeof(PVOID));
            HkpHandleTable = NewTable;
            HkpHandleCapacity = NewCapacity;
        }
    }
    if (Index < HkpHandleCapacity) {
        HkpHandleTable[Index] = Object;
        *Handle = (HANDLE)(HK_KERNEL_HANDLE_BIT | ((ULONG_PTR)(Index + 1) << 2));
        Status = STATUS_SUCCESS;
    }
    pthread_mutex_unlock(&HkpHandleLock);
    return Status;
}

/* With HkpHandleLock held: the slot of Handle, or NULL. */
static PVOID *
HkpHandleSlot(HANDLE Handle)
{
    ULONG_PTR Value = (ULONG_PTR)Handle;
    ULONG_PTR Index;

    if ((Value & HK_KERNEL_HANDLE_BIT) != HK_KERNEL_HANDLE_BIT || (Value & 3) != 0) {
        return NULL;
    }
    Index = ((Value & ~HK_KERNEL_HANDLE_BIT) >> 2);
    if (Index == 0 || Index > HkpHandleCapacity || HkpHandleTable[Index - 1] == NULL) {
        return NULL;
    }
    return &HkpHandleTable[Index - 1];
}

NTSTATUS NTAPI
ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                          KPROCESSOR_MODE AccessMode, PVOID *Object, POBJECT_HANDLE_INFORMATION HandleInformation)
{
    PVOID *Slot;
    PVOID Found = NULL;

    UNREFERENCED_PARAMETER(AccessMode);
    if (Object == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    *Object = NULL;
    if (ObjectType != NULL && ObjectType != *PsThreadType) {
        return STATUS_OBJECT_TYPE_MISMATCH; /* the table holds threads only */
    }
    if (Handle == NtCurrentThread()) {
        Found = HkpCurrentThread();
        ObfReferenceObject(Found);
    } else {
        pthread_mutex_lock(&HkpHandleLock);
        Slot = HkpHandleSlot(Handle);
        if (Slot != NULL) {
            /* Referenced under the table lock: ZwClose cannot drop the last
             * reference in between. */
            Found = *Slot;
            ObfReferenceObject(Found);
        }
        pthread_mutex_unlock(&HkpHandleLock);
        if (Found == NULL) {
            return STATUS_INVALID_HANDLE;
        }
    }
    *Object = Found;
    if (HandleInformation != NULL) {
        HandleInformation->HandleAttributes = OBJ_KERNEL_HANDLE;
        HandleInformation->GrantedAccess = DesiredAccess;
    }
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI
ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess, POBJECT_TYPE ObjectType,
                           KPROCESSOR_MODE AccessMode)
{
    UNREFERENCED_PARAMETER(DesiredAccess);
    UNREFERENCED_PARAMETER(AccessMode);
    if (ObjectType != NULL && ObjectType != *PsThreadType) {
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    ObfReferenceObject(Object);
    return STATUS_SUCCESS;
}

LONG_PTR FASTCALL
ObfReferenceObject(PVOID Object)
{
    PKTHREAD Thread = HkpThreadFromObject(Object);

    if (Thread == NULL) {
        KeBugCheckEx(REFERENCE_BY_POINTER, 0, (ULONG_PTR)Object, 0, 0);
    }
    return __atomic_add_fetch(&Thread->RefCount, 1, __ATOMIC_SEQ_CST);
}

/* Drops one reference; the last one frees the thread object. */
static LONG
HkpDereferenceThread(PKTHREAD Thread)
{
    LONG Count = __atomic_sub_fetch(&Thread->RefCount, 1, __ATOMIC_SEQ_CST);

    if (Count < 0) {
        /* REFERENCE_BY_POINTER: P1 object type, P2 object, P4 pointer count. */
        KeBugCheckEx(REFERENCE_BY_POINTER, (ULONG_PTR)*PsThreadType, (ULONG_PTR)Thread, 0,
                     (ULONG_PTR)(LONG_PTR)Count);
    }
    if (Count == 0) {
        HkpThreadFree(Thread);
    }
    return Count;
}

LONG_PTR FASTCALL
ObfDereferenceObject(PVOID Object)
{
    PKTHREAD Thread = HkpThreadFromObject(Object);
    PKTHREAD Caller = HkpCurrentThread();

    if (Thread == NULL) {
        KeBugCheckEx(REFERENCE_BY_POINTER, 0, (ULONG_PTR)Object, 0, 0);
    }
    if (Caller->Irql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_DISPATCH_LTE, Caller->Irql, Object, 0);
    }
    return HkpDereferenceThread(Thread);
}

NTSTATUS NTAPI
ZwClose(HANDLE Handle)
{
    PVOID *Slot;
    PVOID Object = NULL;

    pthread_mutex_lock(&HkpHandleLock);
    Slot = HkpHandleSlot(Handle);
    if (Slot != NULL) {
        Object = *Slot;
        *Slot = NULL;
    }
    pthread_mutex_unlock(&HkpHandleLock);
    if (Object == NULL) {
        /* Closing an invalid kernel handle from kernel mode: bug check 0x93
         * (P1 handle, P2 1 = invalid handle). */
        KeBugCheckEx(INVALID_KERNEL_HANDLE, (ULONG_PTR)Handle, 1, 0, 0);
    }
    ObfDereferenceObject(Object);
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* System threads (§15)                                                     */
/* ------------------------------------------------------------------------ */

/* §4, §15: what the kernel checks when a thread ends, in this order. */
static VOID
HkpThreadExitChecks(PKTHREAD Thread)
{
    PKMUTEX Held = NULL;

    HkpLock();
    if (!IsListEmpty(&Thread->MutantListHead)) {
        Held = CONTAINING_RECORD(Thread->MutantListHead.Flink, KMUTEX, MutantListEntry);
    }
    HkpUnlock();
    if (Held != NULL) {
        KeBugCheckEx(THREAD_TERMINATE_HELD_MUTEX, (ULONG_PTR)Thread, (ULONG_PTR)Held, 0, 0);
    }
    if (Thread->Irql != PASSIVE_LEVEL) {
        KeBugCheckEx(IRQL_UNEXPECTED_VALUE, Thread->Irql, 0, 0, 0);
    }
    if (Thread->KernelApcDisable != 0 || Thread->SpecialApcDisable != 0) {
        KeBugCheckEx(KERNEL_APC_PENDING_DURING_EXIT, 0, HkpCombinedApcDisable(Thread), 0, 0);
    }
}

static void *
HkpThreadMain(void *Argument)
{
    PKTHREAD Thread = (PKTHREAD)Argument;

    HkCurrentThreadObject = Thread;
    HkCurrentIrql = Thread->Irql;
    if (setjmp(Thread->ExitJump) == 0) {
        Thread->StartRoutine(Thread->StartContext);
    }
    HkpThreadExitChecks(Thread);

    /* The thread object is signalled: waiters on it are released (§15). */
    HkpLock();
    Thread->Header.SignalState = 1;
    while (HkpGrantFirst(&Thread->Header.WaitListHead) != NULL) {
    }
    HkpBroadcast();
    HkpUnlock();

    HkCurrentThreadObject = NULL;
    HkCurrentIrql = PASSIVE_LEVEL;
    (VOID)HkpDereferenceThread(Thread); /* the running thread's own reference */
    return NULL;
}

NTSTATUS NTAPI
PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess, POBJECT_ATTRIBUTES ObjectAttributes,
                     HANDLE ProcessHandle, PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine, PVOID StartContext)
{
    PKTHREAD Caller = HkpCurrentThread();
    PKTHREAD Thread;
    pthread_attr_t Attributes;
    pthread_t Pthread;
    HANDLE Handle;
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DesiredAccess);
    UNREFERENCED_PARAMETER(ObjectAttributes);
    UNREFERENCED_PARAMETER(ProcessHandle);

    /* §15: PASSIVE_LEVEL only (rule IrqlPsPassive, 0xC4/0x0002001C). */
    if (Caller->Irql != PASSIVE_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_PS_PASSIVE, Caller->Irql, 0, 0);
    }
    if (ThreadHandle == NULL || StartRoutine == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    *ThreadHandle = NULL;

    Thread = HkpAllocateThread(TRUE);
    if (Thread == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* §15 says new system threads start inside a critical region; that was
     * not confirmed (§22.8), and a thread that had to leave one it never
     * entered would trip 0x3E, so the model starts them with APCs enabled. */
    Thread->StartRoutine = StartRoutine;
    Thread->StartContext = StartContext;
    Thread->RefCount = 2; /* the running thread + the handle */

    Status = HkpCreateHandle(Thread, &Handle);
    if (!NT_SUCCESS(Status)) {
        HkpThreadFree(Thread);
        return Status;
    }
    if (pthread_attr_init(&Attributes) != 0) {
        (VOID)ZwClose(Handle);
        (VOID)HkpDereferenceThread(Thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    pthread_attr_setdetachstate(&Attributes, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&Pthread, &Attributes, HkpThreadMain, Thread) != 0) {
        pthread_attr_destroy(&Attributes);
        (VOID)ZwClose(Handle);
        (VOID)HkpDereferenceThread(Thread);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    pthread_attr_destroy(&Attributes);

    if (ClientId != NULL) {
        ClientId->UniqueProcess = PsGetCurrentProcessId();
        ClientId->UniqueThread = Thread->ThreadId;
    }
    *ThreadHandle = Handle;
    return STATUS_SUCCESS;
}

NTSTATUS NTAPI
PsTerminateSystemThread(NTSTATUS ExitStatus)
{
    PKTHREAD Thread = HkpCurrentThread();

    /* §15: PASSIVE_LEVEL; an error for a thread that is not a system thread. */
    if (!Thread->SystemThread) {
        return STATUS_INVALID_PARAMETER;
    }
    Thread->ExitStatus = ExitStatus;
    longjmp(Thread->ExitJump, 1);
}

/* ------------------------------------------------------------------------ */
/* KeDelayExecutionThread                                                   */
/* ------------------------------------------------------------------------ */

NTSTATUS NTAPI
KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    PKTHREAD Thread = HkpCurrentThread();
    struct timespec Deadline;

    UNREFERENCED_PARAMETER(WaitMode);
    UNREFERENCED_PARAMETER(Alertable); /* the model delivers no alerts or APCs */

    if (Thread->WaitNext) {
        /* §4: the wait that follows KeReleaseMutex(..., TRUE) restores IRQL. */
        Thread->WaitNext = FALSE;
        HkpSetIrql(Thread, Thread->WaitIrql);
    }
    /* §18 IrqlKeApcLte1: KeDelayExecutionThread at IRQL <= APC_LEVEL. */
    if (Thread->Irql > APC_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_APC_LTE1, Thread->Irql, 0, 0);
    }
    if (Interval == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    if (Interval->QuadPart == 0) {
        sched_yield();
        return STATUS_SUCCESS;
    }
    HkpDeadlineFromTimeout(Interval->QuadPart, &Deadline);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &Deadline, NULL) == EINTR) {
    }
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* Test hooks (hostkernel.h)                                                */
/* ------------------------------------------------------------------------ */

LONG
HkThreadOwnedMutexCount(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();
    LONG Count;

    HkpLock();
    Count = Thread->OwnedMutexes;
    HkpUnlock();
    return Count;
}

SHORT
HkKernelApcDisable(VOID)
{
    return HkpCurrentThread()->KernelApcDisable;
}

SHORT
HkSpecialApcDisable(VOID)
{
    return HkpCurrentThread()->SpecialApcDisable;
}

LONG
HkSpinLocksHeld(VOID)
{
    return HkpCurrentThread()->SpinLocksHeld;
}

VOID
HkResetCurrentThread(VOID)
{
    PKTHREAD Thread = HkpCurrentThread();
    PLIST_ENTRY Entry;

    HkpLock();
    while (!IsListEmpty(&Thread->MutantListHead)) {
        Entry = RemoveHeadList(&Thread->MutantListHead);
        InitializeListHead(Entry); /* a later release unlinks it harmlessly */
    }
    Thread->OwnedMutexes = 0;
    HkpUnlock();
    HkpSetIrql(Thread, PASSIVE_LEVEL);
    Thread->WaitNext = FALSE;
    Thread->KernelApcDisable = 0;
    Thread->SpecialApcDisable = 0;
    Thread->CriticalRegions = 0;
    Thread->GuardedRegions = 0;
    Thread->SpinLocksHeld = 0;
}
