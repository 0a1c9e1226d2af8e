/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Test framework shared by every test source. Test bodies use only
 *              kernel DDIs and these macros (no libc), so the same file builds
 *              into the host runner and into the test driver.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model.
 *
 * Report format (one line each, identical on both kernels; the driver prefixes
 * nothing else, the Wine harness greps for "WMT "):
 *   WMT START <name>
 *   WMT PASS <name>
 *   WMT FAIL <name> <file>:<line> <message>
 *   WMT SKIP <name> <reason>
 *   WMT INFO <text>
 *   N passed, M failed, K skipped          (summary, last line)
 */
#ifndef WMTEST_H
#define WMTEST_H

#include <ntddk.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Test flags: what a test needs from the kernel it runs on. The runner
 * probes the kernel for each capability and skips, with the reason, tests
 * whose needs are not met. */
#define WMT_NEEDS_IRQL            0x0001 /* raises IRQL and expects it to read back   */
#define WMT_DEATH                 0x0002 /* must end in a bug check (child process)    */
#define WMT_KMUTEX_HANDOFF        0x0004 /* a waiter must get a released KMUTEX        */
#define WMT_HOST_ONLY             0x0008 /* uses host-model hooks (hostkernel.h)       */
#define WMT_SLOW                  0x0010 /* long stress; still run by default          */

typedef VOID WMT_ROUTINE(VOID);

typedef struct _WMT_TEST {
    PCSTR       Suite;          /* "kmutex"                                       */
    PCSTR       Name;           /* "lock_recursive"                               */
    WMT_ROUTINE *Routine;
    ULONG       Flags;
    ULONG       DeathCode;      /* death tests: expected bug check code            */
    ULONG_PTR   DeathParam1;    /* death tests: expected parameter 1               */
    BOOLEAN     CheckParam1;    /* compare DeathParam1 too                         */
} WMT_TEST;

/*
 * Declaring tests. Each test source ends with a table:
 *
 *   WMT_SUITE(kmutex) {
 *       WMT_CASE(kmutex, create_and_destroy, 0),
 *       WMT_DEATH_CASE(kmutex, release_by_non_owner, 0x1E, 0xC0000046),
 *   };
 *   WMT_SUITE_END(kmutex);
 *
 * and tests/cases/all_suites.h lists every suite once.
 */
#define WMT_TEST_FN(Suite, Name) static VOID WmtTest_##Suite##_##Name(VOID)
#define WMT_CASE(Suite, Name, Flags) \
    { #Suite, #Name, WmtTest_##Suite##_##Name, (Flags), 0, 0, FALSE }
#define WMT_DEATH_CASE(Suite, Name, Code, Param1) \
    { #Suite, #Name, WmtTest_##Suite##_##Name, WMT_DEATH | WMT_HOST_ONLY, (Code), (ULONG_PTR)(Param1), TRUE }
#define WMT_DEATH_CASE_ANY_PARAM(Suite, Name, Code) \
    { #Suite, #Name, WmtTest_##Suite##_##Name, WMT_DEATH | WMT_HOST_ONLY, (Code), 0, FALSE }
#define WMT_SUITE(Suite) const WMT_TEST WmtSuite_##Suite[] =
#define WMT_SUITE_END(Suite) \
    const ULONG WmtSuiteCount_##Suite = sizeof(WmtSuite_##Suite) / sizeof(WmtSuite_##Suite[0])
#define WMT_DECLARE_SUITE(Suite) \
    extern const WMT_TEST WmtSuite_##Suite[]; extern const ULONG WmtSuiteCount_##Suite

/* Checks. A failed check records the failure and returns from the test body. */
VOID WmtFail(_In_z_ PCSTR File, _In_ int Line, _In_z_ _Printf_format_string_ PCSTR Format, ...);
VOID WmtSkip(_In_z_ PCSTR Reason);
VOID WmtInfo(_In_z_ _Printf_format_string_ PCSTR Format, ...);
BOOLEAN WmtFailed(VOID);

#define WMT_CHECK(Cond)                                                        \
    do { if (!(Cond)) { WmtFail(__FILE__, __LINE__, "check failed: %s", #Cond); return; } } while (0)

#define WMT_CHECK_STATUS(Expr, Expected)                                       \
    do {                                                                       \
        NTSTATUS WmtS_ = (Expr);                                               \
        NTSTATUS WmtE_ = (Expected);                                           \
        if (WmtS_ != WmtE_) {                                                  \
            WmtFail(__FILE__, __LINE__, "%s returned 0x%08lx (%s), expected 0x%08lx (%s)", \
                    #Expr, (unsigned long)(ULONG)WmtS_, WmtStatusText(WmtS_),         \
                    (unsigned long)(ULONG)WmtE_, WmtStatusText(WmtE_));             \
            return;                                                            \
        }                                                                      \
    } while (0)

#define WMT_CHECK_EQ(A, B)                                                     \
    do {                                                                       \
        LONGLONG WmtA_ = (LONGLONG)(A), WmtB_ = (LONGLONG)(B);                 \
        if (WmtA_ != WmtB_) {                                                  \
            WmtFail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld",     \
                    #A, WmtA_, #B, WmtB_);                                     \
            return;                                                            \
        }                                                                      \
    } while (0)

/* Skips the rest of the test with a reason (counted as skipped, never passed). */
#define WMT_SKIP(Reason) do { WmtSkip(Reason); return; } while (0)

/* Names an NTSTATUS for failure messages (library codes and common kernel ones). */
PCSTR WmtStatusText(_In_ NTSTATUS Status);

/* --- Kernel capability probes, run once by the runner --------------------- */
BOOLEAN WmtKernelModelsIrql(VOID);     /* KeRaiseIrql(APC) reads back as APC   */
BOOLEAN WmtKernelHandsOffKMutex(VOID); /* a waiter gets a released KMUTEX       */

/* --- Helpers for test bodies (DDI-only, work on both kernels) ------------- */

/* Runs Routine(Context) on Count system threads and waits for all of them.
 * Returns STATUS_SUCCESS once every thread has finished. Count <= 16. */
NTSTATUS WmtRunThreads(_In_ ULONG Count, _In_ PKSTART_ROUTINE Routine, _In_opt_ PVOID Context);

/* Starts one system thread; WmtJoinThread waits for it and releases it. */
typedef struct _WMT_THREAD { PVOID Object; } WMT_THREAD;
NTSTATUS WmtStartThread(_Out_ WMT_THREAD *Thread, _In_ PKSTART_ROUTINE Routine, _In_opt_ PVOID Context);
NTSTATUS WmtJoinThread(_Inout_ WMT_THREAD *Thread);

/* Sleeps the current thread (PASSIVE_LEVEL) for Milliseconds. */
VOID WmtSleep(_In_ ULONG Milliseconds);

/* Relative timeout in 100 ns units for KeWaitForSingleObject-style calls. */
#define WMT_MS(Ms) ((LONGLONG)(Ms) * -10000LL)

/* --- Runner entry (implemented in wmtest.c) ------------------------------- */
typedef struct _WMT_RESULTS {
    ULONG Passed;
    ULONG Failed;
    ULONG Skipped;
} WMT_RESULTS;

/* Platform hooks each runner provides. */
VOID WmtPlatformPrint(_In_z_ PCSTR Text);            /* one line, no newline */
BOOLEAN WmtPlatformRunDeath(_In_ const WMT_TEST *Test, _Out_ PCSTR *Why); /* host forks */
BOOLEAN WmtPlatformCanRunHostOnly(VOID);
LONG WmtPlatformOutstandingPool(VOID);            /* library+test allocations alive */

/* Runs every test whose "suite.name" contains Filter (NULL = all). */
VOID WmtRunAll(_In_opt_z_ PCSTR Filter, _Out_ WMT_RESULTS *Results);

#ifdef __cplusplus
}
#endif
#endif /* WMTEST_H */
