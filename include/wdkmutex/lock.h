/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The generic core every data-owning lock is built on: the lock
 *              header, the per-kind operations table, the guard, and the
 *              generator of typed layers and scoped-release forms.
 * ENVIRONMENT: Kernel mode.
 *
 * Strict semantics shared by every lock kind:
 *  - A lock owns one value. The value is reached only through a guard that a
 *    successful lock call arms; the guard's Value pointer has the value's own
 *    type and is NULL whenever the guard is not armed.
 *  - Every lock call checks IRQL before touching the lock and returns an
 *    NTSTATUS; none bug-checks on a caller's mistake.
 *  - Unlock releases exactly once and disarms the guard; a second unlock of
 *    the same guard returns STATUS_WM_NOT_LOCKED and releases nothing.
 *  - Only the acquiring thread may unlock (STATUS_WM_NOT_OWNER otherwise).
 *    A copy of an armed guard is refused with STATUS_WM_NOT_OWNER once either
 *    it or the original has released (see WM_GUARD.Token; a queued spin
 *    lock's guard must not move while armed, and a copy of one is refused at
 *    once): one acquisition is never released twice.
 *  - A recursive kind's nested guards are released newest first; an older
 *    one is refused (STATUS_WM_NOT_OWNER, nothing released) until the newer
 *    ones have been. Scoped release does this by construction.
 *  - Destroy, into-inner and into-pool refuse a held lock (STATUS_WM_MUTEX_HELD)
 *    and one the registry owns (STATUS_WM_OWNED_BY_REGISTRY).
 *  - A lock object must not be copied or moved after creation (the kernel
 *    object inside it links into kernel lists); pass the handle instead.
 */
#ifndef WDKMUTEX_LOCK_H
#define WDKMUTEX_LOCK_H

#include "compiler.h"
#include "status.h"
#include "pool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _WM_LOCK_HEADER WM_LOCK_HEADER, *PWM_LOCK_HEADER;
typedef struct _WM_GUARD WM_GUARD, *PWM_GUARD;

/* Pointer-sized words that hold a KLOCK_QUEUE_HANDLE (two pointers and an
 * IRQL on every architecture the WDK targets; checked in spin_lock.c). */
#define WMP_QUEUE_HANDLE_WORDS 3

/* A reader's record in a kind with shared guards (WMP_KIND_SHARED): the
 * kind claims one for each shared acquisition (interlocked) and clears it at
 * release. The sequence is the shared guard's token (see WM_GUARD.Token). */
typedef struct _WM_READER_SLOT {
    PVOID volatile Thread;   /* the reader holding it; WMP_OWNER_FREE when free
                                (never a thread, and unlike NULL never what
                                the owner check reads as the caller under
                                Wine, where gs:[188h] is NULL: compiler.h)   */
    ULONG_PTR      Sequence; /* shared acquisitions released through it: the
                                token of the live one. Only the holder writes
                                it (WmpStepWord); a stale guard's release
                                check may Peek at it meanwhile             */
} WM_READER_SLOT, *PWM_READER_SLOT;

/* Destructor for an owned value, run by destroy (never by into-inner or
 * into-pool, which hand the value out). Called at the IRQL of the destroy
 * call. The parameter converts to the value's type without a cast. */
typedef VOID WM_VALUE_DESTRUCTOR(_Inout_ PVOID Value);
typedef WM_VALUE_DESTRUCTOR *PWM_VALUE_DESTRUCTOR;

/* Lock-with-timeout values, in the kernel's 100 ns units and sign convention
 * (negative = relative, positive = absolute system time, 0 = do not wait). */
#define WM_TIMEOUT_MS(Ms) ((LONGLONG)(Ms) * -10000LL)

/*
 * Operations of one lock kind. A new primitive supplies one constant table;
 * the generic core (create, lock, unlock, destroy, into-inner, into-pool) and
 * the registry work through it unchanged.
 */
typedef struct _WM_LOCK_OPS {
    PCSTR Name;             /* "KMutex", "FastMutex", ...                        */
    ULONG ObjectSize;       /* sizeof the kind's lock object (header included)  */
    BOOLEAN Recursive;      /* the owner may acquire again (else the core refuses
                               with STATUS_WM_RECURSIVE_ACQUIRE)                  */
    /* Initialises the kernel object inside a zeroed lock object. */
    VOID (*Initialize)(_Inout_ PWM_LOCK_HEADER Lock);
    /* Acquires. Timeout NULL = wait forever; *Timeout == 0 = try once.
     * Try returns STATUS_WM_LOCK_BUSY, a timed wait STATUS_TIMEOUT. Checks
     * IRQL and recursion itself; on success fills Guard->OldIrql. */
    NTSTATUS (*Acquire)(_Inout_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout,
                        _In_ BOOLEAN Try, _Inout_ PWM_GUARD Guard);
    /* Releases what Acquire took; the core has already validated ownership. */
    VOID (*Release)(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard);
    /* Returns STATUS_SUCCESS when the current IRQL allows Release, else the
     * error unlock-safe reports (the lock stays held). */
    NTSTATUS (*CheckReleaseIrql)(_In_ PWM_GUARD Guard);
    /* Optional: tears down the kernel object before its storage goes away. */
    VOID (*Delete)(_Inout_ PWM_LOCK_HEADER Lock);
    /* WMP_OPS_FLAG_*: limits of the kind beyond the defaults above. */
    ULONG Flags;
    /* Kinds with shared guards: TRUE when Thread holds a shared guard on
     * Lock. Asked only while shared guards are armed, by the thread itself,
     * so the answer cannot change under it. NULL: the kind has none. */
    BOOLEAN (*IsReader)(_In_ PWM_LOCK_HEADER Lock, _In_ PVOID Thread);
} WM_LOCK_OPS;
typedef const WM_LOCK_OPS *PCWM_LOCK_OPS;

/* WM_LOCK_OPS.Flags. Create/initialize and destroy/into-inner/into-pool are
 * allowed up to DISPATCH_LEVEL unless the kind's kernel routines need less. */
#define WMP_OPS_FLAG_SETUP_MAX_APC     0x0001 /* Initialize needs IRQL <= APC_LEVEL */
#define WMP_OPS_FLAG_TEARDOWN_MAX_APC  0x0002 /* Delete needs IRQL <= APC_LEVEL     */
#define WMP_OPS_FLAG_PINNED_GUARD      0x0004 /* the kernel links the guard itself
                                                 (WMP_KIND_PINNED_GUARD)          */

/* First member of every lock object. */
struct _WM_LOCK_HEADER {
    PVOID           Owner;         /* thread holding it exclusively, WMP_OWNER_FREE,
                                      shared holders (WMP_OWNER_SHARED_UNIT), or NULL: not
                                      initialised or torn down                       */
    PCWM_LOCK_OPS   Ops;           /* the kind; NULL once torn down                    */
    ULONG           Generation;    /* exclusive acquisitions so far, stepped by 2
                                      (WMP_GENERATION_PARITY)                         */
    ULONG           Newest;        /* recursive kinds: token of the owner's newest
                                      live acquisition, 0 when free. Generation and
                                      Newest: plain, only the owner reads or writes
                                      them                                             */
    ULONG           ValueSize;
    USHORT          ValueOffset;   /* offset of the value from the header              */
    UCHAR           Flags;         /* WMP_LOCK_FLAG_*                                  */
    UCHAR           KindByte;      /* kind-specific (the backing a kind chose at init) */
    PWM_VALUE_DESTRUCTOR Destructor;
};

#define WMP_LOCK_FLAG_POOL     0x01  /* allocated by the library: destroy frees it */

/* WM_GUARD.Mode: exclusive guards get owner/recursion bookkeeping from the
 * core; shared guards are only counted (in Owner: WMP_OWNER_SHARED_UNIT).
 * Bit 0 is the mode; WMP_GUARD_AT_DPC_LEVEL is a variant a kind may accept
 * (spin locks: acquire at DISPATCH_LEVEL without raising, release without
 * lowering). */
#define WMP_GUARD_EXCLUSIVE    0
#define WMP_GUARD_SHARED       1
#define WMP_GUARD_AT_DPC_LEVEL 0x80
#define WMP_GUARD_MODE_MASK    0x01
/* Never passed in: a kind's Acquire may set it in Guard->Mode to tell its
 * Release how this acquisition was made. */
#define WMP_GUARD_KIND_PRIVATE 0x40

/* What a lock call fills in. Zero-initialised it is disarmed. */
struct _WM_GUARD {
    PWM_LOCK_HEADER Lock;        /* NULL when disarmed                               */
    /* The acquiring thread, from acquisition's step 1 to step 3 (the owner
     * record) and for a kind's acquire (reader slots); a shared guard keeps
     * it until its release, which checks it (see Token). Not kept in a guard
     * the kernel links (WMP_KIND_PINNED_GUARD): that guard lives in memory,
     * where each field is a store, so step 3 reads the thread again. */
    PVOID           Thread;
    /* Tells this acquisition's guard from a stale copy, so one acquisition is
     * released once. Exclusive guards: the lock's Generation, which each
     * acquisition moves on and takes. Once a guard or its copy has released,
     * the other is refused by the owner check while the lock is free or
     * another thread's, and by this token once its thread acquires again.
     * Moved on at acquisition rather than at release, so a lock and unlock
     * with nothing opaque between them compile to one memory increment: the
     * compiler sees the token still matches. This form takes no address, so
     * the compiler may keep a guard that lives between one lock and unlock
     * in registers. Recursive kinds compare it with the lock's Newest, and
     * the guard keeps the token its acquisition hid (KindData.Recursive), which
     * its release makes the newest again: nested acquisitions are released
     * newest first (an older guard is refused until then, and releases after
     * it). Shared guards, several of which are live at once and may end in
     * any order: their reader slot's Sequence, which each shared release
     * through the slot moves on, and their Thread is the owner to compare
     * (a released guard's copy fails the token, whoever holds the slot now;
     * moved on at release, so neither the slot's holder nor the token need
     * be read from memory again when nothing opaque is between).
     * Kinds whose kernel object links the guard (WMP_KIND_PINNED_GUARD): the
     * guard's own address (so such a guard must not move while armed, and a
     * copy is refused even while the original is armed; bytes copied back
     * over the original's own storage are the original again). */
    ULONG_PTR       Token;
    /* The IRQL the lock call was made at: what a raising release restores,
     * and the level a KMUTEX's release must keep to (every kind's acquire
     * takes the lock at the caller's IRQL or raises from it). */
    KIRQL           OldIrql;
    UCHAR           Mode;        /* kind-specific (shared / exclusive, ...)           */
    UCHAR           Tag;         /* set by kinds whose unlock dispatches on it
                                    (a critical section: its kind), else 0     */
    NTSTATUS        Status;      /* outcome of the last lock call on this guard       */
    /* Per-acquisition state some kinds need: the in-stack queued spin lock's
     * handle (which the kernel links, so that guard must not move while
     * armed), a shared guard's reader slot, a recursive acquisition's hidden
     * token. */
    union {
        /* QueuedSpinLock: the KLOCK_QUEUE_HANDLE (WmpGuardQueue). Words,
         * not the kernel's type, whose volatile members would keep every
         * guard of every kind out of registers (compilers do not split an
         * aggregate with a volatile member). */
        ULONG_PTR          Queue[WMP_QUEUE_HANDLE_WORDS];
        PWM_READER_SLOT    Reader;       /* shared guards: the reader slot        */
        struct {                         /* recursive kinds: what this
                                            acquisition hid, restored at its
                                            release                               */
            ULONG          Hidden;       /* the lock's Newest (0: none)           */
            PVOID          Owner;        /* the lock's Owner: WMP_OWNER_FREE, or
                                            the thread itself when nested         */
        } Recursive;
    } KindData;
};

/* The in-stack queue handle a queued spin lock's guard holds. Only the kernel
 * reads or writes it, through this pointer. */
#define WmpGuardQueue(Guard) ((PKLOCK_QUEUE_HANDLE)(PVOID)(Guard)->KindData.Queue)

/* --- Generic core (src/lock.c). Typed layers call these; drivers normally use
 *     the typed functions generated by WM_DECLARE_*_TYPE. ------------------- */

/* Allocates (nonpaged, tag WM_TAG_LOCK) and initialises a lock of kind Ops
 * holding a copy of Initial (ValueSize bytes; NULL Initial = zeroed value).
 * ObjectSize/ValueOffset describe the typed storage layout.
 * Returns STATUS_SUCCESS, STATUS_WM_INVALID_PARAMETER, STATUS_WM_INVALID_SIZE,
 * STATUS_WM_IRQL_TOO_HIGH (above DISPATCH_LEVEL), STATUS_WM_POOL_ALLOCATION_FAILED,
 * STATUS_NOT_SUPPORTED (this build cannot tell threads apart on the running
 * kernel: compiler.h, WM_THREAD_IDENTITY_FALLBACK). */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS WmpLockCreate(_In_ PCWM_LOCK_OPS Ops, _In_ SIZE_T ObjectSize, _In_ SIZE_T ValueOffset,
                       _In_ SIZE_T ValueSize, _In_reads_bytes_opt_(ValueSize) const VOID *Initial,
                       _In_opt_ PWM_VALUE_DESTRUCTOR Destructor, _Outptr_ PWM_LOCK_HEADER *Lock);

/* Initialises a lock in caller storage (no allocation; destroy frees nothing).
 * Returns as WmpLockCreate, less the allocation failure. */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS WmpLockInitialize(_In_ PCWM_LOCK_OPS Ops, _Out_writes_bytes_(ObjectSize) PVOID Storage,
                           _In_ SIZE_T ObjectSize, _In_ SIZE_T ValueOffset, _In_ SIZE_T ValueSize,
                           _In_reads_bytes_opt_(ValueSize) const VOID *Initial,
                           _In_opt_ PWM_VALUE_DESTRUCTOR Destructor);

/* Acquires Lock and arms Guard. Timeout as WM_LOCK_OPS.Acquire. Guard is
 * always written: disarmed, with Status set, on failure. Returns the status. */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS WmpLockAcquire(_In_opt_ PWM_LOCK_HEADER Lock, _In_opt_ PLARGE_INTEGER Timeout,
                        _In_ BOOLEAN Try, _Out_ PWM_GUARD Guard);

/* As WmpLockAcquire with a mode (WMP_GUARD_EXCLUSIVE or WMP_GUARD_SHARED) that
 * the kind's Acquire reads from Guard->Mode. */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS WmpLockAcquireMode(_In_opt_ PWM_LOCK_HEADER Lock, _In_ UCHAR Mode,
                            _In_opt_ PLARGE_INTEGER Timeout, _In_ BOOLEAN Try,
                            _Out_ PWM_GUARD Guard);

/* Pointer to the value of a lock (for typed layers). */
WM_INLINE PVOID WmpLockValue(_In_ PWM_LOCK_HEADER Lock)
{
    return (PUCHAR)Lock + Lock->ValueOffset;
}

/* ------------------------------------------------------------------------- *
 * The core's lock and unlock, inline: ONE generic core, in steps around the
 * kind's own acquire and release. WmpLockAcquireMode, WmUnlock and
 * WmUnlockSafe (lock.c) compose the steps with the kind's WM_LOCK_OPS. The
 * typed layers compose the same steps with the kind known at compile time:
 * each kind header provides, for its lock object type LOCK_OBJECT_TYPE
 * (WM_KMUTEX, WM_SPIN_LOCK, ...),
 *   WMP_KIND_TRAITS_<LOCK_OBJECT_TYPE>       WMP_KIND_* bits (= WmpKindTraitsOfOps)
 *   WmpKindAcquire_<LOCK_OBJECT_TYPE>(Lock, Guard)
 *       the kind's Acquire for Timeout == NULL and exclusive Guard->Mode
 *       (its Ops->Acquire calls it for that case: one implementation)
 *   WmpKindRelease_<LOCK_OBJECT_TYPE>(Lock, Guard)
 *       the kind's Release for any exclusive guard (= Ops->Release)
 * and the generator calls them directly, so a typed lock + unlock costs the
 * kernel's calls, the IRQL and owner checks, and no calls of the library's.
 * ------------------------------------------------------------------------- */

/* The core and the kinds' fast paths are inlined into the typed functions
 * even where the compiler's heuristics would not. */
#if defined(_MSC_VER) && !defined(__clang__)
#define WMP_FORCEINLINE static __forceinline
#define WM_GENERATED_HOT static __forceinline
#else
#define WMP_FORCEINLINE static inline __attribute__((always_inline))
/* Generated functions on the lock/unlock fast path: inlined at every call
 * site, as the raw DDI calls they replace would be written there. */
#define WM_GENERATED_HOT static inline __attribute__((always_inline, unused))
#endif

/* A kind's traits, the Traits argument of the steps below. RECURSIVE: the
 * owner may acquire again (Ops->Recursive); its acquisitions are released
 * newest first (see WM_GUARD.Token). PINNED_GUARD: the kernel links the
 * guard itself into the lock (an in-stack queue handle), so an armed guard
 * must not move and a copy must never reach the kernel: its address is its
 * token. */
#define WMP_KIND_RECURSIVE       0x1
#define WMP_KIND_PINNED_GUARD    0x2
/* SHARED: the kind has shared guards (Ops->IsReader), so Owner may count
 * readers (WMP_OWNER_SHARED_UNIT). */
#define WMP_KIND_SHARED          0x4
/* Not a kind's trait: a caller of WmpLockAcquireBegin adds it when it has
 * found Lock->Ops to be the kind's table (a KMUTEX critical section's enter
 * does). Ops is NULL in never-initialised and torn-down storage, so that
 * test has refused both already and Begin need not test Ops or Owner for
 * NULL again. */
#define WMP_KIND_OPS_CHECKED     0x8
/* "Ask the kind's Ops" for the Traits argument. */
#define WMP_KIND_TRAITS_FROM_OPS (-1)

WMP_FORCEINLINE LONG
WmpKindTraitsOfOps(_In_ PCWM_LOCK_OPS Ops)
{
    return (Ops->Recursive ? WMP_KIND_RECURSIVE : 0) |
           ((Ops->Flags & WMP_OPS_FLAG_PINNED_GUARD) != 0 ? WMP_KIND_PINNED_GUARD : 0) |
           (Ops->IsReader != NULL ? WMP_KIND_SHARED : 0);
}

/* An exclusive guard's token is its address for a guard the kernel holds
 * on to. */
#define WMP_TOKEN_IS_ADDRESS(Traits) (((Traits) & WMP_KIND_PINNED_GUARD) != 0)

/* Generation's parity, set in its first value (lock.c chooses the rest);
 * every kind steps it by 2, so it never changes. Recursive kinds' tokens are
 * odd, so never 0, which in Newest and Hidden means "no acquisition". The
 * other kinds' are even: a guard of one never matches the Generation or the
 * Newest (0 there) of the other, so a critical section initialised again as
 * the other kind refuses a stale guard by its token alone. */
#define WMP_GENERATION_PARITY(Recursive) ((Recursive) ? 1u : 0u)

/* WM_LOCK_HEADER.Owner of an initialised lock no thread holds exclusively.
 * Never a thread identity (those are aligned pointers or thread IDs, which
 * are multiples of 4). Zeroed storage that was never initialised, and storage
 * that was torn down (destroy, into-inner, into-pool), have a NULL Owner, so
 * the acquisition fast path, which only looks further when Owner is not
 * WMP_OWNER_FREE, refuses both for the price of the test it makes anyway
 * (a recursive kind, which has no owner to refuse, tests its NULL Ops
 * instead). */
#define WMP_OWNER_FREE ((PVOID)(ULONG_PTR)1)

/* Owner while shared guards are armed: WMP_OWNER_FREE plus this much for each
 * (interlocked: readers come and go together). Odd, so never a thread, NULL
 * or, with one or more readers, free. An exclusive holder excludes readers,
 * so its plain store never meets a reader's add: readers add after their
 * kernel acquire and subtract before their kernel release. One load of Owner
 * thus tells free from held in either mode. */
#define WMP_OWNER_SHARED_UNIT 2
#define WMP_OWNER_IS_SHARED(Owner) (((ULONG_PTR)(Owner) & 1) != 0 && (Owner) != WMP_OWNER_FREE)

/* TRUE while a thread holds Lock, exclusively or shared (teardown refuses
 * it). Any thread, without the lock. */
WM_INLINE BOOLEAN
WmpLockIsHeld(_In_ PWM_LOCK_HEADER Lock)
{
    return WmpLoadPointerAcquire(&Lock->Owner) != WMP_OWNER_FREE;
}

/* A failed acquisition: leaves Guard disarmed with Status. Inline stores, so
 * no call ever takes a guard's address and an armed guard can live in
 * registers between lock and unlock. */
WMP_FORCEINLINE NTSTATUS
WmpLockGuardFail(_Out_ PWM_GUARD Guard, _In_ UCHAR Mode, _In_ NTSTATUS Status)
{
    Guard->Lock = NULL;
    Guard->Thread = NULL;
    Guard->Token = 0;
    Guard->OldIrql = PASSIVE_LEVEL;
    Guard->Mode = Mode;
    Guard->Tag = 0;
    Guard->Status = Status;
    return Status;
}

/*
 * Acquisition, step 1: checks Lock, Mode and recursion; sets Guard->Mode and
 * Guard->Thread for the steps after it, except in a guard the kernel links
 * (WMP_KIND_PINNED_GUARD), which lives in memory: step 3 fills that one in
 * after the kernel's acquire, so a release with nothing opaque between sees
 * those stores (its Mode is stored here too when the kind's Acquire, which
 * reads it, is called through its Ops). Returns STATUS_SUCCESS to
 * go on to the kind's acquire; otherwise Guard is disarmed with the status.
 * Traits: the kind's WMP_KIND_* bits, or WMP_KIND_TRAITS_FROM_OPS.
 * An unowned lock costs one compare with memory here: a held, never
 * initialised or torn-down lock all have an Owner other than WMP_OWNER_FREE
 * and are told apart only then. A recursive kind (no owner to refuse)
 * compares its Ops with NULL instead.
 */
WMP_FORCEINLINE NTSTATUS
WmpLockAcquireBegin(_In_opt_ PWM_LOCK_HEADER Lock, _In_ UCHAR Mode, _Out_ PWM_GUARD Guard, _In_ LONG Traits)
{
    PVOID Thread;
    PVOID Owner;
    BOOLEAN ThroughOps = (Traits == WMP_KIND_TRAITS_FROM_OPS);

    if (Lock == NULL) {
        return WmpLockGuardFail(Guard, Mode, STATUS_WM_NOT_INITIALIZED);
    }
    if (ThroughOps) {
        if (Lock->Ops == NULL) {
            return WmpLockGuardFail(Guard, Mode, STATUS_WM_NOT_INITIALIZED);
        }
        Traits = WmpKindTraitsOfOps(Lock->Ops);
    }
    if ((Mode & ~(WMP_GUARD_MODE_MASK | WMP_GUARD_AT_DPC_LEVEL)) != 0) {
        return WmpLockGuardFail(Guard, Mode, STATUS_WM_INVALID_PARAMETER);
    }
    if ((Traits & (WMP_KIND_RECURSIVE | WMP_KIND_SHARED)) == WMP_KIND_RECURSIVE) {
        /* Nothing about the owner to refuse: only never-initialised and
         * torn-down storage, which have a NULL Ops, a field that does not
         * change while the lock lives (so one compare with memory). */
        if ((Traits & WMP_KIND_OPS_CHECKED) == 0 && Lock->Ops == NULL) {
            return WmpLockGuardFail(Guard, Mode, STATUS_WM_NOT_INITIALIZED);
        }
    } else if (WMP_UNLIKELY(WmpPeekPointer(&Lock->Owner) != WMP_OWNER_FREE)) {
        /* A lock someone holds costs a wait anyway; a free one is the case
         * to lay out straight: one compare with memory (compiler.h,
         * WmpPeekPointer), and a second read only when it is not free. Owner
         * may have changed in between, but not to or from what the tests
         * below refuse. */
        Owner = WmpLoadPointerRelaxed(&Lock->Owner);
        Thread = WmpCurrentThreadIdentity();
        if ((Traits & WMP_KIND_OPS_CHECKED) == 0 && Owner == NULL) {
            return WmpLockGuardFail(Guard, Mode, STATUS_WM_NOT_INITIALIZED);
        }
        if ((Traits & WMP_KIND_RECURSIVE) == 0 && Owner == Thread) {
            /* The kernel would deadlock this thread on itself. */
            return WmpLockGuardFail(Guard, Mode, STATUS_WM_RECURSIVE_ACQUIRE);
        }
        /* Shared-held: a reader asking again would wait for itself
         * (exclusive) or could wait behind a writer that waits for it. */
        if ((Traits & WMP_KIND_SHARED) != 0 && WMP_OWNER_IS_SHARED(Owner) && Lock->Ops->IsReader(Lock, Thread)) {
            return WmpLockGuardFail(Guard, Mode,
                                    (Mode & WMP_GUARD_MODE_MASK) == WMP_GUARD_SHARED ? STATUS_WM_RECURSIVE_ACQUIRE
                                                                                     : STATUS_WM_UPGRADE_REFUSED);
        }
    }
    if (!WMP_TOKEN_IS_ADDRESS(Traits)) {
        Guard->Mode = Mode;
        Guard->Thread = WmpCurrentThreadIdentity();
    } else if (ThroughOps) {
        /* The kind's Acquire reads it (step 3 stores it again). */
        Guard->Mode = Mode;
    }
    return STATUS_SUCCESS;
}

/*
 * Acquisition, step 3, with what the kind's acquire returned: on success the
 * owner bookkeeping (exclusive guards record Owner and move Generation on;
 * recursive kinds also push the token onto Newest, keeping the one it hides
 * in the guard; shared guards are counted in Owner) and the armed
 * guard; else a disarmed guard.
 */
WMP_FORCEINLINE NTSTATUS
WmpLockAcquireEnd(_In_ PWM_LOCK_HEADER Lock, _In_ UCHAR Mode, _Inout_ PWM_GUARD Guard, _In_ NTSTATUS Status,
                  _In_ LONG Traits)
{
    if (Status != STATUS_SUCCESS) {
        return WmpLockGuardFail(Guard, Mode, Status);
    }
    if (Traits == WMP_KIND_TRAITS_FROM_OPS) {
        Traits = WmpKindTraitsOfOps(Lock->Ops);
    }
    /* Owner, Generation and Newest are only written by the owner, under the
     * lock. */
    if ((Mode & WMP_GUARD_MODE_MASK) == WMP_GUARD_SHARED) {
        /* The kind's acquire claimed Guard->KindData.Reader for this thread,
         * and only its holder moves the slot's sequence on. */
        WmpInterlockedAddPointer(&Lock->Owner, WMP_OWNER_SHARED_UNIT);
        Guard->Token = Guard->KindData.Reader->Sequence;
    } else if ((Traits & WMP_KIND_RECURSIVE) != 0) {
        /* A nested acquisition stores the same owner again. Owner is
         * WMP_OWNER_FREE here unless this thread holds the lock already
         * (every release restores what its acquisition found). */
        ULONG Token;

        /* A memory add and a read back: one instruction less than a load,
         * an add and a store (the value is read through a volatile access
         * so the compiler does not turn it back into those). */
        Lock->Generation += 2;
        Token = *(ULONG volatile *)&Lock->Generation;
        Guard->KindData.Recursive.Owner = WmpLoadPointerRelaxed(&Lock->Owner);
        WmpPokePointer(&Lock->Owner, Guard->Thread);
        Guard->KindData.Recursive.Hidden = Lock->Newest;
        Lock->Newest = Token;
        Guard->Token = Token;
    } else if (WMP_TOKEN_IS_ADDRESS(Traits)) {
        WmpPokePointer(&Lock->Owner, WmpCurrentThreadIdentity());
        Guard->Token = (ULONG_PTR)Guard;
        Guard->Mode = Mode;
    } else {
        WmpPokePointer(&Lock->Owner, Guard->Thread);
        Guard->Token = (Lock->Generation += 2);
    }
    Guard->Lock = Lock;
    Guard->Status = STATUS_SUCCESS;
    return STATUS_SUCCESS;
}

/* WmpLockReleaseCheck / WmpLockReleaseBookkeeping GuardMode: the guard type's
 * mode when fixed (typed exclusive or shared guards), else read Guard->Mode. */
#define WMP_GUARD_MODE_FROM_GUARD (-1)

/*
 * Release, step 1: the checks of every unlock form. Only the acquiring thread
 * may release (Thread), and only through a guard whose acquisition has not
 * been released through a copy (Token, see WM_GUARD). An exclusive guard
 * that passes is the owner's live acquisition.
 */
WMP_FORCEINLINE NTSTATUS
WmpLockReleaseCheck(_In_ PWM_GUARD Guard, _In_ LONG GuardMode, _In_ LONG Traits)
{
    PWM_LOCK_HEADER Lock = Guard->Lock;

    if (Lock == NULL) {
        return STATUS_WM_NOT_LOCKED;
    }
    if (GuardMode == WMP_GUARD_MODE_FROM_GUARD) {
        GuardMode = Guard->Mode & WMP_GUARD_MODE_MASK;
    }
    /* Exclusive: the lock's Owner is the acquiring thread while the
     * acquisition is live (Token below), so compare with it: the guard's
     * Thread then need not be kept from lock to unlock. Shared: the guard's
     * Thread, which a live acquisition's token vouches for (a released one
     * fails it, whoever holds its slot now). */
    if (!WmpIsCurrentThreadIdentity(GuardMode == WMP_GUARD_SHARED ? Guard->Thread
                                                                  : WmpPeekPointer(&Lock->Owner))) {
        return STATUS_WM_NOT_OWNER;
    }
    if (Traits == WMP_KIND_TRAITS_FROM_OPS) {
        /* Torn down (its NULL Owner passes the check above under Wine). */
        if (Lock->Ops == NULL) {
            return STATUS_WM_NOT_OWNER;
        }
        Traits = WmpKindTraitsOfOps(Lock->Ops);
    }
    /* The holder's fields, read under the lock; a shared guard's slot may
     * be another reader's by now, which moves its Sequence on meanwhile. */
    if (GuardMode == WMP_GUARD_SHARED           ? Guard->Token != WmpPeekPointer(&Guard->KindData.Reader->Sequence)
        : WMP_TOKEN_IS_ADDRESS(Traits)          ? Guard->Token != (ULONG_PTR)Guard
        : (Traits & WMP_KIND_RECURSIVE) != 0    ? Guard->Token != Lock->Newest
                                                : Guard->Token != Lock->Generation) {
        return STATUS_WM_NOT_OWNER;
    }
    return STATUS_SUCCESS;
}

/*
 * Release, step 2, on a checked guard, before the kind's release: ownership
 * is given up first, because once the kernel lock is released another thread
 * may acquire and record itself. The caller then calls the kind's release
 * and clears Guard->Lock (the guard is disarmed).
 */
WMP_FORCEINLINE VOID
WmpLockReleaseBookkeeping(_Inout_ PWM_GUARD Guard, _In_ LONG GuardMode, _In_ LONG Traits)
{
    PWM_LOCK_HEADER Lock = Guard->Lock;

    if (Traits == WMP_KIND_TRAITS_FROM_OPS) {
        Traits = WmpKindTraitsOfOps(Lock->Ops);
    }
    if (GuardMode == WMP_GUARD_MODE_FROM_GUARD) {
        GuardMode = Guard->Mode & WMP_GUARD_MODE_MASK;
    }
    if (GuardMode == WMP_GUARD_SHARED) {
        /* Before the kind frees the slot: this acquisition's copies, and
         * this guard, no longer match. */
        WmpStepWord(&Guard->KindData.Reader->Sequence);
        WmpInterlockedAddPointer(&Lock->Owner, -WMP_OWNER_SHARED_UNIT);
    } else if ((Traits & WMP_KIND_RECURSIVE) == 0) {
        WmpStorePointerRelaxed(&Lock->Owner, WMP_OWNER_FREE);
    } else {
        /* The acquisition this one hid is the newest again, and the owner
         * what it found (free after the outermost): two stores, no test. */
        Lock->Newest = Guard->KindData.Recursive.Hidden;
        WmpStorePointerRelaxed(&Lock->Owner, Guard->KindData.Recursive.Owner);
    }
}

/*
 * An exclusive release with the kind known at compile time (typed layers,
 * critical sections): the checks, the bookkeeping, the kind's inline
 * Release (a constant argument, so the call is direct once this is inlined)
 * and the disarm.
 */
typedef VOID WMP_KIND_RELEASE(_Inout_ PWM_LOCK_HEADER Lock, _In_ PWM_GUARD Guard);

WMP_FORCEINLINE NTSTATUS
WmpLockReleaseExclusive(_Inout_ PWM_GUARD Guard, _In_ LONG Traits, _In_ WMP_KIND_RELEASE *Release)
{
    NTSTATUS Status = WmpLockReleaseCheck(Guard, WMP_GUARD_EXCLUSIVE, Traits);

    if (Status != STATUS_SUCCESS) {
        return Status;
    }
    WmpLockReleaseBookkeeping(Guard, WMP_GUARD_EXCLUSIVE, Traits);
    Release(Guard->Lock, Guard);
    Guard->Lock = NULL;
    return STATUS_SUCCESS;
}

/*
 * WmUnlock
 *
 * Releases the lock Guard holds and disarms Guard. Like dropping the seed's
 * guard, it does not check IRQL (the scope-exit path costs what the raw
 * release costs): call it at the IRQL the kind's release requires, or use
 * WmUnlockSafe.
 * Returns STATUS_SUCCESS, STATUS_WM_INVALID_PARAMETER (NULL Guard),
 * STATUS_WM_NOT_LOCKED (not armed: nothing released), STATUS_WM_NOT_OWNER.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WmUnlock(_Inout_opt_ PWM_GUARD Guard);

/*
 * WmUnlockSafe
 *
 * As WmUnlock, but first checks that the current IRQL allows the release
 * (KMUTEX: <= DISPATCH_LEVEL and on the same side of DISPATCH_LEVEL as the
 * acquisition; FAST_MUTEX: exactly APC_LEVEL). On a wrong IRQL it returns
 * STATUS_WM_IRQL_TOO_HIGH, STATUS_WM_IRQL_NOT_APC_LEVEL or
 * STATUS_WM_IRQL_MISMATCH and the lock stays held; lower or raise the IRQL and
 * call it again. Safe to call at any IRQL.
 */
_IRQL_requires_max_(HIGH_LEVEL)
NTSTATUS WmUnlockSafe(_Inout_opt_ PWM_GUARD Guard);

/* Runs the destructor (if any) and frees a library-allocated lock; caller
 * storage is left deinitialised. STATUS_WM_MUTEX_HELD while held. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WmpLockDestroy(_In_opt_ PWM_LOCK_HEADER Lock);

/* Copies the value out (ValueSize must equal the stored size) and frees the
 * lock without running the destructor. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WmpLockIntoInner(_In_opt_ PWM_LOCK_HEADER Lock, _Out_writes_bytes_all_(ValueSize) PVOID Value,
                          _In_ SIZE_T ValueSize);

/* Moves the value into its own pool block (tag WM_TAG_VALUE, free it with
 * WmFreeValue) and frees the lock without running the destructor. On
 * allocation failure the lock is left intact. */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS WmpLockIntoPool(_In_opt_ PWM_LOCK_HEADER Lock, _In_ SIZE_T ValueSize,
                         _Outptr_ PVOID *Value);

/* TRUE when the calling thread holds Lock (exclusive kinds). For assertions. */
BOOLEAN WmIsLockOwnedByCurrentThread(_In_opt_ PWM_LOCK_HEADER Lock);

/* ------------------------------------------------------------------------- *
 * Typed layer generator.
 *
 * WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, LockObjectType, Ops) declares, for
 * one value type T, WDK-style names (types UPPER_CASE, functions PascalCase):
 *   TYPE              a handle (pass by value; a handle of another type is a
 *                     compile error)
 *   TYPE_STORAGE      the lock object with the value inline, for caller storage
 *                     (device extension, driver global, own nonpaged block)
 *   TYPE_GUARD        { WM_GUARD Base; T *Value; } — Value is NULL unless armed
 *   PrefixCreate, PrefixInitialize, PrefixFromStorage, PrefixLock, PrefixLockTimeout,
 *   PrefixTryLock, PrefixUnlock, PrefixUnlockSafe, PrefixDestroy,
 *   PrefixIntoInner, PrefixIntoPool
 *   PrefixRegister, PrefixRegisterChecked, PrefixRegistryGet,
 *   PrefixRegistryReference, PrefixRegistryDereference, PrefixRegistryLock
 *                     the named-mutex registry for this type (registry.h)
 * Each kind header wraps it (WM_DECLARE_KMUTEX_TYPE, ...).
 * ------------------------------------------------------------------------- */
#define WMP_DECLARE_LOCK_TYPE(TYPE, Prefix, T, LockObjectType, Ops)                  \
    typedef struct _##TYPE##_STORAGE {                                               \
        LockObjectType Lock;                                                         \
        T Value;                                                                     \
    } TYPE##_STORAGE;                                                                \
    typedef struct _##TYPE { TYPE##_STORAGE *Object; } TYPE;                         \
    typedef struct _##TYPE##_GUARD { WM_GUARD Base; T *Value; } TYPE##_GUARD;        \
                                                                                     \
    WM_GENERATED NTSTATUS Prefix##Create(TYPE *Mutex, const T *Initial,                 \
                                      PWM_VALUE_DESTRUCTOR Destructor)               \
    {                                                                                \
        PWM_LOCK_HEADER Lock_;                                                       \
        NTSTATUS Status_;                                                            \
        if (Mutex == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Mutex->Object = NULL;                                                        \
        Status_ = WmpLockCreate((Ops), sizeof(TYPE##_STORAGE),                       \
                                offsetof(TYPE##_STORAGE, Value), sizeof(T),          \
                                Initial, Destructor, &Lock_);                        \
        if (NT_SUCCESS(Status_)) Mutex->Object = (TYPE##_STORAGE *)(PVOID)Lock_;     \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##Initialize(TYPE##_STORAGE *Storage, const T *Initial, \
                                          PWM_VALUE_DESTRUCTOR Destructor, TYPE *Mutex) \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        if (Mutex == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Mutex->Object = NULL;                                                        \
        Status_ = WmpLockInitialize((Ops), Storage, sizeof(TYPE##_STORAGE),          \
                                    offsetof(TYPE##_STORAGE, Value), sizeof(T),      \
                                    Initial, Destructor);                            \
        if (NT_SUCCESS(Status_)) Mutex->Object = Storage;                            \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED_HOT TYPE Prefix##FromStorage(TYPE##_STORAGE *Storage)                  \
    {                                                                                \
        TYPE Mutex_;                                                                 \
        Mutex_.Object = Storage;                                                     \
        return Mutex_;                                                               \
    }                                                                                \
    WM_GENERATED_HOT NTSTATUS WmpAcquire_##TYPE(TYPE Mutex, PLARGE_INTEGER Timeout,     \
                                         BOOLEAN Try, TYPE##_GUARD *Guard)           \
    {                                                                                \
        PWM_LOCK_HEADER Lock_ = Mutex.Object ? &Mutex.Object->Lock.Header : NULL;    \
        NTSTATUS Status_;                                                            \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        /* The core's steps around the kind's acquire, called directly. */           \
        Status_ = WmpLockAcquireBegin(Lock_, WMP_GUARD_EXCLUSIVE, &Guard->Base,      \
                                      WMP_KIND_TRAITS_##LockObjectType);          \
        if (Status_ == STATUS_SUCCESS) {                                             \
            Status_ = WmpLockAcquireEnd(Lock_, WMP_GUARD_EXCLUSIVE, &Guard->Base,     \
                Timeout == NULL ? WmpKindAcquire_##LockObjectType(Lock_, &Guard->Base) \
                                : (Ops)->Acquire(Lock_, Timeout, Try, &Guard->Base), \
                WMP_KIND_TRAITS_##LockObjectType);                                \
        }                                                                            \
        Guard->Value = (Status_ == STATUS_SUCCESS) ? &Mutex.Object->Value : NULL;    \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED_HOT NTSTATUS Prefix##Lock(TYPE Mutex, TYPE##_GUARD *Guard)             \
    {                                                                                \
        return WmpAcquire_##TYPE(Mutex, NULL, FALSE, Guard);                         \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##LockTimeout(TYPE Mutex, LONGLONG Timeout,             \
                                           TYPE##_GUARD *Guard)                      \
    {                                                                                \
        LARGE_INTEGER Due_;                                                          \
        Due_.QuadPart = Timeout;                                                     \
        return WmpAcquire_##TYPE(Mutex, &Due_, FALSE, Guard);                        \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##TryLock(TYPE Mutex, TYPE##_GUARD *Guard)              \
    {                                                                                \
        LARGE_INTEGER Due_;                                                          \
        Due_.QuadPart = 0;                                                           \
        return WmpAcquire_##TYPE(Mutex, &Due_, TRUE, Guard);                         \
    }                                                                                \
    WM_GENERATED_HOT NTSTATUS WmpUnlock_##TYPE(TYPE##_GUARD *Guard)                     \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        /* TYPE_GUARD only ever holds exclusive acquisitions. */                     \
        Status_ = WmpLockReleaseExclusive(&Guard->Base, WMP_KIND_TRAITS_##LockObjectType, \
                                          WmpKindRelease_##LockObjectType);          \
        if (Status_ != STATUS_SUCCESS) return Status_;                               \
        Guard->Value = NULL;                                                         \
        return STATUS_SUCCESS;                                                       \
    }                                                                                \
    WM_GENERATED_HOT NTSTATUS Prefix##Unlock(TYPE##_GUARD *Guard)                       \
    {                                                                                \
        return WmpUnlock_##TYPE(Guard);                                              \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##UnlockSafe(TYPE##_GUARD *Guard)                       \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Status_ = WmUnlockSafe(&Guard->Base);                                        \
        if (Status_ == STATUS_SUCCESS) Guard->Value = NULL;                          \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED_HOT VOID WmpGuardCleanup_##TYPE(TYPE##_GUARD *Guard)                   \
    {                                                                                \
        /* Scope exit cannot report: a disarmed guard is a no-op by design. */       \
        if (Guard->Base.Lock != NULL) (VOID)WmpUnlock_##TYPE(Guard);                 \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##Destroy(TYPE *Mutex)                                  \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        if (Mutex == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Status_ = WmpLockDestroy(Mutex->Object ? &Mutex->Object->Lock.Header : NULL);\
        if (NT_SUCCESS(Status_)) Mutex->Object = NULL;                               \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##IntoInner(TYPE *Mutex, T *Value)                      \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        if (Mutex == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Status_ = WmpLockIntoInner(Mutex->Object ? &Mutex->Object->Lock.Header : NULL,\
                                   Value, sizeof(T));                                \
        if (NT_SUCCESS(Status_)) Mutex->Object = NULL;                               \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##IntoPool(TYPE *Mutex, T **Value)                      \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        PVOID Moved_ = NULL;                                                         \
        if (Mutex == NULL || Value == NULL) return STATUS_WM_INVALID_PARAMETER;      \
        *Value = NULL;                                                               \
        Status_ = WmpLockIntoPool(Mutex->Object ? &Mutex->Object->Lock.Header : NULL,\
                                  sizeof(T), &Moved_);                               \
        if (NT_SUCCESS(Status_)) { Mutex->Object = NULL; *Value = (T *)Moved_; }     \
        return Status_;                                                              \
    }                                                                                \
    /* --- registry block (registry.h): PrefixRegister, PrefixRegisterChecked, */    \
    /* PrefixRegistryGet/Reference/Dereference/Lock for this type. ----------- */    \
    WMP_DECLARE_REGISTRY_FUNCTIONS(TYPE, Prefix, T, Ops);                            \
    /* --- end of registry block ---------------------------------------------- */    \
    typedef int WmpDeclared_##TYPE /* swallows the trailing semicolon */

/*
 * Companion of WMP_DECLARE_LOCK_TYPE for kinds with more acquisition forms
 * than lock/try/timeout (spin locks at DISPATCH_LEVEL, shared guards):
 * declares Name(TYPE, Mode, Timeout, Try, GUARD_TYPE *), which acquires in
 * Mode (WMP_GUARD_*) and points the typed guard's Value at the value. A
 * GUARD_TYPE with a const Value gives read-only access.
 */
#define WMP_DECLARE_LOCK_MODE_ACQUIRE(TYPE, GUARD_TYPE, Name)                           \
    WM_GENERATED NTSTATUS Name(TYPE Lock_, UCHAR Mode_, PLARGE_INTEGER Timeout_,         \
                               BOOLEAN Try_, GUARD_TYPE *Guard_)                         \
    {                                                                                    \
        NTSTATUS Status_;                                                                \
        if (Guard_ == NULL) return STATUS_WM_INVALID_PARAMETER;                          \
        Status_ = WmpLockAcquireMode(Lock_.Object ? &Lock_.Object->Lock.Header : NULL,   \
                                     Mode_, Timeout_, Try_, &Guard_->Base);              \
        Guard_->Value = (Status_ == STATUS_SUCCESS) ? &Lock_.Object->Value : NULL;       \
        return Status_;                                                                  \
    }                                                                                    \
    typedef int WmpDeclared_##Name

/* ------------------------------------------------------------------------- *
 * Scoped release.
 *
 * Portable block form (GCC, clang and MSVC):
 *
 *     NTSTATUS Status;
 *     WM_WITH_LOCK(COUNTER_MUTEX, Guard, Status, CounterMutexLock(Counter, &Guard)) {
 *         *Guard.Value += 1;
 *         if (*Guard.Value > 10) WM_LEAVE;     // never return/break/goto here
 *     } WM_END_WITH_LOCK(COUNTER_MUTEX, Guard);
 *     // Status says whether the body ran (STATUS_SUCCESS) and why not.
 *
 * The body runs only when the lock call returned STATUS_SUCCESS, and the lock
 * is released however the body ends (cleanup attribute on GCC/clang,
 * __try/__finally on MSVC, where WM_LEAVE is __leave).
 *
 * GCC/clang only: declare-and-lock with release at scope exit, Linux style:
 *
 *     COUNTER_MUTEX_GUARD Guard WM_AUTO_UNLOCK(COUNTER_MUTEX) = { 0 };
 *     Status = CounterMutexLock(Counter, &Guard);
 *     if (Status != STATUS_SUCCESS) return Status;
 *     *Guard.Value += 1;        // released on every return path below
 *
 * On MSVC WM_AUTO_UNLOCK deliberately does not compile (expanding to nothing
 * would compile and silently never release): use WM_WITH_LOCK there.
 * ------------------------------------------------------------------------- */
#if WM_HAS_CLEANUP_ATTRIBUTE
#define WM_AUTO_UNLOCK(TYPE) __attribute__((cleanup(WmpGuardCleanup_##TYPE)))
#define WM_WITH_LOCK(TYPE, Guard, StatusVar, LockCall)                               \
    {                                                                                \
        TYPE##_GUARD Guard WM_AUTO_UNLOCK(TYPE) = { 0 }; \
        (StatusVar) = (LockCall);                                                    \
        if ((StatusVar) == STATUS_SUCCESS) do {
#define WM_END_WITH_LOCK(TYPE, Guard)                                                \
        } while (0);                                                                 \
    }
#define WM_LEAVE break
#elif defined(_MSC_VER)
#define WM_AUTO_UNLOCK(TYPE) WM_AUTO_UNLOCK_needs_gcc_or_clang_use_WM_WITH_LOCK
#define WM_WITH_LOCK(TYPE, Guard, StatusVar, LockCall)                               \
    {                                                                                \
        TYPE##_GUARD Guard = { 0 };                \
        (StatusVar) = (LockCall);                                                    \
        if ((StatusVar) == STATUS_SUCCESS) __try {
#define WM_END_WITH_LOCK(TYPE, Guard)                                                \
        } __finally { (VOID)WmpUnlock_##TYPE(&Guard); }                                  \
    }
#define WM_LEAVE __leave
#else
#error "wdk-mutex: scoped release needs GCC, clang or MSVC"
#endif

#ifdef __cplusplus
}
#endif

/* --- registry block: the registry functions every declared type gets
 *     (WMP_DECLARE_REGISTRY_FUNCTIONS, used above). Included last because it
 *     needs the types above; registry.h includes this header first itself. */
#include "registry.h"

#endif /* WDKMUTEX_LOCK_H */
