/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The library's NTSTATUS codes and a function that names them.
 * ENVIRONMENT: Kernel mode, any IRQL.
 *
 * Every code is an error-severity customer code (0xE057xxxx, facility 0x057),
 * so NT_SUCCESS() is FALSE for all of them and none collides with a Windows
 * code. Kernel codes are returned unchanged where they already say the right
 * thing: STATUS_SUCCESS, STATUS_TIMEOUT (a timed lock that timed out; note
 * that NT_SUCCESS(STATUS_TIMEOUT) is TRUE — test for STATUS_SUCCESS, or check
 * the guard), STATUS_NOT_SUPPORTED (the running kernel lacks the DDI).
 */
#ifndef WDKMUTEX_STATUS_H
#define WDKMUTEX_STATUS_H

#include "compiler.h"

#define WMP_STATUS(Code) ((NTSTATUS)(0xE0570000UL | (Code)))

/* IRQL above the routine's documented maximum. Nothing was acquired or
 * released. (Seed: IrqlTooHigh.) */
#define STATUS_WM_IRQL_TOO_HIGH         WMP_STATUS(0x0001)
/* A routine that must run at exactly APC_LEVEL (fast mutex release) ran below
 * it. The lock stays held. (Seed: IrqlNotAPCLevel.) */
#define STATUS_WM_IRQL_NOT_APC_LEVEL    WMP_STATUS(0x0002)
/* Nonpaged pool allocation failed; nothing was created or changed.
 * (Seed: PagedPoolAllocFailed, which was in fact a nonpaged allocation.) */
#define STATUS_WM_POOL_ALLOCATION_FAILED WMP_STATUS(0x0003)
/* A required pointer argument was NULL. */
#define STATUS_WM_INVALID_PARAMETER     WMP_STATUS(0x0004)
/* A size was zero, overflowed, or did not match the object's value size. */
#define STATUS_WM_INVALID_SIZE          WMP_STATUS(0x0005)
/* The guard holds nothing: it was never armed or was already unlocked. Nothing
 * was released (this is what a second unlock of the same guard returns). */
#define STATUS_WM_NOT_LOCKED            WMP_STATUS(0x0006)
/* The calling thread does not own the lock the guard names (a guard handed to
 * another thread, or a copy of an already released guard), or, for a
 * recursive lock, the guard is not the thread's newest live acquisition of
 * it (nested guards are released newest first). Nothing released. */
#define STATUS_WM_NOT_OWNER             WMP_STATUS(0x0007)
/* The caller already owns this non-recursive lock; acquiring it again would
 * deadlock the thread. */
#define STATUS_WM_RECURSIVE_ACQUIRE     WMP_STATUS(0x0008)
/* Try-lock: another thread holds the lock. */
#define STATUS_WM_LOCK_BUSY             WMP_STATUS(0x0009)
/* Destroy / into-inner / into-pool refused: the lock is held. Nothing freed. */
#define STATUS_WM_MUTEX_HELD            WMP_STATUS(0x000A)
/* KMUTEX release at DISPATCH_LEVEL of a mutex acquired below it, or the
 * reverse; the kernel raises STATUS_MUTANT_NOT_OWNED for that. Still held. */
#define STATUS_WM_IRQL_MISMATCH         WMP_STATUS(0x000B)
/* The handle names no object (never created, or already destroyed). */
#define STATUS_WM_NOT_INITIALIZED       WMP_STATUS(0x000C)
/* The object is of another lock kind than the routine expects. */
#define STATUS_WM_WRONG_KIND            WMP_STATUS(0x000D)

/* --- Registry of named mutexes (registry.h) ------------------------------ */
/* WmRegistryInitialize: a registry already exists (another initialisation
 * won, or it was never destroyed). The existing registry is unchanged.
 * (Seed: GrtAlreadyExists.) */
#define STATUS_WM_REGISTRY_EXISTS          WMP_STATUS(0x0020)
/* No registry: never initialised, already destroyed, or being destroyed
 * right now. (Seed: GrtIsNull.) */
#define STATUS_WM_REGISTRY_NOT_INITIALIZED WMP_STATUS(0x0021)
/* A lookup or unregister found the registry holding no key at all.
 * (Seed: GrtIsEmpty.) */
#define STATUS_WM_REGISTRY_EMPTY           WMP_STATUS(0x0022)
/* The registry holds keys, but not this one. (Seed: KeyNotFound.) */
#define STATUS_WM_KEY_NOT_FOUND            WMP_STATUS(0x0023)
/* Checked registration: the key is already registered; nothing changed.
 * (Seed: KeyExists.) */
#define STATUS_WM_KEY_EXISTS               WMP_STATUS(0x0024)
/* The key holds a lock of another kind, or a value of another type (type
 * name, size or layout differ). (Seed: DowncastError.) */
#define STATUS_WM_TYPE_MISMATCH            WMP_STATUS(0x0025)
/* Unregister or destroy refused: the entry (or, for destroy, some entry) is
 * held or has counted handles, or a registry call is in progress. Nothing
 * changed; try again once the users are done. */
#define STATUS_WM_REGISTRY_BUSY            WMP_STATUS(0x0026)
/* The key is NULL, empty, or longer than WM_REGISTRY_MAX_KEY_LENGTH bytes. */
#define STATUS_WM_INVALID_KEY              WMP_STATUS(0x0027)
/* Destroy / into-inner / into-pool on a lock the registry owns (a handle from
 * PrefixRegistryGet or PrefixRegistryReference): use WmRegistryUnregister or
 * WmRegistryDestroy instead. Nothing freed. */
#define STATUS_WM_OWNED_BY_REGISTRY        WMP_STATUS(0x0028)

/* --- Codes of the primitives beyond KMutex/FastMutex (0x0030 upward) ------- */

/* A thread that holds a reader/writer lock shared asked for it exclusively.
 * The kernel would make it wait for itself; nothing was acquired, and the
 * shared guard is still held. Unlock the shared guard first. */
#define STATUS_WM_UPGRADE_REFUSED       WMP_STATUS(0x0030)
/* A routine that must run at exactly DISPATCH_LEVEL (an at-DPC-level spin lock
 * acquire, a spin lock release) ran below it. Nothing was acquired; on
 * unlock-safe the lock stays held. */
#define STATUS_WM_IRQL_NOT_DISPATCH_LEVEL WMP_STATUS(0x0031)

/* Returns the symbolic name of a library code or of a kernel code the library
 * returns ("STATUS_WM_IRQL_TOO_HIGH", "STATUS_TIMEOUT", ...), or
 * "STATUS_<unknown>" for anything else. Any IRQL; the string is static. */
_IRQL_requires_max_(HIGH_LEVEL)
_Ret_z_
PCSTR
WmStatusName(
    _In_ NTSTATUS Status);

#endif /* WDKMUTEX_STATUS_H */
