/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     What the library test sources share: the value type the tests
 *              lock, non-returning checks for code that must go on (helper
 *              threads, code between starting and joining a thread, code at
 *              raised IRQL), and small DDI-only helpers.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model. No libc.
 */
#ifndef WMT_CASES_H
#define WMT_CASES_H

#include "wmtest.h"
#include <wdkmutex/wdkmutex.h>

#ifdef WM_HOST_MODEL
#include "hostkernel.h"
#endif

/* The value every lock test owns: a counter plus bytes that show whether a
 * copy (into-inner, into-pool, the destructor's view) carried all of it. */
typedef struct _WMT_VALUE {
    LONGLONG Counter;
    ULONG    Tag;
    UCHAR    Bytes[13];
} WMT_VALUE;

#define WMT_VALUE_TAG 0x5EED5EEDUL

/* xorshift32: the randomized tests' generator, deterministic on both kernels. */
WM_INLINE ULONG
WmtRandom(_Inout_ ULONG *State)
{
    ULONG X = *State;

    X ^= X << 13;
    X ^= X >> 17;
    X ^= X << 5;
    *State = X;
    return X;
}

/* A recognisable value: Counter as given, Tag fixed, Bytes[i] = Seed + i. */
WM_INLINE VOID
WmtFillValue(_Out_ WMT_VALUE *Value, _In_ LONGLONG Counter, _In_ UCHAR Seed)
{
    ULONG Index;

    RtlZeroMemory(Value, sizeof(*Value));
    Value->Counter = Counter;
    Value->Tag = WMT_VALUE_TAG;
    for (Index = 0; Index < sizeof(Value->Bytes); Index++) {
        Value->Bytes[Index] = (UCHAR)(Seed + Index);
    }
}

WM_INLINE BOOLEAN
WmtValueEquals(_In_ const WMT_VALUE *A, _In_ const WMT_VALUE *B)
{
    ULONG Index;

    if (A->Counter != B->Counter || A->Tag != B->Tag) {
        return FALSE;
    }
    for (Index = 0; Index < sizeof(A->Bytes); Index++) {
        if (A->Bytes[Index] != B->Bytes[Index]) {
            return FALSE;
        }
    }
    return TRUE;
}

WM_INLINE BOOLEAN
WmtValueIsZero(_In_ const WMT_VALUE *Value)
{
    const UCHAR *Byte = (const UCHAR *)Value;
    ULONG Index;

    for (Index = 0; Index < sizeof(*Value); Index++) {
        if (Byte[Index] != 0) {
            return FALSE;
        }
    }
    return TRUE;
}

WM_INLINE BOOLEAN
WmtStringEquals(_In_z_ PCSTR A, _In_z_ PCSTR B)
{
    while (*A != '\0' && *A == *B) {
        A++;
        B++;
    }
    return *A == *B;
}

/*
 * Checks that record a failure and carry on. Use them wherever returning
 * early would strand something: inside helper threads (their events must
 * still be set), between starting and joining a thread (the thread may use
 * the caller's stack), and at raised IRQL (lower first, then return).
 */
#define WMT_EXPECT(Cond)                                                       \
    do { if (!(Cond)) WmtFail(__FILE__, __LINE__, "check failed: %s", #Cond); } while (0)

#define WMT_EXPECT_STATUS(Expr, Expected)                                      \
    do {                                                                       \
        NTSTATUS WmtS_ = (Expr);                                               \
        NTSTATUS WmtE_ = (Expected);                                           \
        if (WmtS_ != WmtE_) {                                                  \
            WmtFail(__FILE__, __LINE__, "%s returned 0x%08lx (%s), expected 0x%08lx (%s)", \
                    #Expr, (unsigned long)(ULONG)WmtS_, WmtStatusText(WmtS_),         \
                    (unsigned long)(ULONG)WmtE_, WmtStatusText(WmtE_));               \
        }                                                                      \
    } while (0)

#define WMT_EXPECT_EQ(A, B)                                                    \
    do {                                                                       \
        LONGLONG WmtA_ = (LONGLONG)(A), WmtB_ = (LONGLONG)(B);                 \
        if (WmtA_ != WmtB_) {                                                  \
            WmtFail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld",     \
                    #A, WmtA_, #B, WmtB_);                                     \
        }                                                                      \
    } while (0)

/* Returns from the test if any check (any thread) has failed so far. */
#define WMT_STOP_IF_FAILED() do { if (WmtFailed()) return; } while (0)

/* TRUE when the running kernel exports AsciiName. PASSIVE_LEVEL. */
WM_INLINE BOOLEAN
WmtKernelExports(_In_z_ PCSTR AsciiName)
{
    WCHAR Buffer[64];
    UNICODE_STRING Name;
    USHORT Length = 0;

    while (AsciiName[Length] != '\0' && Length < (sizeof(Buffer) / sizeof(Buffer[0])) - 1) {
        Buffer[Length] = (WCHAR)AsciiName[Length];
        Length++;
    }
    Buffer[Length] = 0;
    Name.Buffer = Buffer;
    Name.Length = (USHORT)(Length * sizeof(WCHAR));
    Name.MaximumLength = (USHORT)(Name.Length + sizeof(WCHAR));
    return MmGetSystemRoutineAddress(&Name) != NULL;
}

/* TRUE when holding a KMUTEX puts the holder in a critical region
 * (KeAreApcsDisabled() TRUE), as Windows does; Wine 8 does not model APC
 * state for mutexes. Probed on a raw KMUTEX. PASSIVE_LEVEL. */
WM_INLINE BOOLEAN
WmtKernelKMutexDisablesApcs(VOID)
{
    KMUTEX Mutex;
    BOOLEAN Disabled = FALSE;

    KeInitializeMutex(&Mutex, 0);
    if (KeWaitForSingleObject(&Mutex, Executive, KernelMode, FALSE, NULL) == STATUS_SUCCESS) {
        Disabled = KeAreApcsDisabled();
        (VOID)KeReleaseMutex(&Mutex, FALSE);
    }
    return Disabled;
}

#define WMT_NO_KMUTEX_APC_MODEL_REASON \
    "kernel does not disable APCs for a KMUTEX holder (KeAreApcsDisabled() FALSE while held; Wine 8)"

/* Raises to Irql (which must not be below the current one) and returns the
 * previous IRQL for WmtLowerIrql. */
WM_INLINE KIRQL
WmtRaiseIrql(_In_ KIRQL Irql)
{
    KIRQL Old;

    KeRaiseIrql(Irql, &Old);
    return Old;
}

#define WmtLowerIrql(Old) KeLowerIrql(Old)

#endif /* WMT_CASES_H */
