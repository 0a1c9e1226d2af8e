/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Private declarations shared by the library's source files
 *              (and by the tests, for the few hooks marked "tests").
 * ENVIRONMENT: Kernel mode.
 */
#ifndef WDKMUTEX_WMP_H
#define WDKMUTEX_WMP_H

#include <wdkmutex/wdkmutex.h>

/*
 * MSVC: where the library has no intrinsic for an ordered access (the
 * acquire loads of compiler.h, the registry's acquire loads and release
 * stores) it uses a volatile access, which is an acquire load or a release
 * store only under /volatile:ms. That is MSVC's default on x86 and x64 (and
 * ARM64EC); ARM64 defaults to /volatile:iso, plain accesses, so the
 * library's sources stop such a build rather than reorder a publication.
 * A driver's own files may use either setting.
 */
#if defined(_MSC_VER) && !defined(__clang__) && defined(_ISO_VOLATILE)
#error "wdk-mutex: compile the library's sources with /volatile:ms (MSVC's default except on ARM)"
#endif

/* --- Pool (pool.c) --------------------------------------------------------- */

/* Nonpaged, zeroed. NULL on failure, on Size 0, or above DISPATCH_LEVEL. */
_IRQL_requires_max_(DISPATCH_LEVEL)
PVOID WmpAllocate(_In_ SIZE_T Size, _In_ ULONG Tag);

_IRQL_requires_max_(DISPATCH_LEVEL)
VOID WmpFree(_In_ PVOID Block, _In_ ULONG Tag);

/* --- Optional DDIs (pool.c) ------------------------------------------------ *
 * Looked up by name with MmGetSystemRoutineAddress, never imported: Windows
 * refuses to load a driver whose imports the running kernel lacks. */
typedef enum _WMP_ROUTINE {
    WmpRoutineExAllocatePool2 = 0,
    WmpRoutineExTryToAcquireFastMutex,
    WmpRoutineKeAcquireGuardedMutex,
    WmpRoutineKeReleaseGuardedMutex,
    WmpRoutineKeTryToAcquireGuardedMutex,
    WmpRoutineKeTryToAcquireSpinLockAtDpcLevel,
    WmpRoutineExInitializePushLock,
    WmpRoutineExAcquirePushLockExclusiveEx,
    WmpRoutineExAcquirePushLockSharedEx,
    WmpRoutineExReleasePushLockExclusiveEx,
    WmpRoutineExReleasePushLockSharedEx,
    WmpRoutineExTryAcquirePushLockExclusiveEx,
    WmpRoutineExTryAcquirePushLockSharedEx,
    WmpRoutineKeIpiGenericCall,
    WmpRoutineCount
} WMP_ROUTINE;

/* The routine's address, or NULL when the kernel does not export it (or when
 * it has not been resolved yet and the caller is above PASSIVE_LEVEL). */
PVOID WmpGetRoutine(_In_ WMP_ROUTINE Routine);

/* Tests: forget resolved addresses so a hidden routine is looked up again. */
VOID WmpResetRoutineCache(VOID);

typedef PVOID (NTAPI WMP_EX_ALLOCATE_POOL2)(_In_ ULONG64 Flags, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag);
typedef BOOLEAN (FASTCALL WMP_EX_TRY_TO_ACQUIRE_FAST_MUTEX)(_Inout_ PFAST_MUTEX FastMutex);
/* Guarded mutexes (Server 2003 SP1+; Wine 8 exports only KeInitializeGuardedMutex):
 * WMP_KE_GUARDED_MUTEX_ROUTINE, WMP_KE_TRY_TO_ACQUIRE_GUARDED_MUTEX in guarded_mutex.h. */
/* Server 2003 SP1+; Wine 8 does not export it. */
typedef BOOLEAN (FASTCALL WMP_KE_TRY_TO_ACQUIRE_SPIN_LOCK_AT_DPC_LEVEL)(_Inout_ PKSPIN_LOCK SpinLock);
/* Push locks (wdm.h, Windows 10 1809+). EX_PUSH_LOCK is a ULONG_PTR; older
 * headers (mingw-w64's wdm.h) do not declare it. Wine 8 exports none of the
 * ...Ex routines (its Exf... push-lock exports are stubs and never called). */
typedef ULONG_PTR WMP_EX_PUSH_LOCK, *PWMP_EX_PUSH_LOCK;
typedef VOID (NTAPI WMP_EX_INITIALIZE_PUSH_LOCK)(_Out_ PWMP_EX_PUSH_LOCK PushLock);
/* WMP_EX_PUSH_LOCK_ROUTINE, WMP_EX_TRY_PUSH_LOCK_ROUTINE: rw_lock.h. */
/* KeIpiGenericCall (wdm.h, Server 2003+; mingw-w64's wdm.h lacks it, Wine 8
 * does not export it): the registry's heavy barrier (registry.c). */
typedef ULONG_PTR (NTAPI WMP_KIPI_BROADCAST_WORKER)(_In_ ULONG_PTR Argument);
typedef ULONG_PTR (NTAPI WMP_KE_IPI_GENERIC_CALL)(_In_ WMP_KIPI_BROADCAST_WORKER *BroadcastFunction,
                                                 _In_ ULONG_PTR Context);

/* --- Lock core (lock.c) ---------------------------------------------------- */

/* Destroy for the registry's own entries (WmpLockDestroy refuses them with
 * STATUS_WM_OWNED_BY_REGISTRY). */
NTSTATUS WmpRegistryLockDestroy(_In_ PWM_LOCK_HEADER Lock);

WM_INLINE PVOID WmpCurrentThread(VOID)
{
    return WmpCurrentThreadIdentity(); /* see compiler.h */
}

/* Owner bookkeeping for exclusive kinds, done by the core after Acquire and
 * before Release so every kind gets recursion and ownership checks alike. */
WM_INLINE BOOLEAN WmpIsOwner(_In_ PWM_LOCK_HEADER Lock, _In_ PVOID Thread)
{
    return WmpLoadPointerRelaxed(&Lock->Owner) == Thread;
}

#endif /* WDKMUTEX_WMP_H */
