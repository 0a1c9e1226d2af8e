/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of SpinLock and QueuedSpinLock: the generic behaviour that
 *              does not wait while holding (lock_cases.inc, SpinLock), and for
 *              both kinds the IRQL they raise to and restore, the at-DPC-level
 *              forms, try where the kernel offers it, refused recursion, unlock
 *              misuse, exclusion against a spinning holder, a stress, and raw
 *              spin-lock misuse the host model bug-checks.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 *
 * A spin-lock holder runs at DISPATCH_LEVEL and must not wait: the helper
 * threads here hand over with interlocked flags they spin on, and the tests
 * only wait (KeWaitForSingleObject, thread joins) with no spin lock held.
 * lock_cases.inc bodies that wait while holding are not listed.
 */
#include "wmt_cases.h"

#ifdef WM_HOST_MODEL
#include "wmp.h" /* WmpResetRoutineCache: re-resolve after hiding a routine */
#endif

WM_DECLARE_SPIN_LOCK_TYPE(WMT_SL, WmtSl, WMT_VALUE);
WM_DECLARE_QUEUED_SPIN_LOCK_TYPE(WMT_QSL, WmtQsl, WMT_VALUE);

#define WMT_GEN_SUITE                spin_lock
#define WMT_GEN_TYPE                 WMT_SL
#define WMT_GEN_PREFIX               WmtSl
#define WMT_GEN_MAX_WAIT_IRQL        DISPATCH_LEVEL
#define WMT_GEN_MAX_TRY_IRQL         DISPATCH_LEVEL
#define WMT_GEN_TIMED_WAIT           0
#define WMT_GEN_TRY_EXPORT           "KeTryToAcquireSpinLockAtDpcLevel"
#define WMT_GEN_HANDOFF_FLAGS        0
#define WMT_GEN_UNLOCK_TOO_HIGH_IRQL HIGH_LEVEL
#include "lock_cases.inc"

/* Reads a flag another thread sets (a spin-lock holder cannot wait). */
WM_INLINE LONG
WmtSpinRead(_In_ LONG volatile *Flag)
{
    return InterlockedCompareExchange(Flag, 0, 0);
}

/* Spins until *Flag is non-zero or about ten seconds passed; TRUE if set.
 * Usable at DISPATCH_LEVEL (no wait, only the tick count). */
static BOOLEAN
WmtSpinUntil(_In_ LONG volatile *Flag)
{
    LARGE_INTEGER Start;
    LARGE_INTEGER Now;

    KeQueryTickCount(&Start);
    while (WmtSpinRead(Flag) == 0) {
        YieldProcessor();
        KeQueryTickCount(&Now);
        if ((Now.QuadPart - Start.QuadPart) * (LONGLONG)KeQueryTimeIncrement() > 100000000LL) {
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * The spin-lock cases, stamped out for both kinds. Suite, TYPE, Prefix; CAN_TRY
 * is an expression: TRUE when the kind's try works on this kernel;
 * UNMODELLED_ITERATIONS: the stress's per-thread count on a kernel that does
 * not raise IRQL (holders and waiters get preempted there: an in-stack queued
 * lock, a FIFO queue, then hands over only as fast as the scheduler runs the
 * next waiter, so 100000 rounds take minutes under Wine).
 */
#define WMT_SPIN_CASES(Suite, TYPE, Prefix, CAN_TRY, UNMODELLED_ITERATIONS)            \
                                                                                       \
/* Lock raises to DISPATCH_LEVEL and unlock restores the caller's IRQL. */             \
static VOID                                                                            \
WmtSpinRaiseAt_##TYPE(_In_ TYPE Lock, _In_ KIRQL Irql)                                 \
{                                                                                      \
    TYPE##_GUARD Guard = { 0 };                                                        \
    KIRQL Old = WmtRaiseIrql(Irql);                                                    \
    NTSTATUS Status = Prefix##Lock(Lock, &Guard);                                      \
                                                                                       \
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);                                         \
    if (Status == STATUS_SUCCESS) {                                                    \
        WMT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);                             \
        WMT_EXPECT_EQ(Guard.Base.OldIrql, Irql);                                       \
        Guard.Value->Counter += 1;                                                     \
        WMT_EXPECT_STATUS(Prefix##UnlockSafe(&Guard), STATUS_SUCCESS);                 \
    }                                                                                  \
    WMT_EXPECT_EQ(KeGetCurrentIrql(), Irql);                                           \
    WmtLowerIrql(Old);                                                                 \
}                                                                                      \
                                                                                       \
WMT_TEST_FN(Suite, lock_raises_and_restores)                                           \
{                                                                                      \
    TYPE Lock;                                                                         \
    TYPE##_GUARD Guard = { 0 };                                                        \
    KIRQL Old;                                                                         \
                                                                                       \
    WMT_CHECK_STATUS(Prefix##Create(&Lock, NULL, NULL), STATUS_SUCCESS);               \
    WmtSpinRaiseAt_##TYPE(Lock, PASSIVE_LEVEL);                                        \
    WmtSpinRaiseAt_##TYPE(Lock, APC_LEVEL);                                            \
    WmtSpinRaiseAt_##TYPE(Lock, DISPATCH_LEVEL);                                       \
    WMT_STOP_IF_FAILED();                                                              \
    /* Above DISPATCH_LEVEL: refused, IRQL untouched, nothing held. */                 \
    Old = WmtRaiseIrql(HIGH_LEVEL);                                                    \
    WMT_EXPECT_STATUS(Prefix##Lock(Lock, &Guard), STATUS_WM_IRQL_TOO_HIGH);            \
    WMT_EXPECT_STATUS(Prefix##LockAtDpcLevel(Lock, &Guard), STATUS_WM_IRQL_TOO_HIGH);  \
    WMT_EXPECT_STATUS(Prefix##TryLock(Lock, &Guard), STATUS_WM_IRQL_TOO_HIGH);         \
    WMT_EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);                                     \
    WmtLowerIrql(Old);                                                                 \
    WMT_CHECK(Guard.Value == NULL);                                                    \
    WMT_CHECK_STATUS(Prefix##Lock(Lock, &Guard), STATUS_SUCCESS);                      \
    WMT_CHECK_EQ(Guard.Value->Counter, 3);                                             \
    WMT_CHECK_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                          \
    WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                          \
}                                                                                      \
                                                                                       \
/* The at-DPC-level forms need exactly DISPATCH_LEVEL and leave it there. */           \
WMT_TEST_FN(Suite, at_dpc_level_forms)                                                 \
{                                                                                      \
    TYPE Lock;                                                                         \
    TYPE##_GUARD Guard = { 0 };                                                        \
    BOOLEAN CanTry;                                                                    \
    NTSTATUS Status;                                                                   \
    KIRQL Old;                                                                         \
                                                                                       \
    WMT_CHECK_STATUS(WmInitializeLibrary(), STATUS_SUCCESS);                           \
    CanTry = (CAN_TRY);                                                                \
    WMT_CHECK_STATUS(Prefix##Create(&Lock, NULL, NULL), STATUS_SUCCESS);               \
    WMT_CHECK_STATUS(Prefix##LockAtDpcLevel(Lock, &Guard), STATUS_WM_IRQL_NOT_DISPATCH_LEVEL); \
    WMT_CHECK(Guard.Value == NULL);                                                    \
    WMT_CHECK_EQ(Guard.Base.Status, STATUS_WM_IRQL_NOT_DISPATCH_LEVEL);                \
    WMT_CHECK_STATUS(Prefix##TryLockAtDpcLevel(Lock, &Guard), STATUS_WM_IRQL_NOT_DISPATCH_LEVEL); \
    Old = WmtRaiseIrql(APC_LEVEL);                                                     \
    WMT_EXPECT_STATUS(Prefix##LockAtDpcLevel(Lock, &Guard), STATUS_WM_IRQL_NOT_DISPATCH_LEVEL); \
    WmtLowerIrql(Old);                                                                 \
    WMT_STOP_IF_FAILED();                                                              \
                                                                                       \
    Old = WmtRaiseIrql(DISPATCH_LEVEL);                                                \
    Status = Prefix##LockAtDpcLevel(Lock, &Guard);                                     \
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);                                         \
    if (Status == STATUS_SUCCESS) {                                                    \
        WMT_EXPECT_EQ(Guard.Base.OldIrql, DISPATCH_LEVEL);                             \
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Lock)));                      \
        Guard.Value->Counter = 9;                                                      \
        WMT_EXPECT_STATUS(Prefix##UnlockSafe(&Guard), STATUS_SUCCESS);                 \
        WMT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);                             \
    }                                                                                  \
    Status = Prefix##TryLockAtDpcLevel(Lock, &Guard);                                  \
    WMT_EXPECT_STATUS(Status, CanTry ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED);         \
    if (Status == STATUS_SUCCESS) {                                                    \
        WMT_EXPECT_EQ(Guard.Value->Counter, 9);                                        \
        WMT_EXPECT_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                     \
        WMT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);                             \
    }                                                                                  \
    /* Taken at DISPATCH_LEVEL by the raising form: same lock, same result. */         \
    Status = Prefix##Lock(Lock, &Guard);                                               \
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);                                         \
    if (Status == STATUS_SUCCESS) {                                                    \
        WMT_EXPECT_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                     \
    }                                                                                  \
    WMT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);                                 \
    WmtLowerIrql(Old);                                                                 \
    WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                          \
}                                                                                      \
                                                                                       \
/* A second acquisition by the holder is refused, whatever the form. */                \
WMT_TEST_FN(Suite, recursive_acquire_refused)                                          \
{                                                                                      \
    static WMT_VALUE Sentinel;                                                         \
    TYPE Lock;                                                                         \
    TYPE##_GUARD Guard = { 0 };                                                        \
    TYPE##_GUARD Again = { 0 };                                                        \
                                                                                       \
    WMT_CHECK_STATUS(Prefix##Create(&Lock, NULL, NULL), STATUS_SUCCESS);               \
    WMT_CHECK_STATUS(Prefix##Lock(Lock, &Guard), STATUS_SUCCESS);                      \
    Again.Value = &Sentinel;                                                           \
    WMT_EXPECT_STATUS(Prefix##Lock(Lock, &Again), STATUS_WM_RECURSIVE_ACQUIRE);        \
    WMT_EXPECT(Again.Value == NULL);                                                   \
    WMT_EXPECT_STATUS(Prefix##TryLock(Lock, &Again), STATUS_WM_RECURSIVE_ACQUIRE);     \
    WMT_EXPECT_STATUS(Prefix##LockTimeout(Lock, 0, &Again), STATUS_WM_RECURSIVE_ACQUIRE); \
    WMT_EXPECT_STATUS(Prefix##LockAtDpcLevel(Lock, &Again), STATUS_WM_RECURSIVE_ACQUIRE); \
    WMT_EXPECT_STATUS(Prefix##TryLockAtDpcLevel(Lock, &Again), STATUS_WM_RECURSIVE_ACQUIRE); \
    WMT_EXPECT(Guard.Value == &Lock.Object->Value);                                    \
    WMT_CHECK_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                          \
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);                                   \
    WMT_CHECK_STATUS(Prefix##Lock(Lock, &Again), STATUS_SUCCESS);                      \
    WMT_CHECK_STATUS(Prefix##Unlock(&Again), STATUS_SUCCESS);                          \
    WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                          \
}                                                                                      \
                                                                                       \
/* A thread that unlocks a guard it did not arm, on request, while the test        */  \
/* holds the lock and spins (the test cannot wait while it holds a spin lock).     */  \
typedef struct _WMT_SPIN_FOREIGN_##TYPE {                                              \
    TYPE##_GUARD *Guard;                                                               \
    LONG volatile Go;                                                                  \
    LONG volatile Done;                                                                \
    NTSTATUS Unlock;                                                                   \
    NTSTATUS UnlockSafe;                                                               \
    BOOLEAN Owned;                                                                     \
    TYPE Lock;                                                                         \
} WMT_SPIN_FOREIGN_##TYPE;                                                             \
                                                                                       \
static KSTART_ROUTINE WmtSpinForeignThread_##TYPE;                                     \
                                                                                       \
static VOID NTAPI                                                                      \
WmtSpinForeignThread_##TYPE(_In_ PVOID Context)                                        \
{                                                                                      \
    WMT_SPIN_FOREIGN_##TYPE *Foreign = Context;                                        \
                                                                                       \
    if (!WmtSpinUntil(&Foreign->Go)) {                                                 \
        WMT_EXPECT(!"the test never asked");                                           \
    }                                                                                  \
    Foreign->Unlock = Prefix##Unlock(Foreign->Guard);                                  \
    Foreign->UnlockSafe = Prefix##UnlockSafe(Foreign->Guard);                          \
    Foreign->Owned = WmIsLockOwnedByCurrentThread(G_HEADER(Foreign->Lock));            \
    InterlockedExchange(&Foreign->Done, 1);                                            \
}                                                                                      \
                                                                                       \
WMT_TEST_FN(Suite, unlock_misuse)                                                      \
{                                                                                      \
    WMT_SPIN_FOREIGN_##TYPE Foreign;                                                   \
    WMT_THREAD Thread;                                                                 \
    TYPE Lock;                                                                         \
    TYPE##_GUARD Guard = { 0 };                                                        \
    TYPE##_GUARD Copy = { 0 };                                                         \
    NTSTATUS Status;                                                                   \
    BOOLEAN Answered = FALSE;                                                          \
                                                                                       \
    WMT_CHECK_STATUS(Prefix##Create(&Lock, NULL, NULL), STATUS_SUCCESS);               \
    /* A zeroed guard releases nothing. */                                             \
    WMT_CHECK_STATUS(Prefix##Unlock(&Guard), STATUS_WM_NOT_LOCKED);                    \
    WMT_CHECK_STATUS(Prefix##UnlockSafe(&Guard), STATUS_WM_NOT_LOCKED);                \
    WMT_CHECK_STATUS(Prefix##Unlock(NULL), STATUS_WM_INVALID_PARAMETER);               \
                                                                                       \
    /* Another thread's unlock is refused; the lock stays held. */                     \
    RtlZeroMemory(&Foreign, sizeof(Foreign));                                          \
    Foreign.Guard = &Guard;                                                            \
    Foreign.Lock = Lock;                                                               \
    Foreign.Unlock = Foreign.UnlockSafe = STATUS_UNSUCCESSFUL;                         \
    Foreign.Owned = TRUE;                                                              \
    WMT_CHECK_STATUS(WmtStartThread(&Thread, WmtSpinForeignThread_##TYPE, &Foreign), STATUS_SUCCESS); \
    Status = Prefix##Lock(Lock, &Guard);                                               \
    WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);                                         \
    InterlockedExchange(&Foreign.Go, 1);                                               \
    if (Status == STATUS_SUCCESS) {                                                    \
        Answered = WmtSpinUntil(&Foreign.Done);                                        \
        WMT_EXPECT(Guard.Value != NULL);                                               \
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Lock)));                      \
        Copy = Guard;                                                                  \
        WMT_EXPECT_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                     \
        /* Released once: a second unlock and a stale copy release nothing. */         \
        WMT_EXPECT_STATUS(Prefix##Unlock(&Guard), STATUS_WM_NOT_LOCKED);               \
        WMT_EXPECT_STATUS(WmUnlock(&Guard.Base), STATUS_WM_NOT_LOCKED);                \
        WMT_EXPECT_STATUS(Prefix##Unlock(&Copy), STATUS_WM_NOT_OWNER);                 \
    }                                                                                  \
    WMT_EXPECT_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);                         \
    WMT_STOP_IF_FAILED();                                                              \
    WMT_CHECK(Answered);                                                               \
    WMT_CHECK_STATUS(Foreign.Unlock, STATUS_WM_NOT_OWNER);                             \
    WMT_CHECK_STATUS(Foreign.UnlockSafe, STATUS_WM_NOT_OWNER);                         \
    WMT_CHECK(Foreign.Owned == FALSE);                                                 \
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);                                   \
    WMT_CHECK_STATUS(Prefix##Lock(Lock, &Guard), STATUS_SUCCESS);                      \
    /* The stale copy, now that this thread holds the lock again: the owner           \
     * check passes, the token refuses. */                                             \
    WMT_EXPECT_STATUS(Prefix##Unlock(&Copy), STATUS_WM_NOT_OWNER);                     \
    WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Lock)));                          \
    WMT_CHECK_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                          \
    WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                          \
}                                                                                      \
                                                                                       \
/* A holder that spins until told to release. */                                      \
typedef struct _WMT_SPIN_HOLDER_##TYPE {                                               \
    TYPE Lock;                                                                         \
    KEVENT Held;                                                                       \
    LONG volatile Release;                                                             \
    NTSTATUS LockStatus;                                                               \
    BOOLEAN Released;                                                                  \
} WMT_SPIN_HOLDER_##TYPE;                                                              \
                                                                                       \
static KSTART_ROUTINE WmtSpinHolderThread_##TYPE;                                      \
                                                                                       \
static VOID NTAPI                                                                      \
WmtSpinHolderThread_##TYPE(_In_ PVOID Context)                                         \
{                                                                                      \
    WMT_SPIN_HOLDER_##TYPE *Holder = Context;                                          \
    TYPE##_GUARD Guard = { 0 };                                                        \
                                                                                       \
    Holder->LockStatus = Prefix##Lock(Holder->Lock, &Guard);                           \
    if (Holder->LockStatus == STATUS_SUCCESS) {                                        \
        Guard.Value->Counter = 500;                                                    \
    }                                                                                  \
    /* Setting an event without waiting is allowed at DISPATCH_LEVEL. */              \
    KeSetEvent(&Holder->Held, IO_NO_INCREMENT, FALSE);                                 \
    Holder->Released = WmtSpinUntil(&Holder->Release);                                 \
    if (Holder->LockStatus == STATUS_SUCCESS) {                                        \
        Guard.Value->Counter = 501;                                                    \
        WMT_EXPECT_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                     \
    }                                                                                  \
}                                                                                      \
                                                                                       \
WMT_TEST_FN(Suite, holder_excludes_and_hands_over)                                     \
{                                                                                      \
    WMT_SPIN_HOLDER_##TYPE Holder;                                                     \
    WMT_THREAD Thread;                                                                 \
    TYPE Lock;                                                                         \
    TYPE##_GUARD Guard = { 0 };                                                        \
    BOOLEAN CanTry;                                                                    \
    NTSTATUS Status = STATUS_UNSUCCESSFUL;                                             \
    LONGLONG Seen = -1;                                                                \
                                                                                       \
    CanTry = (CAN_TRY);                                                                \
    WMT_CHECK_STATUS(Prefix##Create(&Lock, NULL, NULL), STATUS_SUCCESS);               \
    RtlZeroMemory(&Holder, sizeof(Holder));                                            \
    Holder.Lock = Lock;                                                                \
    Holder.LockStatus = STATUS_UNSUCCESSFUL;                                           \
    KeInitializeEvent(&Holder.Held, NotificationEvent, FALSE);                         \
    WMT_CHECK_STATUS(WmtStartThread(&Thread, WmtSpinHolderThread_##TYPE, &Holder), STATUS_SUCCESS); \
    (VOID)KeWaitForSingleObject(&Holder.Held, Executive, KernelMode, FALSE, NULL);     \
    WMT_EXPECT_STATUS(Holder.LockStatus, STATUS_SUCCESS);                              \
    if (Holder.LockStatus == STATUS_SUCCESS) {                                         \
        WMT_EXPECT_STATUS(Prefix##TryLock(Lock, &Guard), CanTry ? STATUS_WM_LOCK_BUSY : STATUS_NOT_SUPPORTED); \
        WMT_EXPECT(Guard.Value == NULL);                                               \
        WMT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL); /* a failed try lowers again */ \
        WMT_EXPECT_STATUS(Prefix##LockTimeout(Lock, 0, &Guard), CanTry ? STATUS_TIMEOUT : STATUS_NOT_SUPPORTED); \
        WMT_EXPECT_STATUS(Prefix##LockTimeout(Lock, WM_TIMEOUT_MS(10), &Guard), STATUS_NOT_SUPPORTED); \
        WMT_EXPECT_STATUS(Prefix##Destroy(&Lock), STATUS_WM_MUTEX_HELD);               \
        WMT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);                              \
    }                                                                                  \
    /* Let go and spin for it at once: the lock passes from the holder to us. */      \
    InterlockedExchange(&Holder.Release, 1);                                           \
    if (Holder.LockStatus == STATUS_SUCCESS) {                                         \
        Status = Prefix##Lock(Lock, &Guard);                                           \
        if (Status == STATUS_SUCCESS) {                                                \
            Seen = Guard.Value->Counter;                                               \
            WMT_EXPECT_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                 \
        }                                                                              \
    }                                                                                  \
    WMT_EXPECT_STATUS(WmtJoinThread(&Thread), STATUS_SUCCESS);                         \
    WMT_STOP_IF_FAILED();                                                              \
    WMT_CHECK(Holder.Released);                                                        \
    WMT_CHECK_STATUS(Status, STATUS_SUCCESS);                                          \
    WMT_CHECK_EQ(Seen, 501);                                                           \
    WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                          \
}                                                                                      \
                                                                                       \
/* Four threads, 100000 increments each, none lost. */                                 \
static KSTART_ROUTINE WmtSpinStressThread_##TYPE;                                      \
                                                                                       \
typedef struct _WMT_SPIN_STRESS_##TYPE {                                               \
    TYPE  Lock;                                                                        \
    ULONG Iterations;                                                                  \
} WMT_SPIN_STRESS_##TYPE;                                                              \
                                                                                       \
static VOID NTAPI                                                                      \
WmtSpinStressThread_##TYPE(_In_ PVOID Context)                                         \
{                                                                                      \
    WMT_SPIN_STRESS_##TYPE *Stress = Context;                                          \
    TYPE##_GUARD Guard = { 0 };                                                        \
    ULONG Index;                                                                       \
                                                                                       \
    for (Index = 0; Index < Stress->Iterations; Index++) {                             \
        if (Prefix##Lock(Stress->Lock, &Guard) != STATUS_SUCCESS) {                    \
            WMT_EXPECT(!"lock failed");                                                \
            return;                                                                    \
        }                                                                              \
        Guard.Value->Counter = Guard.Value->Counter + 1;                               \
        if (Prefix##Unlock(&Guard) != STATUS_SUCCESS) {                                \
            WMT_EXPECT(!"unlock failed");                                              \
            return;                                                                    \
        }                                                                              \
    }                                                                                  \
}                                                                                      \
                                                                                       \
WMT_TEST_FN(Suite, stress_four_threads)                                                \
{                                                                                      \
    WMT_SPIN_STRESS_##TYPE Stress;                                                     \
    WMT_VALUE Final;                                                                   \
                                                                                       \
    Stress.Iterations = WmtKernelModelsIrql() ? 100000 : (UNMODELLED_ITERATIONS);      \
    if (Stress.Iterations != 100000) {                                                 \
        WmtInfo(#Suite ".stress_four_threads: 4 x %lu (kernel does not raise IRQL: "   \
                "preempted spin-lock holders)", (unsigned long)Stress.Iterations);     \
    }                                                                                  \
    WMT_CHECK_STATUS(Prefix##Create(&Stress.Lock, NULL, NULL), STATUS_SUCCESS);        \
    WMT_EXPECT_STATUS(WmtRunThreads(4, WmtSpinStressThread_##TYPE, &Stress), STATUS_SUCCESS); \
    WMT_CHECK_STATUS(Prefix##IntoInner(&Stress.Lock, &Final), STATUS_SUCCESS);         \
    WMT_CHECK_EQ(Final.Counter, 4 * (LONGLONG)Stress.Iterations);                      \
}                                                                                      \
                                                                                       \
/* Unlock-safe: the release IRQL is DISPATCH_LEVEL. Above it the lock stays      */    \
/* held; below it (only reachable where the kernel does not model IRQL, which    */    \
/* reads PASSIVE_LEVEL while a spin lock is held: Wine) the same.                */    \
WMT_TEST_FN(Suite, unlock_safe_release_irql)                                           \
{                                                                                      \
    TYPE Lock;                                                                         \
    TYPE##_GUARD Guard = { 0 };                                                        \
    BOOLEAN ModelsIrql = WmtKernelModelsIrql(); /* probes by raising: not while held */ \
    NTSTATUS Status;                                                                   \
    KIRQL Old;                                                                         \
                                                                                       \
    WMT_CHECK_STATUS(Prefix##Create(&Lock, NULL, NULL), STATUS_SUCCESS);               \
    WMT_CHECK_STATUS(Prefix##Lock(Lock, &Guard), STATUS_SUCCESS);                      \
    if (!ModelsIrql) {                                                                 \
        WMT_EXPECT_STATUS(Prefix##UnlockSafe(&Guard), STATUS_WM_IRQL_NOT_DISPATCH_LEVEL); \
        WMT_EXPECT(Guard.Value != NULL);                                               \
        WMT_CHECK_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);                      \
        WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                      \
        return;                                                                        \
    }                                                                                  \
    Old = WmtRaiseIrql(HIGH_LEVEL);                                                    \
    Status = Prefix##UnlockSafe(&Guard);                                               \
    WmtLowerIrql(Old);                                                                 \
    WMT_EXPECT_STATUS(Status, STATUS_WM_IRQL_TOO_HIGH);                                \
    WMT_EXPECT(Guard.Value != NULL);                                                   \
    WMT_EXPECT(WmIsLockOwnedByCurrentThread(G_HEADER(Lock)));                          \
    WMT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);                                 \
    WMT_CHECK_STATUS(Prefix##UnlockSafe(&Guard), STATUS_SUCCESS);                      \
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);                                   \
    WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                          \
}                                                                                      \
                                                                                       \
/* Scoped forms release (and restore the IRQL) however the scope ends. */             \
WMT_TEST_FN(Suite, scoped_forms)                                                       \
{                                                                                      \
    TYPE Lock;                                                                         \
    TYPE##_GUARD Check = { 0 };                                                        \
    NTSTATUS Status = STATUS_UNSUCCESSFUL;                                             \
    ULONG Round;                                                                       \
                                                                                       \
    WMT_CHECK_STATUS(Prefix##Create(&Lock, NULL, NULL), STATUS_SUCCESS);               \
    for (Round = 0; Round < 4; Round++) {                                              \
        WM_WITH_LOCK(TYPE, Guard, Status, Prefix##Lock(Lock, &Guard)) {                \
            Guard.Value->Counter += 1;                                                 \
            if ((Round & 1) != 0) {                                                    \
                WM_LEAVE;                                                              \
            }                                                                          \
            Guard.Value->Counter += 10;                                                \
        } WM_END_WITH_LOCK(TYPE, Guard);                                               \
        WMT_CHECK_STATUS(Status, STATUS_SUCCESS);                                      \
        WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);                               \
        WMT_CHECK(!WmIsLockOwnedByCurrentThread(G_HEADER(Lock)));                      \
    }                                                                                  \
    {                                                                                  \
        TYPE##_GUARD Auto WM_AUTO_UNLOCK(TYPE) = { 0 };                                \
        WMT_CHECK_STATUS(Prefix##Lock(Lock, &Auto), STATUS_SUCCESS);                   \
        Auto.Value->Counter += 100;                                                    \
    }                                                                                  \
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);                                   \
    WMT_CHECK_STATUS(Prefix##Lock(Lock, &Check), STATUS_SUCCESS);                      \
    WMT_CHECK_EQ(Check.Value->Counter, 124);                                           \
    WMT_CHECK_STATUS(Prefix##Unlock(&Check), STATUS_SUCCESS);                          \
    WMT_CHECK_STATUS(Prefix##Destroy(&Lock), STATUS_SUCCESS);                          \
}                                                                                      \
typedef int WmtSpinCasesDeclared_##TYPE

/* SpinLock try: KeTryToAcquireSpinLockAtDpcLevel, resolved at run time. */
WMT_SPIN_CASES(spin_lock, WMT_SL, WmtSl, WmtKernelExports("KeTryToAcquireSpinLockAtDpcLevel"), 100000);

/* Queued: the kernel has no try for in-stack queued spin locks. */
WMT_SPIN_CASES(queued_spin_lock, WMT_QSL, WmtQsl, FALSE, 2000);

/* ------------------------------------------------------------------------ */
/* SpinLock only: try                                                       */
/* ------------------------------------------------------------------------ */

/* A try below DISPATCH_LEVEL raises only when it gets the lock. */
WMT_TEST_FN(spin_lock, try_raises_only_on_success)
{
    WMT_SL Lock;
    WMT_SL_GUARD Guard = { 0 };
    KIRQL Old;

    if (!WmtKernelExports("KeTryToAcquireSpinLockAtDpcLevel")) {
        WMT_SKIP("KeTryToAcquireSpinLockAtDpcLevel not exported by this kernel");
    }
    WMT_CHECK_STATUS(WmtSlCreate(&Lock, NULL, NULL), STATUS_SUCCESS);
    Old = WmtRaiseIrql(APC_LEVEL);
    WMT_EXPECT_STATUS(WmtSlTryLock(Lock, &Guard), STATUS_SUCCESS);
    WMT_EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
    WMT_EXPECT_EQ(Guard.Base.OldIrql, APC_LEVEL);
    if (Guard.Value != NULL) {
        WMT_EXPECT_STATUS(WmtSlUnlockSafe(&Guard), STATUS_SUCCESS);
    }
    WMT_EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
    WmtLowerIrql(Old);
    WMT_CHECK_STATUS(WmtSlDestroy(&Lock), STATUS_SUCCESS);
}

#ifdef WM_HOST_MODEL
/* Without KeTryToAcquireSpinLockAtDpcLevel (Wine 8) every try form is
 * STATUS_NOT_SUPPORTED, IRQL untouched; the other forms work. */
WMT_TEST_FN(spin_lock, try_without_kernel_export_not_supported)
{
    WMT_SL Lock;
    WMT_SL_GUARD Guard = { 0 };
    NTSTATUS Try, ZeroWait, TryAtDpc, Lock1;
    KIRQL IrqlAfterTry;
    KIRQL Old;

    WMT_CHECK_STATUS(WmtSlCreate(&Lock, NULL, NULL), STATUS_SUCCESS);
    HkHideRoutine("KeTryToAcquireSpinLockAtDpcLevel", TRUE);
    WmpResetRoutineCache();
    Try = WmtSlTryLock(Lock, &Guard);
    IrqlAfterTry = KeGetCurrentIrql();
    ZeroWait = WmtSlLockTimeout(Lock, 0, &Guard);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    TryAtDpc = WmtSlTryLockAtDpcLevel(Lock, &Guard);
    WmtLowerIrql(Old);
    Lock1 = WmtSlLock(Lock, &Guard);
    if (Lock1 == STATUS_SUCCESS) {
        (VOID)WmtSlUnlock(&Guard);
    }
    HkHideRoutine("KeTryToAcquireSpinLockAtDpcLevel", FALSE);
    WmpResetRoutineCache();

    WMT_CHECK_STATUS(Try, STATUS_NOT_SUPPORTED);
    WMT_CHECK_EQ(IrqlAfterTry, PASSIVE_LEVEL);
    WMT_CHECK_STATUS(ZeroWait, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(TryAtDpc, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(Lock1, STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtSlTryLock(Lock, &Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtSlUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtSlDestroy(&Lock), STATUS_SUCCESS);
}

/* At DISPATCH_LEVEL the routine cannot be looked up: before resolution the
 * try reports STATUS_NOT_SUPPORTED, after WmInitializeLibrary it works. */
WMT_TEST_FN(spin_lock, try_at_dispatch_before_resolution)
{
    WMT_SL Lock;
    WMT_SL_GUARD Guard = { 0 };
    NTSTATUS Before, After;
    KIRQL Old;

    WMT_CHECK_STATUS(WmtSlCreate(&Lock, NULL, NULL), STATUS_SUCCESS);
    WmpResetRoutineCache();
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    Before = WmtSlTryLockAtDpcLevel(Lock, &Guard);
    if (Before == STATUS_SUCCESS) {
        (VOID)WmtSlUnlock(&Guard);
    }
    WmtLowerIrql(Old);
    WMT_CHECK_STATUS(WmInitializeLibrary(), STATUS_SUCCESS);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    After = WmtSlTryLockAtDpcLevel(Lock, &Guard);
    if (After == STATUS_SUCCESS) {
        (VOID)WmtSlUnlock(&Guard);
    }
    WmtLowerIrql(Old);
    WMT_CHECK_STATUS(Before, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(After, STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtSlDestroy(&Lock), STATUS_SUCCESS);
}
#endif

/* ------------------------------------------------------------------------ */
/* QueuedSpinLock only                                                      */
/* ------------------------------------------------------------------------ */

static WMT_QSL_STORAGE WmtQslStorage;

/* Life cycle: create, value, caller storage, into-inner, into-pool, teardown
 * of a held lock, try refused (no in-stack try in any kernel). */
WMT_TEST_FN(queued_spin_lock, life_cycle)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_QSL Lock;
    WMT_QSL Null = { NULL };
    WMT_QSL_GUARD Guard = { 0 };
    WMT_VALUE Initial;
    WMT_VALUE Out;
    WMT_VALUE *Moved = NULL;

    WmtFillValue(&Initial, 70, 7);
    WMT_CHECK_STATUS(WmtQslCreate(&Lock, &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 1);
    WMT_CHECK_STATUS(WmtQslTryLock(Lock, &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(WmtQslLockTimeout(Lock, 0, &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(WmtQslLockTimeout(Lock, WM_TIMEOUT_MS(5), &Guard), STATUS_NOT_SUPPORTED);
    WMT_CHECK(Guard.Value == NULL);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    WMT_CHECK_STATUS(WmtQslLock(Lock, &Guard), STATUS_SUCCESS);
    WMT_CHECK(WmtValueEquals(Guard.Value, &Initial));
    Guard.Value->Counter = 71;
    WMT_EXPECT_STATUS(WmtQslDestroy(&Lock), STATUS_WM_MUTEX_HELD);
    WMT_EXPECT_STATUS(WmtQslIntoInner(&Lock, &Out), STATUS_WM_MUTEX_HELD);
    WMT_CHECK_STATUS(WmtQslUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtQslIntoInner(&Lock, &Out), STATUS_SUCCESS);
    WMT_CHECK_EQ(Out.Counter, 71);
    WMT_CHECK(Lock.Object == NULL);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);

    /* Caller storage: no pool; into-pool moves the value out. */
    WMT_CHECK_STATUS(WmtQslInitialize(&WmtQslStorage, &Out, NULL, &Lock), STATUS_SUCCESS);
    WMT_CHECK(Lock.Object == &WmtQslStorage);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
    WMT_CHECK_STATUS(WmtQslLock(Lock, &Guard), STATUS_SUCCESS);
    WMT_CHECK(Guard.Value == &WmtQslStorage.Value);
    WMT_CHECK_STATUS(WmtQslUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtQslIntoPool(&Lock, &Moved), STATUS_SUCCESS);
    WMT_CHECK(Moved != NULL && Moved->Counter == 71);
    WmFreeValue(Moved);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);

    /* Stale and NULL handles. */
    WMT_CHECK_STATUS(WmtQslLock(Null, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmtQslLockAtDpcLevel(Null, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmtQslDestroy(&Lock), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmtQslLock(Lock, NULL), STATUS_WM_INVALID_PARAMETER);
}

/* The guard holds the queue handle the kernel filled in; the release uses it. */
WMT_TEST_FN(queued_spin_lock, guard_holds_the_queue_handle)
{
    WMT_QSL Lock;
    WMT_QSL_GUARD Guard = { 0 };
    KLOCK_QUEUE_HANDLE Handle;

    WMT_CHECK_STATUS(WmtQslCreate(&Lock, NULL, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtQslLock(Lock, &Guard), STATUS_SUCCESS);
    /* Copied out: the guard keeps it as words (lock.h). */
    RtlCopyMemory(&Handle, WmpGuardQueue(&Guard.Base), sizeof(Handle));
    WMT_EXPECT(Handle.LockQueue.Lock != NULL);
    WMT_EXPECT_EQ(Handle.OldIrql, Guard.Base.OldIrql);
    WMT_CHECK_STATUS(WmtQslUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtQslDestroy(&Lock), STATUS_SUCCESS);
}

/* The kernel links the guard's queue handle into the lock. A release
 * through a copy or a moved guard would hand the kernel a handle it never
 * queued (Wine then spins for a successor that never comes: without the
 * check this test hangs there), so the core refuses any guard but the armed
 * original, before the kernel. */
WMT_TEST_FN(queued_spin_lock, copied_guard_never_reaches_the_kernel)
{
    WMT_QSL Lock;
    WMT_QSL_GUARD Guard = { 0 };
    WMT_QSL_GUARD Copy;
    WMT_QSL_GUARD Moved[2];
    WMT_QSL_GUARD Again = { 0 };

    WMT_CHECK_STATUS(WmtQslCreate(&Lock, NULL, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtQslLock(Lock, &Guard), STATUS_SUCCESS);
    Copy = Guard;
    Moved[1] = Guard;
    /* Every unlock form refuses the copies while the original is armed. */
    WMT_EXPECT_STATUS(WmtQslUnlock(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmtQslUnlockSafe(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmUnlock(&Copy.Base), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmUnlockSafe(&Moved[1].Base), STATUS_WM_NOT_OWNER);
    /* Refused copies change nothing: the lock is held and the copies stay
     * armed (refused again, not "not locked"). */
    WMT_EXPECT(WmIsLockOwnedByCurrentThread(&Lock.Object->Lock.Header));
    WMT_EXPECT(Copy.Base.Lock != NULL && Copy.Value != NULL);
    Guard.Value->Counter = 5;
    WMT_EXPECT_STATUS(WmtQslUnlock(&Guard), STATUS_SUCCESS);
    WMT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_EXPECT(!WmIsLockOwnedByCurrentThread(&Lock.Object->Lock.Header));
    /* After the release the copies are still refused, and the original is
     * disarmed. */
    WMT_EXPECT_STATUS(WmtQslUnlock(&Copy), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmtQslUnlock(&Guard), STATUS_WM_NOT_LOCKED);
    /* Re-armed at the same address: a copy taken before is still another
     * guard, and the lock works on. */
    WMT_CHECK_STATUS(WmtQslLock(Lock, &Guard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtQslUnlock(&Moved[1]), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_EQ(Guard.Value->Counter, 5);
    WMT_EXPECT_STATUS(WmtQslUnlock(&Guard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtQslLock(Lock, &Again), STATUS_SUCCESS);
    Moved[0] = Again;
    WMT_EXPECT_STATUS(WmtQslUnlock(&Moved[0]), STATUS_WM_NOT_OWNER);
    WMT_EXPECT_STATUS(WmtQslUnlock(&Again), STATUS_SUCCESS);
    WMT_EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK_STATUS(WmtQslDestroy(&Lock), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Raw spin-lock misuse (host model)                                        */
/* ------------------------------------------------------------------------ */

#ifdef WM_HOST_MODEL
static KSPIN_LOCK WmtRawSpinLock;
static KEVENT WmtRawEvent;

/* A second KeAcquireSpinLock by the holder: SPIN_LOCK_ALREADY_OWNED (0xF).
 * The library returns STATUS_WM_RECURSIVE_ACQUIRE. */
WMT_TEST_FN(spin_lock, raw_recursive_acquire_bugchecks)
{
    KIRQL First, Second;

    KeInitializeSpinLock(&WmtRawSpinLock);
    KeAcquireSpinLock(&WmtRawSpinLock, &First);
    KeAcquireSpinLock(&WmtRawSpinLock, &Second);
    WMT_CHECK(!"a recursive KeAcquireSpinLock returned");
}

/* KeReleaseSpinLockFromDpcLevel of a lock nobody holds: SPIN_LOCK_NOT_OWNED
 * (0x10). The library's second unlock returns STATUS_WM_NOT_LOCKED. */
WMT_TEST_FN(spin_lock, raw_release_not_owned_bugchecks)
{
    KIRQL Old;

    KeInitializeSpinLock(&WmtRawSpinLock);
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeReleaseSpinLockFromDpcLevel(&WmtRawSpinLock);
    WMT_CHECK(!"releasing a free spin lock returned");
}

/* Waiting on a dispatcher object while holding a spin lock (DISPATCH_LEVEL,
 * no timeout): Driver Verifier 0xC4, P1 0x121. */
WMT_TEST_FN(spin_lock, raw_wait_while_held_bugchecks)
{
    KIRQL Old;

    KeInitializeSpinLock(&WmtRawSpinLock);
    KeInitializeEvent(&WmtRawEvent, NotificationEvent, FALSE);
    KeAcquireSpinLock(&WmtRawSpinLock, &Old);
    (VOID)KeWaitForSingleObject(&WmtRawEvent, Executive, KernelMode, FALSE, NULL);
    WMT_CHECK(!"a wait while holding a spin lock returned");
}

/* Paged pool while holding a spin lock: BAD_POOL_CALLER (0xC2), P1 0x08. */
WMT_TEST_FN(spin_lock, raw_paged_pool_while_held_bugchecks)
{
    KIRQL Old;
    PVOID Block;

    KeInitializeSpinLock(&WmtRawSpinLock);
    KeAcquireSpinLock(&WmtRawSpinLock, &Old);
    Block = ExAllocatePoolWithTag(PagedPool, 64, WM_MAKE_TAG('W', 'm', 't', 'P'));
    UNREFERENCED_PARAMETER(Block);
    WMT_CHECK(!"a paged allocation while holding a spin lock returned");
}

/* Lowering below DISPATCH_LEVEL while holding one: 0xF. The library never
 * lowers while a guard is armed; its release restores the saved IRQL. */
WMT_TEST_FN(spin_lock, raw_lower_irql_while_held_bugchecks)
{
    KIRQL Old;

    KeInitializeSpinLock(&WmtRawSpinLock);
    KeAcquireSpinLock(&WmtRawSpinLock, &Old);
    KeLowerIrql(PASSIVE_LEVEL);
    WMT_CHECK(!"lowering IRQL while holding a spin lock returned");
}

/* KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL: 0xC4, P1 0x40. The
 * library returns STATUS_WM_IRQL_NOT_DISPATCH_LEVEL. */
WMT_TEST_FN(spin_lock, raw_at_dpc_level_below_dispatch_bugchecks)
{
    KeInitializeSpinLock(&WmtRawSpinLock);
    KeAcquireSpinLockAtDpcLevel(&WmtRawSpinLock);
    WMT_CHECK(!"KeAcquireSpinLockAtDpcLevel at PASSIVE_LEVEL returned");
}

/* A lock taken as an in-stack queued lock released with KeReleaseSpinLock:
 * 0xC4, P1 0x1009 (API mismatch). SpinLock and QueuedSpinLock are distinct
 * types, so the library cannot mix them. */
WMT_TEST_FN(queued_spin_lock, raw_mismatched_release_bugchecks)
{
    KLOCK_QUEUE_HANDLE Handle;

    KeInitializeSpinLock(&WmtRawSpinLock);
    KeAcquireInStackQueuedSpinLock(&WmtRawSpinLock, &Handle);
    KeReleaseSpinLock(&WmtRawSpinLock, Handle.OldIrql);
    WMT_CHECK(!"a mismatched spin-lock release returned");
}

/* KeReleaseInStackQueuedSpinLock with a handle no acquire filled in:
 * 0xC4, P1 0x1009. The library keeps the handle in the guard it armed. */
WMT_TEST_FN(queued_spin_lock, raw_release_unused_handle_bugchecks)
{
    KLOCK_QUEUE_HANDLE Handle;
    KIRQL Old;

    RtlZeroMemory(&Handle, sizeof(Handle));
    KeRaiseIrql(DISPATCH_LEVEL, &Old);
    KeReleaseInStackQueuedSpinLock(&Handle);
    WMT_CHECK(!"releasing an unused queue handle returned");
}

/* A release through a copy of the queued handle: a queue-based release
 * spins for a successor forever (Wine measured); the model stops with
 * SPIN_LOCK_NOT_OWNED (0x10). The library refuses such a guard before the kernel
 * (queued_spin_lock.copied_guard_never_reaches_the_kernel). */
WMT_TEST_FN(queued_spin_lock, raw_release_through_copied_handle_bugchecks)
{
    KLOCK_QUEUE_HANDLE Handle;
    KLOCK_QUEUE_HANDLE Copy;

    KeAcquireInStackQueuedSpinLock(&WmtRawSpinLock, &Handle);
    Copy = Handle;
    KeReleaseInStackQueuedSpinLock(&Copy);
    WMT_CHECK(!"releasing through a copied queue handle returned");
}

/* Paged data touched while a spin lock is held (the library's guard):
 * raising to DISPATCH_LEVEL trimmed it, the touch faults at DISPATCH_LEVEL:
 * DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1, P1 the address). The same data is
 * fine at PASSIVE_LEVEL before and after. */
WMT_TEST_FN(spin_lock, paged_data_touched_while_held_bugchecks)
{
    WMT_SL Lock;
    WMT_SL_GUARD Guard = { 0 };
    LONG *Paged = (LONG *)ExAllocatePool2(POOL_FLAG_PAGED, sizeof(LONG), WMT_VALUE_TAG);

    WMT_CHECK(Paged != NULL);
    *Paged = 1;
    WMT_CHECK_STATUS(WmtGenCreateFilled(&Lock, 0, 0), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtSlLock(Lock, &Guard), STATUS_SUCCESS);
    Guard.Value->Counter += *Paged; /* 0xD1 */
    WMT_CHECK(!"touching paged pool under a spin lock returned");
}

/* A spin lock whose storage is paged (caller storage in paged pool): the
 * kernel's acquire touches the lock word after raising: 0xD1. */
WMT_TEST_FN(spin_lock, paged_storage_bugchecks)
{
    WMT_SL_STORAGE *Storage = (WMT_SL_STORAGE *)ExAllocatePool2(POOL_FLAG_PAGED, sizeof(*Storage), WMT_VALUE_TAG);
    WMT_SL_GUARD Guard = { 0 };
    WMT_SL Lock;

    WMT_CHECK(Storage != NULL);
    WMT_CHECK_STATUS(WmtSlInitialize(Storage, NULL, NULL, &Lock), STATUS_SUCCESS);
    (VOID)WmtSlLock(Lock, &Guard); /* 0xD1 */
    WMT_CHECK(!"a spin lock in paged storage was acquired");
}
#endif /* WM_HOST_MODEL */

#define WMT_SPIN_CASE_LIST(Suite)                                        \
    WMT_CASE(Suite, lock_raises_and_restores, WMT_NEEDS_IRQL),                  \
    WMT_CASE(Suite, at_dpc_level_forms, WMT_NEEDS_IRQL),                        \
    WMT_CASE(Suite, recursive_acquire_refused, 0),                              \
    WMT_CASE(Suite, unlock_misuse, 0),                                          \
    WMT_CASE(Suite, holder_excludes_and_hands_over, 0),                         \
    WMT_CASE(Suite, stress_four_threads, WMT_SLOW),                             \
    WMT_CASE(Suite, unlock_safe_release_irql, 0),                               \
    WMT_CASE(Suite, scoped_forms, 0)

/* Shared bodies not listed (lock_cases.inc): those that wait while holding.
 * This file's spinning helpers cover the same ground. External linkage: no
 * compiler calls them unused. */
VOID (*const WmtSpinLockUnlisted[])(VOID) = { WMT_GEN_WAITING_BODIES };

WMT_SUITE(spin_lock) {
    WMT_GEN_SPIN_SAFE_CASES
    WMT_GEN_CASE(stress_no_lost_update, WMT_SLOW),
    WMT_SPIN_CASE_LIST(spin_lock),
    WMT_CASE(spin_lock, try_raises_only_on_success, WMT_NEEDS_IRQL),
    WMT_CASE(queued_spin_lock, life_cycle, 0),
    WMT_CASE(queued_spin_lock, guard_holds_the_queue_handle, 0),
    WMT_CASE(queued_spin_lock, copied_guard_never_reaches_the_kernel, 0),
    WMT_SPIN_CASE_LIST(queued_spin_lock),
#ifdef WM_HOST_MODEL
    WMT_CASE(spin_lock, try_without_kernel_export_not_supported, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_CASE(spin_lock, try_at_dispatch_before_resolution, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
    WMT_DEATH_CASE_ANY_PARAM(spin_lock, raw_recursive_acquire_bugchecks, 0xF),
    WMT_DEATH_CASE_ANY_PARAM(spin_lock, raw_release_not_owned_bugchecks, 0x10),
    WMT_DEATH_CASE(spin_lock, raw_wait_while_held_bugchecks, 0xC4, 0x121),
    WMT_DEATH_CASE(spin_lock, raw_paged_pool_while_held_bugchecks, 0xC2, 0x08),
    WMT_DEATH_CASE_ANY_PARAM(spin_lock, paged_data_touched_while_held_bugchecks, 0xD1),
    WMT_DEATH_CASE_ANY_PARAM(spin_lock, paged_storage_bugchecks, 0xD1),
    WMT_DEATH_CASE_ANY_PARAM(spin_lock, raw_lower_irql_while_held_bugchecks, 0xF),
    WMT_DEATH_CASE(spin_lock, raw_at_dpc_level_below_dispatch_bugchecks, 0xC4, 0x40),
    WMT_DEATH_CASE(queued_spin_lock, raw_mismatched_release_bugchecks, 0xC4, 0x1009),
    WMT_DEATH_CASE(queued_spin_lock, raw_release_unused_handle_bugchecks, 0xC4, 0x1009),
    WMT_DEATH_CASE_ANY_PARAM(queued_spin_lock, raw_release_through_copied_handle_bugchecks, 0x10),
#endif
};
WMT_SUITE_END(spin_lock);
