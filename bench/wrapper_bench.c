/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     What the wrappers cost: for every primitive, one uncontended
 *              lock + unlock through the library's typed API against the same
 *              raw DDI calls written by hand, in the same binary; and the
 *              bytes of each lock object against the bare kernel object.
 * ENVIRONMENT: Host only: the host kernel model and libc.
 *
 * Instructions are counted by valgrind --tool=callgrind, not by this
 * program: bench/run-bench.sh runs it twice under callgrind with
 * WMB_PAIRS=1000 and WMB_PAIRS=3000 and takes, for each function below,
 * (inclusive Ir at 3000 - inclusive Ir at 1000) / 2000. Warm-up, first-call
 * and loop set-up costs cancel out; what is left is one loop iteration: one
 * lock, one increment of the protected value, one unlock. Both the raw and
 * the library loop do the same increment, and the DDIs both call are the
 * host model's, so ours - raw is the wrapper alone.
 *
 * The functions are external and called through a table, so the compiler
 * cannot specialise or merge them; the loops are the only thing in them.
 *
 * Output without callgrind (run-bench.sh prints the combined lines):
 *   wmb primitive=NAME raw_fn=FUNCTION ours_fn=FUNCTION bytes_raw=A bytes_ours=B
 * bytes_raw is sizeof the bare kernel object, bytes_ours sizeof the library's
 * lock object for it (the header, the kernel object and, for RwLock, the
 * inline reader table), i.e. the storage next to the value.
 */
#include <stdio.h>
#include <stdlib.h>

#include <wdkmutex/wdkmutex.h>
#include "hostkernel.h" /* HkHideRoutine: make one RwLock ERESOURCE-backed */
#include "wmp.h"        /* WmpResetRoutineCache                              */

/* WMB_OPAQUE (the wrapper_bench_opaque build): both loops call an opaque
 * function between lock and unlock, as most real code between them does, so
 * the compiler can no longer prove that the lock's fields are unchanged at
 * unlock (lock.h: the stale-copy compare is then made, not folded). */
#ifdef WMB_OPAQUE
void WmbBetween(void);
#define WMB_BETWEEN() WmbBetween()
#else
#define WMB_BETWEEN() ((void)0)
#endif

/* noipa (GCC): no inlining, cloning or identical-code folding. */
#if defined(__GNUC__) && !defined(__clang__)
#define WMB_MEASURED __attribute__((noinline, noipa, used))
#else
#define WMB_MEASURED __attribute__((noinline, used))
#endif

WM_DECLARE_KMUTEX_TYPE(WMB_KM, WmbKm, ULONG);
WM_DECLARE_FAST_MUTEX_TYPE(WMB_FM, WmbFm, ULONG);
WM_DECLARE_GUARDED_MUTEX_TYPE(WMB_GM, WmbGm, ULONG);
WM_DECLARE_SPIN_LOCK_TYPE(WMB_SL, WmbSl, ULONG);
WM_DECLARE_QUEUED_SPIN_LOCK_TYPE(WMB_QSL, WmbQsl, ULONG);
WM_DECLARE_RW_LOCK_TYPE(WMB_RW, WmbRw, ULONG);
WM_DECLARE_RESOURCE_RW_LOCK_TYPE(WMB_RRW, WmbRrw, ULONG);

/* The raw kernel objects and their values. */
static KMUTEX WmbRawKMutex;
static FAST_MUTEX WmbRawFastMutex;
static KGUARDED_MUTEX WmbRawGuardedMutex;
static KSPIN_LOCK WmbRawSpinLock;
static KSPIN_LOCK WmbRawQueuedSpinLock;
static EX_PUSH_LOCK WmbRawPushLock;
static ERESOURCE WmbRawResource;
/* The raw loops' value (the section loops use it too). Like the library's
 * value, which sits in storage whose address the kernel calls receive, it
 * must stay in memory across those calls, so the increment is one memory
 * add in both loops: external linkage does that (the calls could reach it).
 * Not volatile: a volatile increment is a load, an add and a store, which
 * would charge the raw loops two instructions the library's do not pay. */
ULONG WmbRawValue;

/* The library's locks, in caller storage like the raw objects (globals),
 * reached through PrefixFromStorage as a driver reaches its own. */
static WMB_KM_STORAGE WmbKMutex;
static WMB_FM_STORAGE WmbFastMutex;
static WMB_GM_STORAGE WmbGuardedMutex;
static WMB_SL_STORAGE WmbSpinLock;
static WMB_QSL_STORAGE WmbQueuedSpinLock;
static WMB_RW_STORAGE WmbRwPush;
static WMB_RW_STORAGE WmbRwResource;
static WMB_RRW_STORAGE WmbResourceRw;
static WM_CRITICAL_SECTION WmbSectionFm;
static WM_CRITICAL_SECTION WmbSectionKm;

/* ------------------------------------------------------------------------ */
/* Measured loops: raw DDIs                                                 */
/* ------------------------------------------------------------------------ */

WMB_MEASURED void
WmbRaw_KMutex(ULONG Pairs)
{
    for (ULONG Index = 0; Index < Pairs; Index++) {
        (VOID)KeWaitForSingleObject(&WmbRawKMutex, Executive, KernelMode, FALSE, NULL);
        WmbRawValue += 1;
        WMB_BETWEEN();
        (VOID)KeReleaseMutex(&WmbRawKMutex, FALSE);
    }
}

WMB_MEASURED void
WmbRaw_FastMutex(ULONG Pairs)
{
    for (ULONG Index = 0; Index < Pairs; Index++) {
        ExAcquireFastMutex(&WmbRawFastMutex);
        WmbRawValue += 1;
        WMB_BETWEEN();
        ExReleaseFastMutex(&WmbRawFastMutex);
    }
}

WMB_MEASURED void
WmbRaw_GuardedMutex(ULONG Pairs)
{
    for (ULONG Index = 0; Index < Pairs; Index++) {
        KeAcquireGuardedMutex(&WmbRawGuardedMutex);
        WmbRawValue += 1;
        WMB_BETWEEN();
        KeReleaseGuardedMutex(&WmbRawGuardedMutex);
    }
}

WMB_MEASURED void
WmbRaw_SpinLock(ULONG Pairs)
{
    KIRQL OldIrql;

    for (ULONG Index = 0; Index < Pairs; Index++) {
        KeAcquireSpinLock(&WmbRawSpinLock, &OldIrql);
        WmbRawValue += 1;
        WMB_BETWEEN();
        KeReleaseSpinLock(&WmbRawSpinLock, OldIrql);
    }
}

WMB_MEASURED void
WmbRaw_QueuedSpinLock(ULONG Pairs)
{
    KLOCK_QUEUE_HANDLE Handle;

    for (ULONG Index = 0; Index < Pairs; Index++) {
        KeAcquireInStackQueuedSpinLock(&WmbRawQueuedSpinLock, &Handle);
        WmbRawValue += 1;
        WMB_BETWEEN();
        KeReleaseInStackQueuedSpinLock(&Handle);
    }
}

/* A push lock needs a critical region around it; the raw code enters it too. */
WMB_MEASURED void
WmbRaw_RwLockExclusive(ULONG Pairs)
{
    for (ULONG Index = 0; Index < Pairs; Index++) {
        KeEnterCriticalRegion();
        ExAcquirePushLockExclusiveEx(&WmbRawPushLock, 0);
        WmbRawValue += 1;
        WMB_BETWEEN();
        ExReleasePushLockExclusiveEx(&WmbRawPushLock, 0);
        KeLeaveCriticalRegion();
    }
}

WMB_MEASURED void
WmbRaw_RwLockShared(ULONG Pairs)
{
    ULONG Sum = 0;

    for (ULONG Index = 0; Index < Pairs; Index++) {
        KeEnterCriticalRegion();
        ExAcquirePushLockSharedEx(&WmbRawPushLock, 0);
        Sum += WmbRawValue;
        WMB_BETWEEN();
        ExReleasePushLockSharedEx(&WmbRawPushLock, 0);
        KeLeaveCriticalRegion();
    }
    WmbRawValue = Sum;
}

/* Two rows compare with raw ERESOURCE code (the RwLock that fell back to
 * one, and the ERESOURCE-only RwLock): one copy of the loop each, so each
 * function is called by one row. */
#define WMB_RAW_RESOURCE_EXCLUSIVE_LOOP                                          \
    for (ULONG Index = 0; Index < Pairs; Index++) {                              \
        KeEnterCriticalRegion();                                                 \
        (VOID)ExAcquireResourceExclusiveLite(&WmbRawResource, TRUE);             \
        WmbRawValue += 1;                                                        \
        WMB_BETWEEN();                                                           \
        ExReleaseResourceLite(&WmbRawResource);                                  \
        KeLeaveCriticalRegion();                                                 \
    }

#define WMB_RAW_RESOURCE_SHARED_LOOP                                             \
    ULONG Sum = 0;                                                               \
    for (ULONG Index = 0; Index < Pairs; Index++) {                              \
        KeEnterCriticalRegion();                                                 \
        (VOID)ExAcquireResourceSharedLite(&WmbRawResource, TRUE);                \
        Sum += WmbRawValue;                                                      \
        WMB_BETWEEN();                                                           \
        ExReleaseResourceLite(&WmbRawResource);                                  \
        KeLeaveCriticalRegion();                                                 \
    }                                                                            \
    WmbRawValue = Sum

WMB_MEASURED void
WmbRaw_RwLockResourceExclusive(ULONG Pairs)
{
    WMB_RAW_RESOURCE_EXCLUSIVE_LOOP
}

WMB_MEASURED void
WmbRaw_RwLockResourceShared(ULONG Pairs)
{
    WMB_RAW_RESOURCE_SHARED_LOOP;
}

WMB_MEASURED void
WmbRaw_ResourceRwLockExclusive(ULONG Pairs)
{
    WMB_RAW_RESOURCE_EXCLUSIVE_LOOP
}

WMB_MEASURED void
WmbRaw_ResourceRwLockShared(ULONG Pairs)
{
    WMB_RAW_RESOURCE_SHARED_LOOP;
}

/* A critical section protects code, not a value: the raw loop is the same
 * kernel object's acquire/release around the same increment. */
WMB_MEASURED void
WmbRaw_CriticalSectionFastMutex(ULONG Pairs)
{
    for (ULONG Index = 0; Index < Pairs; Index++) {
        ExAcquireFastMutex(&WmbRawFastMutex);
        WmbRawValue += 1;
        WMB_BETWEEN();
        ExReleaseFastMutex(&WmbRawFastMutex);
    }
}

WMB_MEASURED void
WmbRaw_CriticalSectionKMutex(ULONG Pairs)
{
    for (ULONG Index = 0; Index < Pairs; Index++) {
        (VOID)KeWaitForSingleObject(&WmbRawKMutex, Executive, KernelMode, FALSE, NULL);
        WmbRawValue += 1;
        WMB_BETWEEN();
        (VOID)KeReleaseMutex(&WmbRawKMutex, FALSE);
    }
}

/* ------------------------------------------------------------------------ */
/* Measured loops: the library                                              */
/* ------------------------------------------------------------------------ */

/* One lock + increment + unlock through the typed API; a failure (never
 * expected here) stops the loop so it cannot go unnoticed in the counts. */
#define WMB_OURS_LOOP(Prefix, TYPE, Storage)                                     \
    for (ULONG Index = 0; Index < Pairs; Index++) {                              \
        TYPE##_GUARD Guard;                                                      \
        if (Prefix##Lock(Prefix##FromStorage(&Storage), &Guard) != STATUS_SUCCESS) { \
            abort();                                                             \
        }                                                                        \
        *Guard.Value += 1;                                                       \
        WMB_BETWEEN();                                                           \
        (VOID)Prefix##Unlock(&Guard);                                            \
    }

WMB_MEASURED void
WmbOurs_KMutex(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbKm, WMB_KM, WmbKMutex)
}

WMB_MEASURED void
WmbOurs_FastMutex(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbFm, WMB_FM, WmbFastMutex)
}

WMB_MEASURED void
WmbOurs_GuardedMutex(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbGm, WMB_GM, WmbGuardedMutex)
}

WMB_MEASURED void
WmbOurs_SpinLock(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbSl, WMB_SL, WmbSpinLock)
}

WMB_MEASURED void
WmbOurs_QueuedSpinLock(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbQsl, WMB_QSL, WmbQueuedSpinLock)
}

WMB_MEASURED void
WmbOurs_RwLockExclusive(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbRw, WMB_RW, WmbRwPush)
}

WMB_MEASURED void
WmbOurs_RwLockResourceExclusive(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbRw, WMB_RW, WmbRwResource)
}

WMB_MEASURED void
WmbOurs_ResourceRwLockExclusive(ULONG Pairs)
{
    WMB_OURS_LOOP(WmbRrw, WMB_RRW, WmbResourceRw)
}

/* The lock is a driver global reached by address, as the raw loop's kernel
 * object is. */
#define WMB_SHARED_LOOP(Prefix, TYPE, Storage)                                   \
    ULONG Sum = 0;                                                               \
    for (ULONG Index = 0; Index < Pairs; Index++) {                              \
        TYPE##_SHARED_GUARD Guard;                                               \
        if (Prefix##LockShared(Prefix##FromStorage(&(Storage)), &Guard) != STATUS_SUCCESS) { \
            abort();                                                             \
        }                                                                        \
        Sum += *Guard.Value;                                                     \
        WMB_BETWEEN();                                                           \
        (VOID)Prefix##UnlockShared(&Guard);                                      \
    }                                                                            \
    WmbRawValue = Sum

WMB_MEASURED void
WmbOurs_RwLockShared(ULONG Pairs)
{
    WMB_SHARED_LOOP(WmbRw, WMB_RW, WmbRwPush);
}

WMB_MEASURED void
WmbOurs_RwLockResourceShared(ULONG Pairs)
{
    WMB_SHARED_LOOP(WmbRw, WMB_RW, WmbRwResource);
}

WMB_MEASURED void
WmbOurs_ResourceRwLockShared(ULONG Pairs)
{
    WMB_SHARED_LOOP(WmbRrw, WMB_RRW, WmbResourceRw);
}

/* The section is a driver global reached by address, as the raw loop's
 * kernel object is. */
#define WMB_SECTION_LOOP(Section)                                                \
    for (ULONG Index = 0; Index < Pairs; Index++) {                              \
        WM_CRITICAL_SECTION_GUARD Guard;                                         \
        if (WmEnterCriticalSection(&(Section), &Guard) != STATUS_SUCCESS) {      \
            abort();                                                             \
        }                                                                        \
        WmbRawValue += 1;                                                        \
        WMB_BETWEEN();                                                           \
        (VOID)WmLeaveCriticalSection(&Guard);                                    \
    }

WMB_MEASURED void
WmbOurs_CriticalSectionFastMutex(ULONG Pairs)
{
    WMB_SECTION_LOOP(WmbSectionFm)
}

WMB_MEASURED void
WmbOurs_CriticalSectionKMutex(ULONG Pairs)
{
    WMB_SECTION_LOOP(WmbSectionKm)
}

/* ------------------------------------------------------------------------ */
/* The table                                                                */
/* ------------------------------------------------------------------------ */

typedef void WMB_LOOP(ULONG Pairs);

typedef struct _WMB_CASE {
    const char *Name;
    const char *RawName;
    WMB_LOOP   *Raw;
    const char *OursName;
    WMB_LOOP   *Ours;
    size_t      BytesRaw;
    size_t      BytesOurs;
} WMB_CASE;

#define WMB_CASE(Name, BytesRaw, BytesOurs) \
    { #Name, "WmbRaw_" #Name, WmbRaw_##Name, "WmbOurs_" #Name, WmbOurs_##Name, (BytesRaw), (BytesOurs) }

/* The library's lock object: everything before the value. */
#define WMB_LOCK_BYTES(TYPE) offsetof(TYPE##_STORAGE, Value)

static const WMB_CASE WmbCases[] = {
    WMB_CASE(KMutex, sizeof(KMUTEX), WMB_LOCK_BYTES(WMB_KM)),
    WMB_CASE(FastMutex, sizeof(FAST_MUTEX), WMB_LOCK_BYTES(WMB_FM)),
    WMB_CASE(GuardedMutex, sizeof(KGUARDED_MUTEX), WMB_LOCK_BYTES(WMB_GM)),
    WMB_CASE(SpinLock, sizeof(KSPIN_LOCK), WMB_LOCK_BYTES(WMB_SL)),
    WMB_CASE(QueuedSpinLock, sizeof(KSPIN_LOCK), WMB_LOCK_BYTES(WMB_QSL)),
    WMB_CASE(RwLockShared, sizeof(EX_PUSH_LOCK), WMB_LOCK_BYTES(WMB_RW)),
    WMB_CASE(RwLockExclusive, sizeof(EX_PUSH_LOCK), WMB_LOCK_BYTES(WMB_RW)),
    WMB_CASE(RwLockResourceShared, sizeof(ERESOURCE), WMB_LOCK_BYTES(WMB_RW)),
    WMB_CASE(RwLockResourceExclusive, sizeof(ERESOURCE), WMB_LOCK_BYTES(WMB_RW)),
    WMB_CASE(ResourceRwLockShared, sizeof(ERESOURCE), WMB_LOCK_BYTES(WMB_RRW)),
    WMB_CASE(ResourceRwLockExclusive, sizeof(ERESOURCE), WMB_LOCK_BYTES(WMB_RRW)),
    WMB_CASE(CriticalSectionFastMutex, sizeof(FAST_MUTEX), sizeof(WM_CRITICAL_SECTION)),
    WMB_CASE(CriticalSectionKMutex, sizeof(KMUTEX), sizeof(WM_CRITICAL_SECTION)),
};

static void
WmbCheck(NTSTATUS Status, const char *What)
{
    if (Status != STATUS_SUCCESS) {
        fprintf(stderr, "wrapper_bench: %s failed: %s\n", What, WmStatusName(Status));
        exit(1);
    }
}

#ifdef WMB_OPAQUE
/* Opaque to the loops: not inlined, and as far as the compiler knows it may
 * read and write any memory. */
WMB_MEASURED void
WmbBetween(void)
{
    __asm__ __volatile__("" ::: "memory");
}
#endif

int
main(void)
{
    const char *Text = getenv("WMB_PAIRS");
    ULONG Pairs = Text != NULL ? (ULONG)strtoul(Text, NULL, 10) : 1000;
    size_t Index;

    WMB_KM KmHandle;
    WMB_FM FmHandle;
    WMB_GM GmHandle;
    WMB_SL SlHandle;
    WMB_QSL QslHandle;
    WMB_RW RwHandle;
    WMB_RRW RrwHandle;

    WmbCheck(WmInitializeLibrary(), "WmInitializeLibrary");

    KeInitializeMutex(&WmbRawKMutex, 0);
    ExInitializeFastMutex(&WmbRawFastMutex);
    KeInitializeGuardedMutex(&WmbRawGuardedMutex);
    KeInitializeSpinLock(&WmbRawSpinLock);
    KeInitializeSpinLock(&WmbRawQueuedSpinLock);
    ExInitializePushLock(&WmbRawPushLock);
    WmbCheck(ExInitializeResourceLite(&WmbRawResource), "ExInitializeResourceLite");

    WmbCheck(WmbKmInitialize(&WmbKMutex, NULL, NULL, &KmHandle), "KMutex initialize");
    WmbCheck(WmbFmInitialize(&WmbFastMutex, NULL, NULL, &FmHandle), "FastMutex initialize");
    WmbCheck(WmbGmInitialize(&WmbGuardedMutex, NULL, NULL, &GmHandle), "GuardedMutex initialize");
    WmbCheck(WmbSlInitialize(&WmbSpinLock, NULL, NULL, &SlHandle), "SpinLock initialize");
    WmbCheck(WmbQslInitialize(&WmbQueuedSpinLock, NULL, NULL, &QslHandle), "QueuedSpinLock initialize");
    WmbCheck(WmbRwInitialize(&WmbRwPush, NULL, NULL, &RwHandle), "RwLock initialize");
    WmbCheck(WmbRrwInitialize(&WmbResourceRw, NULL, NULL, &RrwHandle), "ResourceRwLock initialize");
    WmbCheck(WmInitializeCriticalSection(&WmbSectionFm, WmCriticalSectionFastMutex), "section create");
    WmbCheck(WmInitializeCriticalSection(&WmbSectionKm, WmCriticalSectionKMutex), "section create");
    /* The same RwLock on an ERESOURCE: hide the push-lock exports from the
     * lookup while creating it. */
    {
        HkHideRoutine("ExAcquirePushLockExclusiveEx", TRUE);
        WmpResetRoutineCache();
        WmbCheck(WmbRwInitialize(&WmbRwResource, NULL, NULL, &RwHandle), "RwLock (ERESOURCE) initialize");
        HkHideRoutine("ExAcquirePushLockExclusiveEx", FALSE);
        WmpResetRoutineCache();
        WmbCheck(WmInitializeLibrary(), "WmInitializeLibrary");
    }
    if (WmbGmQueryBacking(WmbGmFromStorage(&WmbGuardedMutex)) != WmGuardedMutexNative ||
        WmbRwQueryBacking(WmbRwFromStorage(&WmbRwPush)) != WmRwLockPushLock ||
        WmbRwQueryBacking(WmbRwFromStorage(&WmbRwResource)) != WmRwLockResource ||
        WmbRrwQueryBacking(WmbRrwFromStorage(&WmbResourceRw)) != WmRwLockResource) {
        fprintf(stderr, "wrapper_bench: unexpected backing\n");
        return 1;
    }

    /* Warm up (first calls, lazy binding), then the measured runs. */
    for (Index = 0; Index < sizeof(WmbCases) / sizeof(WmbCases[0]); Index++) {
        WmbCases[Index].Raw(4);
        WmbCases[Index].Ours(4);
    }
    for (Index = 0; Index < sizeof(WmbCases) / sizeof(WmbCases[0]); Index++) {
        WmbCases[Index].Raw(Pairs);
        WmbCases[Index].Ours(Pairs);
    }

    for (Index = 0; Index < sizeof(WmbCases) / sizeof(WmbCases[0]); Index++) {
        printf("wmb primitive=%s raw_fn=%s ours_fn=%s bytes_raw=%zu bytes_ours=%zu\n", WmbCases[Index].Name,
               WmbCases[Index].RawName, WmbCases[Index].OursName, WmbCases[Index].BytesRaw,
               WmbCases[Index].BytesOurs);
    }

    { WMB_KM Handle_ = WmbKmFromStorage(&WmbKMutex); WmbCheck(WmbKmDestroy(&Handle_), "destroy"); }
    { WMB_FM Handle_ = WmbFmFromStorage(&WmbFastMutex); WmbCheck(WmbFmDestroy(&Handle_), "destroy"); }
    { WMB_GM Handle_ = WmbGmFromStorage(&WmbGuardedMutex); WmbCheck(WmbGmDestroy(&Handle_), "destroy"); }
    { WMB_SL Handle_ = WmbSlFromStorage(&WmbSpinLock); WmbCheck(WmbSlDestroy(&Handle_), "destroy"); }
    { WMB_QSL Handle_ = WmbQslFromStorage(&WmbQueuedSpinLock); WmbCheck(WmbQslDestroy(&Handle_), "destroy"); }
    { WMB_RW Handle_ = WmbRwFromStorage(&WmbRwPush); WmbCheck(WmbRwDestroy(&Handle_), "destroy"); }
    { WMB_RW Handle_ = WmbRwFromStorage(&WmbRwResource); WmbCheck(WmbRwDestroy(&Handle_), "destroy"); }
    WmbCheck(WmDeleteCriticalSection(&WmbSectionFm), "delete");
    WmbCheck(WmDeleteCriticalSection(&WmbSectionKm), "delete");
    (VOID)ExDeleteResourceLite(&WmbRawResource);
    if (WmQueryOutstandingAllocations() != 0) {
        fprintf(stderr, "wrapper_bench: library pool leaked\n");
        return 1;
    }
    return 0;
}
