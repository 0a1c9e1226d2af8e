/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of the host kernel model itself: the documented DDI
 *              semantics it plays (IRQL, APC disabling, waits and timeouts,
 *              events, threads, KMUTEX, FAST_MUTEX, guarded mutexes, spin
 *              locks, ERESOURCE, push locks, rundown protection, pool,
 *              routine lookup) and, as death tests, the exact bug check every
 *              misuse ends in (see shared/reference/kernel-semantics.md).
 * ENVIRONMENT: The host kernel model only: every test uses its hooks or
 *              expects its bug checks, so the driver build gets one skipped
 *              placeholder instead.
 */
#include "wmtest.h"

#ifdef WM_HOST_MODEL
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostkernel.h"

#define HKT_TAG(A, B, C, D) ((ULONG)(A) | ((ULONG)(B) << 8) | ((ULONG)(C) << 16) | ((ULONG)(D) << 24))
#define HKT_TAG_TEST  HKT_TAG('H', 'k', 'T', 's')
#define HKT_TAG_OTHER HKT_TAG('H', 'k', 'O', 't')
#define HKT_FLAGS     WMT_HOST_ONLY

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* Waits until *Value >= Target, up to about two seconds. */
static BOOLEAN
HktWaitForCount(LONG volatile *Value, LONG Target)
{
    ULONG Waited;

    for (Waited = 0; Waited < 2000; Waited += 2) {
        if (InterlockedCompareExchange(Value, 0, 0) >= Target) {
            return TRUE;
        }
        WmtSleep(2);
    }
    return FALSE;
}

/* Runs Routine on a raw system thread (no framework wrapper, so the thread
 * ends exactly as Routine leaves it) and waits for it to end. */
static NTSTATUS
HktRunRawThread(PKSTART_ROUTINE Routine, PVOID Context)
{
    HANDLE Handle;
    PVOID Object;
    NTSTATUS Status;

    Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, Routine, Context);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = ObReferenceObjectByHandle(Handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &Object, NULL);
    (VOID)ZwClose(Handle);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(Object);
    return Status;
}

/* MmGetSystemRoutineAddress for an ASCII name (widened by hand). */
static PVOID
HktLookup(PCSTR AsciiName)
{
    WCHAR Buffer[64];
    UNICODE_STRING Name;
    USHORT Length = 0;

    while (AsciiName[Length] != '\0' && Length < 63) {
        Buffer[Length] = (WCHAR)AsciiName[Length];
        Length++;
    }
    Buffer[Length] = 0;
    Name.Buffer = Buffer;
    Name.Length = (USHORT)(Length * sizeof(WCHAR));
    Name.MaximumLength = (USHORT)(Name.Length + sizeof(WCHAR));
    return MmGetSystemRoutineAddress(&Name);
}

/* A lock held by a helper until the main thread says so. */
typedef struct _HKT_HOLDER {
    KMUTEX Mutex;
    FAST_MUTEX FastMutex;
    KGUARDED_MUTEX GuardedMutex;
    ERESOURCE Resource;
    EX_RUNDOWN_REF Rundown;
    KEVENT Held;       /* the helper holds its lock                 */
    KEVENT Release;    /* the main thread lets it go                */
    NTSTATUS Status;
    BOOLEAN Result;
    LONG volatile Counter;
    LONG volatile Ready;
} HKT_HOLDER;

static VOID
HktHolderInit(HKT_HOLDER *Holder)
{
    RtlZeroMemory(Holder, sizeof(*Holder));
    KeInitializeEvent(&Holder->Held, NotificationEvent, FALSE);
    KeInitializeEvent(&Holder->Release, NotificationEvent, FALSE);
}

/* ------------------------------------------------------------------------ */
/* IRQL and APC disabling (§3, §11, §12)                                    */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(model, irql_raise_and_lower)
{
    KIRQL Old1;
    KIRQL Old2;
    KIRQL Old3;

    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeRaiseIrql(APC_LEVEL, &Old1);
    WMT_CHECK_EQ(Old1, PASSIVE_LEVEL);
    WMT_CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    KeRaiseIrql(APC_LEVEL, &Old2); /* raising to the same level is allowed */
    WMT_CHECK_EQ(Old2, APC_LEVEL);
    Old3 = KeRaiseIrqlToDpcLevel();
    WMT_CHECK_EQ(Old3, APC_LEVEL);
    WMT_CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeRaiseIrql(HIGH_LEVEL, &Old2);
    WMT_CHECK_EQ(Old2, DISPATCH_LEVEL);
    KeLowerIrql(Old2);
    WMT_CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(Old3);
    KeLowerIrql(Old1);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

WMT_TEST_FN(model, critical_and_guarded_regions)
{
    KIRQL Old;

    WMT_CHECK(!KeAreApcsDisabled());
    WMT_CHECK(!KeAreAllApcsDisabled());
    KeEnterCriticalRegion();
    KeEnterCriticalRegion();
    WMT_CHECK_EQ(HkKernelApcDisable(), -2);
    WMT_CHECK(KeAreApcsDisabled());
    WMT_CHECK(!KeAreAllApcsDisabled()); /* special kernel APCs still run */
    KeEnterGuardedRegion();
    WMT_CHECK_EQ(HkSpecialApcDisable(), -1);
    WMT_CHECK(KeAreAllApcsDisabled());
    KeLeaveGuardedRegion();
    KeLeaveCriticalRegion();
    KeLeaveCriticalRegion();
    WMT_CHECK_EQ(HkKernelApcDisable(), 0);
    WMT_CHECK_EQ(HkSpecialApcDisable(), 0);
    WMT_CHECK(!KeAreApcsDisabled());

    KeEnterGuardedRegion();
    WMT_CHECK(KeAreApcsDisabled()); /* a guarded region counts too */
    KeLeaveGuardedRegion();

    KeRaiseIrql(APC_LEVEL, &Old);
    WMT_CHECK(KeAreAllApcsDisabled()); /* IRQL >= APC_LEVEL */
    WMT_CHECK(!KeAreApcsDisabled());   /* ... but no region */
    KeLowerIrql(Old);
}

WMT_TEST_FN(model, reset_current_thread)
{
    KIRQL Old;
    KSPIN_LOCK Lock;

    KeInitializeSpinLock(&Lock);
    KeEnterCriticalRegion();
    KeEnterGuardedRegion();
    KeAcquireSpinLock(&Lock, &Old);
    WMT_CHECK_EQ(HkSpinLocksHeld(), 1);
    HkResetCurrentThread();
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK_EQ(HkKernelApcDisable(), 0);
    WMT_CHECK_EQ(HkSpecialApcDisable(), 0);
    WMT_CHECK_EQ(HkSpinLocksHeld(), 0);
    WMT_CHECK(!KeAreApcsDisabled());
}

/* A host thread the model has not met: KeGetCurrentThread reads NULL (as
 * gs:[188h] does under Wine) until HkAdoptCurrentThread, after which it is a
 * thread of its own at PASSIVE_LEVEL. */
typedef struct _HKT_HOST_THREAD {
    PKTHREAD Before;
    PKTHREAD Adopted;
    PKTHREAD After;
    KIRQL Irql;
} HKT_HOST_THREAD;

static void *
HktHostThread(void *Context)
{
    HKT_HOST_THREAD *Result = Context;

    Result->Before = KeGetCurrentThread();
    Result->Adopted = HkAdoptCurrentThread();
    Result->After = KeGetCurrentThread();
    Result->Irql = KeGetCurrentIrql();
    return NULL;
}

/* A kernel routine on a thread the model does not know stops the process. */
static void *
HktUnknownThreadCallsKernel(void *Context)
{
    (VOID)Context;
    (VOID)PsGetCurrentThreadId();
    return NULL;
}

WMT_TEST_FN(model, host_threads_known_once_adopted)
{
    HKT_HOST_THREAD Result = { 0 };
    pthread_t Thread;
    pid_t Child;
    int Wait = 0;

    WMT_CHECK(KeGetCurrentThread() != NULL); /* the runner's threads are known */
    WMT_CHECK(pthread_create(&Thread, NULL, HktHostThread, &Result) == 0);
    WMT_CHECK(pthread_join(Thread, NULL) == 0);
    WMT_CHECK(Result.Before == NULL);
    WMT_CHECK(Result.Adopted != NULL && Result.After == Result.Adopted);
    WMT_CHECK(Result.After != KeGetCurrentThread());
    WMT_CHECK_EQ(Result.Irql, PASSIVE_LEVEL);

    fflush(NULL);
    Child = fork();
    WMT_CHECK(Child >= 0);
    if (Child == 0) {
        int Null = open("/dev/null", O_WRONLY);

        if (Null >= 0) {
            (void)dup2(Null, 2); /* the model's message is expected */
        }
        if (pthread_create(&Thread, NULL, HktUnknownThreadCallsKernel, NULL) == 0) {
            (void)pthread_join(Thread, NULL);
        }
        _exit(0);
    }
    WMT_CHECK(waitpid(Child, &Wait, 0) == Child);
    WMT_CHECK(WIFSIGNALED(Wait) && WTERMSIG(Wait) == SIGABRT);
}

/* ------------------------------------------------------------------------ */
/* KMUTEX (§4)                                                              */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(model, kmutex_recursion_and_state)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    WMT_CHECK_EQ(KeReadStateMutex(&Mutex), 1);
    WMT_CHECK_EQ(Mutex.ApcDisable, 1);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(KeReadStateMutex(&Mutex), 0);
    WMT_CHECK(Mutex.OwnerThread == KeGetCurrentThread());
    WMT_CHECK_EQ(HkThreadOwnedMutexCount(), 1);
    WMT_CHECK(KeAreApcsDisabled());        /* holding a KMUTEX = critical region */
    WMT_CHECK(!KeAreAllApcsDisabled());    /* special kernel APCs stay on (§22.1) */
    WMT_CHECK_EQ(HkKernelApcDisable(), -1);
    WMT_CHECK_STATUS(KeWaitForMutexObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(KeReadStateMutex(&Mutex), -2);
    WMT_CHECK_EQ(HkKernelApcDisable(), -1); /* only the 1 -> 0 transition counts */
    WMT_CHECK_EQ(KeReleaseMutex(&Mutex, FALSE), -2);
    WMT_CHECK_EQ(KeReleaseMutex(&Mutex, FALSE), -1);
    WMT_CHECK_EQ(HkThreadOwnedMutexCount(), 1);
    WMT_CHECK_EQ(KeReleaseMutex(&Mutex, FALSE), 0); /* 0: released and signalled */
    WMT_CHECK_EQ(KeReadStateMutex(&Mutex), 1);
    WMT_CHECK(Mutex.OwnerThread == NULL);
    WMT_CHECK_EQ(HkThreadOwnedMutexCount(), 0);
    WMT_CHECK_EQ(HkKernelApcDisable(), 0);
    WMT_CHECK(!KeAreApcsDisabled());
}

static KSTART_ROUTINE HktMutexHolder;
static VOID
HktMutexHolder(PVOID Context)
{
    HKT_HOLDER *Holder = (HKT_HOLDER *)Context;

    Holder->Status = KeWaitForSingleObject(&Holder->Mutex, Executive, KernelMode, FALSE, NULL);
    KeSetEvent(&Holder->Held, IO_NO_INCREMENT, FALSE);
    (VOID)KeWaitForSingleObject(&Holder->Release, Executive, KernelMode, FALSE, NULL);
    if (Holder->Status == STATUS_SUCCESS) {
        (VOID)KeReleaseMutex(&Holder->Mutex, FALSE);
    }
}

WMT_TEST_FN(model, kmutex_timeouts_when_contended)
{
    HKT_HOLDER Holder;
    WMT_THREAD Thread;
    LARGE_INTEGER Timeout;
    LARGE_INTEGER Now;
    ULONGLONG Start;

    HktHolderInit(&Holder);
    KeInitializeMutex(&Holder.Mutex, 0);
    WMT_CHECK_STATUS(WmtStartThread(&Thread, HktMutexHolder, &Holder), STATUS_SUCCESS);
    (VOID)KeWaitForSingleObject(&Holder.Held, Executive, KernelMode, FALSE, NULL);

    Timeout.QuadPart = 0; /* test only */
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Holder.Mutex, Executive, KernelMode, FALSE, &Timeout), STATUS_TIMEOUT);
    Start = KeQueryInterruptTime();
    Timeout.QuadPart = WMT_MS(30); /* relative */
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Holder.Mutex, Executive, KernelMode, FALSE, &Timeout), STATUS_TIMEOUT);
    WMT_CHECK(KeQueryInterruptTime() - Start >= 30 * 10000ULL);
    KeQuerySystemTime(&Now);
    Timeout.QuadPart = Now.QuadPart + 30 * 10000LL; /* absolute system time */
    Start = KeQueryInterruptTime();
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Holder.Mutex, Executive, KernelMode, FALSE, &Timeout), STATUS_TIMEOUT);
    WMT_CHECK(KeQueryInterruptTime() - Start >= 20 * 10000ULL);
    WMT_CHECK_EQ(HkThreadOwnedMutexCount(), 0);
    WMT_CHECK(!KeAreApcsDisabled());

    KeSetEvent(&Holder.Release, IO_NO_INCREMENT, FALSE);
    WMT_CHECK_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);
    WMT_CHECK_STATUS(Holder.Status, STATUS_SUCCESS);
    Timeout.QuadPart = 0;
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Holder.Mutex, Executive, KernelMode, FALSE, &Timeout), STATUS_SUCCESS);
    (VOID)KeReleaseMutex(&Holder.Mutex, FALSE);
}

static KSTART_ROUTINE HktMutexWaiter;
static VOID
HktMutexWaiter(PVOID Context)
{
    HKT_HOLDER *Holder = (HKT_HOLDER *)Context;
    LARGE_INTEGER Timeout;

    InterlockedIncrement(&Holder->Ready);
    Timeout.QuadPart = WMT_MS(5000);
    Holder->Status = KeWaitForSingleObject(&Holder->Mutex, Executive, KernelMode, FALSE, &Timeout);
    if (Holder->Status == STATUS_SUCCESS) {
        Holder->Result = KeAreApcsDisabled();
        (VOID)KeReleaseMutex(&Holder->Mutex, FALSE);
    }
}

WMT_TEST_FN(model, kmutex_hands_off_to_waiter)
{
    HKT_HOLDER Holder;
    WMT_THREAD Thread;

    HktHolderInit(&Holder);
    KeInitializeMutex(&Holder.Mutex, 0);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Holder.Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtStartThread(&Thread, HktMutexWaiter, &Holder), STATUS_SUCCESS);
    (VOID)HktWaitForCount(&Holder.Ready, 1);
    WmtSleep(30);
    (VOID)KeReleaseMutex(&Holder.Mutex, FALSE);
    WMT_CHECK_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);
    WMT_CHECK_STATUS(Holder.Status, STATUS_SUCCESS);
    WMT_CHECK(Holder.Result);
    WMT_CHECK_EQ(KeReadStateMutex(&Holder.Mutex), 1);
}

WMT_TEST_FN(model, kmutex_zero_timeout_at_dispatch)
{
    KMUTEX Mutex;
    LARGE_INTEGER Zero;
    KIRQL Old;

    KeInitializeMutex(&Mutex, 0);
    Zero.QuadPart = 0;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    (VOID)KeReleaseMutex(&Mutex, FALSE); /* released at the acquire's level class */
    KeLowerIrql(Old);
    WMT_CHECK_EQ(KeReadStateMutex(&Mutex), 1);
}

WMT_TEST_FN(model, kmutex_release_wait_true_keeps_irql)
{
    KMUTEX Mutex;
    KEVENT Event;

    KeInitializeMutex(&Mutex, 0);
    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    (VOID)KeReleaseMutex(&Mutex, TRUE);
    /* §4: returns without lowering IRQL; the next wait restores it. */
    WMT_CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

typedef struct _HKT_COUNTER {
    KMUTEX Mutex;
    FAST_MUTEX FastMutex;
    KGUARDED_MUTEX GuardedMutex;
    KSPIN_LOCK SpinLock;
    KSPIN_LOCK QueuedLock; /* only ever taken as an in-stack queued lock */
    LONG QueuedValue;
    ERESOURCE Resource;
    EX_PUSH_LOCK PushLock;
    LONG Value;          /* protected by the lock under test */
    LONG volatile Errors;
} HKT_COUNTER;

#define HKT_ROUNDS 400

static KSTART_ROUTINE HktKMutexIncrement;
static VOID
HktKMutexIncrement(PVOID Context)
{
    HKT_COUNTER *Counter = (HKT_COUNTER *)Context;
    ULONG Round;

    for (Round = 0; Round < HKT_ROUNDS; Round++) {
        if (KeWaitForSingleObject(&Counter->Mutex, Executive, KernelMode, FALSE, NULL) != STATUS_SUCCESS) {
            InterlockedIncrement(&Counter->Errors);
            return;
        }
        Counter->Value++;
        (VOID)KeReleaseMutex(&Counter->Mutex, FALSE);
    }
}

WMT_TEST_FN(model, kmutex_excludes_threads)
{
    HKT_COUNTER Counter;

    RtlZeroMemory(&Counter, sizeof(Counter));
    KeInitializeMutex(&Counter.Mutex, 0);
    WMT_CHECK_STATUS(WmtRunThreads(4, HktKMutexIncrement, &Counter), STATUS_SUCCESS);
    WMT_CHECK_EQ(Counter.Errors, 0);
    WMT_CHECK_EQ(Counter.Value, 4 * HKT_ROUNDS);
}

/* ------------------------------------------------------------------------ */
/* Events and waits                                                         */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(model, notification_event)
{
    KEVENT Event;
    LARGE_INTEGER Zero;

    Zero.QuadPart = 0;
    KeInitializeEvent(&Event, NotificationEvent, FALSE);
    WMT_CHECK_EQ(KeReadStateEvent(&Event), 0);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
    WMT_CHECK_EQ(KeSetEvent(&Event, IO_NO_INCREMENT, FALSE), 0);
    WMT_CHECK_EQ(KeSetEvent(&Event, IO_NO_INCREMENT, FALSE), 1);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(KeReadStateEvent(&Event), 1); /* stays set */
    WMT_CHECK_EQ(KeResetEvent(&Event), 1);
    WMT_CHECK_EQ(KeReadStateEvent(&Event), 0);
    KeSetEvent(&Event, IO_NO_INCREMENT, FALSE);
    KeClearEvent(&Event);
    WMT_CHECK_EQ(KeReadStateEvent(&Event), 0);
}

WMT_TEST_FN(model, synchronization_event)
{
    KEVENT Event;
    LARGE_INTEGER Zero;

    Zero.QuadPart = 0;
    KeInitializeEvent(&Event, SynchronizationEvent, TRUE);
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    WMT_CHECK_EQ(KeReadStateEvent(&Event), 0); /* a satisfied wait resets it */
    WMT_CHECK_STATUS(KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero), STATUS_TIMEOUT);
}

typedef struct _HKT_EVENT_WAITERS {
    KEVENT Event;
    LONG volatile Ready;
    LONG volatile Released;
} HKT_EVENT_WAITERS;

static KSTART_ROUTINE HktEventWaiter;
static VOID
HktEventWaiter(PVOID Context)
{
    HKT_EVENT_WAITERS *Waiters = (HKT_EVENT_WAITERS *)Context;

    InterlockedIncrement(&Waiters->Ready);
    if (KeWaitForSingleObject(&Waiters->Event, Executive, KernelMode, FALSE, NULL) == STATUS_SUCCESS) {
        InterlockedIncrement(&Waiters->Released);
    }
}

WMT_TEST_FN(model, synchronization_event_releases_one_waiter)
{
    HKT_EVENT_WAITERS Waiters;
    WMT_THREAD A;
    WMT_THREAD B;

    RtlZeroMemory(&Waiters, sizeof(Waiters));
    KeInitializeEvent(&Waiters.Event, SynchronizationEvent, FALSE);
    WMT_CHECK_STATUS(WmtStartThread(&A, HktEventWaiter, &Waiters), STATUS_SUCCESS);
    if (!NT_SUCCESS(WmtStartThread(&B, HktEventWaiter, &Waiters))) {
        KeSetEvent(&Waiters.Event, IO_NO_INCREMENT, FALSE);
        (VOID)WmtJoinThread(&A);
        WMT_CHECK(!"second thread");
    }
    (VOID)HktWaitForCount(&Waiters.Ready, 2);
    WmtSleep(20);
    KeSetEvent(&Waiters.Event, IO_NO_INCREMENT, FALSE);
    (VOID)HktWaitForCount(&Waiters.Released, 1);
    WmtSleep(20);
    WMT_CHECK(InterlockedCompareExchange(&Waiters.Released, 0, 0) == 1 || !"one set released two waiters");
    KeSetEvent(&Waiters.Event, IO_NO_INCREMENT, FALSE);
    WMT_CHECK_STATUS(WmtJoinThread(&A), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtJoinThread(&B), STATUS_SUCCESS);
    WMT_CHECK_EQ(Waiters.Released, 2);
    WMT_CHECK_EQ(KeReadStateEvent(&Waiters.Event), 0);
}

WMT_TEST_FN(model, notification_event_releases_all_waiters)
{
    HKT_EVENT_WAITERS Waiters;
    WMT_THREAD A;
    WMT_THREAD B;

    RtlZeroMemory(&Waiters, sizeof(Waiters));
    KeInitializeEvent(&Waiters.Event, NotificationEvent, FALSE);
    WMT_CHECK_STATUS(WmtStartThread(&A, HktEventWaiter, &Waiters), STATUS_SUCCESS);
    if (!NT_SUCCESS(WmtStartThread(&B, HktEventWaiter, &Waiters))) {
        KeSetEvent(&Waiters.Event, IO_NO_INCREMENT, FALSE);
        (VOID)WmtJoinThread(&A);
        WMT_CHECK(!"second thread");
    }
    (VOID)HktWaitForCount(&Waiters.Ready, 2);
    WmtSleep(10);
    KeSetEvent(&Waiters.Event, IO_NO_INCREMENT, FALSE);
    WMT_CHECK_STATUS(WmtJoinThread(&A), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtJoinThread(&B), STATUS_SUCCESS);
    WMT_CHECK_EQ(Waiters.Released, 2);
}

WMT_TEST_FN(model, delay_execution)
{
    LARGE_INTEGER Interval;
    ULONGLONG Start;

    Start = KeQueryInterruptTime();
    Interval.QuadPart = WMT_MS(20);
    WMT_CHECK_STATUS(KeDelayExecutionThread(KernelMode, FALSE, &Interval), STATUS_SUCCESS);
    WMT_CHECK(KeQueryInterruptTime() - Start >= 20 * 10000ULL);
    Interval.QuadPart = 0;
    WMT_CHECK_STATUS(KeDelayExecutionThread(KernelMode, FALSE, &Interval), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Threads (§15)                                                            */
/* ------------------------------------------------------------------------ */

typedef struct _HKT_THREAD_INFO {
    HANDLE Id;
    PKTHREAD Thread;
    KIRQL Irql;
    BOOLEAN ApcsDisabled;
    BOOLEAN System;
    BOOLEAN AfterTerminate;
} HKT_THREAD_INFO;

static KSTART_ROUTINE HktThreadInfo;
static VOID
HktThreadInfo(PVOID Context)
{
    HKT_THREAD_INFO *Info = (HKT_THREAD_INFO *)Context;

    Info->Id = PsGetCurrentThreadId();
    Info->Thread = KeGetCurrentThread();
    Info->Irql = KeGetCurrentIrql();
    Info->ApcsDisabled = KeAreApcsDisabled();
    Info->System = PsIsSystemThread(PsGetCurrentThread());
    PsTerminateSystemThread(STATUS_SUCCESS);
    Info->AfterTerminate = TRUE; /* never reached */
}

WMT_TEST_FN(model, system_thread_lifecycle)
{
    HKT_THREAD_INFO Info;
    CLIENT_ID ClientId;
    HANDLE Handle;
    PVOID Object = NULL;
    LARGE_INTEGER Zero;

    RtlZeroMemory(&Info, sizeof(Info));
    WMT_CHECK_STATUS(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, &ClientId, HktThreadInfo, &Info),
                     STATUS_SUCCESS);
    WMT_CHECK_STATUS(ObReferenceObjectByHandle(Handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &Object, NULL),
                     STATUS_SUCCESS);
    WMT_CHECK_STATUS(ZwClose(Handle), STATUS_SUCCESS);
    WMT_CHECK_STATUS(KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    Zero.QuadPart = 0;
    /* A thread object stays signalled once the thread has ended. */
    WMT_CHECK_STATUS(KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, &Zero), STATUS_SUCCESS);
    WMT_CHECK(Info.Thread == (PKTHREAD)Object);
    ObDereferenceObject(Object);

    WMT_CHECK(Info.Id == ClientId.UniqueThread);
    WMT_CHECK(Info.Id != PsGetCurrentThreadId());
    WMT_CHECK_EQ(Info.Irql, PASSIVE_LEVEL);
    WMT_CHECK(!Info.ApcsDisabled);
    WMT_CHECK(Info.System);
    WMT_CHECK(!Info.AfterTerminate);
    WMT_CHECK(!PsIsSystemThread(PsGetCurrentThread()));
    /* Not a system thread: an error, and the caller goes on. */
    WMT_CHECK(!NT_SUCCESS(PsTerminateSystemThread(STATUS_SUCCESS)));
}

WMT_TEST_FN(model, object_handles)
{
    PVOID Object = NULL;

    WMT_CHECK_STATUS(ObReferenceObjectByHandle((HANDLE)(ULONG_PTR)0x1234, THREAD_ALL_ACCESS, *PsThreadType,
                                               KernelMode, &Object, NULL), STATUS_INVALID_HANDLE);
    WMT_CHECK(Object == NULL);
    WMT_CHECK_STATUS(ObReferenceObjectByHandle(NtCurrentThread(), THREAD_ALL_ACCESS, *PsProcessType,
                                               KernelMode, &Object, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    WMT_CHECK_STATUS(ObReferenceObjectByHandle(NtCurrentThread(), THREAD_ALL_ACCESS, *PsThreadType,
                                               KernelMode, &Object, NULL), STATUS_SUCCESS);
    WMT_CHECK(Object == (PVOID)KeGetCurrentThread());
    ObDereferenceObject(Object);
}

/* ------------------------------------------------------------------------ */
/* FAST_MUTEX (§5)                                                          */
/* ------------------------------------------------------------------------ */

static KSTART_ROUTINE HktFastMutexHolder;
static VOID
HktFastMutexHolder(PVOID Context)
{
    HKT_HOLDER *Holder = (HKT_HOLDER *)Context;

    ExAcquireFastMutex(&Holder->FastMutex);
    KeSetEvent(&Holder->Held, IO_NO_INCREMENT, FALSE);
    /* Waiting at APC_LEVEL (the fast mutex's IRQL) is allowed (§4). */
    (VOID)KeWaitForSingleObject(&Holder->Release, Executive, KernelMode, FALSE, NULL);
    ExReleaseFastMutex(&Holder->FastMutex);
}

WMT_TEST_FN(model, fast_mutex_irql_and_try)
{
    HKT_HOLDER Holder;
    WMT_THREAD Thread;
    KIRQL Old;

    HktHolderInit(&Holder);
    ExInitializeFastMutex(&Holder.FastMutex);
    WMT_CHECK_EQ(Holder.FastMutex.Count, FM_LOCK_BIT);
    ExAcquireFastMutex(&Holder.FastMutex);
    WMT_CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    WMT_CHECK_EQ(Holder.FastMutex.OldIrql, PASSIVE_LEVEL);
    WMT_CHECK(Holder.FastMutex.Owner == (PVOID)KeGetCurrentThread());
    WMT_CHECK(KeAreAllApcsDisabled());
    ExReleaseFastMutex(&Holder.FastMutex);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    KeRaiseIrql(APC_LEVEL, &Old);
    WMT_CHECK(ExTryToAcquireFastMutex(&Holder.FastMutex));
    WMT_CHECK_EQ(Holder.FastMutex.OldIrql, APC_LEVEL);
    ExReleaseFastMutex(&Holder.FastMutex);
    WMT_CHECK_EQ(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(Old);

    WMT_CHECK_STATUS(WmtStartThread(&Thread, HktFastMutexHolder, &Holder), STATUS_SUCCESS);
    (VOID)KeWaitForSingleObject(&Holder.Held, Executive, KernelMode, FALSE, NULL);
    Holder.Result = ExTryToAcquireFastMutex(&Holder.FastMutex);
    Old = KeGetCurrentIrql();
    KeSetEvent(&Holder.Release, IO_NO_INCREMENT, FALSE);
    WMT_CHECK_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);
    WMT_CHECK(!Holder.Result);
    WMT_CHECK_EQ(Old, PASSIVE_LEVEL); /* a failed try leaves IRQL alone */
    WMT_CHECK(Holder.FastMutex.Contention == 0);
}

WMT_TEST_FN(model, fast_mutex_unsafe)
{
    FAST_MUTEX Mutex;
    KIRQL Old;

    ExInitializeFastMutex(&Mutex);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&Mutex);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL); /* no IRQL change */
    ExReleaseFastMutexUnsafe(&Mutex);
    KeLeaveCriticalRegion();

    KeRaiseIrql(APC_LEVEL, &Old);
    ExAcquireFastMutexUnsafe(&Mutex);
    ExReleaseFastMutexUnsafe(&Mutex);
    KeLowerIrql(Old);
}

static KSTART_ROUTINE HktFastMutexIncrement;
static VOID
HktFastMutexIncrement(PVOID Context)
{
    HKT_COUNTER *Counter = (HKT_COUNTER *)Context;
    ULONG Round;

    for (Round = 0; Round < HKT_ROUNDS; Round++) {
        ExAcquireFastMutex(&Counter->FastMutex);
        if (KeGetCurrentIrql() != APC_LEVEL) {
            InterlockedIncrement(&Counter->Errors);
        }
        Counter->Value++;
        ExReleaseFastMutex(&Counter->FastMutex);
    }
}

WMT_TEST_FN(model, fast_mutex_excludes_threads)
{
    HKT_COUNTER Counter;

    RtlZeroMemory(&Counter, sizeof(Counter));
    ExInitializeFastMutex(&Counter.FastMutex);
    WMT_CHECK_STATUS(WmtRunThreads(4, HktFastMutexIncrement, &Counter), STATUS_SUCCESS);
    WMT_CHECK_EQ(Counter.Errors, 0);
    WMT_CHECK_EQ(Counter.Value, 4 * HKT_ROUNDS);
}

/* ------------------------------------------------------------------------ */
/* Guarded mutex (§6)                                                       */
/* ------------------------------------------------------------------------ */

static KSTART_ROUTINE HktGuardedTry;
static VOID
HktGuardedTry(PVOID Context)
{
    HKT_HOLDER *Holder = (HKT_HOLDER *)Context;

    Holder->Result = KeTryToAcquireGuardedMutex(&Holder->GuardedMutex);
    if (Holder->Result) {
        KeReleaseGuardedMutex(&Holder->GuardedMutex);
    }
    /* A failed try leaves the guarded region again. */
    Holder->Counter = HkSpecialApcDisable();
}

WMT_TEST_FN(model, guarded_mutex)
{
    HKT_HOLDER Holder;
    WMT_THREAD Thread;

    HktHolderInit(&Holder);
    KeInitializeGuardedMutex(&Holder.GuardedMutex);
    KeAcquireGuardedMutex(&Holder.GuardedMutex);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL); /* a guarded region, not an IRQL */
    WMT_CHECK(KeAreAllApcsDisabled());
    WMT_CHECK_EQ(HkSpecialApcDisable(), -1);
    WMT_CHECK_STATUS(WmtStartThread(&Thread, HktGuardedTry, &Holder), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);
    WMT_CHECK(!Holder.Result);
    WMT_CHECK_EQ(Holder.Counter, 0);
    KeReleaseGuardedMutex(&Holder.GuardedMutex);
    WMT_CHECK(!KeAreAllApcsDisabled());

    WMT_CHECK(KeTryToAcquireGuardedMutex(&Holder.GuardedMutex));
    WMT_CHECK_EQ(HkSpecialApcDisable(), -1);
    KeReleaseGuardedMutex(&Holder.GuardedMutex);

    KeEnterGuardedRegion();
    KeAcquireGuardedMutexUnsafe(&Holder.GuardedMutex);
    WMT_CHECK_EQ(HkSpecialApcDisable(), -1); /* Unsafe: no region of its own */
    KeReleaseGuardedMutexUnsafe(&Holder.GuardedMutex);
    KeLeaveGuardedRegion();
    WMT_CHECK_EQ(HkSpecialApcDisable(), 0);
}

/* ------------------------------------------------------------------------ */
/* Spin locks (§7)                                                          */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(model, spin_lock_irql)
{
    KSPIN_LOCK Lock;
    KSPIN_LOCK Other;
    KLOCK_QUEUE_HANDLE Handle;
    KIRQL Old;
    KIRQL Dpc;

    KeInitializeSpinLock(&Lock);
    KeInitializeSpinLock(&Other);
    WMT_CHECK(KeTestSpinLock(&Lock));
    KeAcquireSpinLock(&Lock, &Old);
    WMT_CHECK_EQ(Old, PASSIVE_LEVEL);
    WMT_CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    WMT_CHECK(!KeTestSpinLock(&Lock));
    WMT_CHECK_EQ(HkSpinLocksHeld(), 1);
    KeAcquireSpinLockAtDpcLevel(&Other);
    WMT_CHECK_EQ(HkSpinLocksHeld(), 2);
    KeReleaseSpinLockFromDpcLevel(&Other);
    WMT_CHECK(KeTryToAcquireSpinLockAtDpcLevel(&Other));
    KeReleaseSpinLockFromDpcLevel(&Other);
    KeReleaseSpinLock(&Lock, Old);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK(KeTestSpinLock(&Lock));
    WMT_CHECK_EQ(HkSpinLocksHeld(), 0);

    KeAcquireInStackQueuedSpinLock(&Lock, &Handle);
    WMT_CHECK_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    WMT_CHECK_EQ(Handle.OldIrql, PASSIVE_LEVEL);
    WMT_CHECK(Handle.LockQueue.Lock == &Lock);
    KeReleaseInStackQueuedSpinLock(&Handle);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    KeRaiseIrql(DISPATCH_LEVEL, &Dpc);
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&Lock, &Handle);
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&Handle);
    Old = KeAcquireSpinLockRaiseToDpc(&Lock); /* already at DISPATCH_LEVEL */
    WMT_CHECK_EQ(Old, DISPATCH_LEVEL);
    KeReleaseSpinLock(&Lock, Old);
    KeLowerIrql(Dpc);
}

static KSTART_ROUTINE HktSpinIncrement;
static VOID
HktSpinIncrement(PVOID Context)
{
    HKT_COUNTER *Counter = (HKT_COUNTER *)Context;
    KLOCK_QUEUE_HANDLE Handle;
    ULONG Round;
    KIRQL Old;

    for (Round = 0; Round < HKT_ROUNDS; Round++) {
        KeAcquireSpinLock(&Counter->SpinLock, &Old);
        Counter->Value++;
        KeReleaseSpinLock(&Counter->SpinLock, Old);
        /* A separate lock word: queued and plain use never mix (§7). */
        KeAcquireInStackQueuedSpinLock(&Counter->QueuedLock, &Handle);
        Counter->QueuedValue++;
        KeReleaseInStackQueuedSpinLock(&Handle);
    }
}

WMT_TEST_FN(model, spin_lock_excludes_threads)
{
    HKT_COUNTER Counter;

    RtlZeroMemory(&Counter, sizeof(Counter));
    KeInitializeSpinLock(&Counter.SpinLock);
    KeInitializeSpinLock(&Counter.QueuedLock);
    WMT_CHECK_STATUS(WmtRunThreads(4, HktSpinIncrement, &Counter), STATUS_SUCCESS);
    WMT_CHECK_EQ(Counter.Value, 4 * HKT_ROUNDS);
    WMT_CHECK_EQ(Counter.QueuedValue, 4 * HKT_ROUNDS);
}

/* ------------------------------------------------------------------------ */
/* ERESOURCE (§8)                                                           */
/* ------------------------------------------------------------------------ */

static KSTART_ROUTINE HktResourceProbe;
static VOID
HktResourceProbe(PVOID Context)
{
    HKT_HOLDER *Holder = (HKT_HOLDER *)Context;

    KeEnterCriticalRegion();
    /* The main thread holds it shared: shared is granted, exclusive is not. */
    if (ExAcquireResourceSharedLite(&Holder->Resource, FALSE)) {
        InterlockedIncrement(&Holder->Counter);
        ExReleaseResourceLite(&Holder->Resource);
    }
    Holder->Result = ExAcquireResourceExclusiveLite(&Holder->Resource, FALSE);
    if (Holder->Result) {
        ExReleaseResourceLite(&Holder->Resource);
    }
    KeLeaveCriticalRegion();
}

WMT_TEST_FN(model, eresource_recursion_and_sharing)
{
    HKT_HOLDER Holder;
    WMT_THREAD Thread;

    HktHolderInit(&Holder);
    WMT_CHECK_STATUS(ExInitializeResourceLite(&Holder.Resource), STATUS_SUCCESS);
    KeEnterCriticalRegion();
    WMT_CHECK(ExAcquireResourceExclusiveLite(&Holder.Resource, TRUE));
    WMT_CHECK(ExIsResourceAcquiredExclusiveLite(&Holder.Resource));
    WMT_CHECK(ExAcquireResourceExclusiveLite(&Holder.Resource, TRUE));
    WMT_CHECK(ExAcquireResourceSharedLite(&Holder.Resource, TRUE)); /* exclusive recursion */
    WMT_CHECK_EQ(ExIsResourceAcquiredSharedLite(&Holder.Resource), 3);
    ExReleaseResourceLite(&Holder.Resource);
    ExReleaseResourceLite(&Holder.Resource);
    ExReleaseResourceLite(&Holder.Resource);
    WMT_CHECK(!ExIsResourceAcquiredExclusiveLite(&Holder.Resource));
    WMT_CHECK_EQ(ExIsResourceAcquiredSharedLite(&Holder.Resource), 0);

    WMT_CHECK(ExAcquireResourceSharedLite(&Holder.Resource, TRUE));
    WMT_CHECK(ExAcquireResourceSharedLite(&Holder.Resource, FALSE));
    WMT_CHECK_EQ(ExIsResourceAcquiredSharedLite(&Holder.Resource), 2);
    WMT_CHECK(!ExIsResourceAcquiredExclusiveLite(&Holder.Resource));
    WMT_CHECK(!ExAcquireResourceExclusiveLite(&Holder.Resource, FALSE)); /* no self-deadlock without Wait */
    WMT_CHECK_STATUS(WmtStartThread(&Thread, HktResourceProbe, &Holder), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);
    WMT_CHECK_EQ(Holder.Counter, 1);
    WMT_CHECK(!Holder.Result);
    ExReleaseResourceLite(&Holder.Resource);
    ExReleaseResourceLite(&Holder.Resource);
    KeLeaveCriticalRegion();

    (VOID)ExEnterCriticalRegionAndAcquireResourceExclusive(&Holder.Resource);
    WMT_CHECK(KeAreApcsDisabled());
    WMT_CHECK(ExIsResourceAcquiredExclusiveLite(&Holder.Resource));
    ExReleaseResourceAndLeaveCriticalRegion(&Holder.Resource);
    WMT_CHECK(!KeAreApcsDisabled());
    WMT_CHECK_EQ(ExGetExclusiveWaiterCount(&Holder.Resource), 0);
    WMT_CHECK_EQ(ExGetSharedWaiterCount(&Holder.Resource), 0);
    WMT_CHECK_STATUS(ExDeleteResourceLite(&Holder.Resource), STATUS_SUCCESS);
}

static KSTART_ROUTINE HktResourceIncrement;
static VOID
HktResourceIncrement(PVOID Context)
{
    HKT_COUNTER *Counter = (HKT_COUNTER *)Context;
    ULONG Round;
    LONG Seen;

    KeEnterCriticalRegion();
    for (Round = 0; Round < HKT_ROUNDS; Round++) {
        if ((Round % 4) == 3) {
            (VOID)ExAcquireResourceSharedLite(&Counter->Resource, TRUE);
            Seen = Counter->Value; /* readers only read */
            if (Seen < 0) {
                InterlockedIncrement(&Counter->Errors);
            }
        } else {
            (VOID)ExAcquireResourceExclusiveLite(&Counter->Resource, TRUE);
            Counter->Value++;
        }
        ExReleaseResourceLite(&Counter->Resource);
    }
    KeLeaveCriticalRegion();
}

WMT_TEST_FN(model, eresource_excludes_threads)
{
    HKT_COUNTER Counter;

    RtlZeroMemory(&Counter, sizeof(Counter));
    WMT_CHECK_STATUS(ExInitializeResourceLite(&Counter.Resource), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRunThreads(4, HktResourceIncrement, &Counter), STATUS_SUCCESS);
    WMT_CHECK_STATUS(ExDeleteResourceLite(&Counter.Resource), STATUS_SUCCESS);
    WMT_CHECK_EQ(Counter.Errors, 0);
    WMT_CHECK_EQ(Counter.Value, 4 * (HKT_ROUNDS - HKT_ROUNDS / 4));
}

/* ------------------------------------------------------------------------ */
/* Push locks (§9) and rundown protection (§10)                             */
/* ------------------------------------------------------------------------ */

static KSTART_ROUTINE HktPushLockIncrement;
static VOID
HktPushLockIncrement(PVOID Context)
{
    HKT_COUNTER *Counter = (HKT_COUNTER *)Context;
    ULONG Round;

    KeEnterCriticalRegion();
    for (Round = 0; Round < HKT_ROUNDS; Round++) {
        if ((Round & 3) == 3) {
            ExAcquirePushLockShared(&Counter->PushLock);
            if (Counter->Value < 0) {
                InterlockedIncrement(&Counter->Errors);
            }
            ExReleasePushLockShared(&Counter->PushLock);
        } else {
            ExAcquirePushLockExclusive(&Counter->PushLock);
            Counter->Value++;
            ExReleasePushLockExclusive(&Counter->PushLock);
        }
    }
    KeLeaveCriticalRegion();
}

WMT_TEST_FN(model, push_lock)
{
    HKT_COUNTER Counter;

    RtlZeroMemory(&Counter, sizeof(Counter));
    ExInitializePushLock(&Counter.PushLock);
    KeEnterCriticalRegion();
    ExAcquirePushLockShared(&Counter.PushLock);
    ExAcquirePushLockShared(&Counter.PushLock); /* §9: shared again is allowed */
    ExReleasePushLockShared(&Counter.PushLock);
    ExReleasePushLockShared(&Counter.PushLock);
    ExAcquirePushLockExclusive(&Counter.PushLock);
    ExReleasePushLockExclusive(&Counter.PushLock);
    KeLeaveCriticalRegion();
    WMT_CHECK_EQ(Counter.PushLock, 0);
    WMT_CHECK_STATUS(WmtRunThreads(4, HktPushLockIncrement, &Counter), STATUS_SUCCESS);
    WMT_CHECK_EQ(Counter.Errors, 0);
    WMT_CHECK_EQ(Counter.Value, 4 * (HKT_ROUNDS - HKT_ROUNDS / 4));
}

/* Paged pool is trimmed on a raise to DISPATCH_LEVEL (Force IRQL Checking)
 * and paged back in by a touch below it: the data survives, and touching it
 * at PASSIVE_LEVEL, also from another thread, is fine. */
#define HKT_PAGED_TAG HKT_TAG('H', 'k', 'P', 'g')

static KSTART_ROUTINE HktTouchPaged;
static VOID
HktTouchPaged(PVOID Context)
{
    *(LONG volatile *)Context += 1;
}

WMT_TEST_FN(model, paged_pool_pages_back_in)
{
    LONG volatile *Paged = (LONG volatile *)ExAllocatePool2(POOL_FLAG_PAGED, 3 * PAGE_SIZE, HKT_PAGED_TAG);
    KIRQL Old;

    WMT_CHECK(Paged != NULL);
    Paged[0] = 7;
    Paged[2 * PAGE_SIZE / sizeof(LONG)] = 9;
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeLowerIrql(Old);
    WMT_CHECK_EQ(Paged[0], 7);
    WMT_CHECK_EQ(Paged[2 * PAGE_SIZE / sizeof(LONG)], 9);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeLowerIrql(Old);
    WMT_CHECK_STATUS(WmtRunThreads(1, HktTouchPaged, (PVOID)Paged), STATUS_SUCCESS);
    WMT_CHECK_EQ(Paged[0], 8);
    ExFreePoolWithTag((PVOID)Paged, HKT_PAGED_TAG);
}

/* Touching trimmed paged pool at DISPATCH_LEVEL: 0xD1 (P1 address, P2 IRQL,
 * P3 1 = write). */
WMT_TEST_FN(model, die_paged_pool_touched_at_dispatch)
{
    LONG volatile *Paged = (LONG volatile *)ExAllocatePool2(POOL_FLAG_PAGED, sizeof(LONG), HKT_PAGED_TAG);
    KSPIN_LOCK Lock;
    KIRQL Old;

    *Paged = 1;
    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    *Paged = 2;
}

/* The try forms: granted only without a wait; a try by the holder fails
 * instead of hanging. */
WMT_TEST_FN(model, push_lock_try)
{
    EX_PUSH_LOCK Lock;
    BOOLEAN Got[7];

    ExInitializePushLock(&Lock);
    KeEnterCriticalRegion();
    Got[0] = ExTryAcquirePushLockExclusive(&Lock);
    Got[1] = ExTryAcquirePushLockExclusive(&Lock);
    Got[2] = ExTryAcquirePushLockShared(&Lock);
    ExReleasePushLockExclusive(&Lock);
    Got[3] = ExTryAcquirePushLockShared(&Lock);
    Got[4] = ExTryAcquirePushLockShared(&Lock);
    Got[5] = ExTryAcquirePushLockExclusive(&Lock);
    ExReleasePushLockShared(&Lock);
    ExReleasePushLockShared(&Lock);
    Got[6] = ExTryAcquirePushLockExclusive(&Lock);
    ExReleasePushLockExclusive(&Lock);
    KeLeaveCriticalRegion();
    WMT_CHECK(Got[0] == TRUE && Got[1] == FALSE && Got[2] == FALSE);
    WMT_CHECK(Got[3] == TRUE && Got[4] == TRUE && Got[5] == FALSE);
    WMT_CHECK(Got[6] == TRUE);
    WMT_CHECK_EQ(Lock, 0);
}

static KSTART_ROUTINE HktRundownHolder;
static VOID
HktRundownHolder(PVOID Context)
{
    HKT_HOLDER *Holder = (HKT_HOLDER *)Context;

    Holder->Result = ExAcquireRundownProtection(&Holder->Rundown);
    KeSetEvent(&Holder->Held, IO_NO_INCREMENT, FALSE);
    WmtSleep(30);
    InterlockedExchange(&Holder->Counter, 1);
    if (Holder->Result) {
        ExReleaseRundownProtection(&Holder->Rundown);
    }
}

WMT_TEST_FN(model, rundown_protection)
{
    HKT_HOLDER Holder;
    WMT_THREAD Thread;

    HktHolderInit(&Holder);
    ExInitializeRundownProtection(&Holder.Rundown);
    WMT_CHECK(ExAcquireRundownProtection(&Holder.Rundown));
    WMT_CHECK(ExAcquireRundownProtection(&Holder.Rundown));
    WMT_CHECK_EQ(Holder.Rundown.Count, 2 * EX_RUNDOWN_COUNT_INC);
    ExReleaseRundownProtection(&Holder.Rundown);
    ExReleaseRundownProtection(&Holder.Rundown);

    WMT_CHECK_STATUS(WmtStartThread(&Thread, HktRundownHolder, &Holder), STATUS_SUCCESS);
    (VOID)KeWaitForSingleObject(&Holder.Held, Executive, KernelMode, FALSE, NULL);
    ExWaitForRundownProtectionRelease(&Holder.Rundown); /* blocks until the holder releases */
    WMT_CHECK_EQ(InterlockedCompareExchange(&Holder.Counter, 0, 0), 1);
    WMT_CHECK_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);
    WMT_CHECK(Holder.Result);
    WMT_CHECK(!ExAcquireRundownProtection(&Holder.Rundown)); /* run down */
    ExRundownCompleted(&Holder.Rundown);
    WMT_CHECK(!ExAcquireRundownProtection(&Holder.Rundown));
    ExWaitForRundownProtectionRelease(&Holder.Rundown); /* returns at once */
    ExReInitializeRundownProtection(&Holder.Rundown);
    WMT_CHECK(ExAcquireRundownProtection(&Holder.Rundown));
    ExReleaseRundownProtection(&Holder.Rundown);
}

/* ------------------------------------------------------------------------ */
/* Pool (§13)                                                               */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(model, pool_accounting_and_contents)
{
    LONG Before = HkPoolOutstanding();
    LONG64 BytesBefore = HkPoolOutstandingBytes();
    LONG64 CountBefore = HkPoolAllocationCount();
    PUCHAR Legacy;
    PUCHAR Zeroed;
    PUCHAR Raw;
    PUCHAR Page;
    ULONG Index;

    Legacy = (PUCHAR)ExAllocatePoolWithTag(NonPagedPoolNx, 40, HKT_TAG_TEST);
    WMT_CHECK(Legacy != NULL);
    Zeroed = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, HKT_TAG_TEST);
    Raw = (PUCHAR)ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, 8, HKT_TAG_OTHER);
    Page = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, PAGE_SIZE, HKT_TAG_OTHER);
    if (Zeroed == NULL || Raw == NULL || Page == NULL) {
        if (Zeroed != NULL) ExFreePoolWithTag(Zeroed, HKT_TAG_TEST);
        if (Raw != NULL) ExFreePoolWithTag(Raw, HKT_TAG_OTHER);
        if (Page != NULL) ExFreePoolWithTag(Page, HKT_TAG_OTHER);
        ExFreePoolWithTag(Legacy, HKT_TAG_TEST);
        WMT_CHECK(!"ExAllocatePool2 failed");
    }
    for (Index = 0; Index < 40; Index++) {
        WMT_CHECK_EQ(Legacy[Index], 0xCD); /* legacy pool is not zeroed */
    }
    for (Index = 0; Index < 24; Index++) {
        WMT_CHECK_EQ(Zeroed[Index], 0);
    }
    for (Index = 0; Index < 8; Index++) {
        WMT_CHECK_EQ(Raw[Index], 0xCD);
    }
    WMT_CHECK_EQ((ULONG_PTR)Legacy & 15, 0);
    WMT_CHECK_EQ((ULONG_PTR)Zeroed & 15, 0);
    WMT_CHECK_EQ((ULONG_PTR)Page & (PAGE_SIZE - 1), 0);
    WMT_CHECK_EQ(HkPoolOutstanding(), Before + 4);
    WMT_CHECK_EQ(HkPoolOutstandingBytes(), BytesBefore + 40 + 24 + 8 + PAGE_SIZE);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(HKT_TAG_TEST), 2);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(HKT_TAG_OTHER), 2);
    WMT_CHECK_EQ(HkPoolAllocationCount(), CountBefore + 4);

    ExFreePoolWithTag(Legacy, HKT_TAG_TEST);
    ExFreePoolWithTag(Zeroed, 0); /* a zero tag is not checked */
    ExFreePool(Raw);
    ExFreePoolWithTag(Page, HKT_TAG_OTHER | PROTECTED_POOL); /* the protected bit is ignored */
    WMT_CHECK_EQ(HkPoolOutstanding(), Before);
    WMT_CHECK_EQ(HkPoolOutstandingBytes(), BytesBefore);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(HKT_TAG_TEST), 0);
}

WMT_TEST_FN(model, pool2_rejects_bad_requests)
{
    LONG64 CountBefore = HkPoolAllocationCount();

    WMT_CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0) == NULL);                 /* zero tag */
    WMT_CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED | 0x800, 16, HKT_TAG_TEST) == NULL); /* unknown required */
    WMT_CHECK(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 16, HKT_TAG_TEST) == NULL);
    WMT_CHECK(ExAllocatePool2(POOL_FLAG_USE_QUOTA, 16, HKT_TAG_TEST) == NULL);       /* no pool kind */
    WMT_CHECK_EQ(HkPoolAllocationCount(), CountBefore);
}

WMT_TEST_FN(model, pool_failure_injection)
{
    PVOID First;
    PVOID Second;
    PVOID Third;

    HkPoolFailAfter(2);
    First = ExAllocatePoolWithTag(NonPagedPoolNx, 8, HKT_TAG_TEST);
    Second = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, HKT_TAG_TEST);
    Third = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, HKT_TAG_TEST);
    HkPoolFailAfter(0);
    if (First != NULL) ExFreePoolWithTag(First, HKT_TAG_TEST);
    if (Second != NULL) ExFreePoolWithTag(Second, HKT_TAG_TEST);
    if (Third != NULL) ExFreePoolWithTag(Third, HKT_TAG_TEST);
    WMT_CHECK(First != NULL);
    WMT_CHECK(Second == NULL); /* the second attempt from the call fails */
    WMT_CHECK(Third != NULL);  /* one failure only */
}

/* ------------------------------------------------------------------------ */
/* Routine lookup (§14)                                                     */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(model, routine_lookup_and_hiding)
{
    PVOID Address = HktLookup("ExAllocatePool2");

    WMT_CHECK(Address == (PVOID)(ULONG_PTR)&ExAllocatePool2);
    WMT_CHECK(HktLookup("KeWaitForSingleObject") == (PVOID)(ULONG_PTR)&KeWaitForSingleObject);
    WMT_CHECK(HktLookup("KeAcquireSpinLock") == NULL);    /* a macro, not an export */
    WMT_CHECK(HktLookup("ExAllocatePool2x") == NULL);
    WMT_CHECK(HktLookup("ExAllocatePool") != Address);    /* no prefix matches */
    WMT_CHECK(HktLookup("NoSuchRoutine") == NULL);
    HkHideRoutine("ExAllocatePool2", TRUE);
    Address = HktLookup("ExAllocatePool2");
    HkHideRoutine("ExAllocatePool2", FALSE);
    WMT_CHECK(Address == NULL);
    WMT_CHECK(HktLookup("ExAllocatePool2") != NULL);
}

/* ------------------------------------------------------------------------ */
/* KeIpiGenericCall (ipi.c)                                                 */
/* ------------------------------------------------------------------------ */

static LONG volatile HktIpiCalls;
static LONG volatile HktIpiWrongIrql;

static ULONG_PTR NTAPI
HktIpiWorker(ULONG_PTR Argument)
{
    if (KeGetCurrentIrql() != IPI_LEVEL) {
        InterlockedIncrement(&HktIpiWrongIrql);
    }
    return Argument + (ULONG_PTR)InterlockedIncrement(&HktIpiCalls);
}

/* The routine runs once per processor the model reports, at IPI_LEVEL; the
 * call returns the last run's result at the caller's IRQL. Exported (and
 * hideable) when the host kernel gives membarrier, as on this machine. */
WMT_TEST_FN(model, ipi_generic_call)
{
    ULONG Processors = KeQueryActiveProcessorCount(NULL);
    ULONG_PTR Result;
    KIRQL After;
    KIRQL Old;

    WMT_CHECK(Processors >= 1);
    WMT_CHECK(HktLookup("KeIpiGenericCall") == (PVOID)(ULONG_PTR)&KeIpiGenericCall);
    HkHideRoutine("KeIpiGenericCall", TRUE);
    WMT_CHECK(HktLookup("KeIpiGenericCall") == NULL);
    HkHideRoutine("KeIpiGenericCall", FALSE);
    WMT_CHECK(HktLookup("KeIpiGenericCall") != NULL);

    InterlockedExchange(&HktIpiCalls, 0);
    InterlockedExchange(&HktIpiWrongIrql, 0);
    Result = KeIpiGenericCall(HktIpiWorker, 1000);
    WMT_CHECK_EQ(HktIpiCalls, Processors);
    WMT_CHECK_EQ(Result, 1000 + Processors);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    /* From DISPATCH_LEVEL (the highest allowed): back at DISPATCH_LEVEL. */
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    Result = KeIpiGenericCall(HktIpiWorker, 0);
    After = KeGetCurrentIrql();
    KeLowerIrql(Old);
    WMT_CHECK_EQ(After, DISPATCH_LEVEL);
    WMT_CHECK_EQ(Result, 2 * Processors);
    WMT_CHECK_EQ(HktIpiCalls, 2 * Processors);
    WMT_CHECK_EQ(HktIpiWrongIrql, 0);
}

/* ========================================================================== */
/* Death tests: each misuse ends in the documented bug check                  */
/* ========================================================================== */

/* --- IRQL (§12) ---------------------------------------------------------- */

WMT_TEST_FN(model, die_raise_irql_to_lower)
{
    KIRQL Old;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeRaiseIrql(APC_LEVEL, &Old); /* 0xC4/0x30 */
}

WMT_TEST_FN(model, die_lower_irql_to_higher)
{
    KeLowerIrql(APC_LEVEL); /* from PASSIVE: 0xC4/0x31 */
}

/* --- APC regions (§11) --------------------------------------------------- */

WMT_TEST_FN(model, die_leave_critical_region_unentered)
{
    KeLeaveCriticalRegion(); /* 0xC4/0x3E */
}

WMT_TEST_FN(model, die_leave_critical_region_holding_only_kmutex)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    (VOID)KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL);
    KeLeaveCriticalRegion(); /* the mutex's region is not the caller's: 0x3E */
}

WMT_TEST_FN(model, die_leave_guarded_region_unentered)
{
    KeLeaveGuardedRegion(); /* 0xC4/0x3E */
}

WMT_TEST_FN(model, die_enter_critical_region_at_dispatch)
{
    KIRQL Old;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeEnterCriticalRegion(); /* 0xC4/0x11A */
}

WMT_TEST_FN(model, die_leave_critical_region_at_dispatch)
{
    KIRQL Old;

    KeEnterCriticalRegion();
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeLeaveCriticalRegion(); /* 0xC4/0x11B */
}

/* --- Exceptions ---------------------------------------------------------- */

WMT_TEST_FN(model, die_exception_on_initial_thread)
{
    ExRaiseStatus(STATUS_INVALID_PARAMETER); /* 0x1E */
}

static KSTART_ROUTINE HktRaise;
static VOID
HktRaise(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    ExRaiseStatus(STATUS_INVALID_PARAMETER); /* 0x7E on a system thread */
}

WMT_TEST_FN(model, die_exception_on_system_thread)
{
    (VOID)HktRunRawThread(HktRaise, NULL);
}

WMT_TEST_FN(model, die_assertion)
{
    LONG volatile Zero = 0;

    NT_ASSERT(Zero == 1); /* STATUS_ASSERTION_FAILURE, unhandled: 0x1E */
}

WMT_TEST_FN(model, die_paged_code_at_dispatch)
{
    KIRQL Old;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    PAGED_CODE();
}

/* --- KMUTEX (§4) --------------------------------------------------------- */

WMT_TEST_FN(model, die_kmutex_release_unowned)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    (VOID)KeReleaseMutex(&Mutex, FALSE); /* STATUS_MUTANT_NOT_OWNED → 0x1E */
}

static KSTART_ROUTINE HktReleaseOthersMutex;
static VOID
HktReleaseOthersMutex(PVOID Context)
{
    (VOID)KeReleaseMutex((PRKMUTEX)Context, FALSE); /* → 0x7E on this system thread */
}

WMT_TEST_FN(model, die_kmutex_release_by_other_thread)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    (VOID)KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL);
    (VOID)HktRunRawThread(HktReleaseOthersMutex, &Mutex);
}

WMT_TEST_FN(model, die_kmutex_release_at_other_irql)
{
    KMUTEX Mutex;
    KIRQL Old;

    KeInitializeMutex(&Mutex, 0);
    (VOID)KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    (VOID)KeReleaseMutex(&Mutex, FALSE); /* acquired below DISPATCH: 0x1E/0xC0000046 */
}

WMT_TEST_FN(model, die_kmutex_recursion_limit)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    (VOID)KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL);
    Mutex.Header.SignalState = MINLONG; /* as after 2^31 acquisitions */
    (VOID)KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL); /* 0x1E/0xC0000191 */
}

WMT_TEST_FN(model, die_kmutex_release_above_dispatch)
{
    KMUTEX Mutex;
    KIRQL Old;

    KeInitializeMutex(&Mutex, 0);
    KeRaiseIrql(HIGH_LEVEL, &Old);
    (VOID)KeReleaseMutex(&Mutex, FALSE); /* 0xC4/0x00020011 */
}

/* No reference rule for KeIpiGenericCall: the model reports IrqlKeDispatchLte. */
WMT_TEST_FN(model, die_ipi_generic_call_above_dispatch)
{
    KIRQL Old;

    KeRaiseIrql(HIGH_LEVEL, &Old);
    (VOID)KeIpiGenericCall(HktIpiWorker, 0); /* 0xC4/0x00020011 */
}

WMT_TEST_FN(model, die_kmutex_user_mode_wait)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    (VOID)KeWaitForSingleObject(&Mutex, Executive, UserMode, FALSE, NULL); /* 0xC4/0x1008 */
}

/* --- Waits (§16) --------------------------------------------------------- */

WMT_TEST_FN(model, die_wait_above_dispatch)
{
    KEVENT Event;
    LARGE_INTEGER Zero;
    KIRQL Old;

    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    Zero.QuadPart = 0;
    KeRaiseIrql(HIGH_LEVEL, &Old);
    (VOID)KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Zero); /* 0xC4/0x120 */
}

WMT_TEST_FN(model, die_wait_at_dispatch_forever)
{
    KEVENT Event;
    KIRQL Old;

    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    (VOID)KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL); /* 0xC4/0x121 */
}

WMT_TEST_FN(model, die_wait_at_dispatch_with_timeout)
{
    KEVENT Event;
    LARGE_INTEGER Timeout;
    KIRQL Old;

    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    Timeout.QuadPart = WMT_MS(1);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    (VOID)KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, &Timeout); /* 0xC4/0x122 */
}

WMT_TEST_FN(model, die_wait_holding_spin_lock)
{
    KEVENT Event;
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeEvent(&Event, NotificationEvent, TRUE);
    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    (VOID)KeWaitForSingleObject(&Event, Executive, KernelMode, FALSE, NULL); /* 0xC4/0x121 */
}

WMT_TEST_FN(model, die_wait_uninitialized_mutex)
{
    KMUTEX Mutex;

    RtlZeroMemory(&Mutex, sizeof(Mutex));
    (VOID)KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL); /* 0xC4/0x1002 */
}

WMT_TEST_FN(model, die_delay_at_dispatch)
{
    LARGE_INTEGER Interval;
    KIRQL Old;

    Interval.QuadPart = WMT_MS(1);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    (VOID)KeDelayExecutionThread(KernelMode, FALSE, &Interval); /* 0xC4/0x0002000F */
}

/* --- Thread exit (§4, §15) ----------------------------------------------- */

static KSTART_ROUTINE HktExitHoldingMutex;
static VOID
HktExitHoldingMutex(PVOID Context)
{
    (VOID)KeWaitForSingleObject((PRKMUTEX)Context, Executive, KernelMode, FALSE, NULL);
}

WMT_TEST_FN(model, die_thread_exit_holding_kmutex)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    (VOID)HktRunRawThread(HktExitHoldingMutex, &Mutex); /* 0x4000008A */
}

static KSTART_ROUTINE HktTerminateHoldingMutex;
static VOID
HktTerminateHoldingMutex(PVOID Context)
{
    (VOID)KeWaitForSingleObject((PRKMUTEX)Context, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

WMT_TEST_FN(model, die_thread_terminate_holding_kmutex)
{
    KMUTEX Mutex;

    KeInitializeMutex(&Mutex, 0);
    (VOID)HktRunRawThread(HktTerminateHoldingMutex, &Mutex); /* 0x4000008A */
}

static KSTART_ROUTINE HktExitAtDispatch;
static VOID
HktExitAtDispatch(PVOID Context)
{
    KIRQL Old;

    UNREFERENCED_PARAMETER(Context);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
}

WMT_TEST_FN(model, die_thread_exit_at_dispatch)
{
    (VOID)HktRunRawThread(HktExitAtDispatch, NULL); /* 0xC8, P1 = 2 */
}

static KSTART_ROUTINE HktExitInCriticalRegion;
static VOID
HktExitInCriticalRegion(PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    KeEnterCriticalRegion();
}

WMT_TEST_FN(model, die_thread_exit_in_critical_region)
{
    (VOID)HktRunRawThread(HktExitInCriticalRegion, NULL); /* 0x20, P1 0 */
}

WMT_TEST_FN(model, die_create_thread_above_passive)
{
    HANDLE Handle;
    KIRQL Old;

    KeRaiseIrql(APC_LEVEL, &Old);
    (VOID)PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL, HktExitAtDispatch, NULL);
}

WMT_TEST_FN(model, die_close_invalid_handle)
{
    (VOID)ZwClose((HANDLE)(ULONG_PTR)0x1234); /* 0x93 */
}

/* --- FAST_MUTEX (§5) ----------------------------------------------------- */

WMT_TEST_FN(model, die_fast_mutex_acquire_at_dispatch)
{
    FAST_MUTEX Mutex;
    KIRQL Old;

    ExInitializeFastMutex(&Mutex);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    ExAcquireFastMutex(&Mutex); /* 0xC4/0x33 */
}

WMT_TEST_FN(model, die_fast_mutex_release_at_passive)
{
    FAST_MUTEX Mutex;

    ExInitializeFastMutex(&Mutex);
    ExAcquireFastMutex(&Mutex);
    KeLowerIrql(PASSIVE_LEVEL);
    ExReleaseFastMutex(&Mutex); /* 0xC4/0x34 */
}

WMT_TEST_FN(model, die_fast_mutex_recursive)
{
    FAST_MUTEX Mutex;

    ExInitializeFastMutex(&Mutex);
    ExAcquireFastMutex(&Mutex);
    ExAcquireFastMutex(&Mutex); /* Windows deadlocks; the model: 0xBF */
}

static KSTART_ROUTINE HktReleaseOthersFastMutex;
static VOID
HktReleaseOthersFastMutex(PVOID Context)
{
    HKT_HOLDER *Holder = (HKT_HOLDER *)Context;
    KIRQL Old;

    (VOID)KeWaitForSingleObject(&Holder->Held, Executive, KernelMode, FALSE, NULL);
    KeRaiseIrql(APC_LEVEL, &Old);
    ExReleaseFastMutex(&Holder->FastMutex); /* 0xC4/0x1004 */
}

WMT_TEST_FN(model, die_fast_mutex_release_by_other_thread)
{
    HKT_HOLDER Holder;
    HANDLE Handle;
    PVOID Object;

    HktHolderInit(&Holder);
    ExInitializeFastMutex(&Holder.FastMutex);
    /* Threads are created at PASSIVE_LEVEL, so before the acquire. */
    if (!NT_SUCCESS(PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, NULL, NULL, NULL,
                                         HktReleaseOthersFastMutex, &Holder)) ||
        !NT_SUCCESS(ObReferenceObjectByHandle(Handle, THREAD_ALL_ACCESS, *PsThreadType, KernelMode, &Object, NULL))) {
        return;
    }
    (VOID)ZwClose(Handle);
    ExAcquireFastMutex(&Holder.FastMutex);
    KeSetEvent(&Holder.Held, IO_NO_INCREMENT, FALSE);
    (VOID)KeWaitForSingleObject(Object, Executive, KernelMode, FALSE, NULL); /* at APC_LEVEL: allowed */
}

WMT_TEST_FN(model, die_fast_mutex_unsafe_outside_region)
{
    FAST_MUTEX Mutex;

    ExInitializeFastMutex(&Mutex);
    ExAcquireFastMutexUnsafe(&Mutex); /* PASSIVE, no critical region: 0xC4/0x39 */
}

WMT_TEST_FN(model, die_fast_mutex_unsafe_release_outside_region)
{
    FAST_MUTEX Mutex;

    ExInitializeFastMutex(&Mutex);
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&Mutex);
    KeLeaveCriticalRegion();
    ExReleaseFastMutexUnsafe(&Mutex); /* 0xC4/0x3A */
}

WMT_TEST_FN(model, die_fast_mutex_release_api_mismatch)
{
    FAST_MUTEX Mutex;
    KIRQL Old;

    ExInitializeFastMutex(&Mutex);
    KeRaiseIrql(APC_LEVEL, &Old);
    ExAcquireFastMutexUnsafe(&Mutex);
    ExReleaseFastMutex(&Mutex); /* 0xC4/0x1009 */
}

WMT_TEST_FN(model, die_fast_mutex_uninitialized)
{
    FAST_MUTEX Mutex;

    RtlZeroMemory(&Mutex, sizeof(Mutex));
    ExAcquireFastMutex(&Mutex); /* 0xC4/0x1002 */
}

/* --- Guarded mutex (§6) -------------------------------------------------- */

WMT_TEST_FN(model, die_guarded_mutex_at_dispatch)
{
    KGUARDED_MUTEX Mutex;
    KIRQL Old;

    KeInitializeGuardedMutex(&Mutex);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeAcquireGuardedMutex(&Mutex); /* 0xC4/0x0002000F */
}

WMT_TEST_FN(model, die_guarded_mutex_recursive)
{
    KGUARDED_MUTEX Mutex;

    KeInitializeGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex); /* 0xBF */
}

static KSTART_ROUTINE HktReleaseOthersGuardedMutex;
static VOID
HktReleaseOthersGuardedMutex(PVOID Context)
{
    KeReleaseGuardedMutex((PKGUARDED_MUTEX)Context); /* 0xC4/0x1004 */
}

WMT_TEST_FN(model, die_guarded_mutex_release_by_other_thread)
{
    KGUARDED_MUTEX Mutex;

    KeInitializeGuardedMutex(&Mutex);
    KeAcquireGuardedMutex(&Mutex);
    (VOID)HktRunRawThread(HktReleaseOthersGuardedMutex, &Mutex);
}

/* --- Spin locks (§7) ----------------------------------------------------- */

WMT_TEST_FN(model, die_spin_lock_recursive)
{
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    KeAcquireSpinLockAtDpcLevel(&Lock); /* 0xF */
}

WMT_TEST_FN(model, die_spin_lock_release_unowned)
{
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeReleaseSpinLock(&Lock, Old); /* held by nobody: 0x10 */
}

WMT_TEST_FN(model, die_spin_lock_double_release)
{
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    KeReleaseSpinLock(&Lock, Old);
    KeReleaseSpinLock(&Lock, Old); /* now at PASSIVE: 0xC4/0x32 */
}

WMT_TEST_FN(model, die_spin_lock_acquire_above_dispatch)
{
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeRaiseIrql(HIGH_LEVEL, &Old);
    KeAcquireSpinLock(&Lock, &Old); /* 0xC4/0x42 */
}

WMT_TEST_FN(model, die_spin_lock_at_dpc_below_dispatch)
{
    KSPIN_LOCK Lock;

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLockAtDpcLevel(&Lock); /* 0xC4/0x40 */
}

WMT_TEST_FN(model, die_spin_lock_from_dpc_below_dispatch)
{
    KSPIN_LOCK Lock;

    KeInitializeSpinLock(&Lock);
    KeReleaseSpinLockFromDpcLevel(&Lock); /* 0xC4/0x41 */
}

WMT_TEST_FN(model, die_spin_lock_wrong_old_irql)
{
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    KeReleaseSpinLock(&Lock, APC_LEVEL); /* not the OldIrql: 0xC4/0x00020015 */
}

WMT_TEST_FN(model, die_spin_lock_lower_irql_while_held)
{
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    KeLowerIrql(PASSIVE_LEVEL); /* 0xF */
}

WMT_TEST_FN(model, die_queued_release_of_plain_lock)
{
    KSPIN_LOCK Lock;
    KLOCK_QUEUE_HANDLE Handle;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    Handle.LockQueue.Next = NULL;
    Handle.LockQueue.Lock = &Lock;
    Handle.OldIrql = Old;
    KeReleaseInStackQueuedSpinLock(&Handle); /* API mismatch: 0xC4/0x1009 */
}

WMT_TEST_FN(model, die_queued_release_unused_handle)
{
    KLOCK_QUEUE_HANDLE Handle;
    KIRQL Old;

    RtlZeroMemory(&Handle, sizeof(Handle));
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeReleaseInStackQueuedSpinLock(&Handle); /* 0xC4/0x1009 */
}

WMT_TEST_FN(model, die_paged_pool_holding_spin_lock)
{
    KSPIN_LOCK Lock;
    KIRQL Old;

    KeInitializeSpinLock(&Lock);
    KeAcquireSpinLock(&Lock, &Old);
    (VOID)ExAllocatePool2(POOL_FLAG_PAGED, 16, HKT_TAG_TEST); /* 0xC2/0x08 */
}

/* --- ERESOURCE (§8) ------------------------------------------------------ */

WMT_TEST_FN(model, die_eresource_acquire_with_apcs_enabled)
{
    ERESOURCE Resource;

    (VOID)ExInitializeResourceLite(&Resource);
    (VOID)ExAcquireResourceExclusiveLite(&Resource, TRUE); /* 0xC4/0x37 */
}

WMT_TEST_FN(model, die_eresource_release_with_apcs_enabled)
{
    ERESOURCE Resource;

    (VOID)ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceSharedLite(&Resource, TRUE);
    KeLeaveCriticalRegion();
    ExReleaseResourceLite(&Resource); /* 0xC4/0x38 */
}

WMT_TEST_FN(model, die_eresource_shared_to_exclusive)
{
    ERESOURCE Resource;

    (VOID)ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceSharedLite(&Resource, TRUE);
    (VOID)ExAcquireResourceExclusiveLite(&Resource, TRUE); /* self-deadlock: 0xC4/0x1000 */
}

WMT_TEST_FN(model, die_eresource_release_unowned)
{
    ERESOURCE Resource;

    (VOID)ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    ExReleaseResourceLite(&Resource); /* 0xE3 */
}

WMT_TEST_FN(model, die_eresource_delete_while_owned)
{
    ERESOURCE Resource;

    (VOID)ExInitializeResourceLite(&Resource);
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceExclusiveLite(&Resource, TRUE);
    (VOID)ExDeleteResourceLite(&Resource); /* 0xC4/0x100B */
}

WMT_TEST_FN(model, die_eresource_reinitialize)
{
    ERESOURCE Resource;

    (VOID)ExInitializeResourceLite(&Resource);
    (VOID)ExInitializeResourceLite(&Resource); /* 0xC4/0xD0 */
}

WMT_TEST_FN(model, die_eresource_delete_uninitialized)
{
    ERESOURCE Resource;

    RtlZeroMemory(&Resource, sizeof(Resource));
    (VOID)ExDeleteResourceLite(&Resource); /* 0xC4/0xD1 */
}

/* Acquiring a resource that is not initialised where it is: zeroed,
 * deleted, or a byte copy of a live one (0xC4/0x1002, P2 the resource). */
WMT_TEST_FN(model, die_eresource_acquire_uninitialized)
{
    ERESOURCE Resource;

    RtlZeroMemory(&Resource, sizeof(Resource));
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceExclusiveLite(&Resource, TRUE);
}

WMT_TEST_FN(model, die_eresource_acquire_deleted)
{
    ERESOURCE Resource;

    (VOID)ExInitializeResourceLite(&Resource);
    (VOID)ExDeleteResourceLite(&Resource);
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceSharedLite(&Resource, TRUE);
}

WMT_TEST_FN(model, die_eresource_acquire_moved)
{
    static ERESOURCE Resource;
    static ERESOURCE Moved;

    (VOID)ExInitializeResourceLite(&Resource);
    RtlCopyMemory(&Moved, &Resource, sizeof(Moved));
    KeEnterCriticalRegion();
    (VOID)ExAcquireResourceExclusiveLite(&Moved, TRUE);
}

WMT_TEST_FN(model, die_eresource_pool_freed_while_live)
{
    PERESOURCE Resource = (PERESOURCE)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(ERESOURCE), HKT_TAG_TEST);

    if (Resource == NULL) {
        return;
    }
    (VOID)ExInitializeResourceLite(Resource);
    ExFreePoolWithTag(Resource, HKT_TAG_TEST); /* not deleted: 0xC4/0xD2 */
}

/* --- Push locks (§9) ----------------------------------------------------- */

WMT_TEST_FN(model, die_push_lock_try_with_apcs_enabled)
{
    EX_PUSH_LOCK Lock;

    ExInitializePushLock(&Lock);
    (VOID)ExTryAcquirePushLockShared(&Lock); /* 0xC4/0xEA, as the waiting form */
}

WMT_TEST_FN(model, die_push_lock_acquire_with_apcs_enabled)
{
    EX_PUSH_LOCK Lock;

    ExInitializePushLock(&Lock);
    ExAcquirePushLockExclusive(&Lock); /* 0xC4/0xEA */
}

WMT_TEST_FN(model, die_push_lock_release_with_apcs_enabled)
{
    EX_PUSH_LOCK Lock;

    ExInitializePushLock(&Lock);
    KeEnterCriticalRegion();
    ExAcquirePushLockShared(&Lock);
    KeLeaveCriticalRegion();
    ExReleasePushLockShared(&Lock); /* 0xC4/0xEB */
}

/* --- Pool (§13) ---------------------------------------------------------- */

WMT_TEST_FN(model, die_pool_zero_bytes)
{
    (VOID)ExAllocatePoolWithTag(NonPagedPoolNx, 0, HKT_TAG_TEST); /* 0xC2/0x00 */
}

WMT_TEST_FN(model, die_pool2_zero_bytes)
{
    (VOID)ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, HKT_TAG_TEST); /* 0xC2/0x00 */
}

WMT_TEST_FN(model, die_pool_free_wrong_tag)
{
    PVOID Block = ExAllocatePoolWithTag(NonPagedPoolNx, 16, HKT_TAG_TEST);

    ExFreePoolWithTag(Block, HKT_TAG_OTHER); /* 0xC2/0x0A */
}

WMT_TEST_FN(model, die_pool_double_free)
{
    PVOID Block = ExAllocatePoolWithTag(NonPagedPoolNx, 16, HKT_TAG_TEST);

    ExFreePoolWithTag(Block, HKT_TAG_TEST);
    ExFreePoolWithTag(Block, HKT_TAG_TEST); /* 0xC2/0x07 */
}

WMT_TEST_FN(model, die_pool_free_foreign_address)
{
    ULONG Local = 0;

    ExFreePool(&Local); /* never pool: 0xC2/0x07 */
}

WMT_TEST_FN(model, die_pool_paged_at_dispatch)
{
    KIRQL Old;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    (VOID)ExAllocatePoolWithTag(PagedPool, 16, HKT_TAG_TEST); /* 0xC2/0x08 */
}

WMT_TEST_FN(model, die_pool_nonpaged_above_dispatch)
{
    KIRQL Old;

    KeRaiseIrql(HIGH_LEVEL, &Old);
    (VOID)ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, HKT_TAG_TEST); /* 0xC2/0x08 */
}

WMT_TEST_FN(model, die_pool_free_paged_at_dispatch)
{
    PVOID Block = ExAllocatePool2(POOL_FLAG_PAGED, 16, HKT_TAG_TEST);
    KIRQL Old;

    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    ExFreePoolWithTag(Block, HKT_TAG_TEST); /* 0xC2/0x09 */
}

WMT_TEST_FN(model, die_pool_raise_on_failure)
{
    HkPoolFailAfter(1);
    (VOID)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, HKT_TAG_TEST); /* 0x1E */
}

/* --- Routine lookup (§14) ------------------------------------------------ */

WMT_TEST_FN(model, die_routine_lookup_at_apc)
{
    KIRQL Old;

    KeRaiseIrql(APC_LEVEL, &Old);
    (VOID)HktLookup("ExAllocatePool2"); /* 0xC4/0x00020008 */
}

/* ------------------------------------------------------------------------ */

WMT_SUITE(model) {
    WMT_CASE(model, irql_raise_and_lower, HKT_FLAGS),
    WMT_CASE(model, critical_and_guarded_regions, HKT_FLAGS),
    WMT_CASE(model, reset_current_thread, HKT_FLAGS),
    WMT_CASE(model, host_threads_known_once_adopted, HKT_FLAGS),
    WMT_CASE(model, kmutex_recursion_and_state, HKT_FLAGS),
    WMT_CASE(model, kmutex_timeouts_when_contended, HKT_FLAGS),
    WMT_CASE(model, kmutex_hands_off_to_waiter, HKT_FLAGS),
    WMT_CASE(model, kmutex_zero_timeout_at_dispatch, HKT_FLAGS),
    WMT_CASE(model, kmutex_release_wait_true_keeps_irql, HKT_FLAGS),
    WMT_CASE(model, kmutex_excludes_threads, HKT_FLAGS),
    WMT_CASE(model, notification_event, HKT_FLAGS),
    WMT_CASE(model, synchronization_event, HKT_FLAGS),
    WMT_CASE(model, synchronization_event_releases_one_waiter, HKT_FLAGS),
    WMT_CASE(model, notification_event_releases_all_waiters, HKT_FLAGS),
    WMT_CASE(model, delay_execution, HKT_FLAGS),
    WMT_CASE(model, system_thread_lifecycle, HKT_FLAGS),
    WMT_CASE(model, object_handles, HKT_FLAGS),
    WMT_CASE(model, fast_mutex_irql_and_try, HKT_FLAGS),
    WMT_CASE(model, fast_mutex_unsafe, HKT_FLAGS),
    WMT_CASE(model, fast_mutex_excludes_threads, HKT_FLAGS),
    WMT_CASE(model, guarded_mutex, HKT_FLAGS),
    WMT_CASE(model, spin_lock_irql, HKT_FLAGS),
    WMT_CASE(model, spin_lock_excludes_threads, HKT_FLAGS),
    WMT_CASE(model, eresource_recursion_and_sharing, HKT_FLAGS),
    WMT_CASE(model, eresource_excludes_threads, HKT_FLAGS),
    WMT_CASE(model, push_lock, HKT_FLAGS),
    WMT_CASE(model, push_lock_try, HKT_FLAGS),
    WMT_CASE(model, paged_pool_pages_back_in, HKT_FLAGS),
    WMT_CASE(model, rundown_protection, HKT_FLAGS),
    WMT_CASE(model, pool_accounting_and_contents, HKT_FLAGS),
    WMT_CASE(model, pool2_rejects_bad_requests, HKT_FLAGS),
    WMT_CASE(model, pool_failure_injection, HKT_FLAGS),
    WMT_CASE(model, routine_lookup_and_hiding, HKT_FLAGS),
    WMT_CASE(model, ipi_generic_call, HKT_FLAGS),

    WMT_DEATH_CASE(model, die_raise_irql_to_lower, 0xC4, 0x30),
    WMT_DEATH_CASE(model, die_lower_irql_to_higher, 0xC4, 0x31),
    WMT_DEATH_CASE(model, die_leave_critical_region_unentered, 0xC4, 0x3E),
    WMT_DEATH_CASE(model, die_leave_critical_region_holding_only_kmutex, 0xC4, 0x3E),
    WMT_DEATH_CASE(model, die_leave_guarded_region_unentered, 0xC4, 0x3E),
    WMT_DEATH_CASE(model, die_enter_critical_region_at_dispatch, 0xC4, 0x11A),
    WMT_DEATH_CASE(model, die_leave_critical_region_at_dispatch, 0xC4, 0x11B),
    WMT_DEATH_CASE(model, die_exception_on_initial_thread, 0x1E, 0xC000000D),
    WMT_DEATH_CASE(model, die_exception_on_system_thread, 0x7E, 0xC000000D),
    WMT_DEATH_CASE(model, die_assertion, 0x1E, 0xC0000420),
    WMT_DEATH_CASE(model, die_paged_code_at_dispatch, 0x1E, 0xC0000420),
    WMT_DEATH_CASE(model, die_kmutex_release_unowned, 0x1E, 0xC0000046),
    WMT_DEATH_CASE(model, die_kmutex_release_by_other_thread, 0x7E, 0xC0000046),
    WMT_DEATH_CASE(model, die_kmutex_release_at_other_irql, 0x1E, 0xC0000046),
    WMT_DEATH_CASE(model, die_kmutex_recursion_limit, 0x1E, 0xC0000191),
    WMT_DEATH_CASE(model, die_kmutex_release_above_dispatch, 0xC4, 0x00020011),
    WMT_DEATH_CASE(model, die_ipi_generic_call_above_dispatch, 0xC4, 0x00020011),
    WMT_DEATH_CASE(model, die_kmutex_user_mode_wait, 0xC4, 0x1008),
    WMT_DEATH_CASE(model, die_wait_above_dispatch, 0xC4, 0x120),
    WMT_DEATH_CASE(model, die_wait_at_dispatch_forever, 0xC4, 0x121),
    WMT_DEATH_CASE(model, die_wait_at_dispatch_with_timeout, 0xC4, 0x122),
    WMT_DEATH_CASE(model, die_wait_holding_spin_lock, 0xC4, 0x121),
    WMT_DEATH_CASE(model, die_wait_uninitialized_mutex, 0xC4, 0x1002),
    WMT_DEATH_CASE(model, die_delay_at_dispatch, 0xC4, 0x0002000F),
    WMT_DEATH_CASE_ANY_PARAM(model, die_thread_exit_holding_kmutex, 0x4000008A),
    WMT_DEATH_CASE_ANY_PARAM(model, die_thread_terminate_holding_kmutex, 0x4000008A),
    WMT_DEATH_CASE(model, die_thread_exit_at_dispatch, 0xC8, DISPATCH_LEVEL),
    WMT_DEATH_CASE(model, die_thread_exit_in_critical_region, 0x20, 0),
    WMT_DEATH_CASE(model, die_create_thread_above_passive, 0xC4, 0x0002001C),
    WMT_DEATH_CASE(model, die_close_invalid_handle, 0x93, 0x1234),
    WMT_DEATH_CASE(model, die_fast_mutex_acquire_at_dispatch, 0xC4, 0x33),
    WMT_DEATH_CASE(model, die_fast_mutex_release_at_passive, 0xC4, 0x34),
    WMT_DEATH_CASE_ANY_PARAM(model, die_fast_mutex_recursive, 0xBF),
    WMT_DEATH_CASE(model, die_fast_mutex_release_by_other_thread, 0xC4, 0x1004),
    WMT_DEATH_CASE(model, die_fast_mutex_unsafe_outside_region, 0xC4, 0x39),
    WMT_DEATH_CASE(model, die_fast_mutex_unsafe_release_outside_region, 0xC4, 0x3A),
    WMT_DEATH_CASE(model, die_fast_mutex_release_api_mismatch, 0xC4, 0x1009),
    WMT_DEATH_CASE(model, die_fast_mutex_uninitialized, 0xC4, 0x1002),
    WMT_DEATH_CASE(model, die_guarded_mutex_at_dispatch, 0xC4, 0x0002000F),
    WMT_DEATH_CASE_ANY_PARAM(model, die_guarded_mutex_recursive, 0xBF),
    WMT_DEATH_CASE(model, die_guarded_mutex_release_by_other_thread, 0xC4, 0x1004),
    WMT_DEATH_CASE_ANY_PARAM(model, die_spin_lock_recursive, 0x0F),
    WMT_DEATH_CASE_ANY_PARAM(model, die_spin_lock_release_unowned, 0x10),
    WMT_DEATH_CASE(model, die_spin_lock_double_release, 0xC4, 0x32),
    WMT_DEATH_CASE(model, die_spin_lock_acquire_above_dispatch, 0xC4, 0x42),
    WMT_DEATH_CASE(model, die_spin_lock_at_dpc_below_dispatch, 0xC4, 0x40),
    WMT_DEATH_CASE(model, die_spin_lock_from_dpc_below_dispatch, 0xC4, 0x41),
    WMT_DEATH_CASE(model, die_spin_lock_wrong_old_irql, 0xC4, 0x00020015),
    WMT_DEATH_CASE_ANY_PARAM(model, die_spin_lock_lower_irql_while_held, 0x0F),
    WMT_DEATH_CASE(model, die_queued_release_of_plain_lock, 0xC4, 0x1009),
    WMT_DEATH_CASE(model, die_queued_release_unused_handle, 0xC4, 0x1009),
    WMT_DEATH_CASE(model, die_paged_pool_holding_spin_lock, 0xC2, 0x08),
    WMT_DEATH_CASE(model, die_eresource_acquire_with_apcs_enabled, 0xC4, 0x37),
    WMT_DEATH_CASE(model, die_eresource_release_with_apcs_enabled, 0xC4, 0x38),
    WMT_DEATH_CASE(model, die_eresource_shared_to_exclusive, 0xC4, 0x1000),
    WMT_DEATH_CASE_ANY_PARAM(model, die_eresource_release_unowned, 0xE3),
    WMT_DEATH_CASE(model, die_eresource_delete_while_owned, 0xC4, 0x100B),
    WMT_DEATH_CASE(model, die_eresource_reinitialize, 0xC4, 0xD0),
    WMT_DEATH_CASE(model, die_eresource_delete_uninitialized, 0xC4, 0xD1),
    WMT_DEATH_CASE(model, die_eresource_pool_freed_while_live, 0xC4, 0xD2),
    WMT_DEATH_CASE(model, die_eresource_acquire_uninitialized, 0xC4, 0x1002),
    WMT_DEATH_CASE(model, die_eresource_acquire_deleted, 0xC4, 0x1002),
    WMT_DEATH_CASE(model, die_eresource_acquire_moved, 0xC4, 0x1002),
    WMT_DEATH_CASE(model, die_push_lock_acquire_with_apcs_enabled, 0xC4, 0xEA),
    WMT_DEATH_CASE(model, die_push_lock_try_with_apcs_enabled, 0xC4, 0xEA),
    WMT_DEATH_CASE_ANY_PARAM(model, die_paged_pool_touched_at_dispatch, 0xD1),
    WMT_DEATH_CASE(model, die_push_lock_release_with_apcs_enabled, 0xC4, 0xEB),
    WMT_DEATH_CASE(model, die_pool_zero_bytes, 0xC2, 0x00),
    WMT_DEATH_CASE(model, die_pool2_zero_bytes, 0xC2, 0x00),
    WMT_DEATH_CASE(model, die_pool_free_wrong_tag, 0xC2, 0x0A),
    WMT_DEATH_CASE(model, die_pool_double_free, 0xC2, 0x07),
    WMT_DEATH_CASE(model, die_pool_free_foreign_address, 0xC2, 0x07),
    WMT_DEATH_CASE(model, die_pool_paged_at_dispatch, 0xC2, 0x08),
    WMT_DEATH_CASE(model, die_pool_nonpaged_above_dispatch, 0xC2, 0x08),
    WMT_DEATH_CASE(model, die_pool_free_paged_at_dispatch, 0xC2, 0x09),
    WMT_DEATH_CASE(model, die_pool_raise_on_failure, 0x1E, 0xC000009A),
    WMT_DEATH_CASE(model, die_routine_lookup_at_apc, 0xC4, 0x00020008),
};
WMT_SUITE_END(model);

#else /* !WM_HOST_MODEL: a real kernel runs none of these */

WMT_TEST_FN(model, host_model_only)
{
}

WMT_SUITE(model) {
    WMT_CASE(model, host_model_only, WMT_HOST_ONLY),
};
WMT_SUITE_END(model);

#endif /* WM_HOST_MODEL */
