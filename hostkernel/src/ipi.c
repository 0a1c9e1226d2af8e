/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     KeIpiGenericCall: a broadcast to every processor at IPI_LEVEL.
 * ENVIRONMENT: Host (Linux user mode).
 *
 * What callers rely on is the side effect of the interrupt: when the call
 * returns, every processor has been interrupted after the caller's earlier
 * stores were visible, so each has executed a full barrier (the asymmetric
 * Dekker of FlushProcessWriteBuffers). The model's "processors" are the
 * process's threads, and Linux gives exactly that guarantee with
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): every running thread of the
 * process executes a full barrier before the syscall returns (threads not
 * running have passed one at their last context switch). The routine itself
 * then runs on the caller's thread, once per processor the model reports.
 *
 * Availability: the expedited command needs a one-time registration. When
 * the kernel refuses it (old kernel, seccomp), MmGetSystemRoutineAddress does
 * not return KeIpiGenericCall, so callers that resolve it at run time take
 * their fallback; a direct call still runs the routine but gives only the
 * caller's own full barrier.
 */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hkp.h"

static pthread_once_t HkpIpiOnce = PTHREAD_ONCE_INIT;
static BOOLEAN HkpIpiRegistered; /* written once under HkpIpiOnce */

static void
HkpIpiRegister(void)
{
    HkpIpiRegistered = syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/* A full barrier for the caller (a locked instruction; GCC's TSan rejects
 * atomic_thread_fence). */
static VOID
HkpFullBarrier(VOID)
{
    LONG volatile Barrier = 0;

    (VOID)__atomic_exchange_n(&Barrier, 1, __ATOMIC_SEQ_CST);
}

BOOLEAN
HkpIpiAvailable(VOID)
{
    pthread_once(&HkpIpiOnce, HkpIpiRegister);
    return HkpIpiRegistered;
}

ULONG_PTR NTAPI
KeIpiGenericCall(PKIPI_BROADCAST_WORKER BroadcastFunction, ULONG_PTR Context)
{
    PKTHREAD Thread = HkpCurrentThread();
    KIRQL OldIrql = Thread->Irql;
    ULONG_PTR Result = 0;
    ULONG Processors;
    ULONG Index;

    /* The DDI page gives IRQL <= DISPATCH_LEVEL; the reference has no
     * verifier rule for KeIpiGenericCall, so the model reports it as the Ke
     * rule for that bound, IrqlKeDispatchLte (0xC4/0x00020011, P2 IRQL). */
    if (OldIrql > DISPATCH_LEVEL) {
        HkpVerifierBugCheck(HK_RULE_IRQL_KE_DISPATCH_LTE, OldIrql, BroadcastFunction, 0);
    }
    HkpFullBarrier();
    if (HkpIpiAvailable()) {
        (VOID)syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    }
    Processors = KeQueryActiveProcessorCount(NULL);
    HkpRaiseIrql(Thread, IPI_LEVEL);
    for (Index = 0; Index < Processors; Index++) {
        Result = BroadcastFunction(Context);
    }
    HkpRaiseIrql(Thread, OldIrql); /* back to the caller's IRQL, unchecked */
    HkpFullBarrier();
    return Result;
}
