/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of what is not one lock kind: status codes and their
 *              names, pool tags, the pool allocator and its run-time choice
 *              of ExAllocatePool2, library initialisation, the generic core's
 *              bad-input checks, type safety, and scoped forms across kinds.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

#ifdef WM_HOST_MODEL
#include <pthread.h> /* a host thread the model does not know */

#include "wmp.h" /* WmpResetRoutineCache: re-resolve after hiding a routine */
#endif

WM_DECLARE_KMUTEX_TYPE(WMT_CORE_COUNTER, WmtCoreCounter, ULONG);
WM_DECLARE_FAST_MUTEX_TYPE(WMT_CORE_FAST, WmtCoreFast, ULONG);

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

#define WMT_CORE_NAME(Code) { Code, #Code }

static const struct {
    NTSTATUS Status;
    PCSTR    Name;
} WmtCoreLibraryCodes[] = {
    WMT_CORE_NAME(STATUS_WM_IRQL_TOO_HIGH),
    WMT_CORE_NAME(STATUS_WM_IRQL_NOT_APC_LEVEL),
    WMT_CORE_NAME(STATUS_WM_POOL_ALLOCATION_FAILED),
    WMT_CORE_NAME(STATUS_WM_INVALID_PARAMETER),
    WMT_CORE_NAME(STATUS_WM_INVALID_SIZE),
    WMT_CORE_NAME(STATUS_WM_NOT_LOCKED),
    WMT_CORE_NAME(STATUS_WM_NOT_OWNER),
    WMT_CORE_NAME(STATUS_WM_RECURSIVE_ACQUIRE),
    WMT_CORE_NAME(STATUS_WM_LOCK_BUSY),
    WMT_CORE_NAME(STATUS_WM_MUTEX_HELD),
    WMT_CORE_NAME(STATUS_WM_IRQL_MISMATCH),
    WMT_CORE_NAME(STATUS_WM_NOT_INITIALIZED),
    WMT_CORE_NAME(STATUS_WM_WRONG_KIND),
};

#define WMT_CORE_LIBRARY_CODE_COUNT (sizeof(WmtCoreLibraryCodes) / sizeof(WmtCoreLibraryCodes[0]))

WMT_TEST_FN(core, status_names)
{
    ULONG Index;

    for (Index = 0; Index < WMT_CORE_LIBRARY_CODE_COUNT; Index++) {
        if (!WmtStringEquals(WmStatusName(WmtCoreLibraryCodes[Index].Status), WmtCoreLibraryCodes[Index].Name)) {
            WmtFail(__FILE__, __LINE__, "WmStatusName(0x%08lx) is \"%s\", expected \"%s\"",
                    (unsigned long)WmtCoreLibraryCodes[Index].Status,
                    WmStatusName(WmtCoreLibraryCodes[Index].Status), WmtCoreLibraryCodes[Index].Name);
        }
    }
    /* Kernel codes the library passes through keep their names. */
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_SUCCESS), "STATUS_SUCCESS"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_TIMEOUT), "STATUS_TIMEOUT"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_NOT_SUPPORTED), "STATUS_NOT_SUPPORTED"));
    /* Anything else. */
    WMT_CHECK(WmtStringEquals(WmStatusName((NTSTATUS)0xE0570FFFUL), "STATUS_<unknown>"));
    WMT_CHECK(WmtStringEquals(WmStatusName((NTSTATUS)0x12345678UL), "STATUS_<unknown>"));
}

WMT_TEST_FN(core, status_codes_are_distinct_customer_errors)
{
    ULONG Index;
    ULONG Other;
    ULONG Code;

    for (Index = 0; Index < WMT_CORE_LIBRARY_CODE_COUNT; Index++) {
        Code = (ULONG)WmtCoreLibraryCodes[Index].Status;
        WMT_CHECK(!NT_SUCCESS(WmtCoreLibraryCodes[Index].Status));
        WMT_CHECK_EQ(Code >> 30, 3);            /* severity: error   */
        WMT_CHECK_EQ((Code >> 29) & 1, 1);      /* customer bit       */
        WMT_CHECK_EQ((Code >> 16) & 0xFFF, 0x057); /* facility       */
        for (Other = Index + 1; Other < WMT_CORE_LIBRARY_CODE_COUNT; Other++) {
            WMT_CHECK(WmtCoreLibraryCodes[Other].Status != WmtCoreLibraryCodes[Index].Status);
        }
    }
}

WMT_TEST_FN(core, pool_tags_read_as_written)
{
    /* Little-endian bytes of the tag are the characters in order, so a pool
     * dump shows "WmLk", "WmVa", "WmRg". */
    WMT_CHECK_EQ(WM_TAG_LOCK, 0x6B4C6D57);
    WMT_CHECK_EQ(WM_TAG_VALUE, 0x61566D57);
    WMT_CHECK_EQ(WM_TAG_REGISTRY, 0x67526D57);
}

/* ------------------------------------------------------------------------ */
/* Library initialisation and the allocator                                 */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(core, initialize_library_at_passive)
{
    WMT_CHECK_STATUS(WmInitializeLibrary(), STATUS_SUCCESS);
    /* Idempotent. */
    WMT_CHECK_STATUS(WmInitializeLibrary(), STATUS_SUCCESS);
    /* The allocator's choice follows what the kernel exports. */
    WMT_CHECK_EQ(WmUsesExAllocatePool2(), WmtKernelExports("ExAllocatePool2"));
}

WMT_TEST_FN(core, initialize_library_above_passive_refused)
{
    NTSTATUS AtApc;
    NTSTATUS AtDispatch;
    KIRQL Old;

    Old = WmtRaiseIrql(APC_LEVEL);
    AtApc = WmInitializeLibrary();
    KeLowerIrql(Old);
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    AtDispatch = WmInitializeLibrary();
    KeLowerIrql(Old);
    WMT_CHECK_STATUS(AtApc, STATUS_WM_IRQL_TOO_HIGH);
    WMT_CHECK_STATUS(AtDispatch, STATUS_WM_IRQL_TOO_HIGH);
}

WMT_TEST_FN(core, outstanding_allocations_follow_blocks)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_CORE_COUNTER A;
    WMT_CORE_COUNTER B;
    ULONG *Moved = NULL;
    ULONG Seven = 7;

    WMT_CHECK_STATUS(WmtCoreCounterCreate(&A, &Seven, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 1);
    WMT_CHECK_STATUS(WmtCoreCounterCreate(&B, NULL, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 2);
    WMT_CHECK_STATUS(WmtCoreCounterIntoPool(&A, &Moved), STATUS_SUCCESS);
    WMT_CHECK_EQ(*Moved, 7);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 2); /* lock freed, value block alive */
    WMT_CHECK_STATUS(WmtCoreCounterDestroy(&B), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 1);
    WmFreeValue(Moved);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
    WmFreeValue(NULL);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

#ifdef WM_HOST_MODEL
/* Each block carries the tag of its allocation site. */
WMT_TEST_FN(core, allocations_carry_their_tags)
{
    LONG Locks = HkPoolOutstandingWithTag(WM_TAG_LOCK);
    LONG Values = HkPoolOutstandingWithTag(WM_TAG_VALUE);
    WMT_CORE_COUNTER Counter;
    ULONG *Moved = NULL;

    WMT_CHECK_STATUS(WmtCoreCounterCreate(&Counter, NULL, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_LOCK), Locks + 1);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_VALUE), Values);
    WMT_CHECK_STATUS(WmtCoreCounterIntoPool(&Counter, &Moved), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_LOCK), Locks);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_VALUE), Values + 1);
    WmFreeValue(Moved);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_VALUE), Values);
}

/* A kernel without ExAllocatePool2 (Windows before 10 2004, Wine 8): the
 * library falls back to ExAllocatePoolWithTag and still hands out zeroed,
 * counted blocks; when the routine is back (re-resolved) it uses it again. */
WMT_TEST_FN(core, allocator_without_ex_allocate_pool2)
{
    LONG Before = WmQueryOutstandingAllocations();
    LONG Allocations = HkPoolAllocationCount();
    WMT_CORE_COUNTER Counter = { NULL };
    WMT_CORE_COUNTER_GUARD Guard = { 0 };
    ULONG *Moved = NULL;
    BOOLEAN Exported;
    BOOLEAN UsesPool2;
    NTSTATUS Create;
    NTSTATUS Lock = STATUS_UNSUCCESSFUL;
    ULONG Value = 0xFFFFFFFFUL;

    WMT_CHECK(WmtKernelExports("ExAllocatePool2")); /* the model has it */

    HkHideRoutine("ExAllocatePool2", TRUE);
    WmpResetRoutineCache();
    Exported = WmtKernelExports("ExAllocatePool2");
    UsesPool2 = WmUsesExAllocatePool2();
    Create = WmtCoreCounterCreate(&Counter, NULL, NULL);
    if (Create == STATUS_SUCCESS) {
        Lock = WmtCoreCounterLock(Counter, &Guard);
        if (Lock == STATUS_SUCCESS) {
            Value = *Guard.Value;
            *Guard.Value = 12;
            (VOID)WmtCoreCounterUnlock(&Guard);
        }
    }
    HkHideRoutine("ExAllocatePool2", FALSE);
    WmpResetRoutineCache();

    WMT_CHECK(Exported == FALSE);
    WMT_CHECK(UsesPool2 == FALSE);
    WMT_CHECK_STATUS(Create, STATUS_SUCCESS);
    WMT_CHECK_STATUS(Lock, STATUS_SUCCESS);
    WMT_CHECK_EQ(Value, 0);                     /* zeroed by the library */
    WMT_CHECK(HkPoolAllocationCount() > Allocations);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 1);

    /* A block from the fallback allocator is freed normally afterwards. */
    WMT_CHECK(WmUsesExAllocatePool2() == TRUE);
    WMT_CHECK_STATUS(WmtCoreCounterIntoPool(&Counter, &Moved), STATUS_SUCCESS);
    WMT_CHECK_EQ(*Moved, 12);
    WmFreeValue(Moved);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

/* Resolution needs PASSIVE_LEVEL: a first allocation at DISPATCH_LEVEL uses
 * the legacy allocator, and the routine is looked up at the next chance. */
WMT_TEST_FN(core, resolution_waits_for_passive_level)
{
    WMT_CORE_COUNTER Counter = { NULL };
    BOOLEAN UsesPool2AtDispatch;
    NTSTATUS Create;
    KIRQL Old;

    WMT_CHECK(WmtKernelExports("ExAllocatePool2"));
    WmpResetRoutineCache();
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    UsesPool2AtDispatch = WmUsesExAllocatePool2();
    Create = WmtCoreCounterCreate(&Counter, NULL, NULL);
    KeLowerIrql(Old);

    WMT_CHECK(UsesPool2AtDispatch == FALSE);
    WMT_CHECK_STATUS(Create, STATUS_SUCCESS);
    WMT_CHECK(WmUsesExAllocatePool2() == TRUE);
    WMT_CHECK_STATUS(WmtCoreCounterDestroy(&Counter), STATUS_SUCCESS);
}
#endif /* WM_HOST_MODEL */

/* ------------------------------------------------------------------------ */
/* The generic core's own argument checks                                   */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(core, generic_create_rejects_bad_layouts)
{
    LONG Before = WmQueryOutstandingAllocations();
    const SIZE_T Size = sizeof(WMT_CORE_COUNTER_STORAGE);
    const SIZE_T Offset = offsetof(WMT_CORE_COUNTER_STORAGE, Value);
    PWM_LOCK_HEADER Lock;
    static WMT_CORE_COUNTER_STORAGE Storage;

    Lock = (PWM_LOCK_HEADER)&Storage;
    WMT_CHECK_STATUS(WmpLockCreate(NULL, Size, Offset, sizeof(ULONG), NULL, NULL, &Lock),
                     STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK(Lock == NULL);
    WMT_CHECK_STATUS(WmpLockCreate(&WmKMutexOps, Size, Offset, sizeof(ULONG), NULL, NULL, NULL),
                     STATUS_WM_INVALID_PARAMETER);
    /* Zero value size. */
    WMT_CHECK_STATUS(WmpLockCreate(&WmKMutexOps, Size, Offset, 0, NULL, NULL, &Lock), STATUS_WM_INVALID_SIZE);
    /* The value would overlap the lock object. */
    WMT_CHECK_STATUS(WmpLockCreate(&WmKMutexOps, Size, 0, sizeof(ULONG), NULL, NULL, &Lock),
                     STATUS_WM_INVALID_SIZE);
    /* The value would run past the object. */
    WMT_CHECK_STATUS(WmpLockCreate(&WmKMutexOps, Size, Offset, Size, NULL, NULL, &Lock),
                     STATUS_WM_INVALID_SIZE);
    /* Sizes that overflow. */
    WMT_CHECK_STATUS(WmpLockCreate(&WmKMutexOps, Size, Offset, (SIZE_T)-1, NULL, NULL, &Lock),
                     STATUS_WM_INVALID_SIZE);
    WMT_CHECK_STATUS(WmpLockCreate(&WmKMutexOps, (SIZE_T)-1, (SIZE_T)-8, 8, NULL, NULL, &Lock),
                     STATUS_WM_INVALID_SIZE);
    WMT_CHECK(Lock == NULL);

    WMT_CHECK_STATUS(WmpLockInitialize(NULL, &Storage, Size, Offset, sizeof(ULONG), NULL, NULL),
                     STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmpLockInitialize(&WmFastMutexOps, NULL, Size, Offset, sizeof(ULONG), NULL, NULL),
                     STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmpLockInitialize(&WmFastMutexOps, &Storage, Size, Offset, 0, NULL, NULL),
                     STATUS_WM_INVALID_SIZE);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

WMT_TEST_FN(core, generic_acquire_and_teardown_checks)
{
    WMT_CORE_COUNTER Counter;
    WM_GUARD Guard;
    ULONG Seven = 7;
    ULONGLONG Wide = 0;
    PVOID Moved = &Wide;
    PWM_LOCK_HEADER Header;

    RtlZeroMemory(&Guard, sizeof(Guard));
    Guard.Lock = (PWM_LOCK_HEADER)&Wide;   /* garbage the call must overwrite */
    WMT_CHECK_STATUS(WmpLockAcquire(NULL, NULL, FALSE, &Guard), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK(Guard.Lock == NULL);
    WMT_CHECK_EQ(Guard.Status, STATUS_WM_NOT_INITIALIZED);

    WMT_CHECK_STATUS(WmtCoreCounterCreate(&Counter, &Seven, NULL), STATUS_SUCCESS);
    Header = &Counter.Object->Lock.Header;
    WMT_EXPECT_STATUS(WmpLockAcquire(Header, NULL, FALSE, NULL), STATUS_WM_INVALID_PARAMETER);

    /* The value size must match the stored one; a mismatch changes nothing. */
    WMT_EXPECT_STATUS(WmpLockIntoInner(Header, &Wide, sizeof(Wide)), STATUS_WM_INVALID_SIZE);
    WMT_EXPECT_EQ(Wide, 0);
    WMT_EXPECT_STATUS(WmpLockIntoPool(Header, sizeof(Wide), &Moved), STATUS_WM_INVALID_SIZE);
    WMT_EXPECT(Moved == NULL);
    WMT_EXPECT_STATUS(WmpLockIntoPool(Header, sizeof(ULONG), NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_EXPECT_STATUS(WmpLockIntoInner(Header, NULL, sizeof(ULONG)), STATUS_WM_INVALID_PARAMETER);
    WMT_EXPECT_STATUS(WmpLockDestroy(NULL), STATUS_WM_NOT_INITIALIZED);
    WMT_EXPECT_STATUS(WmpLockIntoInner(NULL, &Wide, sizeof(ULONG)), STATUS_WM_NOT_INITIALIZED);
    Moved = &Wide;
    WMT_EXPECT_STATUS(WmpLockIntoPool(NULL, sizeof(ULONG), &Moved), STATUS_WM_NOT_INITIALIZED);
    WMT_EXPECT(Moved == NULL);

    /* Intact. */
    WMT_CHECK_STATUS(WmtCoreCounterIntoInner(&Counter, &Seven), STATUS_SUCCESS);
    WMT_CHECK_EQ(Seven, 7);
}

/* ------------------------------------------------------------------------ */
/* Type safety                                                              */
/* ------------------------------------------------------------------------ */

/* Compile-time: each guard's Value has the value's own type, and handles of
 * different declarations are different types (tests/compile/ proves that
 * mixing them does not compile). */
WM_STATIC_ASSERT(_Generic(((WMT_CORE_COUNTER_GUARD *)0)->Value, ULONG *: 1, default: 0),
                 "a KMutex guard's Value is a pointer to the value type");
WM_STATIC_ASSERT(_Generic(((WMT_CORE_FAST_GUARD *)0)->Value, ULONG *: 1, default: 0),
                 "a FastMutex guard's Value is a pointer to the value type");
WM_STATIC_ASSERT(_Generic((WMT_CORE_COUNTER){ NULL }, WMT_CORE_FAST: 0, WMT_CORE_COUNTER: 1, default: 0),
                 "handles of two declarations are distinct types");
WM_STATIC_ASSERT(sizeof(WMT_CORE_COUNTER) == sizeof(PVOID), "a handle is one pointer");
WM_STATIC_ASSERT(offsetof(WMT_CORE_COUNTER_STORAGE, Lock) == 0, "the lock object comes first");

WMT_TEST_FN(core, typed_layers_keep_types_apart)
{
    WMT_CORE_COUNTER Counter;
    WMT_CORE_FAST Fast;
    WMT_CORE_COUNTER_GUARD CounterGuard = { 0 };
    WMT_CORE_FAST_GUARD FastGuard = { 0 };
    ULONG One = 1;
    ULONG Two = 2;

    WMT_CHECK_STATUS(WmtCoreCounterCreate(&Counter, &One, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtCoreFastCreate(&Fast, &Two, NULL), STATUS_SUCCESS);
    WMT_CHECK(Counter.Object->Lock.Header.Ops == &WmKMutexOps);
    WMT_CHECK(Fast.Object->Lock.Header.Ops == &WmFastMutexOps);

    WMT_CHECK_STATUS(WmtCoreCounterLock(Counter, &CounterGuard), STATUS_SUCCESS);
    WMT_EXPECT_EQ(*CounterGuard.Value, 1);
    WMT_EXPECT_STATUS(WmtCoreFastLock(Fast, &FastGuard), STATUS_SUCCESS);
    if (FastGuard.Value != NULL) {
        WMT_EXPECT_EQ(*FastGuard.Value, 2);
        /* Generic unlock through the base guard works for either kind. */
        WMT_EXPECT_STATUS(WmUnlock(&FastGuard.Base), STATUS_SUCCESS);
    }
    WMT_CHECK_STATUS(WmUnlock(&CounterGuard.Base), STATUS_SUCCESS);

    WMT_CHECK_STATUS(WmtCoreFastDestroy(&Fast), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtCoreCounterDestroy(&Counter), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Scoped forms across kinds                                                */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(core, nested_with_lock_of_two_kinds)
{
    WMT_CORE_COUNTER Counter;
    WMT_CORE_FAST Fast;
    NTSTATUS Outer = STATUS_UNSUCCESSFUL;
    NTSTATUS Inner = STATUS_UNSUCCESSFUL;
    BOOLEAN ApcModel = WmtKernelKMutexDisablesApcs();
    ULONG Zero = 0;
    ULONG Rounds = 0;

    WMT_CHECK_STATUS(WmtCoreCounterCreate(&Counter, &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtCoreFastCreate(&Fast, &Zero, NULL), STATUS_SUCCESS);

    /* KMUTEX outside (IRQL <= APC), FAST_MUTEX inside; leave from the inner
     * body: both released, the inner first. */
    WM_WITH_LOCK(WMT_CORE_COUNTER, CounterGuard, Outer, WmtCoreCounterLock(Counter, &CounterGuard)) {
        *CounterGuard.Value += 1;
        WM_WITH_LOCK(WMT_CORE_FAST, FastGuard, Inner, WmtCoreFastLock(Fast, &FastGuard)) {
            *FastGuard.Value += *CounterGuard.Value;
            Rounds++;
            if (Rounds == 1) {
                WM_LEAVE;
            }
            *FastGuard.Value += 100; /* not reached */
        } WM_END_WITH_LOCK(WMT_CORE_FAST, FastGuard);
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(&Fast.Object->Lock.Header) == FALSE);
        WMT_EXPECT(WmIsLockOwnedByCurrentThread(&Counter.Object->Lock.Header) == TRUE);
        WMT_EXPECT(!ApcModel || KeAreApcsDisabled() == TRUE);
    } WM_END_WITH_LOCK(WMT_CORE_COUNTER, CounterGuard);

    WMT_CHECK_STATUS(Outer, STATUS_SUCCESS);
    WMT_CHECK_STATUS(Inner, STATUS_SUCCESS);
    WMT_CHECK(WmIsLockOwnedByCurrentThread(&Counter.Object->Lock.Header) == FALSE);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    WMT_CHECK_STATUS(WmtCoreCounterIntoInner(&Counter, &Zero), STATUS_SUCCESS);
    WMT_CHECK_EQ(Zero, 1);
    WMT_CHECK_STATUS(WmtCoreFastIntoInner(&Fast, &Zero), STATUS_SUCCESS);
    WMT_CHECK_EQ(Zero, 1);
}

#if WM_HAS_CLEANUP_ATTRIBUTE
/* Two auto-unlock guards in one function: released in reverse order on a
 * return from the middle. */
static NTSTATUS
WmtCoreAddBoth(_In_ WMT_CORE_COUNTER Counter, _In_ WMT_CORE_FAST Fast, _In_ BOOLEAN Early)
{
    NTSTATUS Status;
    WMT_CORE_COUNTER_GUARD CounterGuard WM_AUTO_UNLOCK(WMT_CORE_COUNTER) = { 0 };

    Status = WmtCoreCounterLock(Counter, &CounterGuard);
    if (Status != STATUS_SUCCESS) {
        return Status;
    }
    *CounterGuard.Value += 1;
    {
        WMT_CORE_FAST_GUARD FastGuard WM_AUTO_UNLOCK(WMT_CORE_FAST) = { 0 };

        Status = WmtCoreFastLock(Fast, &FastGuard);
        if (Status != STATUS_SUCCESS) {
            return Status;
        }
        if (Early) {
            return STATUS_ALERTED;
        }
        *FastGuard.Value += 1;
    }
    return STATUS_SUCCESS;
}

WMT_TEST_FN(core, auto_unlock_two_guards_on_return)
{
    WMT_CORE_COUNTER Counter;
    WMT_CORE_FAST Fast;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmtCoreCounterCreate(&Counter, &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtCoreFastCreate(&Fast, &Zero, NULL), STATUS_SUCCESS);

    WMT_CHECK_STATUS(WmtCoreAddBoth(Counter, Fast, TRUE), STATUS_ALERTED);
    WMT_CHECK(WmIsLockOwnedByCurrentThread(&Counter.Object->Lock.Header) == FALSE);
    WMT_CHECK(WmIsLockOwnedByCurrentThread(&Fast.Object->Lock.Header) == FALSE);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
    WMT_CHECK_STATUS(WmtCoreAddBoth(Counter, Fast, FALSE), STATUS_SUCCESS);
    WMT_CHECK(KeAreApcsDisabled() == FALSE);
    WMT_CHECK_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);

    WMT_CHECK_STATUS(WmtCoreCounterIntoInner(&Counter, &Zero), STATUS_SUCCESS);
    WMT_CHECK_EQ(Zero, 2);
    WMT_CHECK_STATUS(WmtCoreFastIntoInner(&Fast, &Zero), STATUS_SUCCESS);
    WMT_CHECK_EQ(Zero, 1);
}
#endif

/* Owner records and unlock checks rest on the thread identity: it must be
 * stable within a thread and differ between threads on every kernel (on
 * Wine the inline gs:[188h] read is NULL and the export answers). */
typedef struct _WMT_IDENTITY {
    PVOID Main;
    PVOID Seen;
    BOOLEAN MainIsCurrent;
    BOOLEAN SeenIsCurrent;
} WMT_IDENTITY;

static KSTART_ROUTINE WmtIdentityThread;

static VOID NTAPI
WmtIdentityThread(_In_ PVOID Context)
{
    WMT_IDENTITY *Identity = Context;

    Identity->Seen = WmpCurrentThreadIdentity();
    Identity->MainIsCurrent = WmpIsCurrentThreadIdentity(Identity->Main);
    Identity->SeenIsCurrent = WmpIsCurrentThreadIdentity(Identity->Seen);
}

WMT_TEST_FN(core, thread_identity_per_thread)
{
    WMT_IDENTITY Identity = { 0 };

    if (!WmpThreadIdentityMapped()) {
        WMT_SKIP("this build reads gs:[188h] alone, which this kernel does not map: it initialises "
                 "nothing here (core.thread_identity_unmapped_refused)");
    }
    Identity.Main = WmpCurrentThreadIdentity();
    WMT_CHECK(Identity.Main != NULL);
    WMT_CHECK(Identity.Main == WmpCurrentThreadIdentity());
    WMT_CHECK(WmpIsCurrentThreadIdentity(Identity.Main));
    WMT_CHECK_STATUS(WmtRunThreads(1, WmtIdentityThread, &Identity), STATUS_SUCCESS);
    WMT_CHECK(Identity.Seen != NULL);
    WMT_CHECK(Identity.Seen != Identity.Main);
    WMT_CHECK(Identity.SeenIsCurrent);
    WMT_CHECK(!Identity.MainIsCurrent);
    WMT_CHECK(!WmpIsCurrentThreadIdentity(Identity.Seen));
}

/* What every initialisation answers in an x64 build without
 * WM_THREAD_IDENTITY_FALLBACK where gs:[188h] does not map the thread
 * (compiler.h): such a build cannot tell threads apart there, so it makes
 * nothing. Recorded here, checked by the caller (the host's unknown thread
 * must not call the test framework). */
#if (defined(_M_AMD64) || defined(__x86_64__)) && !WM_THREAD_IDENTITY_FALLBACK
#define WMT_UNMAPPED_REFUSES 1
#else
#define WMT_UNMAPPED_REFUSES 0
#endif

#if WMT_UNMAPPED_REFUSES
typedef struct _WMT_UNMAPPED {
    NTSTATUS Library;
    NTSTATUS KMutexCreate;
    NTSTATUS FastInitialize;
    NTSTATUS SectionInitialize;
    NTSTATUS SectionCreate;
    NTSTATUS Registry;
    BOOLEAN  NothingHandedOut;
} WMT_UNMAPPED;

static VOID
WmtInitializeWhereUnmapped(_Out_ WMT_UNMAPPED *Result)
{
    WMT_CORE_COUNTER Counter;
    WMT_CORE_FAST Fast;
    WMT_CORE_FAST_STORAGE FastStorage;
    WM_CRITICAL_SECTION Section;
    PWM_CRITICAL_SECTION Created = &Section;

    Counter.Object = (WMT_CORE_COUNTER_STORAGE *)(PVOID)&FastStorage; /* must come back NULL */
    Fast.Object = &FastStorage;
    Result->Library = WmInitializeLibrary();
    Result->KMutexCreate = WmtCoreCounterCreate(&Counter, NULL, NULL);
    Result->FastInitialize = WmtCoreFastInitialize(&FastStorage, NULL, NULL, &Fast);
    Result->SectionInitialize = WmInitializeCriticalSection(&Section, WmCriticalSectionFastMutex);
    Result->SectionCreate = WmCreateCriticalSection(WmCriticalSectionKMutex, &Created);
    Result->Registry = WmRegistryInitialize();
    Result->NothingHandedOut = Counter.Object == NULL && Fast.Object == NULL && Created == NULL;
}

static VOID
WmtCheckUnmappedRefused(_In_ const WMT_UNMAPPED *Result)
{
    WMT_CHECK_STATUS(Result->Library, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(Result->KMutexCreate, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(Result->FastInitialize, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(Result->SectionInitialize, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(Result->SectionCreate, STATUS_NOT_SUPPORTED);
    WMT_CHECK_STATUS(Result->Registry, STATUS_NOT_SUPPORTED);
    WMT_CHECK(Result->NothingHandedOut);
}
#endif

#if defined(WM_HOST_MODEL) && WMT_UNMAPPED_REFUSES
static void *
WmtUnmappedHostThread(void *Context)
{
    WmtInitializeWhereUnmapped(Context);
    return NULL;
}
#endif

/* Where the kernel leaves gs:[188h] unmapped: Wine, in the driver built
 * without the fallback (wmtest_gs_identity.sys); on the host model, a host
 * thread it does not know, where its KeGetCurrentThread reads NULL too. */
WMT_TEST_FN(core, thread_identity_unmapped_refused)
{
#if WMT_UNMAPPED_REFUSES
    WMT_UNMAPPED Result = { 0 };
    LONG Before = WmQueryOutstandingAllocations();
    BOOLEAN HadRegistry = WmRegistryIsInitialized();

    if (KeGetCurrentThread() == NULL) {
        WmtInitializeWhereUnmapped(&Result);
    } else {
#ifdef WM_HOST_MODEL
        pthread_t Thread;

        WMT_CHECK(pthread_create(&Thread, NULL, WmtUnmappedHostThread, &Result) == 0);
        WMT_CHECK(pthread_join(Thread, NULL) == 0);
#else
        WMT_SKIP("gs:[188h] maps the current thread on this kernel");
#endif
    }
    WmtCheckUnmappedRefused(&Result);
    WMT_CHECK_EQ(WmRegistryIsInitialized(), HadRegistry);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
#else
    WMT_SKIP("this build falls back to PsGetCurrentThreadId where gs:[188h] reads NULL, or reads no gs");
#endif
}

/* Each kind's traits twice: a constant for the typed layers (lock.h), and
 * its operations table for the generic paths (WmUnlock, the registry). They
 * must agree, or one path would take a guard the other refuses. */
WMT_TEST_FN(core, kind_traits_agree_with_ops)
{
    WMT_EXPECT_EQ(WmpKindTraitsOfOps(&WmKMutexOps), WMP_KIND_TRAITS_WM_KMUTEX);
    WMT_EXPECT_EQ(WmpKindTraitsOfOps(&WmFastMutexOps), WMP_KIND_TRAITS_WM_FAST_MUTEX);
    WMT_EXPECT_EQ(WmpKindTraitsOfOps(&WmGuardedMutexOps), WMP_KIND_TRAITS_WM_GUARDED_MUTEX);
    WMT_EXPECT_EQ(WmpKindTraitsOfOps(&WmSpinLockOps), WMP_KIND_TRAITS_WM_SPIN_LOCK);
    WMT_EXPECT_EQ(WmpKindTraitsOfOps(&WmQueuedSpinLockOps), WMP_KIND_TRAITS_WM_QUEUED_SPIN_LOCK);
    WMT_EXPECT_EQ(WmpKindTraitsOfOps(&WmRwLockOps), WMP_KIND_TRAITS_WM_RW_LOCK);
    /* The facts the core reads: KMutex recursive, queued guards pinned,
     * RwLock with shared guards. */
    WMT_EXPECT_EQ(WMP_KIND_TRAITS_WM_KMUTEX, WMP_KIND_RECURSIVE);
    WMT_EXPECT_EQ(WMP_KIND_TRAITS_WM_QUEUED_SPIN_LOCK, WMP_KIND_PINNED_GUARD);
    WMT_EXPECT_EQ(WMP_KIND_TRAITS_WM_RW_LOCK, WMP_KIND_SHARED);
}

WMT_SUITE(core) {
    WMT_CASE(core, status_names, 0),
    WMT_CASE(core, kind_traits_agree_with_ops, 0),
    WMT_CASE(core, status_codes_are_distinct_customer_errors, 0),
    WMT_CASE(core, pool_tags_read_as_written, 0),
    WMT_CASE(core, initialize_library_at_passive, 0),
    WMT_CASE(core, initialize_library_above_passive_refused, WMT_NEEDS_IRQL),
    WMT_CASE(core, outstanding_allocations_follow_blocks, 0),
    WMT_CASE(core, thread_identity_per_thread, 0),
    WMT_CASE(core, thread_identity_unmapped_refused, 0),
#ifdef WM_HOST_MODEL
    WMT_CASE(core, allocations_carry_their_tags, WMT_HOST_ONLY),
    WMT_CASE(core, allocator_without_ex_allocate_pool2, WMT_HOST_ONLY),
    WMT_CASE(core, resolution_waits_for_passive_level, WMT_HOST_ONLY | WMT_NEEDS_IRQL),
#endif
    WMT_CASE(core, generic_create_rejects_bad_layouts, 0),
    WMT_CASE(core, generic_acquire_and_teardown_checks, 0),
    WMT_CASE(core, typed_layers_keep_types_apart, 0),
    WMT_CASE(core, nested_with_lock_of_two_kinds, 0),
#if WM_HAS_CLEANUP_ATTRIBUTE
    WMT_CASE(core, auto_unlock_two_guards_on_return, 0),
#endif
};
WMT_SUITE_END(core);
