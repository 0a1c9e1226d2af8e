/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Compiler portability: SAL fallbacks, inline, alignment, relaxed
 *              atomics, pool tags. Every public header includes this first.
 * ENVIRONMENT: Kernel mode (WDK/MSVC, mingw-w64 gcc/clang); also the host model.
 */
#ifndef WDKMUTEX_COMPILER_H
#define WDKMUTEX_COMPILER_H

#include <ntddk.h>
#include <stddef.h> /* offsetof: compiler-provided, no libc */

/* --- SAL annotations the mingw-w64 DDK headers do not define -------------- */
/* MSVC's sal.h defines all of them; these empty fallbacks keep the
 * annotations in the source for /analyze while other compilers ignore them. */
#ifndef _IRQL_requires_max_
#define _IRQL_requires_max_(x)
#endif
#ifndef _IRQL_requires_min_
#define _IRQL_requires_min_(x)
#endif
#ifndef _IRQL_requires_
#define _IRQL_requires_(x)
#endif
#ifndef _IRQL_raises_
#define _IRQL_raises_(x)
#endif
#ifndef _IRQL_saves_
#define _IRQL_saves_
#endif
#ifndef _IRQL_restores_
#define _IRQL_restores_
#endif
#ifndef _IRQL_saves_global_
#define _IRQL_saves_global_(k, p)
#endif
#ifndef _IRQL_restores_global_
#define _IRQL_restores_global_(k, p)
#endif
#ifndef _IRQL_requires_same_
#define _IRQL_requires_same_
#endif
#ifndef _Acquires_lock_
#define _Acquires_lock_(x)
#endif
#ifndef _Releases_lock_
#define _Releases_lock_(x)
#endif
#ifndef _Acquires_exclusive_lock_
#define _Acquires_exclusive_lock_(x)
#endif
#ifndef _Acquires_shared_lock_
#define _Acquires_shared_lock_(x)
#endif
#ifndef _Releases_exclusive_lock_
#define _Releases_exclusive_lock_(x)
#endif
#ifndef _Releases_shared_lock_
#define _Releases_shared_lock_(x)
#endif
#ifndef _Requires_lock_held_
#define _Requires_lock_held_(x)
#endif
#ifndef _Requires_lock_not_held_
#define _Requires_lock_not_held_(x)
#endif
#ifndef _Requires_no_locks_held_
#define _Requires_no_locks_held_
#endif
#ifndef _Guarded_by_
#define _Guarded_by_(x)
#endif
#ifndef _Interlocked_
#define _Interlocked_
#endif
#ifndef _Must_inspect_result_
#define _Must_inspect_result_
#endif
#ifndef _Check_return_
#define _Check_return_
#endif
#ifndef _Success_
#define _Success_(x)
#endif
#ifndef _When_
#define _When_(c, a)
#endif
#ifndef _Use_decl_annotations_
#define _Use_decl_annotations_
#endif
#ifndef _In_
#define _In_
#endif
#ifndef _In_opt_
#define _In_opt_
#endif
#ifndef _In_z_
#define _In_z_
#endif
#ifndef _In_opt_z_
#define _In_opt_z_
#endif
#ifndef _Inout_
#define _Inout_
#endif
#ifndef _Out_
#define _Out_
#endif
#ifndef _Out_opt_
#define _Out_opt_
#endif
#ifndef _Outptr_
#define _Outptr_
#endif
#ifndef _Outptr_result_maybenull_
#define _Outptr_result_maybenull_
#endif
#ifndef _In_reads_bytes_
#define _In_reads_bytes_(s)
#endif
#ifndef _In_reads_bytes_opt_
#define _In_reads_bytes_opt_(s)
#endif
#ifndef _Out_writes_bytes_
#define _Out_writes_bytes_(s)
#endif
#ifndef _Out_writes_bytes_all_
#define _Out_writes_bytes_all_(s)
#endif
#ifndef _Ret_maybenull_
#define _Ret_maybenull_
#endif
#ifndef _Ret_z_
#define _Ret_z_
#endif
#ifndef _Printf_format_string_
#define _Printf_format_string_
#endif
#ifndef _Post_writable_byte_size_
#define _Post_writable_byte_size_(s)
#endif

/* --- Language helpers ------------------------------------------------------ */

#if defined(_MSC_VER) && !defined(__clang__)
#define WM_INLINE static __inline
#else
#define WM_INLINE static inline
#endif

/* Functions a declarator macro generates in the user's file: most go unused,
 * which clang reports for static functions outside headers. */
#if defined(__GNUC__) || defined(__clang__)
#define WM_GENERATED static inline __attribute__((unused))
#else
#define WM_GENERATED static __inline
#endif

#if defined(__GNUC__) || defined(__clang__)
#define WM_HAS_CLEANUP_ATTRIBUTE 1
#define WM_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define WM_HAS_CLEANUP_ATTRIBUTE 0
#define WM_WARN_UNUSED
#endif

/* Branch layout hint for the lock fast path: the unlikely side goes out of
 * line, so the common path falls through (no taken jump, no moved block). */
#if defined(__GNUC__) || defined(__clang__)
#define WMP_UNLIKELY(Cond) __builtin_expect(!!(Cond), 0)
#else
#define WMP_UNLIKELY(Cond) (Cond)
#endif

#define WM_ALIGNOF(T) _Alignof(T)
#define WM_STATIC_ASSERT(Cond, Msg) _Static_assert(Cond, Msg)

/*
 * Identity of the calling thread, for owner records and recursion checks;
 * read on every lock and unlock, so it must cost what a raw DDI call costs.
 * On x64 KeGetCurrentThread is an inline read of gs:[188h] (the WDK's and
 * mingw-w64's headers alike): one instruction on Windows and in the host
 * model, and that is all a default build reads.
 *
 * WM_THREAD_IDENTITY_FALLBACK=1 is for kernels that do not map gs:[188h] to
 * the thread: Wine's ntoskrnl, where it reads 0 on every thread. There a
 * NULL read falls back to the exported PsGetCurrentThreadId, unique among
 * live threads (a kernel maps gs:[188h] for every thread or for none, so
 * one system never mixes the two kinds of identity). That test costs about
 * 4 instructions per lock + unlock, which Windows drivers need not pay: a
 * default build instead refuses to initialise any lock, and the registry,
 * on such a kernel (STATUS_NOT_SUPPORTED; WmpThreadIdentityMapped), so it
 * never mistakes one thread for another.
 * Elsewhere (x86: fs:[124h] is TEB data under Wine) the export is used.
 */
#ifndef WM_THREAD_IDENTITY_FALLBACK
#define WM_THREAD_IDENTITY_FALLBACK 0
#endif

#if (defined(_M_AMD64) || defined(__x86_64__)) && WM_THREAD_IDENTITY_FALLBACK
/* PsGetCurrentThreadId out of line (lock.c), declared const as glibc
 * declares pthread_self: within one thread its answer never changes, so the
 * compiler knows the call reads and writes no memory and may reuse one
 * answer from lock to unlock. Without that, the fallback's call would make
 * it reload, on the common path too, what the call might have changed. */
#if defined(__GNUC__) || defined(__clang__)
#define WMP_CONST_FUNCTION __attribute__((const))
#else
#define WMP_CONST_FUNCTION
#endif
PVOID WmpCurrentThreadIdSlow(VOID) WMP_CONST_FUNCTION;

WM_INLINE PVOID
WmpCurrentThreadIdentity(VOID)
{
    PVOID Thread = (PVOID)KeGetCurrentThread();

    return Thread != NULL ? Thread : WmpCurrentThreadIdSlow();
}

/* TRUE when Thread, a WmpCurrentThreadIdentity() value, is the caller: one
 * load and compare where gs:[188h] is mapped. Where it reads NULL, a NULL
 * Thread is taken for the caller: free reader slots hold WMP_OWNER_FREE
 * instead (lock.h), and a torn-down lock's NULL owner is refused by its
 * token (lock.c). */
WM_INLINE BOOLEAN
WmpIsCurrentThreadIdentity(_In_opt_ PVOID Thread)
{
    PVOID Current = (PVOID)KeGetCurrentThread();

    if (Current == Thread) {
        return TRUE;
    }
    return Current == NULL && WmpCurrentThreadIdSlow() == Thread;
}
#define WmpThreadIdentityMapped() TRUE
#elif defined(_M_AMD64) || defined(__x86_64__)
#define WmpCurrentThreadIdentity() ((PVOID)KeGetCurrentThread())
#define WmpIsCurrentThreadIdentity(Thread) ((PVOID)KeGetCurrentThread() == (PVOID)(Thread))
/* Checked by every initialisation before anything else (it is the one
 * check that must not touch the kernel's per-thread state). */
#define WmpThreadIdentityMapped() (KeGetCurrentThread() != NULL)
#else
#define WmpCurrentThreadIdentity() ((PVOID)PsGetCurrentThreadId())
#define WmpIsCurrentThreadIdentity(Thread) ((PVOID)PsGetCurrentThreadId() == (PVOID)(Thread))
#define WmpThreadIdentityMapped() TRUE
#endif

/* Pool tags built from characters so a pool dump shows them as written
 * (the seed crate encoded its tags in two different byte orders). */
#define WM_MAKE_TAG(A, B, C, D) \
    ((ULONG)(A) | ((ULONG)(B) << 8) | ((ULONG)(C) << 16) | ((ULONG)(D) << 24))

/*
 * Relaxed pointer access for fields one thread writes under a lock while
 * others only compare them to themselves (ownership checks). A relaxed atomic
 * is enough: a thread can only ever read its own value back if it wrote it.
 * Under ThreadSanitizer the GNU builtins keep it precise; elsewhere a
 * volatile access, what the WDK's ReadPointerNoFence and Linux's READ_ONCE
 * do, because compilers treat relaxed builtins as barriers to combining the
 * lock path's other loads (the current thread, the IRQL).
 */
#if defined(__SANITIZE_THREAD__)
#define WMP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WMP_TSAN 1
#endif
#endif
#if defined(WMP_TSAN)
#define WmpLoadPointerRelaxed(P)     __atomic_load_n((P), __ATOMIC_RELAXED)
#define WmpStorePointerRelaxed(P, V) __atomic_store_n((P), (V), __ATOMIC_RELAXED)
#else
#define WmpLoadPointerRelaxed(P)     (*(PVOID volatile *)(P))
#define WmpStorePointerRelaxed(P, V) ((VOID)(*(PVOID volatile *)(P) = (V)))
#endif
/* A read of a pointer another thread may be writing, whose outcome no
 * stale, repeated or merged read can change: the acquisition's first look at
 * Owner, which only goes further when Owner is not WMP_OWNER_FREE and then
 * compares it with values that cannot change under the reader (its own
 * identity, which only it stores or clears; NULL, which only teardown
 * stores). Unmarked, so a compiler may compare it in memory (volatile
 * forbids that to GCC). Marked under ThreadSanitizer, like the rest. */
/* Its writing side: the holder's record of itself in a field other threads
 * only Peek at, or read to refuse teardown of a held lock. The holder's own
 * later Peek is answered from the store (a lock and unlock with nothing
 * opaque between compare nothing in memory), and the store is always made,
 * where other threads can see it, even when the same thread stores again
 * before reading it. GCC: an unmarked store, then an empty asm that reads
 * the field (it writes nothing, so the value still carries over); clang
 * carries a relaxed atomic store's value over itself (GCC does not). An
 * aligned word: never torn. Elsewhere a volatile store. */
#if defined(WMP_TSAN)
#define WmpPeekPointer(P)            __atomic_load_n((P), __ATOMIC_RELAXED)
#else
#define WmpPeekPointer(P)            (*(P))
#endif
#if defined(WMP_TSAN) || defined(__clang__)
#define WmpPokePointer(P, V)         __atomic_store_n((P), (V), __ATOMIC_RELAXED)
#elif defined(__GNUC__)
#define WmpPokePointer(P, V)         do { *(P) = (V); __asm__("" : : "m"(*(P))); } while (0)
#else
#define WmpPokePointer(P, V)         (*(PVOID volatile *)(P) = (V))
#endif
/* The holder's step of a counter it alone writes and other threads only Peek
 * at (a reader slot's sequence: lock.h): an unmarked add, marked under
 * ThreadSanitizer. GCC and clang: the empty asm makes the compiler forget
 * the value it last read there (the holder's token), so the add is one
 * instruction in memory instead of that read kept live, an add and a store. */
#if defined(WMP_TSAN)
#define WmpStepWord(P) \
    __atomic_store_n((P), __atomic_load_n((P), __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED)
#elif defined(__GNUC__) || defined(__clang__)
#define WmpStepWord(P)               do { __asm__("" : "+m"(*(P))); *(P) += 1; } while (0)
#else
#define WmpStepWord(P)               ((VOID)(*(P) += 1))
#endif
/* Acquire loads are off the fast path. Acquire ordering with GCC and clang;
 * with MSVC a volatile load, acquire under /volatile:ms, which the library's
 * own sources require (wmp.h). The one use in a public header, lock.h's
 * WmpLockIsHeld, is called only from the library's sources (teardown, the
 * registry). The release store frees a slot whose next holder reads what
 * this holder wrote beside it (lock.h's reader slots): on x86 a plain store;
 * with MSVC a volatile store, which every use follows an interlocked
 * operation with (a full barrier), whatever /volatile says. */
#if defined(__GNUC__) || defined(__clang__)
#define WmpLoadLongAcquire(P)        __atomic_load_n((P), __ATOMIC_ACQUIRE)
#define WmpLoadPointerAcquire(P)     __atomic_load_n((P), __ATOMIC_ACQUIRE)
#define WmpStorePointerRelease(P, V) __atomic_store_n((P), (V), __ATOMIC_RELEASE)
#else
#define WmpLoadLongAcquire(P)        (*(LONG volatile *)(P))
#define WmpLoadPointerAcquire(P)     (*(PVOID volatile *)(P))
#define WmpStorePointerRelease(P, V) ((VOID)(*(PVOID volatile *)(P) = (V)))
#endif

/* Interlocked: *P = New if *P == Expected (full barrier); TRUE if it was.
 * The GNU builtin hands the compiler the instruction's own flag, where a
 * compare of the returned value is one more instruction. */
WM_INLINE BOOLEAN
WmpTryClaimPointer(_Inout_ PVOID volatile *P, _In_opt_ PVOID New, _In_opt_ PVOID Expected)
{
#if defined(__GNUC__) || defined(__clang__)
    return (BOOLEAN)__atomic_compare_exchange_n(P, &Expected, New, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
#else
    return (BOOLEAN)(InterlockedCompareExchangePointer(P, New, Expected) == Expected);
#endif
}

/* Adds V to a pointer-sized word declared PVOID, interlocked (full barrier).
 * The GNU builtin works on the pointer itself, unscaled, so no access goes
 * through another type (GCC and clang alias by type); MSVC does not, and
 * takes the WDK's pointer-sized add. */
#if defined(__GNUC__) || defined(__clang__)
#define WmpInterlockedAddPointer(P, V) ((VOID)__atomic_fetch_add((P), (V), __ATOMIC_SEQ_CST))
#else
#define WmpInterlockedAddPointer(P, V) ((VOID)InterlockedExchangeAddSizeT((P), (V)))
#endif

#endif /* WDKMUTEX_COMPILER_H */
