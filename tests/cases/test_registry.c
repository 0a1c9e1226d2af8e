/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Tests of the registry of named mutexes (registry.h): the
 *              seed's Grt scenario, every error of every entry point, type
 *              identity across kinds and types, keys, lifetimes (overwrite,
 *              unregister, counted handles, destroy refusals), races of
 *              initialise/destroy/register, injected allocation failures at
 *              every allocation (host), a get/lock vs register/unregister/
 *              overwrite stress, and a randomized run against a model.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 *
 * The registry is one per driver: every test runs through WMT_REG_TEST,
 * which destroys whatever registry the body leaves behind, so a failing
 * test cannot leak into the next one.
 */
#include "wmt_cases.h"

#ifdef WM_HOST_MODEL
#include "wmp.h" /* WmpResetRoutineCache: re-resolve after hiding a routine */
#endif

/* Randomized run: operations and seed. Raise the count by hand for a longer
 * run, e.g. -DWMT_REGISTRY_RANDOM_OPS=1000000 -DWMT_REGISTRY_RANDOM_SEED=7. */
#ifndef WMT_REGISTRY_RANDOM_OPS
#define WMT_REGISTRY_RANDOM_OPS 4000
#endif
#ifndef WMT_REGISTRY_RANDOM_SEED
#define WMT_REGISTRY_RANDOM_SEED 0x2545F491UL
#endif

WM_DECLARE_FAST_MUTEX_TYPE(WMT_REG_FAST, WmtRegFast, ULONG);
WM_DECLARE_FAST_MUTEX_TYPE(WMT_REG_FAST_LONG, WmtRegFastLong, LONG);
WM_DECLARE_FAST_MUTEX_TYPE(WMT_REG_FAST_VALUE, WmtRegFastValue, WMT_VALUE);
WM_DECLARE_KMUTEX_TYPE(WMT_REG_KMUTEX, WmtRegKMutex, ULONG);
WM_DECLARE_KMUTEX_TYPE(WMT_REG_KMUTEX_VALUE, WmtRegKMutexValue, WMT_VALUE);
WM_DECLARE_GUARDED_MUTEX_TYPE(WMT_REG_GUARDED, WmtRegGuarded, ULONG);
WM_DECLARE_SPIN_LOCK_TYPE(WMT_REG_SPIN, WmtRegSpin, ULONG);
WM_DECLARE_QUEUED_SPIN_LOCK_TYPE(WMT_REG_QUEUED, WmtRegQueued, ULONG);
WM_DECLARE_RW_LOCK_TYPE(WMT_REG_RW, WmtRegRw, ULONG);
WM_DECLARE_RESOURCE_RW_LOCK_TYPE(WMT_REG_RRW, WmtRegRrw, ULONG);

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* Destroys what a test body left. A registry left busy is a failure; the
 * counted handles a failed body kept are dropped so the next test starts
 * clean (a lock still held cannot be undone: the runner reports the leak). */
static VOID
WmtRegCleanup(VOID)
{
    NTSTATUS Status = WmRegistryDestroy();

    if (Status == STATUS_WM_REGISTRY_BUSY) {
        WmpRegistryTestDropReferences();
        (VOID)WmRegistryDestroy();
    }
    if (Status != STATUS_SUCCESS && Status != STATUS_WM_REGISTRY_NOT_INITIALIZED) {
        WmtFail(__FILE__, __LINE__, "cleanup: WmRegistryDestroy returned 0x%08lx (%s)",
                (unsigned long)Status, WmtStatusText(Status));
    }
}

#define WMT_REG_TEST(Name)                                                     \
    static VOID WmtRegBody_##Name(VOID);                                       \
    WMT_TEST_FN(registry, Name)                                                \
    {                                                                          \
        WmtRegBody_##Name();                                                   \
        WmtRegCleanup();                                                       \
    }                                                                          \
    static VOID WmtRegBody_##Name(VOID)

/* Destructor bookkeeping for WMT_VALUE entries. */
static LONG volatile WmtRegDestructorCalls;
static LONG volatile WmtRegDestructorSum;

static VOID
WmtRegValueDestructor(_Inout_ PVOID Value)
{
    WMT_VALUE *Typed = (WMT_VALUE *)Value;

    InterlockedIncrement(&WmtRegDestructorCalls);
    InterlockedExchangeAdd(&WmtRegDestructorSum, (LONG)Typed->Counter);
}

static VOID
WmtRegResetDestructors(VOID)
{
    InterlockedExchange(&WmtRegDestructorCalls, 0);
    InterlockedExchange(&WmtRegDestructorSum, 0);
}

static LONG
WmtRegRead(_In_ LONG volatile *Value)
{
    return InterlockedCompareExchange(Value, 0, 0);
}

/* Value under a registered fast-mutex ULONG key (locks it; ~0 on error). */
static ULONG
WmtRegFastValueOf(_In_z_ PCSTR Key)
{
    WMT_REG_FAST_GUARD Guard;
    ULONG Value;

    if (WmtRegFastRegistryLock(Key, &Guard) != STATUS_SUCCESS) {
        return 0xFFFFFFFFUL;
    }
    Value = *Guard.Value;
    (VOID)WmtRegFastUnlock(&Guard);
    return Value;
}

static ULONG
WmtRegCount(VOID)
{
    ULONG Count = 0xFFFFFFFFUL;

    (VOID)WmRegistryCount(&Count);
    return Count;
}

/* "key" followed by a decimal number, into Buffer (>= 24 bytes). */
static VOID
WmtRegNumberedKey(_Out_writes_(24) char *Buffer, _In_z_ PCSTR Prefix, _In_ ULONG Number)
{
    char Digits[12];
    ULONG Count = 0;
    ULONG Length = 0;

    while (Prefix[Length] != '\0' && Length < 10) {
        Buffer[Length] = Prefix[Length];
        Length++;
    }
    do {
        Digits[Count++] = (char)('0' + Number % 10);
        Number /= 10;
    } while (Number != 0);
    while (Count != 0) {
        Buffer[Length++] = Digits[--Count];
    }
    Buffer[Length] = '\0';
}

/* ------------------------------------------------------------------------ */
/* The seed's scenario                                                      */
/* ------------------------------------------------------------------------ */

#define WMT_REG_SEED_INCREMENTS 100

/* A thread of the seed scenario: Increments times, get each key (plain get,
 * as the seed does), lock them in order (nested), add one to each, unlock in
 * reverse order. */
typedef struct _WMT_REG_SEED_WORK {
    PCSTR Keys[3];
    ULONG KeyCount;
} WMT_REG_SEED_WORK;

static KSTART_ROUTINE WmtRegSeedThread;

static VOID NTAPI
WmtRegSeedThread(_In_ PVOID Context)
{
    WMT_REG_SEED_WORK *Work = (WMT_REG_SEED_WORK *)Context;
    WMT_REG_FAST Mutex[3];
    WMT_REG_FAST_GUARD Guard[3];
    ULONG Round;
    ULONG Index;
    NTSTATUS Status;

    for (Round = 0; Round < WMT_REG_SEED_INCREMENTS; Round++) {
        for (Index = 0; Index < Work->KeyCount; Index++) {
            Status = WmtRegFastRegistryGet(Work->Keys[Index], &Mutex[Index]);
            WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
            if (Status != STATUS_SUCCESS) {
                break;
            }
            Status = WmtRegFastLock(Mutex[Index], &Guard[Index]);
            WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
            if (Status != STATUS_SUCCESS) {
                break;
            }
        }
        if (Index == Work->KeyCount) {
            for (Index = 0; Index < Work->KeyCount; Index++) {
                *Guard[Index].Value += 1;
            }
        }
        while (Index-- != 0) {
            WMT_EXPECT_STATUS(WmtRegFastUnlock(&Guard[Index]), STATUS_SUCCESS);
        }
        if (WmtFailed()) {
            return;
        }
    }
}

WMT_REG_TEST(seed_scenario_three_threads_nested)
{
    WMT_REG_SEED_WORK One = { { "my_test_mutex" }, 1 };
    WMT_REG_SEED_WORK TwoThree = { { "my_second_mutex", "my_third_mutex" }, 2 };
    WMT_REG_SEED_WORK All = { { "my_test_mutex", "my_second_mutex", "my_third_mutex" }, 3 };
    WMT_THREAD Threads[9];
    ULONG Zero = 0;
    ULONG Started = 0;
    ULONG Index;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("my_test_mutex", &Zero, NULL), STATUS_SUCCESS);

    /* Three threads on the first name while this thread registers more. */
    for (Index = 0; Index < 3; Index++) {
        if (WmtStartThread(&Threads[Started], WmtRegSeedThread, &One) == STATUS_SUCCESS) {
            Started++;
        }
    }
    WMT_EXPECT_STATUS(WmtRegFastRegister("my_second_mutex", &Zero, NULL), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegisterChecked("my_third_mutex", &Zero, NULL), STATUS_SUCCESS);
    /* The same on the new names, nested, and on all three, nested. */
    for (Index = 0; Index < 3; Index++) {
        if (WmtStartThread(&Threads[Started], WmtRegSeedThread, &TwoThree) == STATUS_SUCCESS) {
            Started++;
        }
        if (WmtStartThread(&Threads[Started], WmtRegSeedThread, &All) == STATUS_SUCCESS) {
            Started++;
        }
    }
    for (Index = 0; Index < Started; Index++) {
        WMT_EXPECT_STATUS(WmtJoinThread(&Threads[Index]), STATUS_SUCCESS);
    }
    WMT_CHECK_EQ(Started, 9);
    WMT_STOP_IF_FAILED();

    WMT_CHECK_EQ(WmtRegFastValueOf("my_test_mutex"), 600);
    WMT_CHECK_EQ(WmtRegFastValueOf("my_second_mutex"), 600);
    WMT_CHECK_EQ(WmtRegFastValueOf("my_third_mutex"), 600);
    WMT_CHECK_EQ(WmtRegCount(), 3);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WMT_CHECK(!WmRegistryIsInitialized());
}

/* The seed's own example with a KMUTEX (contended: needs hand-off). */
static KSTART_ROUTINE WmtRegKMutexThread;

static VOID NTAPI
WmtRegKMutexThread(_In_ PVOID Context)
{
    WMT_REG_KMUTEX Mutex;
    WMT_REG_KMUTEX_GUARD Guard;
    ULONG Round;

    UNREFERENCED_PARAMETER(Context);
    for (Round = 0; Round < WMT_REG_SEED_INCREMENTS; Round++) {
        WMT_EXPECT_STATUS(WmtRegKMutexRegistryGet("my_kmutex", &Mutex), STATUS_SUCCESS);
        if (WmtFailed()) {
            return;
        }
        WMT_EXPECT_STATUS(WmtRegKMutexLock(Mutex, &Guard), STATUS_SUCCESS);
        if (WmtFailed()) {
            return;
        }
        *Guard.Value += 1;
        WMT_EXPECT_STATUS(WmtRegKMutexUnlock(&Guard), STATUS_SUCCESS);
    }
}

WMT_REG_TEST(seed_scenario_kmutex)
{
    WMT_REG_KMUTEX_GUARD Guard;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegKMutexRegister("my_kmutex", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRunThreads(3, WmtRegKMutexThread, NULL), STATUS_SUCCESS);
    WMT_STOP_IF_FAILED();
    WMT_CHECK_STATUS(WmtRegKMutexRegistryLock("my_kmutex", &Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(*Guard.Value, 300);
    WMT_CHECK_STATUS(WmtRegKMutexUnlock(&Guard), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Lifetime errors                                                          */
/* ------------------------------------------------------------------------ */

/* Every entry point on a registry that does not exist. */
static VOID
WmtRegCheckAbsent(VOID)
{
    WMT_REG_FAST Mutex;
    WMT_REG_FAST_GUARD Guard;
    ULONG Zero = 0;
    ULONG Count = 7;

    WMT_CHECK(!WmRegistryIsInitialized());
    WMT_CHECK_STATUS(WmtRegFastRegister("absent", &Zero, NULL), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmtRegFastRegisterChecked("absent", &Zero, NULL), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    Mutex.Object = (WMT_REG_FAST_STORAGE *)(ULONG_PTR)1;
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("absent", &Mutex), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK(Mutex.Object == NULL);
    WMT_CHECK_STATUS(WmtRegFastRegistryReference("absent", &Mutex), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK(Mutex.Object == NULL);
    WMT_CHECK_STATUS(WmtRegFastRegistryLock("absent", &Guard), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK(Guard.Value == NULL && Guard.Base.Lock == NULL);
    WMT_CHECK_STATUS(WmRegistryUnregister("absent"), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmRegistryCount(&Count), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK_EQ(Count, 0);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_NOT_INITIALIZED);
}

WMT_REG_TEST(before_initialize)
{
    WmtRegCheckAbsent();
}

WMT_REG_TEST(after_destroy)
{
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("present", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WmtRegCheckAbsent();
}

WMT_REG_TEST(initialize_twice_destroy_twice)
{
    ULONG One = 1;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK(WmRegistryIsInitialized());
    WMT_CHECK_STATUS(WmtRegFastRegister("kept", &One, NULL), STATUS_SUCCESS);
    /* The second initialisation changes nothing. */
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_WM_REGISTRY_EXISTS);
    WMT_CHECK_EQ(WmtRegCount(), 1);
    WMT_CHECK_EQ(WmtRegFastValueOf("kept"), 1);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    /* And a new registry after a destroy starts empty. */
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegCount(), 0);
}

WMT_REG_TEST(empty_registry)
{
    WMT_REG_FAST Mutex;
    WMT_REG_FAST_GUARD Guard;
    ULONG Zero = 0;
    ULONG Count = 7;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryCount(&Count), STATUS_SUCCESS);
    WMT_CHECK_EQ(Count, 0);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("none", &Mutex), STATUS_WM_REGISTRY_EMPTY);
    WMT_CHECK_STATUS(WmtRegFastRegistryReference("none", &Mutex), STATUS_WM_REGISTRY_EMPTY);
    WMT_CHECK_STATUS(WmtRegFastRegistryLock("none", &Guard), STATUS_WM_REGISTRY_EMPTY);
    WMT_CHECK_STATUS(WmRegistryUnregister("none"), STATUS_WM_REGISTRY_EMPTY);
    /* Empty again after the last key goes. */
    WMT_CHECK_STATUS(WmtRegFastRegister("one", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryUnregister("one"), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("one", &Mutex), STATUS_WM_REGISTRY_EMPTY);
}

WMT_REG_TEST(missing_key)
{
    WMT_REG_FAST Mutex;
    WMT_REG_FAST_GUARD Guard;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("present", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("absent", &Mutex), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK(Mutex.Object == NULL);
    WMT_CHECK_STATUS(WmtRegFastRegistryReference("absent", &Mutex), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK_STATUS(WmtRegFastRegistryLock("absent", &Guard), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK(Guard.Value == NULL);
    WMT_CHECK_STATUS(WmRegistryUnregister("absent"), STATUS_WM_KEY_NOT_FOUND);
    /* Near misses: a prefix, an extension, a different last byte, case. */
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("presen", &Mutex), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("presentt", &Mutex), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("presenT", &Mutex), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("Present", &Mutex), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("present", &Mutex), STATUS_SUCCESS);
}

WMT_REG_TEST(null_out_parameters)
{
    WMT_REG_FAST Mutex;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("k", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("k", NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtRegFastRegistryReference("k", NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtRegFastRegistryLock("k", NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtRegFastRegistryDereference(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmRegistryCount(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmRegistryDereference(NULL), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmpRegistryRegister("k2", NULL, &Zero, NULL, TRUE), STATUS_WM_INVALID_PARAMETER);
    /* Nothing was referenced: unregister is not refused. */
    Mutex.Object = NULL;
    WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&Mutex), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmRegistryUnregister("k"), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Registration                                                             */
/* ------------------------------------------------------------------------ */

WMT_REG_TEST(register_checked_existing_key)
{
    WMT_VALUE Initial;
    WMT_REG_FAST_VALUE_GUARD Guard;

    WmtRegResetDestructors();
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WmtFillValue(&Initial, 5, 1);
    WMT_CHECK_STATUS(WmtRegFastValueRegisterChecked("dup", &Initial, WmtRegValueDestructor), STATUS_SUCCESS);
    WmtFillValue(&Initial, 9, 2);
    WMT_CHECK_STATUS(WmtRegFastValueRegisterChecked("dup", &Initial, WmtRegValueDestructor), STATUS_WM_KEY_EXISTS);
    /* Refused: also for a key of another kind/type, and nothing changed; the
     * refused value's destructor does not run (it is still the caller's). */
    WMT_CHECK_STATUS(WmtRegKMutexRegisterChecked("dup", NULL, NULL), STATUS_WM_KEY_EXISTS);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorCalls), 0);
    WMT_CHECK_EQ(WmtRegCount(), 1);
    WMT_CHECK_STATUS(WmtRegFastValueRegistryLock("dup", &Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(Guard.Value->Counter, 5);
    WMT_CHECK_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorCalls), 1);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorSum), 5);
}

WMT_REG_TEST(register_copies_value_and_key)
{
    char Key[16] = "stack.key";
    ULONG Value = 41;
    WMT_REG_FAST Mutex;
    WMT_REG_FAST_GUARD Guard;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister(Key, &Value, NULL), STATUS_SUCCESS);
    /* The caller's key and value may change or go away afterwards. */
    Key[0] = 'X';
    Value = 0;
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("stack.key", &Mutex), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet(Key, &Mutex), STATUS_WM_KEY_NOT_FOUND);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("stack.key", &Mutex), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastLock(Mutex, &Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(*Guard.Value, 41);
    WMT_CHECK_STATUS(WmtRegFastUnlock(&Guard), STATUS_SUCCESS);
    /* NULL Initial: a zeroed value. */
    WMT_CHECK_STATUS(WmtRegFastRegister("zeroed", NULL, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegFastValueOf("zeroed"), 0);
}

WMT_REG_TEST(overwrite_keeps_old_entry_until_destroy)
{
    WMT_VALUE Initial;
    WMT_REG_FAST_VALUE Old;
    WMT_REG_FAST_VALUE New;
    WMT_REG_FAST_VALUE_GUARD OldGuard;
    WMT_REG_FAST_VALUE_GUARD Guard;

    WmtRegResetDestructors();
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WmtFillValue(&Initial, 1, 0);
    WMT_CHECK_STATUS(WmtRegFastValueRegister("v", &Initial, WmtRegValueDestructor), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastValueRegistryGet("v", &Old), STATUS_SUCCESS);
    /* Hold the old lock across the overwrite: the seed freed it here. */
    WMT_CHECK_STATUS(WmtRegFastValueLock(Old, &OldGuard), STATUS_SUCCESS);
    WmtFillValue(&Initial, 20, 0);
    WMT_EXPECT_STATUS(WmtRegFastValueRegister("v", &Initial, WmtRegValueDestructor), STATUS_SUCCESS);
    OldGuard.Value->Counter += 1;
    WMT_EXPECT_STATUS(WmtRegFastValueUnlock(&OldGuard), STATUS_SUCCESS);
    WMT_STOP_IF_FAILED();
    WMT_CHECK_EQ(WmtRegCount(), 1);
    WMT_CHECK_STATUS(WmtRegFastValueRegistryGet("v", &New), STATUS_SUCCESS);
    WMT_CHECK(New.Object != Old.Object);
    WMT_CHECK_STATUS(WmtRegFastValueLock(New, &Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(Guard.Value->Counter, 20);
    WMT_CHECK_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
    /* The old handle stays valid (not freed, not destructed) until destroy. */
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorCalls), 0);
    WMT_CHECK_STATUS(WmtRegFastValueLock(Old, &Guard), STATUS_SUCCESS);
    WMT_CHECK_EQ(Guard.Value->Counter, 2);
    WMT_CHECK_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
    /* Overwrite with another kind: a FastMutex lookup now mismatches. */
    WMT_CHECK_STATUS(WmtRegKMutexValueRegister("v", &Initial, WmtRegValueDestructor), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastValueRegistryGet("v", &New), STATUS_WM_TYPE_MISMATCH);
    /* Destroy refuses while a replaced lock is held, like any other. */
    WMT_CHECK_STATUS(WmtRegFastValueLock(Old, &Guard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_BUSY);
    WMT_EXPECT_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
    WMT_STOP_IF_FAILED();
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    /* Every value ever registered is destructed exactly once. */
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorCalls), 3);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorSum), 2 + 20 + 20);
}

/* ------------------------------------------------------------------------ */
/* Type identity                                                            */
/* ------------------------------------------------------------------------ */

WMT_REG_TEST(type_mismatch_same_size_and_other_kind)
{
    WMT_REG_FAST Fast;
    WMT_REG_FAST_LONG FastLong;
    WMT_REG_FAST_VALUE FastValue;
    WMT_REG_KMUTEX KMutex;
    WMT_REG_FAST_LONG_GUARD LongGuard;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("ulong", &Zero, NULL), STATUS_SUCCESS);
    /* ULONG vs LONG: same size, same kind, another type. */
    FastLong.Object = (WMT_REG_FAST_LONG_STORAGE *)(ULONG_PTR)1;
    WMT_CHECK_STATUS(WmtRegFastLongRegistryGet("ulong", &FastLong), STATUS_WM_TYPE_MISMATCH);
    WMT_CHECK(FastLong.Object == NULL);
    WMT_CHECK_STATUS(WmtRegFastLongRegistryReference("ulong", &FastLong), STATUS_WM_TYPE_MISMATCH);
    WMT_CHECK_STATUS(WmtRegFastLongRegistryLock("ulong", &LongGuard), STATUS_WM_TYPE_MISMATCH);
    WMT_CHECK(LongGuard.Value == NULL);
    /* Another size. */
    WMT_CHECK_STATUS(WmtRegFastValueRegistryGet("ulong", &FastValue), STATUS_WM_TYPE_MISMATCH);
    /* Same type, another kind. */
    WMT_CHECK_STATUS(WmtRegKMutexRegistryGet("ulong", &KMutex), STATUS_WM_TYPE_MISMATCH);
    /* And the right one. */
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("ulong", &Fast), STATUS_SUCCESS);
    WMT_CHECK(Fast.Object != NULL);
    /* A mismatched lookup took no reference: unregister is not refused. */
    WMT_CHECK_STATUS(WmRegistryUnregister("ulong"), STATUS_SUCCESS);
}

/* Another translation unit declaring the same type has its own descriptor:
 * identity is by content (kind, spelling, size, layout), not by address. */
WMT_REG_TEST(type_identity_by_content)
{
    /* Static: the registry keeps the descriptor's address and type name
     * (generated descriptors are static data). */
    static WMP_REGISTRY_TYPE Twin;
    static WMP_REGISTRY_TYPE Renamed;
    static WMP_REGISTRY_TYPE Resized;
    static char Name[8] = "ULONG";
    PWM_LOCK_HEADER Lock;
    ULONG Seven = 7;

    Twin = WmpRegistryType_WMT_REG_FAST;
    Renamed = WmpRegistryType_WMT_REG_FAST;
    Resized = WmpRegistryType_WMT_REG_FAST;
    Twin.Name = Name;          /* same spelling, another string */
    Renamed.Name = "LONG";
    Resized.ValueSize = sizeof(USHORT);
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("t", &Seven, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmpRegistryLookup("t", &Twin, 0, &Lock), STATUS_SUCCESS);
    WMT_CHECK(Lock != NULL);
    WMT_CHECK_EQ(*(ULONG *)WmpLockValue(Lock), 7);
    WMT_CHECK_STATUS(WmpRegistryLookup("t", &Renamed, 0, &Lock), STATUS_WM_TYPE_MISMATCH);
    WMT_CHECK(Lock == NULL);
    WMT_CHECK_STATUS(WmpRegistryLookup("t", &Resized, 0, &Lock), STATUS_WM_TYPE_MISMATCH);
    /* Registered through the twin, found through the generated descriptor. */
    WMT_CHECK_STATUS(WmpRegistryRegister("twin", &Twin, &Seven, NULL, FALSE), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegFastValueOf("twin"), 7);
}

/* Every lock kind of the library registers, is found, locks, and is told
 * apart from every other kind holding the same type. */
WMT_REG_TEST(every_kind)
{
    static const PCSTR Keys[] = { "kmutex", "fast", "guarded", "spin", "queued", "rw", "resource-rw" };
    PWM_LOCK_HEADER Lock;
    WMT_REG_KMUTEX_GUARD KGuard;
    WMT_REG_FAST_GUARD FGuard;
    WMT_REG_GUARDED_GUARD GGuard;
    WMT_REG_SPIN_GUARD SGuard;
    WMT_REG_QUEUED_GUARD QGuard;
    WMT_REG_RW_GUARD RGuard;
    WMT_REG_RRW_GUARD EGuard;
    PCWMP_REGISTRY_TYPE Types[7];
    ULONG Initial = 3;
    ULONG Key;
    ULONG Type;

    Types[0] = &WmpRegistryType_WMT_REG_KMUTEX;
    Types[1] = &WmpRegistryType_WMT_REG_FAST;
    Types[2] = &WmpRegistryType_WMT_REG_GUARDED;
    Types[3] = &WmpRegistryType_WMT_REG_SPIN;
    Types[4] = &WmpRegistryType_WMT_REG_QUEUED;
    Types[5] = &WmpRegistryType_WMT_REG_RW;
    Types[6] = &WmpRegistryType_WMT_REG_RRW;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegKMutexRegister(Keys[0], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister(Keys[1], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegGuardedRegister(Keys[2], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegSpinRegister(Keys[3], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegQueuedRegister(Keys[4], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegRwRegister(Keys[5], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegRrwRegister(Keys[6], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegCount(), 7);

    for (Key = 0; Key < 7; Key++) {
        for (Type = 0; Type < 7; Type++) {
            WMT_CHECK_STATUS(WmpRegistryLookup(Keys[Key], Types[Type], 0, &Lock),
                             Key == Type ? STATUS_SUCCESS : STATUS_WM_TYPE_MISMATCH);
        }
    }

    /* Find-and-lock through each kind's own typed function. */
    WMT_CHECK_STATUS(WmtRegKMutexRegistryLock(Keys[0], &KGuard), STATUS_SUCCESS);
    *KGuard.Value += 1;
    WMT_CHECK_STATUS(WmtRegKMutexUnlock(&KGuard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryLock(Keys[1], &FGuard), STATUS_SUCCESS);
    *FGuard.Value += 1;
    WMT_CHECK_STATUS(WmtRegFastUnlock(&FGuard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegGuardedRegistryLock(Keys[2], &GGuard), STATUS_SUCCESS);
    *GGuard.Value += 1;
    WMT_CHECK_STATUS(WmtRegGuardedUnlock(&GGuard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegSpinRegistryLock(Keys[3], &SGuard), STATUS_SUCCESS);
    *SGuard.Value += 1;
    WMT_CHECK_STATUS(WmtRegSpinUnlock(&SGuard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegQueuedRegistryLock(Keys[4], &QGuard), STATUS_SUCCESS);
    *QGuard.Value += 1;
    WMT_CHECK_STATUS(WmtRegQueuedUnlock(&QGuard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegRwRegistryLock(Keys[5], &RGuard), STATUS_SUCCESS);
    *RGuard.Value += 1;
    WMT_CHECK_STATUS(WmtRegRwUnlock(&RGuard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegRrwRegistryLock(Keys[6], &EGuard), STATUS_SUCCESS);
    *EGuard.Value += 1;
    WMT_CHECK_STATUS(WmtRegRrwUnlock(&EGuard), STATUS_SUCCESS);

    for (Key = 0; Key < 7; Key++) {
        WMT_CHECK_STATUS(WmpRegistryLookup(Keys[Key], Types[Key], 0, &Lock), STATUS_SUCCESS);
        WMT_CHECK_EQ(*(ULONG *)WmpLockValue(Lock), 4);
    }
    /* A shared guard holds the entry as an exclusive one does. */
    {
        WMT_REG_RW Rw;
        WMT_REG_RW_SHARED_GUARD Shared;

        WMT_CHECK_STATUS(WmtRegRwRegistryGet(Keys[5], &Rw), STATUS_SUCCESS);
        WMT_CHECK_STATUS(WmtRegRwLockShared(Rw, &Shared), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmRegistryUnregister(Keys[5]), STATUS_WM_REGISTRY_BUSY);
        WMT_EXPECT_EQ(*Shared.Value, 4);
        WMT_EXPECT_STATUS(WmtRegRwUnlockShared(&Shared), STATUS_SUCCESS);
        WMT_STOP_IF_FAILED();
    }
    {
        WMT_REG_RRW Rrw;
        WMT_REG_RRW_SHARED_GUARD Shared;

        WMT_CHECK_STATUS(WmtRegRrwRegistryGet(Keys[6], &Rrw), STATUS_SUCCESS);
        WMT_CHECK_EQ(WmtRegRrwQueryBacking(Rrw), WmRwLockResource);
        WMT_CHECK_STATUS(WmtRegRrwLockShared(Rrw, &Shared), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmRegistryUnregister(Keys[6]), STATUS_WM_REGISTRY_BUSY);
        WMT_EXPECT_EQ(*Shared.Value, 4);
        WMT_EXPECT_STATUS(WmtRegRrwUnlockShared(&Shared), STATUS_SUCCESS);
        WMT_STOP_IF_FAILED();
    }
    /* Unregister works for any kind, and destroy frees the rest. */
    WMT_CHECK_STATUS(WmRegistryUnregister(Keys[5]), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryUnregister(Keys[3]), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

WMT_REG_TEST(bad_keys_on_every_entry_point)
{
    char Long[WM_REGISTRY_MAX_KEY_LENGTH + 2];
    PCSTR Bad[3];
    WMT_REG_FAST Mutex;
    WMT_REG_FAST_GUARD Guard;
    ULONG Zero = 0;
    ULONG Index;

    for (Index = 0; Index < WM_REGISTRY_MAX_KEY_LENGTH + 1; Index++) {
        Long[Index] = (char)('a' + Index % 26);
    }
    Long[WM_REGISTRY_MAX_KEY_LENGTH + 1] = '\0';   /* one byte too long */
    Bad[0] = NULL;
    Bad[1] = "";
    Bad[2] = Long;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("valid", &Zero, NULL), STATUS_SUCCESS);
    for (Index = 0; Index < 3; Index++) {
        WMT_CHECK_STATUS(WmtRegFastRegister(Bad[Index], &Zero, NULL), STATUS_WM_INVALID_KEY);
        WMT_CHECK_STATUS(WmtRegFastRegisterChecked(Bad[Index], &Zero, NULL), STATUS_WM_INVALID_KEY);
        WMT_CHECK_STATUS(WmtRegFastRegistryGet(Bad[Index], &Mutex), STATUS_WM_INVALID_KEY);
        WMT_CHECK_STATUS(WmtRegFastRegistryReference(Bad[Index], &Mutex), STATUS_WM_INVALID_KEY);
        WMT_CHECK_STATUS(WmtRegFastRegistryLock(Bad[Index], &Guard), STATUS_WM_INVALID_KEY);
        WMT_CHECK_STATUS(WmRegistryUnregister(Bad[Index]), STATUS_WM_INVALID_KEY);
    }
    /* Bad keys are refused before anything else, even without a registry. */
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("", &Mutex), STATUS_WM_INVALID_KEY);
    WMT_CHECK_STATUS(WmtRegFastRegister(NULL, &Zero, NULL), STATUS_WM_INVALID_KEY);
    /* The longest valid key works. */
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    Long[WM_REGISTRY_MAX_KEY_LENGTH] = '\0';
    WMT_CHECK_STATUS(WmtRegFastRegisterChecked(Long, &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet(Long, &Mutex), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryUnregister(Long), STATUS_SUCCESS);
}

/* Keys of every length at every alignment: registered from one placement,
 * found from another; neighbours (one byte shorter or changed) are not. */
WMT_REG_TEST(keys_every_length_and_alignment)
{
    char Source[WM_REGISTRY_MAX_KEY_LENGTH + 16];
    char Probe[WM_REGISTRY_MAX_KEY_LENGTH + 16];
    WMT_REG_FAST Mutex;
    ULONG Length;
    ULONG Align;
    ULONG Index;
    ULONG Value;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    for (Length = 1; Length <= WM_REGISTRY_MAX_KEY_LENGTH; Length++) {
        Align = Length % 8;
        for (Index = 0; Index < Length; Index++) {
            /* UTF-8 / high bytes too: compared bytewise. */
            Source[Align + Index] = (char)(Index == 3 ? 0xC3 : 'A' + (Length + Index) % 50);
        }
        Source[Align + Length] = '\0';
        Value = Length;
        WMT_CHECK_STATUS(WmtRegFastRegisterChecked(&Source[Align], &Value, NULL), STATUS_SUCCESS);
    }
    WMT_CHECK_EQ(WmtRegCount(), WM_REGISTRY_MAX_KEY_LENGTH);
    for (Length = 1; Length <= WM_REGISTRY_MAX_KEY_LENGTH; Length++) {
        for (Align = 0; Align < 8; Align++) {
            for (Index = 0; Index < Length; Index++) {
                Probe[Align + Index] = (char)(Index == 3 ? 0xC3 : 'A' + (Length + Index) % 50);
            }
            /* Garbage after the terminator must not matter. */
            Probe[Align + Length] = '\0';
            Probe[Align + Length + 1] = 'Z';
            Probe[Align + Length + 2] = 'Z';
            WMT_CHECK_STATUS(WmtRegFastRegistryGet(&Probe[Align], &Mutex), STATUS_SUCCESS);
            WMT_CHECK_EQ(*(ULONG *)WmpLockValue(&Mutex.Object->Lock.Header), Length);
            /* The last byte changed: another key. */
            Probe[Align + Length - 1] = '#';
            WMT_CHECK_STATUS(WmtRegFastRegistryGet(&Probe[Align], &Mutex), STATUS_WM_KEY_NOT_FOUND);
        }
    }
}

/* A table record holds a key's first 40 bytes (48 on 32-bit targets): a key
 * of exactly that length has the record words of every longer key that
 * starts with it, and must still not find that key's entry. Each pair is
 * looked up in a 16-record table, so the short key's probe meets the long
 * key's record for some of the pairs (every 16th or so). */
WMT_REG_TEST(keys_of_a_record_length_not_confused_with_longer_ones)
{
    static const ULONG Lengths[] = { 40, 48 };
    char Short[WM_REGISTRY_MAX_KEY_LENGTH + 1];
    char Long[WM_REGISTRY_MAX_KEY_LENGTH + 1];
    WMT_REG_FAST Mutex;
    ULONG Which;
    ULONG Pair;
    ULONG Index;
    ULONG Value;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    for (Which = 0; Which < sizeof(Lengths) / sizeof(Lengths[0]); Which++) {
        for (Pair = 0; Pair < 200; Pair++) {
            for (Index = 0; Index < Lengths[Which]; Index++) {
                Short[Index] = (char)('a' + (Index * 7 + Pair) % 26);
            }
            Short[0] = (char)('0' + Pair % 10);
            Short[1] = (char)('0' + Pair / 10 % 10);
            Short[2] = (char)('0' + Pair / 100);
            Short[Lengths[Which]] = '\0';
            for (Index = 0; Index <= Lengths[Which]; Index++) {
                Long[Index] = Short[Index];
            }
            Long[Lengths[Which]] = '+';
            Long[Lengths[Which] + 1] = 'x';
            Long[Lengths[Which] + 2] = '\0';

            Value = 2;
            WMT_CHECK_STATUS(WmtRegFastRegisterChecked(Long, &Value, NULL), STATUS_SUCCESS);
            WMT_CHECK_STATUS(WmtRegFastRegistryGet(Short, &Mutex), STATUS_WM_KEY_NOT_FOUND);
            Value = 1;
            WMT_CHECK_STATUS(WmtRegFastRegisterChecked(Short, &Value, NULL), STATUS_SUCCESS);
            WMT_CHECK_STATUS(WmtRegFastRegistryGet(Short, &Mutex), STATUS_SUCCESS);
            WMT_CHECK_EQ(*(ULONG *)WmpLockValue(&Mutex.Object->Lock.Header), 1);
            WMT_CHECK_STATUS(WmtRegFastRegistryGet(Long, &Mutex), STATUS_SUCCESS);
            WMT_CHECK_EQ(*(ULONG *)WmpLockValue(&Mutex.Object->Lock.Header), 2);
            WMT_CHECK_STATUS(WmRegistryUnregister(Short), STATUS_SUCCESS);
            WMT_CHECK_STATUS(WmRegistryUnregister(Long), STATUS_SUCCESS);
        }
    }
}

/* A key placed at Where (Length bytes of Pattern, then the terminator). */
static PCSTR
WmtRegPlaceKey(_Out_writes_(Length + 1) PCHAR Where, _In_ ULONG Length, _In_ ULONG Pattern)
{
    ULONG Index;

    for (Index = 0; Index < Length; Index++) {
        Where[Index] = (char)('!' + (Pattern * 7 + Index * 13) % 90);
    }
    Where[Length] = '\0';
    return Where;
}

/* The two key readers (x64: vectors, and words near a page end; other
 * targets: words) must give a key one hash and one set of canonical words:
 * a key registered from one placement is found from offsets 0..15 of a
 * page, around the page offset where the reader changes, and ending on the
 * last byte of a page (the next page is ours too, so a wrong reader choice
 * would go unnoticed by the hardware but not by this test). */
static UCHAR WmtRegKeyPages[3 * 4096];

WMT_REG_TEST(keys_found_from_either_key_reader)
{
    static const ULONG Lengths[] = { 1, 7, 8, 9, 15, 16, 17, 29, 31, 32, 33, 39, 40, 41, 47, 48, 49, 63, 64 };
    PCHAR Page = (PCHAR)(((ULONG_PTR)WmtRegKeyPages + 4095) & ~(ULONG_PTR)4095);
    char Source[WM_REGISTRY_MAX_KEY_LENGTH + 1];
    ULONG Places[16 + 6];
    WMT_REG_FAST Mutex;
    ULONG Count = sizeof(Lengths) / sizeof(Lengths[0]);
    ULONG Length;
    ULONG Place;
    ULONG Key;
    ULONG Value;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    for (Key = 0; Key < Count; Key++) {
        Value = Key;
        WMT_CHECK_STATUS(WmtRegFastRegisterChecked(WmtRegPlaceKey(Source, Lengths[Key], Key), &Value, NULL),
                         STATUS_SUCCESS);
    }
    for (Key = 0; Key < Count; Key++) {
        Length = Lengths[Key];
        for (Place = 0; Place < 16; Place++) {
            Places[Place] = Place;
        }
        Places[16] = 4096 - 81;
        Places[17] = 4096 - 80;
        Places[18] = 4096 - 79;
        Places[19] = 4096 - 66;
        Places[20] = 4096 - 65;
        Places[21] = 4096 - (Length + 1);   /* the terminator ends the page */
        for (Place = 0; Place < sizeof(Places) / sizeof(Places[0]); Place++) {
            if (Places[Place] + Length + 1 > 4096) {
                continue;
            }
            /* Non-zero garbage around the key: only the terminator ends it. */
            (VOID)WmtRegPlaceKey(Page + Places[Place], 4096 + 64 - Places[Place], Key + 1);
            WMT_CHECK_STATUS(WmtRegFastRegistryGet(WmtRegPlaceKey(Page + Places[Place], Length, Key), &Mutex),
                             STATUS_SUCCESS);
            WMT_CHECK_EQ(*(ULONG *)WmpLockValue(&Mutex.Object->Lock.Header), Key);
            WMT_CHECK_STATUS(WmRegistryUnregister(Page + Places[Place]), STATUS_SUCCESS);
            Value = Key;
            WMT_CHECK_STATUS(WmtRegFastRegisterChecked(Page + Places[Place], &Value, NULL), STATUS_SUCCESS);
        }
    }
    /* Over-long keys are refused by either reader. */
    (VOID)WmtRegPlaceKey(Page, WM_REGISTRY_MAX_KEY_LENGTH + 1, 1);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet(Page, &Mutex), STATUS_WM_INVALID_KEY);
    (VOID)WmtRegPlaceKey(Page + 4096 - (WM_REGISTRY_MAX_KEY_LENGTH + 2), WM_REGISTRY_MAX_KEY_LENGTH + 1, 1);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet(Page + 4096 - (WM_REGISTRY_MAX_KEY_LENGTH + 2), &Mutex),
                     STATUS_WM_INVALID_KEY);
    WMT_CHECK_EQ(WmtRegCount(), Count);
}

/* ------------------------------------------------------------------------ */
/* Unregister, counted handles, find-and-lock                               */
/* ------------------------------------------------------------------------ */

WMT_REG_TEST(unregister_frees_and_runs_destructor)
{
    WMT_VALUE Initial;
    WMT_REG_FAST_VALUE Mutex;
    WMT_REG_FAST_VALUE_GUARD Guard;
    LONG Before = WmQueryOutstandingAllocations();

    WmtRegResetDestructors();
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WmtFillValue(&Initial, 11, 3);
    WMT_CHECK_STATUS(WmtRegFastValueRegister("u", &Initial, WmtRegValueDestructor), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 3); /* registry, table, entry */
    /* Held: refused, still there. */
    WMT_CHECK_STATUS(WmtRegFastValueRegistryLock("u", &Guard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmRegistryUnregister("u"), STATUS_WM_REGISTRY_BUSY);
    WMT_EXPECT_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
    WMT_STOP_IF_FAILED();
    /* Referenced: refused until dereferenced. */
    WMT_CHECK_STATUS(WmtRegFastValueRegistryReference("u", &Mutex), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryUnregister("u"), STATUS_WM_REGISTRY_BUSY);
    WMT_CHECK_STATUS(WmtRegFastValueRegistryDereference(&Mutex), STATUS_SUCCESS);
    WMT_CHECK(Mutex.Object == NULL);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorCalls), 0);
    /* Free: gone at once (no lookup in flight), destructor ran. */
    WMT_CHECK_STATUS(WmRegistryUnregister("u"), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorCalls), 1);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorSum), 11);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 2);
    WMT_CHECK_EQ(WmtRegCount(), 0);
    WMT_CHECK_STATUS(WmRegistryUnregister("u"), STATUS_WM_REGISTRY_EMPTY);
    /* The name can be registered again, with another type. */
    WMT_CHECK_STATUS(WmtRegKMutexRegisterChecked("u", NULL, NULL), STATUS_SUCCESS);
}

WMT_REG_TEST(counted_handles)
{
    WMT_REG_FAST A;
    WMT_REG_FAST B;
    WMT_REG_FAST Copy;
    WMT_REG_FAST_GUARD Guard;
    WMT_REG_FAST Created;
    ULONG Zero = 0;
    ULONG Round;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("hot", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryReference("hot", &A), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryReference("hot", &B), STATUS_SUCCESS);
    WMT_CHECK(A.Object == B.Object);
    /* The hot path: lock through the kept handle, no lookups. */
    for (Round = 0; Round < 50; Round++) {
        WMT_CHECK_STATUS(WmtRegFastLock(A, &Guard), STATUS_SUCCESS);
        *Guard.Value += 1;
        WMT_CHECK_STATUS(WmtRegFastUnlock(&Guard), STATUS_SUCCESS);
    }
    WMT_CHECK_STATUS(WmRegistryUnregister("hot"), STATUS_WM_REGISTRY_BUSY);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_BUSY);
    /* Still fully usable after the refusals. */
    WMT_CHECK(WmRegistryIsInitialized());
    WMT_CHECK_EQ(WmtRegFastValueOf("hot"), 50);
    WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&A), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_BUSY);
    Copy = B;
    WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&B), STATUS_SUCCESS);
    /* No counted handle left: a further dereference changes nothing. */
    WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&Copy), STATUS_WM_INVALID_PARAMETER);
    /* A lock that is not in the registry is no registry handle. */
    WMT_CHECK_STATUS(WmtRegFastCreate(&Created, &Zero, NULL), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegistryDereference(&Created), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtRegFastDestroy(&Created), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
}

WMT_REG_TEST(registry_lock)
{
    WMT_REG_FAST_GUARD Guard;
    WMT_REG_FAST_GUARD Again;
    WMT_REG_KMUTEX_GUARD KGuard;
    WMT_REG_KMUTEX_GUARD KAgain;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("f", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegKMutexRegister("k", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryLock("f", &Guard), STATUS_SUCCESS);
    WMT_EXPECT(Guard.Value != NULL);
    /* The kinds' own rules apply: a fast mutex is not recursive... */
    WMT_EXPECT_STATUS(WmtRegFastRegistryLock("f", &Again), STATUS_WM_RECURSIVE_ACQUIRE);
    WMT_EXPECT(Again.Value == NULL);
    /* ...and a held entry cannot be unregistered or destroyed. */
    WMT_EXPECT_STATUS(WmRegistryUnregister("f"), STATUS_WM_REGISTRY_BUSY);
    WMT_EXPECT_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_BUSY);
    WMT_EXPECT_STATUS(WmtRegFastUnlock(&Guard), STATUS_SUCCESS);
    WMT_STOP_IF_FAILED();
    /* A KMUTEX is recursive. */
    WMT_CHECK_STATUS(WmtRegKMutexRegistryLock("k", &KGuard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegKMutexRegistryLock("k", &KAgain), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegKMutexUnlock(&KAgain), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegKMutexUnlock(&KGuard), STATUS_SUCCESS);
    WMT_STOP_IF_FAILED();
    /* The wait took no lasting reference. */
    WMT_CHECK_STATUS(WmRegistryUnregister("f"), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryUnregister("k"), STATUS_SUCCESS);
}

WMT_REG_TEST(count)
{
    char Key[24];
    ULONG Index;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    for (Index = 0; Index < 100; Index++) {
        WmtRegNumberedKey(Key, "n", Index);
        WMT_CHECK_STATUS(WmtRegFastRegister(Key, &Zero, NULL), STATUS_SUCCESS);
        WMT_CHECK_EQ(WmtRegCount(), Index + 1);
    }
    /* Overwrites do not count twice. */
    WMT_CHECK_STATUS(WmtRegFastRegister("n5", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegCount(), 100);
    for (Index = 0; Index < 100; Index += 2) {
        WmtRegNumberedKey(Key, "n", Index);
        WMT_CHECK_STATUS(WmRegistryUnregister(Key), STATUS_SUCCESS);
    }
    WMT_CHECK_EQ(WmtRegCount(), 50);
    for (Index = 0; Index < 100; Index++) {
        WMT_REG_FAST Mutex;
        WmtRegNumberedKey(Key, "n", Index);
        WMT_CHECK_STATUS(WmtRegFastRegistryGet(Key, &Mutex),
                         (Index % 2) == 0 ? STATUS_WM_KEY_NOT_FOUND : STATUS_SUCCESS);
    }
}

/* Deferred reclamation and destroy's refusal while a call is in progress,
 * made deterministic with the test hook that holds a call open (on the
 * thread's own call slot). */
static VOID
WmtRegCallInProgress(VOID)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_VALUE Initial;

    WmtRegResetDestructors();
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WmtFillValue(&Initial, 4, 0);
    WMT_CHECK_STATUS(WmtRegFastValueRegister("a", &Initial, WmtRegValueDestructor), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastValueRegister("b", &Initial, WmtRegValueDestructor), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 4);

    WmpRegistryTestHoldCall(TRUE);
    /* Unlinked at once, but a lookup may still be looking at it: kept. */
    WMT_EXPECT_STATUS(WmRegistryUnregister("a"), STATUS_SUCCESS);
    WMT_EXPECT_EQ(WmtRegCount(), 1);
    WMT_EXPECT_EQ(WmQueryOutstandingAllocations(), Before + 4);
    WMT_EXPECT_EQ(WmtRegRead(&WmtRegDestructorCalls), 0);
    WMT_EXPECT_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_BUSY);
    WmpRegistryTestHoldCall(FALSE);
    WMT_STOP_IF_FAILED();

    /* The next writer frees it. */
    WMT_CHECK_STATUS(WmRegistryUnregister("b"), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 2);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorCalls), 2);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

WMT_REG_TEST(call_in_progress_defers_free_and_refuses_destroy)
{
    ULONG Claimed;
    BOOLEAN HasSlot;
    BOOLEAN Fences;

    WmpRegistryTestReleaseCallSlots();
    WmtRegCallInProgress();
    WMT_STOP_IF_FAILED();
    /* The calls above went through this thread's own slot. */
    (VOID)WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences);
    WMT_CHECK(HasSlot);
}

/* Rebuilds (growth and tombstone purges) keep every key reachable. */
WMT_REG_TEST(growth_and_churn)
{
    char Key[24];
    WMT_REG_FAST Mutex;
    ULONG Capacity;
    ULONG Index;
    ULONG Round;
    ULONG Value;

    WMT_CHECK_STATUS(WmpRegistryTestQueryCapacity(&Capacity), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK_EQ(Capacity, 0);
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmpRegistryTestQueryCapacity(&Capacity), STATUS_SUCCESS);
    WMT_CHECK_EQ(Capacity, 16);
    for (Index = 0; Index < 2000; Index++) {
        WmtRegNumberedKey(Key, "grow.", Index);
        Value = Index;
        WMT_CHECK_STATUS(WmtRegFastRegisterChecked(Key, &Value, NULL), STATUS_SUCCESS);
        /* At most a quarter used, and no sparser than the growth rule leaves
         * it (registry.h: 256 to 1,024 bytes of table a key). */
        WMT_CHECK_STATUS(WmpRegistryTestQueryCapacity(&Capacity), STATUS_SUCCESS);
        WMT_CHECK(Capacity >= 4 * (Index + 1) && Capacity <= 16 * (Index + 1));
    }
    /* Churn one slot range: tombstones pile up and get purged. */
    for (Round = 0; Round < 3000; Round++) {
        WmtRegNumberedKey(Key, "churn.", Round);
        WMT_CHECK_STATUS(WmtRegFastRegisterChecked(Key, &Round, NULL), STATUS_SUCCESS);
        WMT_CHECK_STATUS(WmRegistryUnregister(Key), STATUS_SUCCESS);
    }
    WMT_CHECK_EQ(WmtRegCount(), 2000);
    WMT_CHECK_STATUS(WmpRegistryTestQueryCapacity(&Capacity), STATUS_SUCCESS);
    WMT_EXPECT(Capacity >= 4 * 2000 && Capacity <= 16 * 2000);
    for (Index = 0; Index < 2000; Index++) {
        WmtRegNumberedKey(Key, "grow.", Index);
        WMT_CHECK_STATUS(WmtRegFastRegistryGet(Key, &Mutex), STATUS_SUCCESS);
        WMT_CHECK_EQ(*(ULONG *)WmpLockValue(&Mutex.Object->Lock.Header), Index);
    }
}

/* ------------------------------------------------------------------------ */
/* IRQL                                                                     */
/* ------------------------------------------------------------------------ */

WMT_REG_TEST(irql_rules)
{
    WMT_REG_FAST Mutex;
    WMT_REG_FAST_GUARD Guard;
    ULONG Count;
    ULONG Zero = 0;
    KIRQL Old;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    /* APC_LEVEL: everything. */
    Old = WmtRaiseIrql(APC_LEVEL);
    WMT_EXPECT_STATUS(WmtRegFastRegister("apc", &Zero, NULL), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegistryGet("apc", &Mutex), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegistryLock("apc", &Guard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastUnlock(&Guard), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmRegistryUnregister("apc"), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegister("apc", &Zero, NULL), STATUS_SUCCESS);
    WmtLowerIrql(Old);
    WMT_STOP_IF_FAILED();
    /* DISPATCH_LEVEL: lookups yes, writers and the fast-mutex lock no. */
    Old = WmtRaiseIrql(DISPATCH_LEVEL);
    WMT_EXPECT_STATUS(WmtRegFastRegistryGet("apc", &Mutex), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegistryReference("apc", &Mutex), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegistryDereference(&Mutex), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmRegistryCount(&Count), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtRegFastRegistryLock("apc", &Guard), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmtRegFastRegister("dpc", &Zero, NULL), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmtRegFastRegisterChecked("dpc", &Zero, NULL), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmRegistryUnregister("apc"), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmRegistryDestroy(), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmRegistryInitialize(), STATUS_WM_IRQL_TOO_HIGH);
    WmtLowerIrql(Old);
    WMT_STOP_IF_FAILED();
    /* Above DISPATCH_LEVEL: nothing. */
    Old = WmtRaiseIrql(HIGH_LEVEL);
    WMT_EXPECT_STATUS(WmtRegFastRegistryGet("apc", &Mutex), STATUS_WM_IRQL_TOO_HIGH);
    WMT_EXPECT_STATUS(WmRegistryCount(&Count), STATUS_WM_IRQL_TOO_HIGH);
    WmtLowerIrql(Old);
    WMT_STOP_IF_FAILED();
    WMT_CHECK_EQ(WmtRegCount(), 1);
}

/* ------------------------------------------------------------------------ */
/* Races                                                                    */
/* ------------------------------------------------------------------------ */

#define WMT_REG_RACERS 6

typedef struct _WMT_REG_RACE {
    KEVENT        Go;
    LONG volatile Ready;
    LONG volatile Success;
    LONG volatile Lost;     /* the expected loser status           */
    LONG volatile Other;    /* anything else (a failure)            */
    ULONG         Mode;     /* 0 initialise, 1 destroy, 2 register */
} WMT_REG_RACE;

static KSTART_ROUTINE WmtRegRaceThread;

static VOID NTAPI
WmtRegRaceThread(_In_ PVOID Context)
{
    WMT_REG_RACE *Race = (WMT_REG_RACE *)Context;
    ULONG One = 1;
    NTSTATUS Status;
    NTSTATUS Loser;

    InterlockedIncrement(&Race->Ready);
    (VOID)KeWaitForSingleObject(&Race->Go, Executive, KernelMode, FALSE, NULL);
    if (Race->Mode == 0) {
        Status = WmRegistryInitialize();
        Loser = STATUS_WM_REGISTRY_EXISTS;
    } else if (Race->Mode == 1) {
        Status = WmRegistryDestroy();
        /* A destroy that overlaps the winner is refused, one after it finds
         * nothing. */
        Loser = Status == STATUS_WM_REGISTRY_BUSY ? STATUS_WM_REGISTRY_BUSY
                                                   : STATUS_WM_REGISTRY_NOT_INITIALIZED;
    } else {
        Status = WmtRegFastRegisterChecked("race", &One, NULL);
        Loser = STATUS_WM_KEY_EXISTS;
    }
    if (Status == STATUS_SUCCESS) {
        InterlockedIncrement(&Race->Success);
    } else if (Status == Loser) {
        InterlockedIncrement(&Race->Lost);
    } else {
        InterlockedIncrement(&Race->Other);
        WmtFail(__FILE__, __LINE__, "racer (mode %u) got 0x%08lx (%s)", (unsigned)Race->Mode,
                (unsigned long)Status, WmtStatusText(Status));
    }
}

static VOID
WmtRegRunRace(_Inout_ WMT_REG_RACE *Race, _In_ ULONG Mode)
{
    WMT_THREAD Threads[WMT_REG_RACERS];
    ULONG Started = 0;
    ULONG Index;

    KeInitializeEvent(&Race->Go, NotificationEvent, FALSE);
    Race->Ready = 0;
    Race->Success = 0;
    Race->Lost = 0;
    Race->Other = 0;
    Race->Mode = Mode;
    for (Index = 0; Index < WMT_REG_RACERS; Index++) {
        if (WmtStartThread(&Threads[Started], WmtRegRaceThread, Race) == STATUS_SUCCESS) {
            Started++;
        }
    }
    while (WmtRegRead(&Race->Ready) != (LONG)Started) {
        WmtSleep(1);
    }
    (VOID)KeSetEvent(&Race->Go, IO_NO_INCREMENT, FALSE);
    for (Index = 0; Index < Started; Index++) {
        WMT_EXPECT_STATUS(WmtJoinThread(&Threads[Index]), STATUS_SUCCESS);
    }
    WMT_EXPECT_EQ(Started, WMT_REG_RACERS);
}

WMT_REG_TEST(racing_initialize_destroy_and_checked_register)
{
    WMT_REG_RACE Race;
    ULONG Round;
    LONG Before = WmQueryOutstandingAllocations();

    for (Round = 0; Round < 20; Round++) {
        /* Exactly one initialisation wins, the losers leak nothing. */
        WmtRegRunRace(&Race, 0);
        WMT_CHECK_EQ(Race.Success, 1);
        WMT_CHECK_EQ(Race.Lost, WMT_REG_RACERS - 1);
        WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 2);
        /* Exactly one checked registration wins. */
        WmtRegRunRace(&Race, 2);
        WMT_CHECK_EQ(Race.Success, 1);
        WMT_CHECK_EQ(Race.Lost, WMT_REG_RACERS - 1);
        WMT_CHECK_EQ(WmtRegCount(), 1);
        WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before + 3);
        /* Exactly one destroy wins. */
        WmtRegRunRace(&Race, 1);
        WMT_CHECK_EQ(Race.Success, 1);
        WMT_CHECK_EQ(Race.Lost, WMT_REG_RACERS - 1);
        WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
    }
}

/* Lookups racing a destroy: the destroy is refused while they are inside
 * and succeeds once they are not; a lookup after it sees no registry. */
typedef struct _WMT_REG_DESTROY_RACE {
    LONG volatile Stop;
    LONG volatile Found;
    LONG volatile Refused;
} WMT_REG_DESTROY_RACE;

static KSTART_ROUTINE WmtRegDestroyRaceThread;

static VOID NTAPI
WmtRegDestroyRaceThread(_In_ PVOID Context)
{
    WMT_REG_DESTROY_RACE *Race = (WMT_REG_DESTROY_RACE *)Context;
    WMT_REG_FAST_GUARD Guard;
    NTSTATUS Status;

    while (WmtRegRead(&Race->Stop) == 0) {
        /* Find-and-lock is the form that is safe against a racing destroy. */
        Status = WmtRegFastRegistryLock("target", &Guard);
        if (Status == STATUS_SUCCESS) {
            *Guard.Value += 1;
            WMT_EXPECT_STATUS(WmtRegFastUnlock(&Guard), STATUS_SUCCESS);
            InterlockedIncrement(&Race->Found);
        } else if (Status == STATUS_WM_REGISTRY_NOT_INITIALIZED) {
            InterlockedIncrement(&Race->Refused);
        } else {
            WmtFail(__FILE__, __LINE__, "lookup during destroy: 0x%08lx (%s)", (unsigned long)Status,
                    WmtStatusText(Status));
            return;
        }
    }
}

static VOID
WmtRegDestroyRacingLookups(VOID)
{
    WMT_REG_DESTROY_RACE Race;
    WMT_THREAD Threads[2];
    ULONG Round;
    ULONG Busy = 0;
    ULONG Attempts;
    ULONG Zero = 0;
    NTSTATUS Status;
    ULONG Index;

    for (Round = 0; Round < 10; Round++) {
        Race.Stop = 0;
        Race.Found = 0;
        Race.Refused = 0;
        WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
        WMT_CHECK_STATUS(WmtRegFastRegister("target", &Zero, NULL), STATUS_SUCCESS);
        WMT_CHECK_STATUS(WmtStartThread(&Threads[0], WmtRegDestroyRaceThread, &Race), STATUS_SUCCESS);
        if (WmtStartThread(&Threads[1], WmtRegDestroyRaceThread, &Race) != STATUS_SUCCESS) {
            InterlockedExchange(&Race.Stop, 1);
            (VOID)WmtJoinThread(&Threads[0]);
            WMT_CHECK(FALSE);
        }
        WmtSleep(2);
        for (Attempts = 0;; Attempts++) {
            Status = WmRegistryDestroy();
            if (Status != STATUS_WM_REGISTRY_BUSY) {
                break;
            }
            Busy++;
            WmtSleep(0);
        }
        WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
        WmtSleep(1);
        InterlockedExchange(&Race.Stop, 1);
        for (Index = 0; Index < 2; Index++) {
            WMT_EXPECT_STATUS(WmtJoinThread(&Threads[Index]), STATUS_SUCCESS);
        }
        WMT_STOP_IF_FAILED();
        WMT_CHECK(!WmRegistryIsInitialized());
    }
    WmtInfo("registry.destroy_racing_lookups: %u destroy attempts refused as busy", (unsigned)Busy);
}

WMT_REG_TEST(destroy_racing_lookups)
{
    WmpRegistryTestReleaseCallSlots();
    WmtRegDestroyRacingLookups();
}

/* ------------------------------------------------------------------------ */
/* Stress: lookups and locks vs registration, unregistration, overwrite     */
/* ------------------------------------------------------------------------ */

#define WMT_REG_STRESS_KEYS     12
#define WMT_REG_STRESS_GETS     20000
#define WMT_REG_STRESS_WRITES   4000

typedef struct _WMT_REG_STRESS {
    LONG volatile Increments;   /* successful locked increments           */
    LONG volatile Stop;
    LONG volatile Writes;
    LONG volatile Busy;
    LONG volatile Seeds;        /* gives each reader its own random seed  */
} WMT_REG_STRESS;

static const PCSTR WmtRegStressKeys[WMT_REG_STRESS_KEYS] = {
    "stress.00", "stress.01", "stress.02", "stress.03", "stress.04", "stress.05",
    "stress.06", "stress.07", "stress.08", "stress.09",
    "stress.10.a.key.longer.than.a.table.record.holds", "stress.long.key.name.for.words.11",
};

static KSTART_ROUTINE WmtRegStressReader;

static VOID NTAPI
WmtRegStressReader(_In_ PVOID Context)
{
    WMT_REG_STRESS *Stress = (WMT_REG_STRESS *)Context;
    WMT_REG_FAST_VALUE Mutex;
    WMT_REG_FAST_VALUE_GUARD Guard;
    WMT_REG_FAST Wrong;
    ULONG Random = 0x2545F491UL + 0x9E3779B9UL * (ULONG)InterlockedIncrement(&Stress->Seeds);
    ULONG Round;
    PCSTR Key;
    NTSTATUS Status;

    /* Until the writer is done (and at least WMT_REG_STRESS_GETS rounds). */
    for (Round = 0; Round < WMT_REG_STRESS_GETS || WmtRegRead(&Stress->Stop) == 0; Round++) {
        Key = WmtRegStressKeys[WmtRandom(&Random) % WMT_REG_STRESS_KEYS];
        switch (WmtRandom(&Random) % 3) {
        case 0:
            /* Find and lock in one call. */
            Status = WmtRegFastValueRegistryLock(Key, &Guard);
            if (Status == STATUS_SUCCESS) {
                Guard.Value->Counter += 1;
                InterlockedIncrement(&Stress->Increments);
                WMT_EXPECT_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
            }
            break;
        case 1:
            /* A counted handle, locked twice, then released. */
            Status = WmtRegFastValueRegistryReference(Key, &Mutex);
            if (Status == STATUS_SUCCESS) {
                if (WmtRegFastValueLock(Mutex, &Guard) == STATUS_SUCCESS) {
                    Guard.Value->Counter += 1;
                    InterlockedIncrement(&Stress->Increments);
                    WMT_EXPECT_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
                }
                WMT_EXPECT_STATUS(WmtRegFastValueRegistryDereference(&Mutex), STATUS_SUCCESS);
            }
            break;
        default:
            /* Plain lookups (the handle is not used: it may go away), and a
             * lookup with the wrong type. */
            Status = WmtRegFastValueRegistryGet(Key, &Mutex);
            if (Status == STATUS_SUCCESS) {
                Status = WmtRegFastRegistryGet(Key, &Wrong);
                WMT_EXPECT(Status == STATUS_WM_TYPE_MISMATCH || Status == STATUS_WM_KEY_NOT_FOUND ||
                           Status == STATUS_WM_REGISTRY_EMPTY);
                Status = STATUS_SUCCESS;
            }
            break;
        }
        WMT_EXPECT(Status == STATUS_SUCCESS || Status == STATUS_WM_KEY_NOT_FOUND ||
                   Status == STATUS_WM_REGISTRY_EMPTY);
        if (WmtFailed()) {
            return;
        }
    }
}

static KSTART_ROUTINE WmtRegStressWriter;

static VOID NTAPI
WmtRegStressWriter(_In_ PVOID Context)
{
    WMT_REG_STRESS *Stress = (WMT_REG_STRESS *)Context;
    ULONG Random = 0x9E3779B9UL;
    WMT_VALUE Initial;
    ULONG Round;
    PCSTR Key;
    NTSTATUS Status;

    WmtFillValue(&Initial, 0, 0);
    for (Round = 0; Round < WMT_REG_STRESS_WRITES; Round++) {
        Key = WmtRegStressKeys[WmtRandom(&Random) % WMT_REG_STRESS_KEYS];
        switch (WmtRandom(&Random) % 4) {
        case 0:
            Status = WmtRegFastValueRegisterChecked(Key, &Initial, WmtRegValueDestructor);
            WMT_EXPECT(Status == STATUS_SUCCESS || Status == STATUS_WM_KEY_EXISTS);
            break;
        case 1:
            /* Overwrite: the old entry lives on until destroy. */
            Status = WmtRegFastValueRegister(Key, &Initial, WmtRegValueDestructor);
            WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
            break;
        default:
            Status = WmRegistryUnregister(Key);
            if (Status == STATUS_WM_REGISTRY_BUSY) {
                InterlockedIncrement(&Stress->Busy);
            } else {
                WMT_EXPECT(Status == STATUS_SUCCESS || Status == STATUS_WM_KEY_NOT_FOUND ||
                           Status == STATUS_WM_REGISTRY_EMPTY);
            }
            break;
        }
        InterlockedIncrement(&Stress->Writes);
        if (WmtFailed()) {
            break;
        }
    }
    InterlockedExchange(&Stress->Stop, 1);
}

static VOID
WmtRegStressLookupsVsWriters(VOID)
{
    WMT_REG_STRESS Stress;
    WMT_VALUE Initial;
    WMT_THREAD Threads[3];
    ULONG Started = 0;
    ULONG Index;

    WmtRegResetDestructors();
    Stress.Increments = 0;
    Stress.Stop = 0;
    Stress.Writes = 0;
    Stress.Busy = 0;
    Stress.Seeds = 0;
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WmtFillValue(&Initial, 0, 0);
    for (Index = 0; Index < WMT_REG_STRESS_KEYS; Index++) {
        WMT_CHECK_STATUS(WmtRegFastValueRegister(WmtRegStressKeys[Index], &Initial, WmtRegValueDestructor),
                         STATUS_SUCCESS);
    }
    if (WmtStartThread(&Threads[Started], WmtRegStressWriter, &Stress) == STATUS_SUCCESS) {
        Started++;
    } else {
        Stress.Stop = 1;
    }
    for (Index = 0; Index < 2; Index++) {
        if (WmtStartThread(&Threads[Started], WmtRegStressReader, &Stress) == STATUS_SUCCESS) {
            Started++;
        }
    }
    for (Index = 0; Index < Started; Index++) {
        WMT_EXPECT_STATUS(WmtJoinThread(&Threads[Index]), STATUS_SUCCESS);
    }
    WMT_CHECK_EQ(Started, 3);
    WMT_STOP_IF_FAILED();
    /* Every increment lives in exactly one value, and each value is
     * destructed exactly once: by unregister, or by destroy (live and
     * replaced entries). */
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmtRegRead(&WmtRegDestructorSum), WmtRegRead(&Stress.Increments));
    WMT_CHECK(Stress.Increments > 0);
    WmtInfo("registry.stress: %ld increments, %ld writes (%ld unregisters refused as busy), %ld values",
            (long)Stress.Increments, (long)Stress.Writes, (long)Stress.Busy,
            (long)WmtRegRead(&WmtRegDestructorCalls));
}

WMT_REG_TEST(stress_lookups_vs_writers)
{
    /* Every thread starts with a free slot: the claimed-slot path. */
    WmpRegistryTestReleaseCallSlots();
    WmtRegStressLookupsVsWriters();
}

/* ------------------------------------------------------------------------ */
/* Overwrite never hides a key, nor mixes an entry with another's type      */
/* ------------------------------------------------------------------------ */

#define WMT_REG_SWAP_ROUNDS 3000

typedef struct _WMT_REG_SWAP {
    LONG volatile Stop;
    LONG volatile Found;        /* lookups that found the WMT_VALUE entry   */
    LONG volatile Mismatched;   /* lookups that found the ULONG entry       */
} WMT_REG_SWAP;

/* A key a record holds whole, and one longer than a record holds. */
static const PCSTR WmtRegSwapKeys[2] = {
    "swap.short", "swap.a.key.longer.than.the.forty.bytes.of.a.record",
};

static KSTART_ROUTINE WmtRegSwapReader;

/* Every lookup finds the key, under one type or the other; a WMT_VALUE
 * lookup's handle is a WMT_VALUE entry. */
static VOID NTAPI
WmtRegSwapReader(_In_ PVOID Context)
{
    WMT_REG_SWAP *Swap = (WMT_REG_SWAP *)Context;
    WMT_REG_FAST_VALUE Mutex;
    WMT_REG_FAST_VALUE_GUARD Guard;
    ULONG Round;
    NTSTATUS Status;

    for (Round = 0; WmtRegRead(&Swap->Stop) == 0 || Round < 100; Round++) {
        Status = WmtRegFastValueRegistryGet(WmtRegSwapKeys[Round & 1], &Mutex);
        if (Status == STATUS_WM_TYPE_MISMATCH) {
            InterlockedIncrement(&Swap->Mismatched);
            continue;
        }
        WMT_EXPECT_STATUS(Status, STATUS_SUCCESS);
        if (Status != STATUS_SUCCESS) {
            return;
        }
        /* Replaced entries stay until destroy: the handle stays valid. */
        WMT_EXPECT_STATUS(WmtRegFastValueLock(Mutex, &Guard), STATUS_SUCCESS);
        if (Guard.Value != NULL) {
            WMT_EXPECT_EQ(Guard.Value->Tag, WMT_VALUE_TAG);
            WMT_EXPECT_STATUS(WmtRegFastValueUnlock(&Guard), STATUS_SUCCESS);
        }
        InterlockedIncrement(&Swap->Found);
        if (WmtFailed()) {
            return;
        }
    }
}

/* Overwrites each key with a WMT_VALUE and a ULONG entry in turn while two
 * threads look them up, and registers new keys meanwhile so the table is
 * rebuilt under the lookups too. */
WMT_REG_TEST(overwrite_never_hides_the_key)
{
    WMT_REG_SWAP Swap;
    WMT_THREAD Threads[2];
    WMT_VALUE Initial;
    ULONG Started = 0;
    ULONG Round;
    ULONG Zero = 0;
    char Key[24];

    Swap.Stop = 0;
    Swap.Found = 0;
    Swap.Mismatched = 0;
    WmtFillValue(&Initial, 0, 0);
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastValueRegister(WmtRegSwapKeys[0], &Initial, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastValueRegister(WmtRegSwapKeys[1], &Initial, NULL), STATUS_SUCCESS);
    for (Round = 0; Round < 2; Round++) {
        if (WmtStartThread(&Threads[Started], WmtRegSwapReader, &Swap) == STATUS_SUCCESS) {
            Started++;
        }
    }
    for (Round = 0; Round < WMT_REG_SWAP_ROUNDS && !WmtFailed(); Round++) {
        if ((Round & 2) == 0) {
            WMT_EXPECT_STATUS(WmtRegFastRegister(WmtRegSwapKeys[Round & 1], &Zero, NULL), STATUS_SUCCESS);
        } else {
            WMT_EXPECT_STATUS(WmtRegFastValueRegister(WmtRegSwapKeys[Round & 1], &Initial, NULL), STATUS_SUCCESS);
        }
        if (Round % 8 == 0) {
            WmtRegNumberedKey(Key, "swap.grow.", Round);
            WMT_EXPECT_STATUS(WmtRegFastRegisterChecked(Key, &Zero, NULL), STATUS_SUCCESS);
        }
    }
    InterlockedExchange(&Swap.Stop, 1);
    for (Round = 0; Round < Started; Round++) {
        WMT_EXPECT_STATUS(WmtJoinThread(&Threads[Round]), STATUS_SUCCESS);
    }
    WMT_CHECK_EQ(Started, 2);
    WMT_CHECK(WmtRegRead(&Swap.Found) > 0);
    WMT_CHECK_EQ(WmtRegCount(), 2 + (WMT_REG_SWAP_ROUNDS + 7) / 8);
    WmtInfo("registry.overwrite: %ld lookups found the WMT_VALUE entry, %ld the ULONG one",
            (long)WmtRegRead(&Swap.Found), (long)WmtRegRead(&Swap.Mismatched));
}

/* ------------------------------------------------------------------------ */
/* The gate: call slots, their fallback, reader-fences mode                 */
/* ------------------------------------------------------------------------ */

/* The mode follows the kernel: the heavy barrier where KeIpiGenericCall is
 * exported, reader fences otherwise (Wine 8); and a thread's first call
 * claims a slot. */
WMT_REG_TEST(gate_mode_follows_kernel)
{
    WMT_REG_FAST Mutex;
    BOOLEAN Exported = WmtKernelExports("KeIpiGenericCall");
    BOOLEAN HasSlot;
    BOOLEAN Fences;
    ULONG Claimed;
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences), STATUS_WM_REGISTRY_NOT_INITIALIZED);
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences), STATUS_SUCCESS);
    WMT_CHECK_EQ(Fences, !Exported);

    WmpRegistryTestReleaseCallSlots();
    WMT_CHECK_STATUS(WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences), STATUS_SUCCESS);
    WMT_CHECK_EQ(Claimed, 0);
    WMT_CHECK(!HasSlot);
    WMT_CHECK_STATUS(WmtRegFastRegister("gate", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("gate", &Mutex), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences), STATUS_SUCCESS);
    WMT_CHECK_EQ(Claimed, 1);
    WMT_CHECK(HasSlot);
    WmtInfo("registry.gate: %s", Fences ? "reader-fences mode (no KeIpiGenericCall)"
                                        : "KeIpiGenericCall heavy barrier");
}

/* More threads than call slots, all alive at once: those that find their
 * slots claimed count their calls in the shared counters. One of them holds
 * a call open (destroy must refuse); then all lock and increment while the
 * main thread registers and unregisters (reclamation scans both kinds). */
#define WMT_REG_CROWD_THREADS (WMP_REGISTRY_CALL_SLOTS + 16)
#define WMT_REG_CROWD_ROUNDS  100

typedef struct _WMT_REG_CROWD {
    KEVENT        Go;
    LONG volatile Ready;
    LONG volatile WithoutSlot;
    LONG volatile Holder;       /* 1 once a thread without a slot holds a call */
    LONG volatile Increments;
    LONG volatile Failures;
} WMT_REG_CROWD;

static WMT_THREAD WmtRegCrowdThreads[WMT_REG_CROWD_THREADS];

static KSTART_ROUTINE WmtRegCrowdThread;

static VOID NTAPI
WmtRegCrowdThread(_In_ PVOID Context)
{
    WMT_REG_CROWD *Crowd = (WMT_REG_CROWD *)Context;
    WMT_REG_FAST_GUARD Guard;
    WMT_REG_FAST Mutex;
    BOOLEAN Holding = FALSE;
    BOOLEAN HasSlot;
    BOOLEAN Fences;
    ULONG Claimed;
    ULONG Round;

    /* The first call claims a slot, or finds the thread's slots taken. */
    if (WmtRegFastRegistryGet("crowd", &Mutex) != STATUS_SUCCESS) {
        InterlockedIncrement(&Crowd->Failures);
    }
    (VOID)WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences);
    if (!HasSlot) {
        InterlockedIncrement(&Crowd->WithoutSlot);
        if (InterlockedCompareExchange(&Crowd->Holder, 1, 0) == 0) {
            WmpRegistryTestHoldCall(TRUE);
            Holding = TRUE;
        }
    }
    InterlockedIncrement(&Crowd->Ready);
    (VOID)KeWaitForSingleObject(&Crowd->Go, Executive, KernelMode, FALSE, NULL);
    if (Holding) {
        WmpRegistryTestHoldCall(FALSE);
    }
    for (Round = 0; Round < WMT_REG_CROWD_ROUNDS; Round++) {
        if (WmtRegFastRegistryLock("crowd", &Guard) == STATUS_SUCCESS) {
            *Guard.Value += 1;
            InterlockedIncrement(&Crowd->Increments);
            WMT_EXPECT_STATUS(WmtRegFastUnlock(&Guard), STATUS_SUCCESS);
        } else {
            InterlockedIncrement(&Crowd->Failures);
        }
    }
}

WMT_REG_TEST(call_slots_more_threads_than_slots)
{
    WMT_REG_CROWD Crowd;
    char Key[24];
    ULONG Started = 0;
    ULONG Waited;
    ULONG Index;
    ULONG Claimed = 0;
    ULONG Zero = 0;
    BOOLEAN HasSlot;
    BOOLEAN Fences;

    WmpRegistryTestReleaseCallSlots();
    KeInitializeEvent(&Crowd.Go, NotificationEvent, FALSE);
    Crowd.Ready = 0;
    Crowd.WithoutSlot = 0;
    Crowd.Holder = 0;
    Crowd.Increments = 0;
    Crowd.Failures = 0;
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("crowd", &Zero, NULL), STATUS_SUCCESS);

    /* From here every thread started must be released and joined: no
     * returning checks until then. */
    for (Index = 0; Index < WMT_REG_CROWD_THREADS; Index++) {
        if (WmtStartThread(&WmtRegCrowdThreads[Started], WmtRegCrowdThread, &Crowd) == STATUS_SUCCESS) {
            Started++;
        }
    }
    for (Waited = 0; Waited < 20000 && (ULONG)WmtRegRead(&Crowd.Ready) < Started; Waited += 5) {
        WmtSleep(5);
    }
    WMT_EXPECT_EQ(Started, WMT_REG_CROWD_THREADS);
    WMT_EXPECT_EQ(WmtRegRead(&Crowd.Ready), Started);
    (VOID)WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences);
    WMT_EXPECT(Claimed <= WMP_REGISTRY_CALL_SLOTS);
    /* All alive at once: at least the surplus found no slot. */
    WMT_EXPECT(WmtRegRead(&Crowd.WithoutSlot) >= (LONG)(Started - Claimed));
    WMT_EXPECT(WmtRegRead(&Crowd.WithoutSlot) > 0);
    if (WmtRegRead(&Crowd.Holder) != 0) {
        /* A call counted in a shared counter is in progress. */
        WMT_EXPECT_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_BUSY);
    }
    (VOID)KeSetEvent(&Crowd.Go, 0, FALSE);
    for (Index = 0; Index < 100; Index++) {
        WmtRegNumberedKey(Key, "crowd.", Index);
        WMT_EXPECT_STATUS(WmtRegFastRegisterChecked(Key, &Zero, NULL), STATUS_SUCCESS);
        WMT_EXPECT_STATUS(WmRegistryUnregister(Key), STATUS_SUCCESS);
    }
    for (Index = 0; Index < Started; Index++) {
        WMT_EXPECT_STATUS(WmtJoinThread(&WmtRegCrowdThreads[Index]), STATUS_SUCCESS);
    }
    WMT_STOP_IF_FAILED();
    WMT_CHECK_EQ(WmtRegRead(&Crowd.Failures), 0);
    WMT_CHECK_EQ(WmtRegRead(&Crowd.Increments), (LONG)(Started * WMT_REG_CROWD_ROUNDS));
    WMT_CHECK_EQ(WmtRegFastValueOf("crowd"), Started * WMT_REG_CROWD_ROUNDS);
    WmtInfo("registry.call_slots: %lu threads, %lu slots claimed, %ld threads without a slot",
            (unsigned long)Started, (unsigned long)Claimed, (long)WmtRegRead(&Crowd.WithoutSlot));
    /* Later tests start with free slots. */
    WmpRegistryTestReleaseCallSlots();
}

#ifdef WM_HOST_MODEL
/* Runs Body with KeIpiGenericCall hidden from the library: the registries
 * it creates run in reader-fences mode (as on Wine 8). */
static VOID
WmtRegWithReaderFences(_In_ VOID (*Body)(VOID))
{
    BOOLEAN HasSlot;
    BOOLEAN Fences = FALSE;
    ULONG Claimed;

    HkHideRoutine("KeIpiGenericCall", TRUE);
    WmpResetRoutineCache();
    WmpRegistryTestReleaseCallSlots();
    if (WmRegistryInitialize() == STATUS_SUCCESS) {
        (VOID)WmpRegistryTestQueryGate(&Claimed, &HasSlot, &Fences);
        (VOID)WmRegistryDestroy();
    }
    WMT_EXPECT(Fences);
    if (!WmtFailed()) {
        Body();
    }
    (VOID)WmRegistryDestroy();
    HkHideRoutine("KeIpiGenericCall", FALSE);
    WmpResetRoutineCache();
}

WMT_REG_TEST(reader_fences_call_in_progress)
{
    WmtRegWithReaderFences(WmtRegCallInProgress);
}

WMT_REG_TEST(reader_fences_destroy_racing_lookups)
{
    WmtRegWithReaderFences(WmtRegDestroyRacingLookups);
}

WMT_REG_TEST(reader_fences_stress)
{
    WmtRegWithReaderFences(WmtRegStressLookupsVsWriters);
}
#endif /* WM_HOST_MODEL */

/* ------------------------------------------------------------------------ */
/* Randomized operation sequence against a reference model                  */
/* ------------------------------------------------------------------------ */

#define WMT_REG_MODEL_KEYS 10

/* The model: for each key whether it is registered, with which kind/type
 * (0 FastMutex ULONG, 1 FastMutex LONG, 2 KMutex ULONG), its value, and the
 * counted handles the test holds on it. */
typedef struct _WMT_REG_MODEL_KEY {
    BOOLEAN    Present;
    ULONG      Type;
    ULONG      Value;
    ULONG      References;
    WMT_REG_FAST Handles[4];
} WMT_REG_MODEL_KEY;

static const PCSTR WmtRegModelKeys[WMT_REG_MODEL_KEYS] = {
    "m.a", "m.b", "m.c", "model.key.d", "model.key.e.is.rather.longer.than.thirty.two.bytes",
    "m.f", "m.g", "m.h", "m.i", "m.j",
};

static NTSTATUS
WmtRegModelRegister(_In_z_ PCSTR Key, _In_ ULONG Type, _In_ ULONG Value, _In_ BOOLEAN Checked)
{
    LONG Signed = (LONG)Value;

    switch (Type) {
    case 0:
        return Checked ? WmtRegFastRegisterChecked(Key, &Value, NULL) : WmtRegFastRegister(Key, &Value, NULL);
    case 1:
        return Checked ? WmtRegFastLongRegisterChecked(Key, &Signed, NULL)
                       : WmtRegFastLongRegister(Key, &Signed, NULL);
    default:
        return Checked ? WmtRegKMutexRegisterChecked(Key, &Value, NULL) : WmtRegKMutexRegister(Key, &Value, NULL);
    }
}

/* Locks Key as Type, adds Add, returns the status and the value before. */
static NTSTATUS
WmtRegModelAdd(_In_z_ PCSTR Key, _In_ ULONG Type, _In_ ULONG Add, _Out_ PULONG Before)
{
    WMT_REG_FAST_GUARD F;
    WMT_REG_FAST_LONG_GUARD L;
    WMT_REG_KMUTEX_GUARD K;
    NTSTATUS Status;

    *Before = 0;
    switch (Type) {
    case 0:
        Status = WmtRegFastRegistryLock(Key, &F);
        if (Status == STATUS_SUCCESS) {
            *Before = *F.Value;
            *F.Value += Add;
            (VOID)WmtRegFastUnlock(&F);
        }
        return Status;
    case 1:
        Status = WmtRegFastLongRegistryLock(Key, &L);
        if (Status == STATUS_SUCCESS) {
            *Before = (ULONG)*L.Value;
            *L.Value += (LONG)Add;
            (VOID)WmtRegFastLongUnlock(&L);
        }
        return Status;
    default:
        Status = WmtRegKMutexRegistryLock(Key, &K);
        if (Status == STATUS_SUCCESS) {
            *Before = *K.Value;
            *K.Value += Add;
            (VOID)WmtRegKMutexUnlock(&K);
        }
        return Status;
    }
}

static NTSTATUS
WmtRegModelLookupStatus(_In_ const WMT_REG_MODEL_KEY *Model, _In_ ULONG Key, _In_ ULONG Type,
                        _In_ ULONG Live)
{
    if (Live == 0) {
        return STATUS_WM_REGISTRY_EMPTY;
    }
    if (!Model[Key].Present) {
        return STATUS_WM_KEY_NOT_FOUND;
    }
    return Model[Key].Type == Type ? STATUS_SUCCESS : STATUS_WM_TYPE_MISMATCH;
}

WMT_REG_TEST(randomized_against_model)
{
    WMT_REG_MODEL_KEY Model[WMT_REG_MODEL_KEYS];
    ULONG Random = WMT_REGISTRY_RANDOM_SEED;
    ULONG Live = 0;
    ULONG Step;
    ULONG Key;
    ULONG Type;
    ULONG Value;
    ULONG Before;
    NTSTATUS Status;
    NTSTATUS Expected;
    WMT_REG_FAST Handle;

    RtlZeroMemory(Model, sizeof(Model));
    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WmtInfo("registry.randomized: seed 0x%08lx, %u operations", (unsigned long)WMT_REGISTRY_RANDOM_SEED,
            (unsigned)WMT_REGISTRY_RANDOM_OPS);

    for (Step = 0; Step < WMT_REGISTRY_RANDOM_OPS; Step++) {
        Key = WmtRandom(&Random) % WMT_REG_MODEL_KEYS;
        Type = WmtRandom(&Random) % 3;
        Value = WmtRandom(&Random) % 1000;
        switch (WmtRandom(&Random) % 8) {
        case 0: /* register (insert or overwrite) */
            Status = WmtRegModelRegister(WmtRegModelKeys[Key], Type, Value, FALSE);
            WMT_CHECK_STATUS(Status, STATUS_SUCCESS);
            if (!Model[Key].Present) {
                Live++;
            }
            /* An overwrite leaves the old entry (and its counted handles)
             * alive but unreachable: the model forgets those handles after
             * releasing them. */
            while (Model[Key].References != 0) {
                WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&Model[Key].Handles[--Model[Key].References]),
                                 STATUS_SUCCESS);
            }
            Model[Key].Present = TRUE;
            Model[Key].Type = Type;
            Model[Key].Value = Value;
            break;
        case 1: /* register checked */
            Status = WmtRegModelRegister(WmtRegModelKeys[Key], Type, Value, TRUE);
            WMT_CHECK_STATUS(Status, Model[Key].Present ? STATUS_WM_KEY_EXISTS : STATUS_SUCCESS);
            if (!Model[Key].Present) {
                Model[Key].Present = TRUE;
                Model[Key].Type = Type;
                Model[Key].Value = Value;
                Live++;
            }
            break;
        case 2:
        case 3: /* find, lock, add */
            Status = WmtRegModelAdd(WmtRegModelKeys[Key], Type, Value, &Before);
            Expected = WmtRegModelLookupStatus(Model, Key, Type, Live);
            WMT_CHECK_STATUS(Status, Expected);
            if (Status == STATUS_SUCCESS) {
                WMT_CHECK_EQ(Before, Model[Key].Value);
                Model[Key].Value += Value;
            }
            break;
        case 4: /* unregister */
            Status = WmRegistryUnregister(WmtRegModelKeys[Key]);
            if (Live == 0) {
                Expected = STATUS_WM_REGISTRY_EMPTY;
            } else if (!Model[Key].Present) {
                Expected = STATUS_WM_KEY_NOT_FOUND;
            } else if (Model[Key].References != 0) {
                Expected = STATUS_WM_REGISTRY_BUSY;
            } else {
                Expected = STATUS_SUCCESS;
            }
            WMT_CHECK_STATUS(Status, Expected);
            if (Status == STATUS_SUCCESS) {
                Model[Key].Present = FALSE;
                Live--;
            }
            break;
        case 5: /* take a counted handle (FastMutex ULONG only) */
            Status = WmtRegFastRegistryReference(WmtRegModelKeys[Key], &Handle);
            Expected = WmtRegModelLookupStatus(Model, Key, 0, Live);
            WMT_CHECK_STATUS(Status, Expected);
            if (Status == STATUS_SUCCESS) {
                if (Model[Key].References < 4) {
                    Model[Key].Handles[Model[Key].References++] = Handle;
                } else {
                    WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&Handle), STATUS_SUCCESS);
                }
            }
            break;
        case 6: /* drop a counted handle */
            if (Model[Key].References != 0) {
                WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&Model[Key].Handles[--Model[Key].References]),
                                 STATUS_SUCCESS);
            }
            break;
        default: /* count */
            WMT_CHECK_EQ(WmtRegCount(), Live);
            break;
        }
        if ((Step % 997) == 0) {
            /* Destroy is refused while any counted handle exists. */
            for (Key = 0, Value = 0; Key < WMT_REG_MODEL_KEYS; Key++) {
                Value += Model[Key].References;
            }
            if (Value != 0) {
                WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_WM_REGISTRY_BUSY);
            }
        }
    }
    for (Key = 0; Key < WMT_REG_MODEL_KEYS; Key++) {
        while (Model[Key].References != 0) {
            WMT_CHECK_STATUS(WmtRegFastRegistryDereference(&Model[Key].Handles[--Model[Key].References]),
                             STATUS_SUCCESS);
        }
        if (Model[Key].Present) {
            WMT_CHECK_STATUS(WmtRegModelAdd(WmtRegModelKeys[Key], Model[Key].Type, 0, &Before),
                             STATUS_SUCCESS);
            WMT_CHECK_EQ(Before, Model[Key].Value);
        }
    }
    WMT_CHECK_EQ(WmtRegCount(), Live);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------ */
/* Host model only: tags and injected allocation failures                   */
/* ------------------------------------------------------------------------ */

#ifdef WM_HOST_MODEL

WMT_REG_TEST(allocations_are_tagged)
{
    LONG Tagged = HkPoolOutstandingWithTag(WM_TAG_REGISTRY);
    LONG Locks = HkPoolOutstandingWithTag(WM_TAG_LOCK);
    ULONG Zero = 0;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_REGISTRY), Tagged + 2);
    WMT_CHECK_STATUS(WmtRegFastRegister("tagged", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_REGISTRY), Tagged + 3);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_LOCK), Locks);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    WMT_CHECK_EQ(HkPoolOutstandingWithTag(WM_TAG_REGISTRY), Tagged);
}

/* One pass of a scenario that makes every kind of registry allocation:
 * initialise (registry, table), registrations (entries, table growth),
 * overwrite, a refused checked registration, unregistrations. A call that
 * hits the injected failure must return STATUS_WM_POOL_ALLOCATION_FAILED and
 * change nothing; it is then repeated without injection. Returns the number
 * of calls that failed. */
static ULONG
WmtRegFailurePass(_In_ LONG FailAt)
{
    char Key[24];
    ULONG Failed = 0;
    ULONG Index;
    ULONG Value;
    NTSTATUS Status;

#define WMT_REG_INJECTED(Call, Expected)                                           \
    do {                                                                           \
        Status = (Call);                                                           \
        if (Status == STATUS_WM_POOL_ALLOCATION_FAILED) {                          \
            Failed++;                                                              \
            HkPoolFailAfter(0);                                                    \
            Status = (Call);                                                       \
        }                                                                          \
        WMT_EXPECT_STATUS(Status, (Expected));                                     \
    } while (0)

    HkPoolFailAfter(FailAt);
    WMT_REG_INJECTED(WmRegistryInitialize(), STATUS_SUCCESS);
    for (Index = 0; Index < 40; Index++) {
        WmtRegNumberedKey(Key, "inj.", Index);
        Value = Index;
        WMT_REG_INJECTED(WmtRegFastRegisterChecked(Key, &Value, NULL), STATUS_SUCCESS);
        WMT_EXPECT_EQ(WmtRegCount(), Index + 1);
    }
    Value = 1000;
    WMT_REG_INJECTED(WmtRegFastRegister("inj.7", &Value, NULL), STATUS_SUCCESS);
    /* A refused checked registration allocates first, then frees. */
    Status = WmtRegFastRegisterChecked("inj.8", &Value, NULL);
    if (Status == STATUS_WM_POOL_ALLOCATION_FAILED) {
        Failed++;
        HkPoolFailAfter(0);
    } else {
        WMT_EXPECT_STATUS(Status, STATUS_WM_KEY_EXISTS);
    }
    for (Index = 0; Index < 40; Index += 3) {
        WmtRegNumberedKey(Key, "inj.", Index);
        WMT_EXPECT_STATUS(WmRegistryUnregister(Key), STATUS_SUCCESS);
    }
    HkPoolFailAfter(0);
#undef WMT_REG_INJECTED

    /* Whatever failed on the way, the registry is consistent and usable. */
    for (Index = 0; Index < 40; Index++) {
        WmtRegNumberedKey(Key, "inj.", Index);
        Value = WmtRegFastValueOf(Key);
        if (Index % 3 == 0) {
            WMT_EXPECT_EQ(Value, 0xFFFFFFFFUL);
        } else {
            WMT_EXPECT_EQ(Value, Index == 7 ? 1000 : Index);
        }
    }
    WMT_EXPECT_EQ(WmtRegCount(), 26);
    WMT_EXPECT_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
    return Failed;
}

WMT_REG_TEST(allocation_failure_at_every_allocation)
{
    LONG Before = HkPoolOutstanding();
    LONG Library = WmQueryOutstandingAllocations();
    LONG FailAt;
    ULONG Failures;

    for (FailAt = 1;; FailAt++) {
        Failures = WmtRegFailurePass(FailAt);
        WMT_CHECK(!WmRegistryIsInitialized());
        WMT_CHECK_EQ(HkPoolOutstanding(), Before);
        WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Library);
        WMT_STOP_IF_FAILED();
        if (Failures == 0) {
            break;  /* FailAt is past the scenario's last allocation */
        }
        WMT_CHECK_EQ(Failures, 1);
    }
    /* 2 (initialise) + 40 entries + table growths + 2 more entries. */
    WMT_CHECK(FailAt > 44);
    WmtInfo("registry.allocation_failure: %ld allocation points injected", (long)(FailAt - 1));
}

#endif /* WM_HOST_MODEL */

/* ------------------------------------------------------------------------ */
/* Status names                                                             */
/* ------------------------------------------------------------------------ */

WMT_TEST_FN(registry, status_names)
{
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_REGISTRY_EXISTS), "STATUS_WM_REGISTRY_EXISTS"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_REGISTRY_NOT_INITIALIZED), "STATUS_WM_REGISTRY_NOT_INITIALIZED"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_REGISTRY_EMPTY), "STATUS_WM_REGISTRY_EMPTY"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_KEY_NOT_FOUND), "STATUS_WM_KEY_NOT_FOUND"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_KEY_EXISTS), "STATUS_WM_KEY_EXISTS"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_TYPE_MISMATCH), "STATUS_WM_TYPE_MISMATCH"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_REGISTRY_BUSY), "STATUS_WM_REGISTRY_BUSY"));
    WMT_CHECK(WmtStringEquals(WmStatusName(STATUS_WM_INVALID_KEY), "STATUS_WM_INVALID_KEY"));
}

/* ------------------------------------------------------------------------ */

/* A registered lock belongs to the registry: the handle's own teardown
 * routines refuse it (nothing freed, the entry still works), and only
 * unregister or destroy free it. */
WMT_TEST_FN(registry, handle_teardown_refused)
{
    ULONG Zero = 0;
    ULONG Out = 0;
    ULONG *Moved = NULL;
    WMT_REG_FAST Handle;
    WMT_REG_FAST_GUARD Guard;

    WMT_CHECK_STATUS(WmRegistryInitialize(), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegister("owned", &Zero, NULL), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastRegistryGet("owned", &Handle), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtRegFastDestroy(&Handle), STATUS_WM_OWNED_BY_REGISTRY);
    WMT_CHECK_STATUS(WmtRegFastIntoInner(&Handle, &Out), STATUS_WM_OWNED_BY_REGISTRY);
    WMT_CHECK_STATUS(WmtRegFastIntoPool(&Handle, &Moved), STATUS_WM_OWNED_BY_REGISTRY);
    WMT_CHECK(Moved == NULL);
    WMT_CHECK(Handle.Object != NULL);
    WMT_CHECK_STATUS(WmtRegFastLock(Handle, &Guard), STATUS_SUCCESS);
    *Guard.Value += 1;
    WMT_CHECK_STATUS(WmtRegFastUnlock(&Guard), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryUnregister("owned"), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmRegistryDestroy(), STATUS_SUCCESS);
}

WMT_SUITE(registry) {
    WMT_CASE(registry, status_names, 0),
    WMT_CASE(registry, handle_teardown_refused, 0),
    WMT_CASE(registry, seed_scenario_three_threads_nested, 0),
    WMT_CASE(registry, seed_scenario_kmutex, WMT_KMUTEX_HANDOFF),
    WMT_CASE(registry, before_initialize, 0),
    WMT_CASE(registry, after_destroy, 0),
    WMT_CASE(registry, initialize_twice_destroy_twice, 0),
    WMT_CASE(registry, empty_registry, 0),
    WMT_CASE(registry, missing_key, 0),
    WMT_CASE(registry, null_out_parameters, 0),
    WMT_CASE(registry, register_checked_existing_key, 0),
    WMT_CASE(registry, register_copies_value_and_key, 0),
    WMT_CASE(registry, overwrite_keeps_old_entry_until_destroy, 0),
    WMT_CASE(registry, type_mismatch_same_size_and_other_kind, 0),
    WMT_CASE(registry, type_identity_by_content, 0),
    WMT_CASE(registry, every_kind, 0),
    WMT_CASE(registry, bad_keys_on_every_entry_point, 0),
    WMT_CASE(registry, keys_every_length_and_alignment, 0),
    WMT_CASE(registry, keys_found_from_either_key_reader, 0),
    WMT_CASE(registry, keys_of_a_record_length_not_confused_with_longer_ones, 0),
    WMT_CASE(registry, unregister_frees_and_runs_destructor, 0),
    WMT_CASE(registry, counted_handles, 0),
    WMT_CASE(registry, registry_lock, 0),
    WMT_CASE(registry, count, 0),
    WMT_CASE(registry, call_in_progress_defers_free_and_refuses_destroy, 0),
    WMT_CASE(registry, growth_and_churn, 0),
    WMT_CASE(registry, irql_rules, WMT_NEEDS_IRQL),
    WMT_CASE(registry, racing_initialize_destroy_and_checked_register, 0),
    WMT_CASE(registry, destroy_racing_lookups, 0),
    WMT_CASE(registry, stress_lookups_vs_writers, WMT_SLOW),
    WMT_CASE(registry, overwrite_never_hides_the_key, 0),
    WMT_CASE(registry, gate_mode_follows_kernel, 0),
    WMT_CASE(registry, call_slots_more_threads_than_slots, WMT_SLOW),
    WMT_CASE(registry, randomized_against_model, 0),
#ifdef WM_HOST_MODEL
    WMT_CASE(registry, reader_fences_call_in_progress, WMT_HOST_ONLY),
    WMT_CASE(registry, reader_fences_destroy_racing_lookups, WMT_HOST_ONLY),
    WMT_CASE(registry, reader_fences_stress, WMT_HOST_ONLY | WMT_SLOW),
    WMT_CASE(registry, allocations_are_tagged, WMT_HOST_ONLY),
    WMT_CASE(registry, allocation_failure_at_every_allocation, WMT_HOST_ONLY),
#endif
};
WMT_SUITE_END(registry);
