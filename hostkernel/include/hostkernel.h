/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Test hooks of the host kernel model: pool accounting and
 *              failure injection, routine hiding, the bug-check hook, and
 *              per-thread state a test may inspect or reset.
 * ENVIRONMENT: Host (Linux user mode) only. Not part of any WDK.
 */
#ifndef HOSTKERNEL_H
#define HOSTKERNEL_H

#include "ntddk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- Pool ---------------------------------------------------------------- */

LONG   HkPoolOutstanding(VOID);             /* live blocks                                  */
LONG64 HkPoolOutstandingBytes(VOID);        /* bytes in live blocks                         */
LONG   HkPoolOutstandingWithTag(ULONG Tag); /* live blocks carrying Tag                     */
LONG64 HkPoolAllocationCount(VOID);         /* successful allocations since start           */
/* The Nth allocation attempt from now fails (1 = the next one); 0 = off.
 * One failure per call; a failed allocation with POOL_FLAG_RAISE_ON_FAILURE
 * (or POOL_RAISE_IF_ALLOCATION_FAILURE) raises STATUS_INSUFFICIENT_RESOURCES. */
VOID   HkPoolFailAfter(LONG N);

/* --- Routine lookup ------------------------------------------------------ */

/* MmGetSystemRoutineAddress returns NULL for AsciiName while hidden. */
VOID HkHideRoutine(PCSTR AsciiName, BOOLEAN Hide);

/* --- Bug checks ---------------------------------------------------------- */

/* KeBugCheckEx prints
 *   *** STOP: 0x%08X (0x%016llX,0x%016llX,0x%016llX,0x%016llX) NAME
 * on stderr, calls the hook (if set), then _exit(HK_BUGCHECK_EXIT_CODE).
 * An unhandled exception first prints "*** EXCEPTION 0x%08X raised". */
typedef VOID HK_BUGCHECK_HOOK(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4);
VOID HkSetBugCheckHook(HK_BUGCHECK_HOOK *Hook);
#define HK_BUGCHECK_EXIT_CODE 86

/* --- Calling thread ------------------------------------------------------ */

LONG  HkThreadOwnedMutexCount(VOID); /* KMUTEXes held by the calling thread                */
SHORT HkKernelApcDisable(VOID);      /* critical regions + held KMUTEXes (negative = off)  */
SHORT HkSpecialApcDisable(VOID);     /* guarded regions + held guarded mutexes             */
LONG  HkSpinLocksHeld(VOID);         /* spin locks held by the calling thread              */
/* Test runner: back to PASSIVE_LEVEL with every counter at 0; KMUTEXes the
 * thread still owns stay owned but leave its list (no exit check for them). */
VOID  HkResetCurrentThread(VOID);

#ifdef __cplusplus
}
#endif
#endif /* HOSTKERNEL_H */
