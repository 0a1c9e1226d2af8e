/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Demand paging of paged pool, as Driver Verifier's Force IRQL
 *              Checking exposes it (§17; 0xD1 in §1): raising to DISPATCH_LEVEL or above
 *              "trims" every paged block (PROT_NONE); a later touch faults.
 *              At IRQL < DISPATCH_LEVEL the fault pages the block back in and
 *              the access goes on; at DISPATCH_LEVEL or above it is the
 *              driver's bug: DRIVER_IRQL_NOT_LESS_OR_EQUAL (0xD1: P1 address
 *              referenced, P2 IRQL, P3 0 read / 1 write, P4 instruction).
 * ENVIRONMENT: Host (Linux user mode).
 *
 * Each paged block gets whole pages of its own (mmap), so protecting it
 * touches nothing else. The regions are kept in a fixed table the SIGSEGV
 * handler reads without locks; a block that finds the table full is never
 * trimmed (it behaves as nonpaged memory would: no false bug checks, only a
 * missed one). Like Verifier, the model trims when a thread raises: memory a
 * thread at PASSIVE_LEVEL pages back in while another already holds a spin
 * lock is not trimmed again until the next raise.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "hkp.h"

#define DRIVER_IRQL_NOT_LESS_OR_EQUAL 0x000000D1U
#define HK_PAGED_REGIONS 1024

typedef struct _HK_PAGED_REGION {
    ULONG_PTR volatile Base;   /* 0: free entry                              */
    SIZE_T volatile    Length; /* whole pages                                */
} HK_PAGED_REGION;

static HK_PAGED_REGION HkpPagedRegions[HK_PAGED_REGIONS];
static pthread_mutex_t HkpPagingLock = PTHREAD_MUTEX_INITIALIZER;
/* Regions paged in since the last trim: a raise with none to trim costs one
 * load. */
static LONG volatile HkpPagedResident;
static struct sigaction HkpPreviousSegv;
static pthread_once_t HkpSegvOnce = PTHREAD_ONCE_INIT;

static SIZE_T
HkpPageLength(SIZE_T Size)
{
    SIZE_T Page = (SIZE_T)sysconf(_SC_PAGESIZE);

    return (Size + Page - 1) / Page * Page;
}

/* The region holding Address, or NULL. Lock-free: the fault handler uses it. */
static HK_PAGED_REGION *
HkpFindRegion(ULONG_PTR Address)
{
    ULONG Index;
    ULONG_PTR Base;

    for (Index = 0; Index < HK_PAGED_REGIONS; Index++) {
        Base = __atomic_load_n(&HkpPagedRegions[Index].Base, __ATOMIC_ACQUIRE);
        if (Base != 0 && Address >= Base && Address - Base < HkpPagedRegions[Index].Length) {
            return &HkpPagedRegions[Index];
        }
    }
    return NULL;
}

static void
HkpPagedFault(int Signal, siginfo_t *Info, void *Context)
{
    ULONG_PTR Address = (ULONG_PTR)Info->si_addr;
    HK_PAGED_REGION *Region = HkpFindRegion(Address);
    PKTHREAD Thread = HkCurrentThreadObject;
    KIRQL Irql = Thread != NULL ? Thread->Irql : PASSIVE_LEVEL;
    ULONG_PTR Write = 0;
    ULONG_PTR Instruction = 0;

    if (Region == NULL) {
        /* Not ours: hand the fault to whoever handled it before (a
         * sanitizer, or the default action) by retrying under it. */
        (VOID)sigaction(Signal, &HkpPreviousSegv, NULL);
        return;
    }
    if (Irql >= DISPATCH_LEVEL) {
#if defined(__x86_64__)
        Write = (((ucontext_t *)Context)->uc_mcontext.gregs[REG_ERR] & 2) != 0;
        Instruction = (ULONG_PTR)((ucontext_t *)Context)->uc_mcontext.gregs[REG_RIP];
#else
        (VOID)Context;
#endif
        KeBugCheckEx(DRIVER_IRQL_NOT_LESS_OR_EQUAL, Address, Irql, Write, Instruction);
    }
    /* Paged back in; the access is retried. */
    (VOID)mprotect((PVOID)Region->Base, Region->Length, PROT_READ | PROT_WRITE);
    __atomic_store_n(&HkpPagedResident, 1, __ATOMIC_RELEASE);
}

static void
HkpInstallFaultHandler(void)
{
    struct sigaction Action;

    memset(&Action, 0, sizeof(Action));
    Action.sa_sigaction = HkpPagedFault;
    Action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&Action.sa_mask);
    (VOID)sigaction(SIGSEGV, &Action, &HkpPreviousSegv);
}

PVOID
HkpPagedAllocate(SIZE_T Size)
{
    SIZE_T Length = HkpPageLength(Size);
    PVOID Base;
    ULONG Index;

    (VOID)pthread_once(&HkpSegvOnce, HkpInstallFaultHandler);
    Base = mmap(NULL, Length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (Base == MAP_FAILED) {
        return NULL;
    }
    pthread_mutex_lock(&HkpPagingLock);
    for (Index = 0; Index < HK_PAGED_REGIONS; Index++) {
        if (HkpPagedRegions[Index].Base == 0) {
            HkpPagedRegions[Index].Length = Length;
            __atomic_store_n(&HkpPagedRegions[Index].Base, (ULONG_PTR)Base, __ATOMIC_RELEASE);
            break;
        }
    }
    __atomic_store_n(&HkpPagedResident, 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&HkpPagingLock);
    return Base;
}

VOID
HkpPagedFree(PVOID Address, SIZE_T Size)
{
    HK_PAGED_REGION *Region;

    pthread_mutex_lock(&HkpPagingLock);
    Region = HkpFindRegion((ULONG_PTR)Address);
    if (Region != NULL) {
        __atomic_store_n(&Region->Base, 0, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&HkpPagingLock);
    (VOID)munmap(Address, HkpPageLength(Size));
}

VOID
HkpPagedTrim(VOID)
{
    ULONG Index;

    if (__atomic_load_n(&HkpPagedResident, __ATOMIC_ACQUIRE) == 0) {
        return;
    }
    pthread_mutex_lock(&HkpPagingLock);
    __atomic_store_n(&HkpPagedResident, 0, __ATOMIC_RELEASE);
    for (Index = 0; Index < HK_PAGED_REGIONS; Index++) {
        if (HkpPagedRegions[Index].Base != 0) {
            (VOID)mprotect((PVOID)HkpPagedRegions[Index].Base, HkpPagedRegions[Index].Length, PROT_NONE);
        }
    }
    pthread_mutex_unlock(&HkpPagingLock);
}
