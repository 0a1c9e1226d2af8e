/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     Time, processor queries and the Rtl string/memory routines the
 *              model exports.
 * ENVIRONMENT: Host (Linux user mode).
 */
#define _GNU_SOURCE
#include <sched.h>

#include "hkp.h"

#define HK_TIME_INCREMENT 156250 /* 15.625 ms clock tick in 100 ns units */

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

VOID NTAPI
KeQuerySystemTime(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = HkpSystemTime();
}

VOID NTAPI
KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime)
{
    CurrentTime->QuadPart = HkpSystemTime();
}

ULONGLONG NTAPI
KeQueryInterruptTime(VOID)
{
    return (ULONGLONG)HkpMonotonic100ns();
}

ULONGLONG NTAPI
KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp)
{
    ULONGLONG Now = (ULONGLONG)HkpMonotonic100ns();

    if (QpcTimeStamp != NULL) {
        *QpcTimeStamp = Now;
    }
    return Now;
}

LARGE_INTEGER NTAPI
KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency)
{
    LARGE_INTEGER Counter;

    /* A 10 MHz counter, as Windows reports on most current machines. */
    if (PerformanceFrequency != NULL) {
        PerformanceFrequency->QuadPart = 10000000;
    }
    Counter.QuadPart = HkpMonotonic100ns();
    return Counter;
}

VOID NTAPI
KeQueryTickCount(PLARGE_INTEGER CurrentCount)
{
    CurrentCount->QuadPart = HkpMonotonic100ns() / HK_TIME_INCREMENT;
}

ULONG NTAPI
KeQueryTimeIncrement(VOID)
{
    return HK_TIME_INCREMENT;
}

VOID NTAPI
KeStallExecutionProcessor(ULONG MicroSeconds)
{
    /* Busy-waits like the real routine (callers may be at DISPATCH_LEVEL). */
    LONGLONG End = HkpMonotonic100ns() + (LONGLONG)MicroSeconds * 10;

    while (HkpMonotonic100ns() < End) {
        YieldProcessor();
    }
}

ULONG NTAPI
KeGetCurrentProcessorNumber(VOID)
{
    return 0; /* one processor is all the model exposes */
}

ULONG NTAPI
KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors)
{
    if (ActiveProcessors != NULL) {
        *ActiveProcessors = 1;
    }
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Rtl                                                                      */
/* ------------------------------------------------------------------------ */

SIZE_T NTAPI
RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length)
{
    const UCHAR *A = (const UCHAR *)Source1;
    const UCHAR *B = (const UCHAR *)Source2;
    SIZE_T Index;

    for (Index = 0; Index < Length && A[Index] == B[Index]; Index++) {
    }
    return Index; /* bytes that match, from the start */
}

VOID NTAPI
RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    SIZE_T Length = 0;

    DestinationString->Buffer = (PWCH)SourceString;
    if (SourceString == NULL) {
        DestinationString->Length = 0;
        DestinationString->MaximumLength = 0;
        return;
    }
    while (SourceString[Length] != 0) {
        Length++;
    }
    if (Length > (MAXUSHORT / sizeof(WCHAR)) - 1) {
        Length = (MAXUSHORT / sizeof(WCHAR)) - 1;
    }
    DestinationString->Length = (USHORT)(Length * sizeof(WCHAR));
    DestinationString->MaximumLength = (USHORT)(DestinationString->Length + sizeof(WCHAR));
}

VOID NTAPI
RtlInitString(PSTRING DestinationString, PCSTR SourceString)
{
    SIZE_T Length;

    DestinationString->Buffer = (PCHAR)SourceString;
    if (SourceString == NULL) {
        DestinationString->Length = 0;
        DestinationString->MaximumLength = 0;
        return;
    }
    Length = strlen(SourceString);
    if (Length > MAXUSHORT - 1) {
        Length = MAXUSHORT - 1;
    }
    DestinationString->Length = (USHORT)Length;
    DestinationString->MaximumLength = (USHORT)(Length + 1);
}

VOID NTAPI
RtlInitAnsiString(PANSI_STRING DestinationString, PCSTR SourceString)
{
    RtlInitString(DestinationString, SourceString);
}

static WCHAR
HkpUpcase(WCHAR Char)
{
    return (Char >= 'a' && Char <= 'z') ? (WCHAR)(Char - ('a' - 'A')) : Char; /* ASCII only */
}

LONG NTAPI
RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    USHORT Length1 = String1->Length / sizeof(WCHAR);
    USHORT Length2 = String2->Length / sizeof(WCHAR);
    USHORT Index;

    for (Index = 0; Index < Length1 && Index < Length2; Index++) {
        WCHAR A = String1->Buffer[Index];
        WCHAR B = String2->Buffer[Index];
        if (CaseInSensitive) {
            A = HkpUpcase(A);
            B = HkpUpcase(B);
        }
        if (A != B) {
            return (LONG)A - (LONG)B;
        }
    }
    return (LONG)Length1 - (LONG)Length2;
}

BOOLEAN NTAPI
RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    return (BOOLEAN)(String1->Length == String2->Length &&
                     RtlCompareUnicodeString(String1, String2, CaseInSensitive) == 0);
}
