/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The registry of named mutexes (the seed's Grt, "Global
 *              Reference Tracker"): create a lock-protected value once, find it
 *              by name from any thread or callback, free everything in one call.
 * ENVIRONMENT: Kernel mode; also built in the host model.
 *
 * Strict semantics:
 *  - One registry per driver (the library is linked into the driver). It is
 *    created by WmRegistryInitialize and freed by WmRegistryDestroy; exactly
 *    one of any number of racing initialisations wins, the others get
 *    STATUS_WM_REGISTRY_EXISTS and leak nothing.
 *  - Every lock kind of the library can be registered: the typed functions
 *    below are generated for every type declared with a WM_DECLARE_*_TYPE
 *    macro, and the core works only through the kind's WM_LOCK_OPS, so a new
 *    kind is registrable without touching the registry.
 *  - Keys are NUL-terminated byte strings (ASCII or UTF-8, compared bytewise,
 *    case-sensitive) of 1 to WM_REGISTRY_MAX_KEY_LENGTH bytes. The registry
 *    copies the key: the caller's string may be on its stack.
 *  - Registration copies *Initial into a new lock, like PrefixCreate. The
 *    value's destructor runs exactly once, when the registry frees the entry
 *    (unregister, or destroy); a failed registration runs no destructor (the
 *    caller still owns whatever its value refers to).
 *  - Type identity: a lookup names the type through the typed function it
 *    calls. The entry must hold the same lock kind (same WM_LOCK_OPS), the same
 *    type spelling (the T written in the WM_DECLARE_*_TYPE line, after macro
 *    expansion), the same sizeof(T) and the same value offset; otherwise the
 *    lookup returns STATUS_WM_TYPE_MISMATCH (ULONG and LONG differ, as do a
 *    FastMutex and a KMutex of one type). Declare a shared type once, in a
 *    header, so every file spells it the same way.
 *  - Concurrency: register, register-checked, get, reference, lock,
 *    unregister and count may run concurrently on any threads. Lookups take
 *    no lock and write no shared memory except the calling thread's own call
 *    slot, a cache line of its own; registrations and unregistrations
 *    serialise on a fast mutex inside the registry. There are
 *    WMP_REGISTRY_CALL_SLOTS (128) slots; a thread claims one on its first
 *    call (one compare-exchange; among the four its identity hashes to) and
 *    keeps it. Claims are never given back: a thread that finds its four
 *    slots claimed by other (possibly exited) threads still works, counting
 *    its calls in a shared counter with interlocked operations (correct,
 *    slower, and the only case where a lookup writes a line other threads
 *    write too).
 *  - How writers know no lookup is inside what they free: a lookup announces
 *    itself in its slot with a plain store and no barrier; a writer that
 *    must free (an unregistered entry, an old table) or destroy publishes
 *    its change and then makes every processor execute a barrier with
 *    KeIpiGenericCall (an interrupt on each; the cost falls on the rare
 *    writer) before checking the slots. Where the kernel does not export
 *    KeIpiGenericCall (Wine 8), or WmRegistryInitialize runs above
 *    PASSIVE_LEVEL before the library resolved it (WmInitializeLibrary
 *    does), the registry instead runs in "reader fences" mode for its whole
 *    life: each lookup executes one full barrier after announcing itself.
 *  - Cost of a lookup: parsing and hashing the key a word at a time; the
 *    call slot (a plain store in and out, plus a full barrier in reader-
 *    fences mode or for a thread without a slot of its own); and one 64-byte
 *    record of the hash table per probe. The table is kept at most a
 *    quarter full, so a hit reads 1.03 to 1.17 records on average (adjacent
 *    lines); the table takes 256 to 1,024 bytes a key (335 at 100k keys)
 *    beside the entry itself (about 300 bytes with a small value).
 *    A record holds the key's first 40 bytes (48 on 32-bit targets), the
 *    type and the handle, so a key of up to 40 bytes looked up through the
 *    declaration that registered it reads nothing else: one line of the
 *    table, no entry. Longer keys also read the entry (the rest of the key),
 *    as does a lookup through another declaration of the same type (the
 *    type's spelling); a counted lookup writes the entry's reference count.
 *    Writers pay for the protocol instead: a registration that grows the
 *    table, an unregistration and a destroy each interrupt every processor
 *    once (KeIpiGenericCall) before freeing.
 *  - Lifetime of what a lookup returns:
 *      * A plain handle (PrefixRegistryGet) stays valid until its key is
 *        unregistered or the registry destroyed. Overwriting the key does NOT
 *        end it: the replaced entry is kept, unreachable by name, until
 *        destroy, so a thread that got or holds the old lock is never left with
 *        freed memory. (Use unregister + register to replace and free.)
 *      * A thread that holds a registered lock is always safe: unregister and
 *        destroy refuse (STATUS_WM_REGISTRY_BUSY) while it is held.
 *      * A counted handle (PrefixRegistryReference) also keeps the entry: while
 *        it exists, unregister and destroy of that entry refuse. Release it
 *        with PrefixRegistryDereference. Use counted handles for code that may
 *        race an unregister or a destroy, and to keep a handle on a hot path
 *        (no further lookup, no further registry cost).
 *      * PrefixRegistryLock finds and locks in one call, counted while it
 *        waits, so it is safe against a racing unregister or destroy.
 *      * A registered lock belongs to the registry: PrefixDestroy,
 *        PrefixIntoInner and PrefixIntoPool on its handle return
 *        STATUS_WM_OWNED_BY_REGISTRY and free nothing.
 *  - Unregister frees the entry (destructor, lock, key) as soon as no thread
 *    can reach it: at once when no lookup is in flight, otherwise by a later
 *    registration, unregistration or destroy (each retries what is pending;
 *    destroy frees everything). Destroy refuses rather than
 *    waits: while a registry call is in progress, or any registered (or
 *    replaced) lock is held or has counted handles, it returns
 *    STATUS_WM_REGISTRY_BUSY and the registry stays usable.
 *  - Storage: all registry memory is nonpaged, from the library allocator,
 *    tag WM_TAG_REGISTRY ('WmRg'); after destroy nothing remains.
 *  - Kernel DDIs used: interlocked operations, one FAST_MUTEX and, when the
 *    kernel exports it, KeIpiGenericCall (resolved at run time, never
 *    imported), so it runs on Wine 8's ntoskrnl too. Lookups never wait for
 *    a writer: a table record is written once, before it is published.
 *
 * Example (WDM driver):
 *
 *     WM_DECLARE_FAST_MUTEX_TYPE(COUNTER_MUTEX, CounterMutex, ULONG);
 *
 *     DriverEntry:   Status = WmRegistryInitialize();
 *                    ULONG Zero = 0;
 *                    Status = CounterMutexRegisterChecked("io.count", &Zero, NULL);
 *     any thread:    COUNTER_MUTEX_GUARD Guard;
 *                    Status = CounterMutexRegistryLock("io.count", &Guard);
 *                    if (Status == STATUS_SUCCESS) { *Guard.Value += 1;
 *                                                    CounterMutexUnlock(&Guard); }
 *     DriverUnload:  Status = WmRegistryDestroy();   // every value, every lock
 *
 * Generated for each type (TYPE, Prefix, T) — all return NTSTATUS:
 *   PrefixRegister(PCSTR Key, const T *Initial, PWM_VALUE_DESTRUCTOR)
 *   PrefixRegisterChecked(PCSTR Key, const T *Initial, PWM_VALUE_DESTRUCTOR)
 *   PrefixRegistryGet(PCSTR Key, TYPE *Mutex)
 *   PrefixRegistryReference(PCSTR Key, TYPE *Mutex)
 *   PrefixRegistryDereference(TYPE *Mutex)
 *   PrefixRegistryLock(PCSTR Key, TYPE_GUARD *Guard)
 * documented at WMP_DECLARE_REGISTRY_FUNCTIONS below.
 */
#ifndef WDKMUTEX_REGISTRY_H
#define WDKMUTEX_REGISTRY_H

#include "lock.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest key in bytes, without the terminating NUL. */
#define WM_REGISTRY_MAX_KEY_LENGTH 64

/* Call slots of the registry's gate (see Concurrency above). */
#define WMP_REGISTRY_CALL_SLOTS 128

/* WM_LOCK_HEADER.Flags: the lock lives inside a registry entry (the registry
 * frees it; PrefixDestroy on it runs the destructor but frees nothing). */
#define WMP_LOCK_FLAG_REGISTRY 0x02

/* Type identity of a registered value: one constant per declared type,
 * generated next to its typed functions. */
typedef struct _WMP_REGISTRY_TYPE {
    PCWM_LOCK_OPS Ops;        /* the lock kind                            */
    PCSTR         Name;       /* spelling of T in the declaration          */
    ULONG         ObjectSize; /* sizeof(TYPE_STORAGE)                      */
    ULONG         ValueSize;  /* sizeof(T)                                 */
    ULONG         ValueOffset;/* offsetof(TYPE_STORAGE, Value)             */
} WMP_REGISTRY_TYPE;
typedef const WMP_REGISTRY_TYPE *PCWMP_REGISTRY_TYPE;

/* ------------------------------------------------------------------------- *
 * Registry lifetime and untyped operations.
 * ------------------------------------------------------------------------- */

/*
 * WmRegistryInitialize
 *
 * Creates the driver's registry (seed: Grt::init). Call it once, typically in
 * DriverEntry; concurrent calls are safe and exactly one succeeds.
 *
 * Return values:
 *   STATUS_SUCCESS
 *   STATUS_WM_REGISTRY_EXISTS          a registry exists already (unchanged)
 *   STATUS_WM_POOL_ALLOCATION_FAILED   nothing was created
 *   STATUS_WM_IRQL_TOO_HIGH            above APC_LEVEL
 *   STATUS_NOT_SUPPORTED               the kernel does not map the current
 *                                      thread where this build reads it
 *                                      (compiler.h, WM_THREAD_IDENTITY_FALLBACK)
 *
 * IRQL: <= APC_LEVEL; not changed.
 *
 * Remarks: picks the registry's mode for its life (see Concurrency above):
 * the KeIpiGenericCall heavy barrier when the kernel exports it and it has
 * been resolved (at PASSIVE_LEVEL here, or earlier by WmInitializeLibrary),
 * else reader fences.
 */
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTSTATUS
WmRegistryInitialize(VOID);

/*
 * WmRegistryDestroy
 *
 * Frees the registry and everything in it: runs each value's destructor
 * (also of replaced entries), deletes each lock, frees keys and tables
 * (seed: Grt::destroy). Refuses, changing nothing, while it cannot do so
 * safely; the registry then stays fully usable and the call can be repeated.
 *
 * Return values:
 *   STATUS_SUCCESS                     the registry is gone; Initialize may
 *                                      create a new one
 *   STATUS_WM_REGISTRY_NOT_INITIALIZED there is no registry (never created,
 *                                      destroyed already)
 *   STATUS_WM_REGISTRY_BUSY            another thread is inside a registry
 *                                      call (or another destroy runs), or a
 *                                      registered or replaced lock is held or
 *                                      has counted handles
 *   STATUS_WM_IRQL_TOO_HIGH            above APC_LEVEL
 *
 * IRQL: <= APC_LEVEL; destructors run at the caller's IRQL.
 *
 * Remarks: plain handles from PrefixRegistryGet are invalid afterwards. A
 * thread that might still use one must have finished before destroy (or hold
 * the lock, or a counted handle, which makes destroy refuse).
 */
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTSTATUS
WmRegistryDestroy(VOID);

/*
 * WmRegistryUnregister
 *
 * Removes Key and frees its entry (runs the value's destructor, deletes the
 * lock). The entry is freed before the call returns unless a lookup is in
 * flight on another thread at that moment; it is then freed by the next
 * registration, unregistration or destroy. Works for a key of any kind/type.
 *
 * Return values:
 *   STATUS_SUCCESS
 *   STATUS_WM_INVALID_KEY              NULL, empty or too long
 *   STATUS_WM_REGISTRY_NOT_INITIALIZED
 *   STATUS_WM_REGISTRY_EMPTY           the registry holds no key
 *   STATUS_WM_KEY_NOT_FOUND
 *   STATUS_WM_REGISTRY_BUSY            the lock is held or has counted
 *                                      handles; the key stays registered
 *   STATUS_WM_IRQL_TOO_HIGH            above APC_LEVEL
 *
 * IRQL: <= APC_LEVEL (uses the registry's fast mutex).
 *
 * Remarks: plain handles to the entry are invalid afterwards.
 */
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTSTATUS
WmRegistryUnregister(
    _In_opt_z_ PCSTR Key);

/*
 * WmRegistryCount
 *
 * Number of registered keys (replaced entries are not counted). A snapshot:
 * concurrent registrations may change it at once.
 *
 * Return values:
 *   STATUS_SUCCESS                     *Count set (0 for an empty registry)
 *   STATUS_WM_INVALID_PARAMETER        Count is NULL
 *   STATUS_WM_REGISTRY_NOT_INITIALIZED *Count set to 0
 *   STATUS_WM_IRQL_TOO_HIGH            above DISPATCH_LEVEL
 *
 * IRQL: <= DISPATCH_LEVEL.
 */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS
WmRegistryCount(
    _Out_ PULONG Count);

/*
 * WmRegistryIsInitialized
 *
 * TRUE when a registry exists and is not being destroyed. A snapshot.
 *
 * IRQL: any.
 */
_IRQL_requires_max_(HIGH_LEVEL)
BOOLEAN
WmRegistryIsInitialized(VOID);

/*
 * WmRegistryDereference
 *
 * Releases one counted handle obtained by a PrefixRegistryReference call
 * (the typed PrefixRegistryDereference calls this). Lock is the handle's
 * lock header.
 *
 * Return values:
 *   STATUS_SUCCESS
 *   STATUS_WM_INVALID_PARAMETER  Lock is NULL, not a registry lock, or has no
 *                                counted handle left (nothing changed)
 *   STATUS_WM_IRQL_TOO_HIGH      above DISPATCH_LEVEL
 *
 * IRQL: <= DISPATCH_LEVEL.
 *
 * Remarks: once the last counted handle of an unregistered entry is gone the
 * entry is freed by the next registry writer or destroy. Using the handle
 * after dereferencing it is only as safe as a plain handle.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
NTSTATUS
WmRegistryDereference(
    _In_opt_ PWM_LOCK_HEADER Lock);

/* ------------------------------------------------------------------------- *
 * Generic core (src/registry.c). The typed functions call these; drivers use
 * the typed functions.
 * ------------------------------------------------------------------------- */

/* Registers a new lock of Type under Key holding a copy of *Initial (NULL =
 * zeroed). Overwrite TRUE replaces an existing entry of the key (of any
 * kind/type; the old one is kept until destroy), FALSE returns
 * STATUS_WM_KEY_EXISTS. See PrefixRegister for the return values. */
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTSTATUS
WmpRegistryRegister(
    _In_opt_z_ PCSTR Key,
    _In_ PCWMP_REGISTRY_TYPE Type,
    _In_opt_ const VOID *Initial,
    _In_opt_ PWM_VALUE_DESTRUCTOR Destructor,
    _In_ BOOLEAN Overwrite);

/* WmpRegistryLookup Flags */
#define WMP_REGISTRY_LOOKUP_REFERENCE 0x1  /* take a counted handle */

/* Finds Key, checks it holds Type, returns its lock header (counted when
 * Flags has WMP_REGISTRY_LOOKUP_REFERENCE). *Lock is NULL on failure. Type
 * and Lock must not be NULL (the generated wrappers pass their own). */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS
WmpRegistryLookup(
    _In_opt_z_ PCSTR Key,
    _In_ PCWMP_REGISTRY_TYPE Type,
    _In_ ULONG Flags,
    _Outptr_result_maybenull_ PWM_LOCK_HEADER *Lock);

/* Finds Key, checks Type, and acquires its lock (blocking) into Guard,
 * counted while it waits. IRQL: as the kind's lock (the lookup itself allows
 * DISPATCH_LEVEL). */
_IRQL_requires_max_(DISPATCH_LEVEL) _Must_inspect_result_
NTSTATUS
WmpRegistryLock(
    _In_opt_z_ PCSTR Key,
    _In_ PCWMP_REGISTRY_TYPE Type,
    _Out_ PWM_GUARD Guard);

/* Tests only: makes the calling thread count as a registry call in progress
 * (Hold TRUE) until it calls again with FALSE, so tests can show deferred
 * reclamation and destroy's refusal deterministically. Never in a driver. */
VOID
WmpRegistryTestHoldCall(
    _In_ BOOLEAN Hold);

/* Tests only: the gate's state. *ClaimedSlots: slots claimed by a thread
 * (of WMP_REGISTRY_CALL_SLOTS); *CallerHasSlot: the calling thread owns one;
 * *ReaderFences: the registry runs in reader-fences mode (FALSE without a
 * registry, which returns STATUS_WM_REGISTRY_NOT_INITIALIZED). */
NTSTATUS
WmpRegistryTestQueryGate(
    _Out_ PULONG ClaimedSlots,
    _Out_ PBOOLEAN CallerHasSlot,
    _Out_ PBOOLEAN ReaderFences);

/* Tests and benchmarks only: *Records, the records of the registry's table
 * now (0 without a registry, which returns
 * STATUS_WM_REGISTRY_NOT_INITIALIZED). */
NTSTATUS
WmpRegistryTestQueryCapacity(
    _Out_ PULONG Records);

/* Tests only: gives back every slot claim, so a test can start from an
 * empty gate. Only while no other thread is in, or can enter, a registry
 * call. */
VOID
WmpRegistryTestReleaseCallSlots(VOID);

/* Tests only: forgets every counted handle, so a failed test that returned
 * early still lets the next test destroy the registry. */
_IRQL_requires_max_(APC_LEVEL)
VOID
WmpRegistryTestDropReferences(VOID);

/* Generated constant data (unused ones must not warn). */
#if defined(__GNUC__) || defined(__clang__)
#define WMP_GENERATED_DATA static const __attribute__((unused))
#else
#define WMP_GENERATED_DATA static const
#endif

/* ------------------------------------------------------------------------- *
 * WMP_DECLARE_REGISTRY_FUNCTIONS(TYPE, Prefix, T, Ops)
 *
 * Expanded by WMP_DECLARE_LOCK_TYPE for every declared lock type; generates:
 *
 * PrefixRegister(Key, Initial, Destructor)
 *   Registers a new lock holding a copy of *Initial (NULL = zeroed) under Key;
 *   an existing entry of the key (of any kind or type) is replaced — kept,
 *   unreachable by name, until destroy, so its holders are never left with
 *   freed memory (seed: register_kmutex / register_fast_mutex).
 *   Returns STATUS_SUCCESS, STATUS_WM_INVALID_KEY, STATUS_WM_INVALID_SIZE,
 *   STATUS_WM_REGISTRY_NOT_INITIALIZED, STATUS_WM_POOL_ALLOCATION_FAILED
 *   (nothing changed), STATUS_WM_IRQL_TOO_HIGH (above APC_LEVEL).
 *
 * PrefixRegisterChecked(Key, Initial, Destructor)
 *   As PrefixRegister, but an existing key is an error: STATUS_WM_KEY_EXISTS,
 *   nothing changed (seed: register_*_checked).
 *
 * PrefixRegistryGet(Key, &Mutex)
 *   Finds Key and returns its typed handle; lock-free, writes only the
 *   calling thread's call slot (seed: get_kmutex::<T> / get_fast_mutex::<T>).
 *   The handle is valid until the key is unregistered or the registry
 *   destroyed.
 *   Returns STATUS_SUCCESS, STATUS_WM_INVALID_PARAMETER (Mutex NULL),
 *   STATUS_WM_INVALID_KEY, STATUS_WM_REGISTRY_NOT_INITIALIZED,
 *   STATUS_WM_REGISTRY_EMPTY, STATUS_WM_KEY_NOT_FOUND, STATUS_WM_TYPE_MISMATCH,
 *   STATUS_WM_IRQL_TOO_HIGH (above DISPATCH_LEVEL). Mutex->Object is NULL on
 *   failure.
 *
 * PrefixRegistryReference(Key, &Mutex)
 *   As PrefixRegistryGet, and counts the handle: unregister and destroy refuse
 *   while it exists. Release with PrefixRegistryDereference.
 *
 * PrefixRegistryDereference(&Mutex)
 *   Releases a counted handle and NULLs it. Returns STATUS_SUCCESS,
 *   STATUS_WM_INVALID_PARAMETER (NULL, not a registry handle, not counted).
 *
 * PrefixRegistryLock(Key, &Guard)
 *   Finds Key and locks it (waits), in one call that is safe against a racing
 *   unregister or destroy. Returns the lookup errors above, or what PrefixLock
 *   returns. IRQL: as PrefixLock (<= APC_LEVEL for the mutexes).
 *
 * IRQL: register <= APC_LEVEL; get, reference and dereference
 * <= DISPATCH_LEVEL. None changes the IRQL except a successful lock, which
 * behaves as PrefixLock.
 * ------------------------------------------------------------------------- */
#define WMP_DECLARE_REGISTRY_FUNCTIONS(TYPE, Prefix, T, Ops)                         \
    WMP_GENERATED_DATA WMP_REGISTRY_TYPE WmpRegistryType_##TYPE = {                  \
        (Ops), #T, (ULONG)sizeof(TYPE##_STORAGE), (ULONG)sizeof(T),                  \
        (ULONG)offsetof(TYPE##_STORAGE, Value)                                       \
    };                                                                               \
    WM_GENERATED NTSTATUS Prefix##Register(PCSTR Key, const T *Initial,              \
                                           PWM_VALUE_DESTRUCTOR Destructor)          \
    {                                                                                \
        return WmpRegistryRegister(Key, &WmpRegistryType_##TYPE, Initial,            \
                                   Destructor, TRUE);                                \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##RegisterChecked(PCSTR Key, const T *Initial,       \
                                                  PWM_VALUE_DESTRUCTOR Destructor)   \
    {                                                                                \
        return WmpRegistryRegister(Key, &WmpRegistryType_##TYPE, Initial,            \
                                   Destructor, FALSE);                               \
    }                                                                                \
    WM_GENERATED NTSTATUS WmpRegistryFind_##TYPE(PCSTR Key, ULONG Flags_,            \
                                                 TYPE *Mutex)                        \
    {                                                                                \
        PWM_LOCK_HEADER Lock_;                                                       \
        NTSTATUS Status_;                                                            \
        if (Mutex == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Status_ = WmpRegistryLookup(Key, &WmpRegistryType_##TYPE, Flags_, &Lock_);   \
        Mutex->Object = (TYPE##_STORAGE *)(PVOID)Lock_;                              \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##RegistryGet(PCSTR Key, TYPE *Mutex)                \
    {                                                                                \
        return WmpRegistryFind_##TYPE(Key, 0, Mutex);                                \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##RegistryReference(PCSTR Key, TYPE *Mutex)          \
    {                                                                                \
        return WmpRegistryFind_##TYPE(Key, WMP_REGISTRY_LOOKUP_REFERENCE, Mutex);    \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##RegistryDereference(TYPE *Mutex)                   \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        if (Mutex == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Status_ = WmRegistryDereference(Mutex->Object ? &Mutex->Object->Lock.Header  \
                                                      : NULL);                       \
        if (NT_SUCCESS(Status_)) Mutex->Object = NULL;                               \
        return Status_;                                                              \
    }                                                                                \
    WM_GENERATED NTSTATUS Prefix##RegistryLock(PCSTR Key, TYPE##_GUARD *Guard)       \
    {                                                                                \
        NTSTATUS Status_;                                                            \
        if (Guard == NULL) return STATUS_WM_INVALID_PARAMETER;                       \
        Status_ = WmpRegistryLock(Key, &WmpRegistryType_##TYPE, &Guard->Base);       \
        Guard->Value = (Status_ == STATUS_SUCCESS)                                   \
            ? &((TYPE##_STORAGE *)(PVOID)Guard->Base.Lock)->Value : NULL;            \
        return Status_;                                                              \
    }                                                                                \
    typedef int WmpRegistryDeclared_##TYPE

#ifdef __cplusplus
}
#endif
#endif /* WDKMUTEX_REGISTRY_H */
