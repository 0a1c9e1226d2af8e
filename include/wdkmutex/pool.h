/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The library's pool allocator, its tags, and runtime resolution
 *              of DDIs that older kernels (and Wine 8) do not export.
 * ENVIRONMENT: Kernel mode.
 *
 * Every allocation is nonpaged, zeroed, and goes through one function, so the
 * choice between ExAllocatePool2 (Windows 10 2004+) and ExAllocatePoolWithTag
 * is made once: ExAllocatePool2 is looked up with MmGetSystemRoutineAddress
 * and never imported, so one binary loads on kernels with and without it.
 */
#ifndef WDKMUTEX_POOL_H
#define WDKMUTEX_POOL_H

#include "compiler.h"

/* Pool tags, one per allocation site (shown as written in a pool dump). */
#define WM_TAG_LOCK     WM_MAKE_TAG('W', 'm', 'L', 'k') /* a lock object + its value  */
#define WM_TAG_VALUE    WM_MAKE_TAG('W', 'm', 'V', 'a') /* a value moved out (into-pool) */
#define WM_TAG_REGISTRY WM_MAKE_TAG('W', 'm', 'R', 'g') /* registry tables and entries */

/*
 * WmInitializeLibrary
 *
 * Resolves the optional DDIs now. Optional: the library resolves them lazily
 * the first time it runs at PASSIVE_LEVEL, but a driver that first uses the
 * library at APC or DISPATCH level should call this in DriverEntry, because
 * MmGetSystemRoutineAddress is PASSIVE_LEVEL only. Until resolution the
 * allocator uses ExAllocatePoolWithTag, and optional lock DDIs (for example
 * ExTryToAcquireFastMutex) report STATUS_NOT_SUPPORTED.
 *
 * IRQL: PASSIVE_LEVEL. Returns STATUS_SUCCESS, STATUS_WM_IRQL_TOO_HIGH, or
 * STATUS_NOT_SUPPORTED: an x64 build without WM_THREAD_IDENTITY_FALLBACK on a
 * kernel that does not map gs:[188h] to the current thread (Wine's
 * ntoskrnl), where every lock initialisation and WmRegistryInitialize
 * return it too (compiler.h).
 */
_IRQL_requires_(PASSIVE_LEVEL)
NTSTATUS
WmInitializeLibrary(VOID);

/* Number of library pool blocks currently allocated (all tags). A driver can
 * assert it is zero in DriverUnload. Any IRQL. */
LONG
WmQueryOutstandingAllocations(VOID);

/* TRUE when the allocator uses ExAllocatePool2 (resolved at run time). */
BOOLEAN
WmUsesExAllocatePool2(VOID);

/*
 * WmFreeValue
 *
 * Frees a value handed out by an into-pool routine (tag WM_TAG_VALUE). Does
 * not run any destructor: the value is the caller's now. NULL is ignored.
 * IRQL <= DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
VOID
WmFreeValue(
    _In_opt_ PVOID Value);

#endif /* WDKMUTEX_POOL_H */
