/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Type safety of the typed layers, proven by the compiler:
 *              WMT_CASE=0 must compile; every other case is one misuse that
 *              must be rejected (tests/compile/run.sh checks both).
 * ENVIRONMENT: Compile only (-fsyntax-only), never run.
 */
#include <wdkmutex/wdkmutex.h>

WM_DECLARE_KMUTEX_TYPE(COUNTER, Counter, ULONG);
WM_DECLARE_KMUTEX_TYPE(OTHER, Other, ULONG);          /* same kind, same T  */
WM_DECLARE_FAST_MUTEX_TYPE(FAST_COUNTER, FastCounter, ULONG); /* other kind */
WM_DECLARE_KMUTEX_TYPE(SHORT_COUNTER, ShortCounter, USHORT);

#ifndef WMT_CASE
#define WMT_CASE 0
#endif

NTSTATUS WmtCompileCase(VOID);

NTSTATUS
WmtCompileCase(VOID)
{
    COUNTER Counter;
    COUNTER_GUARD Guard = { 0 };
    OTHER Other;
    OTHER_GUARD OtherGuard = { 0 };
    FAST_COUNTER Fast;
    FAST_COUNTER_GUARD FastGuard = { 0 };
    SHORT_COUNTER Short;
    ULONG Initial = 0;
    USHORT ShortValue = 0;
    NTSTATUS Status;

    Status = CounterCreate(&Counter, &Initial, NULL);
    Status = OtherCreate(&Other, &Initial, NULL);
    Status = FastCounterCreate(&Fast, &Initial, NULL);
    Status = ShortCounterCreate(&Short, &ShortValue, NULL);

#if WMT_CASE == 0
    /* Correct use: everything matches. */
    Status = CounterLock(Counter, &Guard);
    *Guard.Value += 1;
    Status = CounterUnlock(&Guard);
    Status = OtherLock(Other, &OtherGuard);
    Status = OtherUnlock(&OtherGuard);
    Status = FastCounterLock(Fast, &FastGuard);
    Status = FastCounterUnlock(&FastGuard);
    Status = CounterIntoInner(&Counter, &Initial);
    {
        COUNTER_GUARD Scoped WM_AUTO_UNLOCK(COUNTER) = { 0 };
        Status = CounterLock(Counter, &Scoped);
    }
    {
        static COUNTER_STORAGE Storage;
        Status = CounterLock(CounterFromStorage(&Storage), &Guard);
    }
#elif WMT_CASE == 1
    /* A handle of another declaration (same kind, same value type). */
    Status = OtherLock(Counter, &OtherGuard);
#elif WMT_CASE == 2
    /* A handle of another kind. */
    Status = FastCounterLock(Counter, &FastGuard);
#elif WMT_CASE == 3
    /* A guard of another declaration. */
    Status = CounterLock(Counter, &OtherGuard);
#elif WMT_CASE == 4
    /* Unlocking with a guard of another declaration. */
    Status = CounterUnlock(&FastGuard);
#elif WMT_CASE == 5
    /* The guard's value is a ULONG, not a USHORT. */
    {
        USHORT *Wrong = Guard.Value;
        (VOID)Wrong;
    }
#elif WMT_CASE == 6
    /* Initial value of the wrong type. */
    Status = CounterCreate(&Counter, &ShortValue, NULL);
#elif WMT_CASE == 7
    /* Moving the value out into the wrong type. */
    Status = CounterIntoInner(&Counter, &ShortValue);
#elif WMT_CASE == 8
    /* Handles do not convert into each other. */
    Other = Counter;
#elif WMT_CASE == 9
    /* Destroy takes the handle's address (it clears the handle). */
    Status = CounterDestroy(Counter);
#elif WMT_CASE == 10
    /* A scoped guard released by another declaration's cleanup. */
    {
        OTHER_GUARD Scoped WM_AUTO_UNLOCK(COUNTER) = { 0 };
        Status = OtherLock(Other, &Scoped);
    }
#elif WMT_CASE == 11
    /* A raw pointer is not a handle. */
    Status = CounterLock(&Initial, &Guard);
#elif WMT_CASE == 12
    /* Into-pool hands out a T *, not another pointer type. */
    {
        USHORT *Moved;
        Status = CounterIntoPool(&Counter, &Moved);
    }
#elif WMT_CASE == 13
    /* The handle of caller storage comes from that declaration's storage. */
    {
        static OTHER_STORAGE Storage;
        Status = CounterLock(CounterFromStorage(&Storage), &Guard);
    }
#else
#error "unknown WMT_CASE"
#endif
    (VOID)Short;
    return Status;
}
