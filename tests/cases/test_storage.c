/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Caller storage for every primitive: locks initialised in place
 *              in memory the driver already owns — a device extension (a
 *              nonpaged block the test allocates itself), a driver global —
 *              with no pool allocation by the library, used through the same
 *              typed API, shared between threads, destroyed without a free and
 *              initialised again.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#include "wmt_cases.h"

WM_DECLARE_KMUTEX_TYPE(WMT_ST_KM, WmtStKm, LONGLONG);
WM_DECLARE_FAST_MUTEX_TYPE(WMT_ST_FM, WmtStFm, LONGLONG);
WM_DECLARE_SPIN_LOCK_TYPE(WMT_ST_SL, WmtStSl, LONGLONG);
WM_DECLARE_QUEUED_SPIN_LOCK_TYPE(WMT_ST_QSL, WmtStQsl, LONGLONG);
WM_DECLARE_GUARDED_MUTEX_TYPE(WMT_ST_GM, WmtStGm, LONGLONG);
WM_DECLARE_RW_LOCK_TYPE(WMT_ST_RW, WmtStRw, LONGLONG);

/* What a driver's device extension might hold: one of each, side by side. */
typedef struct _WMT_DEVICE_EXTENSION {
    ULONG               Signature;
    WMT_ST_KM_STORAGE   KMutex;
    WMT_ST_FM_STORAGE   FastMutex;
    WMT_ST_SL_STORAGE   SpinLock;
    WMT_ST_QSL_STORAGE  QueuedSpinLock;
    WMT_ST_GM_STORAGE   GuardedMutex;
    WMT_ST_RW_STORAGE   RwLock;
    WM_CRITICAL_SECTION SectionKm;
    WM_CRITICAL_SECTION SectionFm;
    ULONG               Trailer;
} WMT_DEVICE_EXTENSION;

#define WMT_EXTENSION_TAG WM_MAKE_TAG('W', 'm', 't', 'X')
#define WMT_EXTENSION_SIGNATURE 0xDE71CE00UL

/* The handles of one extension's locks. */
typedef struct _WMT_EXTENSION_LOCKS {
    WMT_DEVICE_EXTENSION *Extension;
    WMT_ST_KM  KMutex;
    WMT_ST_FM  FastMutex;
    WMT_ST_SL  SpinLock;
    WMT_ST_QSL QueuedSpinLock;
    WMT_ST_GM  GuardedMutex;
    WMT_ST_RW  RwLock;
} WMT_EXTENSION_LOCKS;

static NTSTATUS
WmtInitializeExtension(_Inout_ WMT_EXTENSION_LOCKS *Locks, _In_ LONGLONG Initial)
{
    WMT_DEVICE_EXTENSION *Ext = Locks->Extension;
    NTSTATUS Status;

    Status = WmtStKmInitialize(&Ext->KMutex, &Initial, NULL, &Locks->KMutex);
    if (NT_SUCCESS(Status)) Status = WmtStFmInitialize(&Ext->FastMutex, &Initial, NULL, &Locks->FastMutex);
    if (NT_SUCCESS(Status)) Status = WmtStSlInitialize(&Ext->SpinLock, &Initial, NULL, &Locks->SpinLock);
    if (NT_SUCCESS(Status)) Status = WmtStQslInitialize(&Ext->QueuedSpinLock, &Initial, NULL, &Locks->QueuedSpinLock);
    if (NT_SUCCESS(Status)) Status = WmtStGmInitialize(&Ext->GuardedMutex, &Initial, NULL, &Locks->GuardedMutex);
    if (NT_SUCCESS(Status)) Status = WmtStRwInitialize(&Ext->RwLock, &Initial, NULL, &Locks->RwLock);
    if (NT_SUCCESS(Status)) Status = WmInitializeCriticalSection(&Ext->SectionKm, WmCriticalSectionKMutex);
    if (NT_SUCCESS(Status)) Status = WmInitializeCriticalSection(&Ext->SectionFm, WmCriticalSectionFastMutex);
    return Status;
}

/* Destroys everything WmtInitializeExtension set up; every destroy must
 * succeed and free nothing. */
static VOID
WmtDestroyExtension(_Inout_ WMT_EXTENSION_LOCKS *Locks)
{
    WMT_EXPECT_STATUS(WmtStKmDestroy(&Locks->KMutex), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtStFmDestroy(&Locks->FastMutex), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtStSlDestroy(&Locks->SpinLock), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtStQslDestroy(&Locks->QueuedSpinLock), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtStGmDestroy(&Locks->GuardedMutex), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtStRwDestroy(&Locks->RwLock), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmDeleteCriticalSection(&Locks->Extension->SectionKm), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmDeleteCriticalSection(&Locks->Extension->SectionFm), STATUS_SUCCESS);
}

/* One increment through every lock of the extension (and both sections,
 * which protect the extension's Trailer). */
static NTSTATUS
WmtIncrementAll(_In_ WMT_EXTENSION_LOCKS *Locks)
{
    WMT_ST_KM_GUARD Km = { 0 };
    WMT_ST_FM_GUARD Fm = { 0 };
    WMT_ST_SL_GUARD Sl = { 0 };
    WMT_ST_QSL_GUARD Qsl = { 0 };
    WMT_ST_GM_GUARD Gm = { 0 };
    WMT_ST_RW_GUARD Rw = { 0 };
    WM_CRITICAL_SECTION_GUARD Section = { 0 };
    NTSTATUS Status;

#define WMT_INC(Prefix, Handle, Guard)                                           \
    Status = Prefix##Lock(Locks->Handle, &Guard);                                \
    if (Status != STATUS_SUCCESS) return Status;                                 \
    *Guard.Value += 1;                                                           \
    Status = Prefix##Unlock(&Guard);                                             \
    if (Status != STATUS_SUCCESS) return Status

    WMT_INC(WmtStKm, KMutex, Km);
    WMT_INC(WmtStFm, FastMutex, Fm);
    WMT_INC(WmtStSl, SpinLock, Sl);
    WMT_INC(WmtStQsl, QueuedSpinLock, Qsl);
    WMT_INC(WmtStGm, GuardedMutex, Gm);
    WMT_INC(WmtStRw, RwLock, Rw);
#undef WMT_INC
    Status = WmEnterCriticalSection(&Locks->Extension->SectionFm, &Section);
    if (Status != STATUS_SUCCESS) return Status;
    Locks->Extension->Trailer += 1;
    return WmLeaveCriticalSection(&Section);
}

/* Reads every value (the RwLock shared) and checks it is Expected. */
static VOID
WmtExpectAll(_In_ WMT_EXTENSION_LOCKS *Locks, _In_ LONGLONG Expected)
{
    WMT_ST_KM_GUARD Km = { 0 };
    WMT_ST_FM_GUARD Fm = { 0 };
    WMT_ST_SL_GUARD Sl = { 0 };
    WMT_ST_QSL_GUARD Qsl = { 0 };
    WMT_ST_GM_GUARD Gm = { 0 };
    WMT_ST_RW_SHARED_GUARD Rw = { 0 };
    WMT_DEVICE_EXTENSION *Ext = Locks->Extension;

#define WMT_READ(Prefix, Handle, Guard, Storage)                                 \
    if (WMT_EXPECT_STATUS_OK(Prefix##Lock(Locks->Handle, &Guard))) {             \
        WMT_EXPECT(Guard.Value == &Ext->Storage.Value); /* inside the extension */ \
        WMT_EXPECT_EQ(*Guard.Value, Expected);                                   \
        WMT_EXPECT_STATUS(Prefix##Unlock(&Guard), STATUS_SUCCESS);               \
    }
#define WMT_EXPECT_STATUS_OK(Expr) ((Expr) == STATUS_SUCCESS ? TRUE : (WmtFail(__FILE__, __LINE__, "%s failed", #Expr), FALSE))

    WMT_READ(WmtStKm, KMutex, Km, KMutex)
    WMT_READ(WmtStFm, FastMutex, Fm, FastMutex)
    WMT_READ(WmtStSl, SpinLock, Sl, SpinLock)
    WMT_READ(WmtStQsl, QueuedSpinLock, Qsl, QueuedSpinLock)
    WMT_READ(WmtStGm, GuardedMutex, Gm, GuardedMutex)
    if (WMT_EXPECT_STATUS_OK(WmtStRwLockShared(Locks->RwLock, &Rw))) {
        WMT_EXPECT(Rw.Value == &Ext->RwLock.Value);
        WMT_EXPECT_EQ(*Rw.Value, Expected);
        WMT_EXPECT_STATUS(WmtStRwUnlockShared(&Rw), STATUS_SUCCESS);
    }
#undef WMT_READ
#undef WMT_EXPECT_STATUS_OK
}

/* Every primitive initialised in a device extension: no library pool, the
 * same typed API, destroy frees nothing, the storage can be reused. */
WMT_TEST_FN(storage, device_extension_every_primitive)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_EXTENSION_LOCKS Locks;
    WMT_DEVICE_EXTENSION *Ext;
    ULONG Round;

    RtlZeroMemory(&Locks, sizeof(Locks));
    Ext = (WMT_DEVICE_EXTENSION *)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*Ext), WMT_EXTENSION_TAG);
    WMT_CHECK(Ext != NULL);
    RtlFillMemory(Ext, sizeof(*Ext), 0x55); /* poison: initialisation must not rely on zeroed memory */
    Ext->Signature = WMT_EXTENSION_SIGNATURE;
    Ext->Trailer = 0;
    Locks.Extension = Ext;

    for (Round = 0; Round < 2; Round++) {
        WMT_EXPECT_STATUS(WmtInitializeExtension(&Locks, 10 * (LONGLONG)Round), STATUS_SUCCESS);
        WMT_EXPECT_EQ(WmQueryOutstandingAllocations(), Before);
        WMT_EXPECT(Locks.KMutex.Object == &Ext->KMutex);
        WMT_EXPECT(Locks.FastMutex.Object == &Ext->FastMutex);
        WMT_EXPECT(Locks.SpinLock.Object == &Ext->SpinLock);
        WMT_EXPECT(Locks.QueuedSpinLock.Object == &Ext->QueuedSpinLock);
        WMT_EXPECT(Locks.GuardedMutex.Object == &Ext->GuardedMutex);
        WMT_EXPECT(Locks.RwLock.Object == &Ext->RwLock);
        if (!WmtFailed()) {
            WMT_EXPECT_STATUS(WmtIncrementAll(&Locks), STATUS_SUCCESS);
            WMT_EXPECT_STATUS(WmtIncrementAll(&Locks), STATUS_SUCCESS);
            WmtExpectAll(&Locks, 10 * (LONGLONG)Round + 2);
            WMT_EXPECT_EQ(WmQueryOutstandingAllocations(), Before);
            WmtDestroyExtension(&Locks);
        }
        WMT_EXPECT_EQ(WmQueryOutstandingAllocations(), Before);
        /* The extension itself is untouched around the locks. */
        WMT_EXPECT_EQ(Ext->Signature, WMT_EXTENSION_SIGNATURE);
        WMT_EXPECT_EQ(Ext->Trailer, 2 * (Round + 1));
        WMT_EXPECT(Locks.KMutex.Object == NULL && Locks.RwLock.Object == NULL);
        if (WmtFailed()) {
            break;
        }
    }
    ExFreePoolWithTag(Ext, WMT_EXTENSION_TAG);
}

/* Threads share the extension's locks: no lost update in any of them. */
static KSTART_ROUTINE WmtExtensionStressThread;

static VOID NTAPI
WmtExtensionStressThread(_In_ PVOID Context)
{
    WMT_EXTENSION_LOCKS *Locks = Context;
    ULONG Index;

    for (Index = 0; Index < 2000; Index++) {
        if (WmtIncrementAll(Locks) != STATUS_SUCCESS) {
            WMT_EXPECT(!"an increment through caller storage failed");
            return;
        }
    }
}

WMT_TEST_FN(storage, device_extension_shared_by_threads)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_EXTENSION_LOCKS Locks;
    WMT_DEVICE_EXTENSION *Ext;

    RtlZeroMemory(&Locks, sizeof(Locks));
    Ext = (WMT_DEVICE_EXTENSION *)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*Ext), WMT_EXTENSION_TAG);
    WMT_CHECK(Ext != NULL);
    RtlZeroMemory(Ext, sizeof(*Ext));
    Locks.Extension = Ext;
    if (WmtInitializeExtension(&Locks, 0) == STATUS_SUCCESS) {
        WMT_EXPECT_STATUS(WmtRunThreads(4, WmtExtensionStressThread, &Locks), STATUS_SUCCESS);
        WmtExpectAll(&Locks, 4 * 2000);
        WMT_EXPECT_EQ(Ext->Trailer, 4 * 2000);
        WMT_EXPECT_EQ(WmQueryOutstandingAllocations(), Before);
        WmtDestroyExtension(&Locks);
    } else {
        WMT_EXPECT(!"initialising the extension failed");
    }
    ExFreePoolWithTag(Ext, WMT_EXTENSION_TAG);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

/* Driver globals: the same, with static storage. */
static WMT_DEVICE_EXTENSION WmtGlobalExtension;

WMT_TEST_FN(storage, driver_globals_every_primitive)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_EXTENSION_LOCKS Locks;

    RtlZeroMemory(&Locks, sizeof(Locks));
    Locks.Extension = &WmtGlobalExtension;
    WmtGlobalExtension.Trailer = 0;
    WMT_CHECK_STATUS(WmtInitializeExtension(&Locks, 5), STATUS_SUCCESS);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
    WMT_CHECK_STATUS(WmtIncrementAll(&Locks), STATUS_SUCCESS);
    WmtExpectAll(&Locks, 6);
    WmtDestroyExtension(&Locks);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

/* Storage that is not pointer-aligned is refused by every kind, and nothing
 * is written outside it. */
static union {
    WMT_DEVICE_EXTENSION Extension;
    UCHAR Bytes[sizeof(WMT_DEVICE_EXTENSION) + 16];
} WmtRawExtension;

WMT_TEST_FN(storage, misaligned_storage_refused)
{
    PUCHAR Base = WmtRawExtension.Bytes + 1;
    WMT_ST_KM Km;
    WMT_ST_FM Fm;
    WMT_ST_SL Sl;
    WMT_ST_QSL Qsl;
    WMT_ST_GM Gm;
    WMT_ST_RW Rw;

    WMT_CHECK_STATUS(WmtStKmInitialize((WMT_ST_KM_STORAGE *)(PVOID)Base, NULL, NULL, &Km), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtStFmInitialize((WMT_ST_FM_STORAGE *)(PVOID)Base, NULL, NULL, &Fm), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtStSlInitialize((WMT_ST_SL_STORAGE *)(PVOID)Base, NULL, NULL, &Sl), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtStQslInitialize((WMT_ST_QSL_STORAGE *)(PVOID)Base, NULL, NULL, &Qsl), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtStGmInitialize((WMT_ST_GM_STORAGE *)(PVOID)Base, NULL, NULL, &Gm), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmtStRwInitialize((WMT_ST_RW_STORAGE *)(PVOID)Base, NULL, NULL, &Rw), STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK_STATUS(WmInitializeCriticalSection((PWM_CRITICAL_SECTION)(PVOID)Base, WmCriticalSectionKMutex),
                     STATUS_WM_INVALID_PARAMETER);
    WMT_CHECK(Km.Object == NULL && Fm.Object == NULL && Sl.Object == NULL);
    WMT_CHECK(Qsl.Object == NULL && Gm.Object == NULL && Rw.Object == NULL);
}

/* A lock in caller storage that is held cannot be destroyed; into-inner
 * copies its value out and frees nothing. */
WMT_TEST_FN(storage, held_caller_storage_not_torn_down)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_EXTENSION_LOCKS Locks;
    WMT_ST_RW_SHARED_GUARD Reader = { 0 };
    WMT_ST_SL_GUARD Spin = { 0 };
    LONGLONG Out = 0;

    RtlZeroMemory(&Locks, sizeof(Locks));
    Locks.Extension = &WmtGlobalExtension;
    WMT_CHECK_STATUS(WmtInitializeExtension(&Locks, 77), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtStRwLockShared(Locks.RwLock, &Reader), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtStRwDestroy(&Locks.RwLock), STATUS_WM_MUTEX_HELD);
    WMT_EXPECT_STATUS(WmtStRwIntoInner(&Locks.RwLock, &Out), STATUS_WM_MUTEX_HELD);
    WMT_CHECK_STATUS(WmtStRwUnlockShared(&Reader), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtStSlLock(Locks.SpinLock, &Spin), STATUS_SUCCESS);
    WMT_EXPECT_STATUS(WmtStSlDestroy(&Locks.SpinLock), STATUS_WM_MUTEX_HELD);
    WMT_CHECK_STATUS(WmtStSlUnlock(&Spin), STATUS_SUCCESS);
    WMT_CHECK_STATUS(WmtStRwIntoInner(&Locks.RwLock, &Out), STATUS_SUCCESS);
    WMT_CHECK_EQ(Out, 77);
    WMT_CHECK(Locks.RwLock.Object == NULL);
    /* Re-initialise the RwLock so the common teardown can run. */
    WMT_CHECK_STATUS(WmtStRwInitialize(&WmtGlobalExtension.RwLock, &Out, NULL, &Locks.RwLock), STATUS_SUCCESS);
    WmtDestroyExtension(&Locks);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

/* PrefixFromStorage: the handle of caller storage, computed. Storage that
 * was never initialised (zeroed, as IoCreateDevice leaves an extension) or
 * was torn down is refused by every lock form, on the fast path, with
 * STATUS_WM_NOT_INITIALIZED; initialised storage works through it. */
#define WMT_FROM_STORAGE_CASE(TYPE, Prefix, Field)                                      \
    do {                                                                              \
        TYPE##_GUARD Guard_ = { 0 };                                                  \
        LONGLONG Initial_ = 5;                                                        \
        TYPE Stored_ = { 0 };                                                         \
        TYPE Handle_ = Prefix##FromStorage(&Ext.Field);                               \
        WMT_EXPECT(Handle_.Object == &Ext.Field);                                     \
        WMT_EXPECT_STATUS(Prefix##Lock(Handle_, &Guard_), STATUS_WM_NOT_INITIALIZED);  \
        WMT_EXPECT(Guard_.Value == NULL && Guard_.Base.Lock == NULL);                 \
        WMT_EXPECT_STATUS(Prefix##TryLock(Handle_, &Guard_), STATUS_WM_NOT_INITIALIZED); \
        WMT_EXPECT_STATUS(Prefix##Destroy(&Handle_), STATUS_WM_NOT_INITIALIZED);       \
        WMT_CHECK_STATUS(Prefix##Initialize(&Ext.Field, &Initial_, NULL, &Stored_),    \
                         STATUS_SUCCESS);                                             \
        WMT_EXPECT(Stored_.Object == Prefix##FromStorage(&Ext.Field).Object);          \
        WMT_CHECK_STATUS(Prefix##Lock(Prefix##FromStorage(&Ext.Field), &Guard_),       \
                         STATUS_SUCCESS);                                             \
        WMT_EXPECT_EQ(*Guard_.Value, 5);                                              \
        *Guard_.Value += 1;                                                           \
        WMT_CHECK_STATUS(Prefix##Unlock(&Guard_), STATUS_SUCCESS);                     \
        WMT_CHECK_STATUS(Prefix##Destroy(&Stored_), STATUS_SUCCESS);                   \
        WMT_EXPECT_STATUS(Prefix##Lock(Handle_, &Guard_), STATUS_WM_NOT_INITIALIZED);  \
        WMT_EXPECT_STATUS(Prefix##TryLock(Handle_, &Guard_), STATUS_WM_NOT_INITIALIZED); \
        WMT_EXPECT(Guard_.Value == NULL);                                             \
    } while (0)

WMT_TEST_FN(storage, from_storage_refuses_uninitialized_and_torn_down)
{
    LONG Before = WmQueryOutstandingAllocations();
    WMT_DEVICE_EXTENSION Ext;
    WMT_ST_RW_SHARED_GUARD Reader = { 0 };

    RtlZeroMemory(&Ext, sizeof(Ext));
    WMT_EXPECT_STATUS(WmtStRwLockShared(WmtStRwFromStorage(&Ext.RwLock), &Reader), STATUS_WM_NOT_INITIALIZED);
    WMT_EXPECT(Reader.Value == NULL);
    WMT_FROM_STORAGE_CASE(WMT_ST_KM, WmtStKm, KMutex);
    WMT_FROM_STORAGE_CASE(WMT_ST_FM, WmtStFm, FastMutex);
    WMT_FROM_STORAGE_CASE(WMT_ST_SL, WmtStSl, SpinLock);
    WMT_FROM_STORAGE_CASE(WMT_ST_QSL, WmtStQsl, QueuedSpinLock);
    WMT_FROM_STORAGE_CASE(WMT_ST_GM, WmtStGm, GuardedMutex);
    WMT_FROM_STORAGE_CASE(WMT_ST_RW, WmtStRw, RwLock);
    WMT_EXPECT_STATUS(WmtStRwLockShared(WmtStRwFromStorage(&Ext.RwLock), &Reader), STATUS_WM_NOT_INITIALIZED);
    WMT_CHECK_EQ(WmQueryOutstandingAllocations(), Before);
}

WMT_SUITE(storage) {
    WMT_CASE(storage, device_extension_every_primitive, 0),
    WMT_CASE(storage, device_extension_shared_by_threads, WMT_KMUTEX_HANDOFF),
    WMT_CASE(storage, driver_globals_every_primitive, 0),
    WMT_CASE(storage, misaligned_storage_refused, 0),
    WMT_CASE(storage, held_caller_storage_not_torn_down, 0),
    WMT_CASE(storage, from_storage_refuses_uninitialized_and_torn_down, 0),
};
WMT_SUITE_END(storage);
