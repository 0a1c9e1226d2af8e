/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The registry of named mutexes: a lock-free lookup table of
 *              typed lock entries with safe reclamation and teardown.
 * ENVIRONMENT: Kernel mode; also built in the host model.
 *
 * Design (the contract is in registry.h):
 *
 *  Gate. A static array of 128 cache-line-padded call slots, indexed by a
 *  hash of the current thread, plus the published registry pointer and a
 *  Destroying flag. Every registry call announces itself in a slot — it
 *  owns its slot (or one of the next two, when another call owns it) alone
 *  with one compare-exchange and leaves with a plain release store, or else
 *  counts itself in its slot's Shared counter (interlocked in and out) —
 *  then reads Destroying and the registry pointer. The announcement is an
 *  interlocked operation, a full barrier. Destroy sets Destroying (interlocked) and then requires every
 *  slot to be seen free: by the barrier pairing, a call either is seen or
 *  sees the flag. The same scan after an unlink proves no lookup can still
 *  be looking at what was unlinked. Lookups write nothing else shared, so
 *  lookups on different processors do not slow each other down.
 *
 *  Table. Open addressing with linear probing, power-of-two capacity, at
 *  most half full counting tombstones. A slot is { hash, entry pointer }:
 *  writers fill the hash, then publish the pointer with an interlocked
 *  exchange (release); readers load the pointer with acquire, so an entry's
 *  contents, written before publication and never changed after, are
 *  visible. Removal writes a TOMBSTONE, so a probe chain never shortens
 *  under a reader. A rebuild (growth, or purging tombstones) fills a new
 *  slot array, publishes it and retires the old one until no reader can be
 *  on it.
 *
 *  Entry. One 64-byte-aligned block: a lookup line (type identity, key length
 *  and the first 32 key bytes — all a lookup of a short key reads), the rest
 *  of the key and the mutable fields, then, on its own cache line, the lock
 *  object (header, kernel object, value) initialised in place. Handles point
 *  at that lock object.
 *
 *  Writers (register, unregister, rebuild) serialise on a FAST_MUTEX in the
 *  registry; they enter the gate only until they own it, and destroy takes
 *  it too, so a writer never races a destroy.
 *
 *  Reclamation. An unregistered entry or a retired slot array is freed once
 *  every gate counter has been seen at zero after its unlink and, for an
 *  entry, it is neither held nor referenced. Otherwise it waits on a retired
 *  list that every later writer and destroy retries. Overwritten entries are
 *  kept until destroy (plain handles to them stay valid).
 */
#include "wmp.h"

/* ------------------------------------------------------------------------ */
/* Constants and memory-order helpers                                       */
/* ------------------------------------------------------------------------ */

#define WMP_CACHE_LINE        64
#define WMP_CALL_SLOTS        128          /* power of two                    */
#define WMP_CALL_SLOT_BITS    7
#define WMP_CALL_PROBES       3            /* slots tried before sharing one  */
#define WMP_KEY_WORDS         (WM_REGISTRY_MAX_KEY_LENGTH / 8)
#define WMP_TABLE_MIN         16           /* initial and smallest capacity   */
#define WMP_TABLE_MAX         0x40000000UL /* capacity limit (2^30 slots)     */
#define WMP_DRAIN_SPINS       4096         /* per call slot, per attempt      */

WM_STATIC_ASSERT(WM_REGISTRY_MAX_KEY_LENGTH % 8 == 0, "key storage is whole words");
WM_STATIC_ASSERT((1u << WMP_CALL_SLOT_BITS) == WMP_CALL_SLOTS, "slot bits");

#if defined(__GNUC__) || defined(__clang__)
#define WmpLoadAcquire(P)          __atomic_load_n((P), __ATOMIC_ACQUIRE)
#define WmpLoadSeqCst(P)           __atomic_load_n((P), __ATOMIC_SEQ_CST)
#define WmpLoadRelaxed(P)          __atomic_load_n((P), __ATOMIC_RELAXED)
#define WmpStoreRelaxed(P, V)      __atomic_store_n((P), (V), __ATOMIC_RELAXED)
#define WmpStoreRelease(P, V)      __atomic_store_n((P), (V), __ATOMIC_RELEASE)
#if defined(__i386__) || defined(__x86_64__)
#define WmpPause()                 __builtin_ia32_pause()
#else
#define WmpPause()                 ((VOID)0)
#endif
#else
/* MSVC on x86/x64: volatile accesses are acquire loads / release stores. */
#define WmpLoadAcquire(P)          (*(P))
#define WmpLoadSeqCst(P)           (*(P))
#define WmpLoadRelaxed(P)          (*(P))
#define WmpStoreRelaxed(P, V)      ((VOID)(*(P) = (V)))
#define WmpStoreRelease(P, V)      ((VOID)(*(P) = (V)))
#define WmpPause()                 YieldProcessor()
#endif

/* The key reader loads whole aligned words (see WmpParseKey); sanitizers must
 * not instrument those loads, and the function must not be inlined into an
 * instrumented caller. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WMP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WMP_SANITIZED 1
#endif
#endif
#if defined(__GNUC__) || defined(__clang__)
#ifdef WMP_SANITIZED
#define WMP_WORD_AT_A_TIME __attribute__((no_sanitize_address, no_sanitize_thread, noinline))
#else
#define WMP_WORD_AT_A_TIME
#endif
typedef ULONG64 __attribute__((may_alias)) WMP_ALIASING_WORD;
#else
#define WMP_WORD_AT_A_TIME
typedef ULONG64 WMP_ALIASING_WORD;
#endif

/* ------------------------------------------------------------------------ */
/* Structures                                                               */
/* ------------------------------------------------------------------------ */

typedef struct _WMP_REGISTRY_ENTRY WMP_REGISTRY_ENTRY, *PWMP_REGISTRY_ENTRY;
typedef struct _WMP_REGISTRY_TABLE WMP_REGISTRY_TABLE, *PWMP_REGISTRY_TABLE;
typedef struct _WMP_REGISTRY WMP_REGISTRY, *PWMP_REGISTRY;

/* A removed slot: probing continues past it, inserts may reuse it. */
#define WMP_TOMBSTONE ((PWMP_REGISTRY_ENTRY)(ULONG_PTR)1)

struct _WMP_REGISTRY_ENTRY {
    /* Lookup line: written before publication, never changed after. A lookup
     * of a key of up to 32 bytes reads nothing else of the entry. */
    PCWMP_REGISTRY_TYPE Type;        /* descriptor of the registering declaration */
    PCWM_LOCK_OPS       Ops;
    PCSTR               TypeName;
    ULONG               ValueSize;
    USHORT              ValueOffset;
    USHORT              KeyLength;
    ULONG64             Key[WMP_KEY_WORDS]; /* zero-padded to whole words       */
    /* Mutable state. */
    LONG volatile       References;  /* counted handles (interlocked)          */
    LONG                Reserved;
    PWMP_REGISTRY_ENTRY Next;        /* retired / replaced list (writer lock)  */
    PVOID               Block;       /* allocation to free                     */
};

/* The lock object starts on the first cache line after the entry fields, so
 * lock traffic never invalidates the lookup line. */
#define WMP_ENTRY_LOCK_OFFSET \
    ((sizeof(WMP_REGISTRY_ENTRY) + WMP_CACHE_LINE - 1) & ~(SIZE_T)(WMP_CACHE_LINE - 1))

typedef struct _WMP_REGISTRY_SLOT {
    ULONG_PTR volatile           Hash;  /* filter only; the key decides        */
    PWMP_REGISTRY_ENTRY volatile Entry; /* NULL, WMP_TOMBSTONE or an entry     */
} WMP_REGISTRY_SLOT, *PWMP_REGISTRY_SLOT;

struct _WMP_REGISTRY_TABLE {
    ULONG               Mask;   /* capacity - 1                               */
    ULONG               Used;   /* live + tombstones (writer lock)            */
    PWMP_REGISTRY_SLOT  Slots;  /* cache-line aligned, after this header      */
    PWMP_REGISTRY_TABLE Next;   /* retired list (writer lock)                 */
    PVOID               Block;
};

#define WMP_TABLE_HEADER_SIZE \
    ((sizeof(WMP_REGISTRY_TABLE) + WMP_CACHE_LINE - 1) & ~(SIZE_T)(WMP_CACHE_LINE - 1))

struct _WMP_REGISTRY {
    /* Read by every lookup. */
    _Alignas(WMP_CACHE_LINE) PWMP_REGISTRY_TABLE volatile Table;
    LONG volatile       Count;      /* live keys                               */
    /* Writers only. */
    _Alignas(WMP_CACHE_LINE) FAST_MUTEX WriterLock;
    PWMP_REGISTRY_ENTRY Retired;    /* unregistered, not yet freed             */
    PWMP_REGISTRY_ENTRY Replaced;   /* overwritten, kept until destroy         */
    PWMP_REGISTRY_TABLE RetiredTables;
    PVOID               Block;
};

/* One cache line per slot. A call first tries to own the slot alone (one
 * compare-exchange in, one plain release store out); when another call owns
 * it, it counts itself in Shared (interlocked in and out). */
typedef struct _WMP_CALL_SLOT {
    _Alignas(WMP_CACHE_LINE) LONG volatile Owner;  /* 1: one call owns it     */
    LONG volatile Shared;                          /* other calls in progress */
} WMP_CALL_SLOT;

/* WmpEnter's token: the slot index, plus this bit for a Shared entry. */
#define WMP_CALL_SHARED 0x80000000UL

typedef struct _WMP_REGISTRY_GATE {
    /* Read by every call, written by initialize and destroy only. */
    _Alignas(WMP_CACHE_LINE) PWMP_REGISTRY volatile Registry;
    LONG volatile       Destroying;
    WMP_CALL_SLOT       Calls[WMP_CALL_SLOTS];
} WMP_REGISTRY_GATE;

static WMP_REGISTRY_GATE WmpGate;

/* A parsed key: canonical words (WordCount of them, the last zero-padded;
 * one spare for an over-long key being refused), length, hash. */
typedef struct _WMP_KEY {
    ULONG64 Words[WMP_KEY_WORDS + 1];
    ULONG64 Hash;
    ULONG   Length;
    ULONG   WordCount;
} WMP_KEY;

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

#define WMP_ONES  0x0101010101010101ULL
#define WMP_HIGHS 0x8080808080808080ULL

/* Per-word hashing constants (odd multipliers, arbitrary salts). */
static const ULONG64 WmpHashMultiplier[WMP_KEY_WORDS + 1] = {
    0xA0761D6478BD642FULL, 0xE7037ED1A0B428DBULL, 0x8EBC6AF09C88C6E3ULL, 0x589965CC75374CC3ULL,
    0x1D8E4E27C47D124FULL, 0xD6E8FEB86659FD93ULL, 0xFF51AFD7ED558CCDULL, 0xC4CEB9FE1A85EC53ULL,
    0x9E3779B97F4A7C15ULL,
};
static const ULONG64 WmpHashSalt[WMP_KEY_WORDS + 1] = {
    0x2D358DCCAA6C78A5ULL, 0x8BB84B93962EACC9ULL, 0x4B33A62ED433D4A3ULL, 0x4D5A2DA51DE1AA47ULL,
    0x9FB21C651E98DF25ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL, 0x27D4EB2F165667C5ULL,
    0x94D049BB133111EBULL,
};

/* Index (0..7) of the lowest byte flagged in a has-zero mask. */
WM_INLINE ULONG
WmpLowestFlaggedByte(_In_ ULONG64 Flags)
{
#if defined(__GNUC__) || defined(__clang__)
    return (ULONG)__builtin_ctzll(Flags) >> 3;
#else
    ULONG Byte = 0;
    while ((Flags & 0x80) == 0) {
        Flags >>= 8;
        Byte++;
    }
    return Byte;
#endif
}

/*
 * Reads a NUL-terminated key a word at a time, canonicalises it into
 * little-endian words starting at the key's first byte (the last one
 * zero-padded), and hashes it. Returns FALSE for NULL, empty or over-long
 * keys.
 *
 * The loads are 8-byte aligned, so a load that reaches past the terminator
 * never crosses into another page; bytes outside the key are masked off (the
 * technique of the Linux kernel's word-at-a-time string routines). For a
 * typical key this is a third of the work of a byte loop.
 */
#define WMP_HAS_ZERO(W) (((W) - WMP_ONES) & ~(W) & WMP_HIGHS)
#define WMP_LOW_BYTES(N) ((1ULL << ((N) * 8)) - 1)   /* N in 1..7 */
#define WMP_HASH_WORD(Hash, Word, Index) \
    ((Hash) += ((Word) ^ WmpHashSalt[(Index)]) * WmpHashMultiplier[(Index)])

static WMP_WORD_AT_A_TIME BOOLEAN
WmpParseKey(_In_opt_z_ PCSTR Key, _Out_ WMP_KEY *Parsed)
{
    const WMP_ALIASING_WORD *Aligned;
    ULONG64 Current;
    ULONG64 Next;
    ULONG64 Word;
    ULONG64 Zero;
    ULONG64 Hash = 0;
    ULONG Offset;
    ULONG Shift;
    ULONG Length = 0;
    ULONG Index;
    ULONG Rest;

    if (Key == NULL) {
        return FALSE;
    }
    Offset = (ULONG)((ULONG_PTR)Key & 7);
    Aligned = (const WMP_ALIASING_WORD *)((ULONG_PTR)Key - Offset);

    if (Offset == 0) {
        /* Aligned key: each loaded word is a key word. */
        for (Index = 0;; Index++) {
            Word = Aligned[Index];
            Zero = WMP_HAS_ZERO(Word);
            if (Zero != 0) {
                Rest = WmpLowestFlaggedByte(Zero);
                Length = Index * 8 + Rest;
                if (Rest != 0) {
                    Word &= WMP_LOW_BYTES(Rest);
                    Parsed->Words[Index] = Word;
                    WMP_HASH_WORD(Hash, Word, Index);
                    Index++;
                }
                break;
            }
            Parsed->Words[Index] = Word;
            WMP_HASH_WORD(Hash, Word, Index);
            /* 64 bytes and the NUL fit in WMP_KEY_WORDS + 1 words. */
            if (Index == WMP_KEY_WORDS) {
                return FALSE;
            }
        }
    } else {
        /* Key word I is the top of aligned word I and the bottom of I + 1.
         * Bytes before the key are forced non-zero: not a terminator. */
        Shift = Offset * 8;
        Current = Aligned[0] | WMP_LOW_BYTES(Offset);
        for (Index = 0;; Index++) {
            Zero = WMP_HAS_ZERO(Current);
            if (Zero != 0) {
                /* The key ends inside the top of Current. */
                Length = Index * 8 + WmpLowestFlaggedByte(Zero) - Offset;
                Rest = Length - Index * 8;
                if (Rest != 0) {
                    Word = (Current >> Shift) & WMP_LOW_BYTES(Rest);
                    Parsed->Words[Index] = Word;
                    WMP_HASH_WORD(Hash, Word, Index);
                    Index++;
                }
                break;
            }
            if (Index == WMP_KEY_WORDS) {
                return FALSE;
            }
            Next = Aligned[Index + 1];
            Word = (Current >> Shift) | (Next << (64 - Shift));
            Zero = WMP_HAS_ZERO(Next);
            if (Zero != 0 && WmpLowestFlaggedByte(Zero) < Offset) {
                /* The key ends in the bottom of Next, inside this word. */
                Rest = 8 - Offset + WmpLowestFlaggedByte(Zero);
                Length = Index * 8 + Rest;
                if (Rest != 8) {
                    Word &= WMP_LOW_BYTES(Rest);
                }
                Parsed->Words[Index] = Word;
                WMP_HASH_WORD(Hash, Word, Index);
                Index++;
                break;
            }
            Parsed->Words[Index] = Word;
            WMP_HASH_WORD(Hash, Word, Index);
            Current = Next;
        }
    }
    if (Length == 0 || Length > WM_REGISTRY_MAX_KEY_LENGTH) {
        return FALSE;
    }
    /* Final avalanche of length and words: the table index uses the low
     * bits. Keys come from the driver, not an adversary: no random seed. */
    Hash += (ULONG64)Length * 0x9E3779B97F4A7C15ULL;
    Hash ^= Hash >> 32;
    Hash *= 0xBF58476D1CE4E5B9ULL;
    Hash ^= Hash >> 29;
    Hash *= 0x94D049BB133111EBULL;
    Hash ^= Hash >> 32;

    Parsed->Hash = Hash;
    Parsed->Length = Length;
    Parsed->WordCount = Index;
    return TRUE;
}

WM_INLINE BOOLEAN
WmpKeyEquals(_In_ const WMP_REGISTRY_ENTRY *Entry, _In_ const WMP_KEY *Key)
{
    ULONG Index;

    if (Entry->KeyLength != Key->Length) {
        return FALSE;
    }
    for (Index = 0; Index < Key->WordCount; Index++) {
        if (Entry->Key[Index] != Key->Words[Index]) {
            return FALSE;
        }
    }
    return TRUE;
}

static BOOLEAN
WmpStringsEqual(_In_z_ PCSTR A, _In_z_ PCSTR B)
{
    if (A == B) {
        return TRUE;
    }
    while (*A != '\0' && *A == *B) {
        A++;
        B++;
    }
    return *A == *B;
}

/* Same kind, same type spelling, same size and layout. */
WM_INLINE BOOLEAN
WmpTypeMatches(_In_ const WMP_REGISTRY_ENTRY *Entry, _In_ PCWMP_REGISTRY_TYPE Type)
{
    /* The same declaration (the usual case within one file) is one pointer. */
    if (Entry->Type == Type) {
        return TRUE;
    }
    return Entry->Ops == Type->Ops && Entry->ValueSize == Type->ValueSize &&
           Entry->ValueOffset == Type->ValueOffset && WmpStringsEqual(Entry->TypeName, Type->Name);
}

/* ------------------------------------------------------------------------ */
/* Gate                                                                     */
/* ------------------------------------------------------------------------ */

/* The current thread's call slot. Threads hashing to one slot only share a
 * cache line (one owns it, the others count in Shared); correctness never
 * depends on the mapping. The thread identity is the lock core's. */
WM_INLINE ULONG
WmpCallSlot(VOID)
{
    ULONG64 Mixed = (ULONG64)(ULONG_PTR)WmpCurrentThread() * 0x9E3779B97F4A7C15ULL;

    return (ULONG)(Mixed >> (64 - WMP_CALL_SLOT_BITS));
}

/* Leaves a registry call. An owner's plain release store orders every read
 * of the call before it: a writer that then sees the slot free may free. */
WM_INLINE VOID
WmpLeave(_In_ ULONG Slot)
{
    if ((Slot & WMP_CALL_SHARED) == 0) {
        WmpStoreRelease(&WmpGate.Calls[Slot].Owner, 0);
    } else {
        InterlockedDecrement(&WmpGate.Calls[Slot & ~WMP_CALL_SHARED].Shared);
    }
}

/* Enters a registry call. On success *Registry stays valid until WmpLeave. */
static NTSTATUS
WmpEnter(_Out_ PULONG Slot, _Out_ PWMP_REGISTRY *Registry)
{
    ULONG Index = WmpCallSlot();
    PWMP_REGISTRY Current;
    ULONG Probe;
    ULONG Try;

    *Registry = NULL;
    /* Announce first (an interlocked operation: a full barrier), then look:
     * a destroy that set Destroying before the announcement is seen below;
     * one that sets it later sees the announcement and refuses. */
    for (Probe = 0;; Probe++) {
        Try = (Index + Probe) & (WMP_CALL_SLOTS - 1);
        /* Read first: a slot another call owns is not written to. */
        if (WmpLoadRelaxed(&WmpGate.Calls[Try].Owner) == 0 &&
            InterlockedCompareExchange(&WmpGate.Calls[Try].Owner, 1, 0) == 0) {
            *Slot = Try;
            break;
        }
        if (Probe + 1 == WMP_CALL_PROBES) {
            InterlockedIncrement(&WmpGate.Calls[Index].Shared);
            *Slot = Index | WMP_CALL_SHARED;
            break;
        }
    }
    if (WmpLoadSeqCst(&WmpGate.Destroying) != 0) {
        WmpLeave(*Slot);
        return STATUS_WM_REGISTRY_NOT_INITIALIZED;
    }
    /* Read after Destroying: a finished destroy publishes NULL before it
     * clears the flag. */
    Current = WmpLoadAcquire(&WmpGate.Registry);
    if (Current == NULL) {
        WmpLeave(*Slot);
        return STATUS_WM_REGISTRY_NOT_INITIALIZED;
    }
    *Registry = Current;
    return STATUS_SUCCESS;
}

/* Enters as a writer: returns owning the registry's writer lock (at
 * APC_LEVEL), outside the gate. */
_IRQL_requires_max_(APC_LEVEL)
static NTSTATUS
WmpEnterWriter(_Out_ PWMP_REGISTRY *Registry)
{
    PWMP_REGISTRY Current;
    NTSTATUS Status;
    ULONG Slot;

    Status = WmpEnter(&Slot, &Current);
    if (!NT_SUCCESS(Status)) {
        *Registry = NULL;
        return Status;
    }
    /* Destroy takes this lock before it frees anything, so owning it keeps
     * the registry alive without the gate. */
    ExAcquireFastMutex(&Current->WriterLock);
    WmpLeave(Slot);
    *Registry = Current;
    return STATUS_SUCCESS;
}

/* TRUE once every call counter has been seen at zero, each at least once,
 * after the caller's last unlink (whose interlocked store ordered it before
 * these loads). A call that entered after the counter was seen at zero can
 * only find what is still linked. Spins a bounded time per counter. */
static BOOLEAN
WmpWaitForCalls(VOID)
{
    ULONG Index;
    ULONG Spins;

    for (Index = 0; Index < WMP_CALL_SLOTS; Index++) {
        for (Spins = 0; WmpLoadSeqCst(&WmpGate.Calls[Index].Owner) != 0; Spins++) {
            if (Spins == WMP_DRAIN_SPINS) {
                return FALSE;
            }
            WmpPause();
        }
        for (Spins = 0; WmpLoadSeqCst(&WmpGate.Calls[Index].Shared) != 0; Spins++) {
            if (Spins == WMP_DRAIN_SPINS) {
                return FALSE;
            }
            WmpPause();
        }
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Allocation                                                               */
/* ------------------------------------------------------------------------ */

/* A zeroed, cache-line-aligned block of Size bytes; *Block is what to free. */
static PVOID
WmpAllocateAligned(_In_ SIZE_T Size, _Out_ PVOID *Block)
{
    PVOID Raw;

    *Block = NULL;
    if (Size > ((SIZE_T)-1) - WMP_CACHE_LINE) {
        return NULL;
    }
    Raw = WmpAllocate(Size + WMP_CACHE_LINE - 1, WM_TAG_REGISTRY);
    if (Raw == NULL) {
        return NULL;
    }
    *Block = Raw;
    return (PVOID)(((ULONG_PTR)Raw + WMP_CACHE_LINE - 1) & ~(ULONG_PTR)(WMP_CACHE_LINE - 1));
}

WM_INLINE PWM_LOCK_HEADER
WmpEntryLock(_In_ PWMP_REGISTRY_ENTRY Entry)
{
    return (PWM_LOCK_HEADER)((PUCHAR)Entry + WMP_ENTRY_LOCK_OFFSET);
}

WM_INLINE PWMP_REGISTRY_ENTRY
WmpEntryFromLock(_In_ PWM_LOCK_HEADER Lock)
{
    return (PWMP_REGISTRY_ENTRY)((PUCHAR)Lock - WMP_ENTRY_LOCK_OFFSET);
}

/* Builds an unpublished entry holding a new lock with a copy of *Initial. */
static NTSTATUS
WmpEntryCreate(_In_ const WMP_KEY *Key, _In_ PCWMP_REGISTRY_TYPE Type, _In_opt_ const VOID *Initial,
               _In_opt_ PWM_VALUE_DESTRUCTOR Destructor, _Out_ PWMP_REGISTRY_ENTRY *Created)
{
    PWMP_REGISTRY_ENTRY Entry;
    PWM_LOCK_HEADER Lock;
    PVOID Block;
    NTSTATUS Status;
    ULONG Index;

    *Created = NULL;
    if (Type->ObjectSize == 0 || Type->ObjectSize > 0x7FFFFFFFUL) {
        return STATUS_WM_INVALID_SIZE;
    }
    Entry = (PWMP_REGISTRY_ENTRY)WmpAllocateAligned(WMP_ENTRY_LOCK_OFFSET + Type->ObjectSize, &Block);
    if (Entry == NULL) {
        return STATUS_WM_POOL_ALLOCATION_FAILED;
    }
    Lock = WmpEntryLock(Entry);
    /* The core checks the layout and the IRQL the kind needs to initialise. */
    Status = WmpLockInitialize(Type->Ops, Lock, Type->ObjectSize, Type->ValueOffset,
                               Type->ValueSize, Initial, Destructor);
    if (!NT_SUCCESS(Status)) {
        WmpFree(Block, WM_TAG_REGISTRY);
        return Status;
    }
    Lock->Flags |= WMP_LOCK_FLAG_REGISTRY;

    Entry->Type = Type;
    Entry->Ops = Type->Ops;
    Entry->TypeName = Type->Name;
    Entry->ValueSize = Type->ValueSize;
    Entry->ValueOffset = (USHORT)Type->ValueOffset;
    Entry->KeyLength = (USHORT)Key->Length;
    /* The block is zeroed: the words after the key stay zero. */
    for (Index = 0; Index < Key->WordCount; Index++) {
        Entry->Key[Index] = Key->Words[Index];
    }
    Entry->Block = Block;
    *Created = Entry;
    return STATUS_SUCCESS;
}

/* TRUE while a thread holds the entry's lock or a counted handle to it. */
static BOOLEAN
WmpEntryInUse(_In_ PWMP_REGISTRY_ENTRY Entry)
{
    PWM_LOCK_HEADER Lock = WmpEntryLock(Entry);

    return WmpLoadSeqCst(&Entry->References) != 0 ||
           WmpLoadPointerRelaxed(&Lock->Owner) != NULL ||
           WmpLoadSeqCst(&Lock->SharedHolders) != 0;
}

/* Frees an entry no thread can reach any more. RunDestructor: it was
 * published (its value is the registry's); otherwise it is a failed
 * registration whose value still belongs to the caller. */
static VOID
WmpEntryFree(_In_ PWMP_REGISTRY_ENTRY Entry, _In_ BOOLEAN RunDestructor)
{
    PWM_LOCK_HEADER Lock = WmpEntryLock(Entry);
    WM_GUARD Guard;

    if (Lock->Ops != NULL) {
        if (RunDestructor) {
            /* The last holder cleared Owner before its kernel release
             * returned; taking the lock once waits until that release is done
             * with the object. */
            if (WmpLockAcquire(Lock, NULL, FALSE, &Guard) == STATUS_SUCCESS) {
                (VOID)WmUnlock(&Guard);
            }
            (VOID)WmpRegistryLockDestroy(Lock);
        } else if (Lock->Ops->Delete != NULL) {
            Lock->Ops->Delete(Lock);
        }
    }
    WmpFree(Entry->Block, WM_TAG_REGISTRY);
}

static VOID
WmpEntryFreeList(_In_opt_ PWMP_REGISTRY_ENTRY Entry)
{
    PWMP_REGISTRY_ENTRY Next;

    for (; Entry != NULL; Entry = Next) {
        Next = Entry->Next;
        WmpEntryFree(Entry, TRUE);
    }
}

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

static PWMP_REGISTRY_TABLE
WmpTableAllocate(_In_ ULONG Capacity)
{
    PWMP_REGISTRY_TABLE Table;
    PVOID Block;

    Table = (PWMP_REGISTRY_TABLE)WmpAllocateAligned(
        WMP_TABLE_HEADER_SIZE + (SIZE_T)Capacity * sizeof(WMP_REGISTRY_SLOT), &Block);
    if (Table == NULL) {
        return NULL;
    }
    Table->Mask = Capacity - 1;
    Table->Used = 0;
    Table->Slots = (PWMP_REGISTRY_SLOT)((PUCHAR)Table + WMP_TABLE_HEADER_SIZE);
    Table->Block = Block;
    return Table;
}

WM_INLINE VOID
WmpTableFree(_In_ PWMP_REGISTRY_TABLE Table)
{
    WmpFree(Table->Block, WM_TAG_REGISTRY);
}

static VOID
WmpTableFreeList(_In_opt_ PWMP_REGISTRY_TABLE Table)
{
    PWMP_REGISTRY_TABLE Next;

    for (; Table != NULL; Table = Next) {
        Next = Table->Next;
        WmpTableFree(Table);
    }
}

/* Lock-free lookup (any thread inside the gate). */
WM_INLINE PWMP_REGISTRY_ENTRY
WmpTableFind(_In_ PWMP_REGISTRY_TABLE Table, _In_ const WMP_KEY *Key)
{
    PWMP_REGISTRY_SLOT Slots = Table->Slots;
    ULONG_PTR Hash = (ULONG_PTR)Key->Hash;
    ULONG Mask = Table->Mask;
    ULONG Index = (ULONG)Hash & Mask;
    PWMP_REGISTRY_ENTRY Entry;

    for (;; Index = (Index + 1) & Mask) {
        Entry = WmpLoadAcquire(&Slots[Index].Entry);
        if (Entry == NULL) {
            return NULL;
        }
        if (Entry != WMP_TOMBSTONE && WmpLoadRelaxed(&Slots[Index].Hash) == Hash &&
            WmpKeyEquals(Entry, Key)) {
            return Entry;
        }
    }
}

/* Writer lookup: the slot holding Key, or NULL and in *Free where to insert
 * it (the first tombstone on its chain, else the empty slot ending it). */
static PWMP_REGISTRY_SLOT
WmpTableFindForWrite(_In_ PWMP_REGISTRY_TABLE Table, _In_ const WMP_KEY *Key,
                     _Out_ PWMP_REGISTRY_SLOT *Free)
{
    PWMP_REGISTRY_SLOT Slots = Table->Slots;
    ULONG_PTR Hash = (ULONG_PTR)Key->Hash;
    ULONG Mask = Table->Mask;
    ULONG Index = (ULONG)Hash & Mask;
    PWMP_REGISTRY_SLOT Tombstone = NULL;
    PWMP_REGISTRY_ENTRY Entry;

    for (;; Index = (Index + 1) & Mask) {
        Entry = Slots[Index].Entry;
        if (Entry == NULL) {
            *Free = Tombstone != NULL ? Tombstone : &Slots[Index];
            return NULL;
        }
        if (Entry == WMP_TOMBSTONE) {
            if (Tombstone == NULL) {
                Tombstone = &Slots[Index];
            }
        } else if (Slots[Index].Hash == Hash && WmpKeyEquals(Entry, Key)) {
            *Free = NULL;
            return &Slots[Index];
        }
    }
}

/* Publishes Entry in Slot: hash first, then the pointer with a release
 * (and full) barrier, so a reader that sees the pointer sees the entry. */
WM_INLINE VOID
WmpSlotPublish(_Inout_ PWMP_REGISTRY_SLOT Slot, _In_ ULONG_PTR Hash, _In_ PWMP_REGISTRY_ENTRY Entry)
{
    WmpStoreRelaxed(&Slot->Hash, Hash);
    (VOID)InterlockedExchangePointer((PVOID volatile *)&Slot->Entry, Entry);
}

/* Rebuilds the table into a new slot array of Capacity slots (writer lock). */
static NTSTATUS
WmpTableRebuild(_Inout_ PWMP_REGISTRY Registry, _In_ ULONG Capacity)
{
    PWMP_REGISTRY_TABLE Old = Registry->Table;
    PWMP_REGISTRY_TABLE New;
    PWMP_REGISTRY_ENTRY Entry;
    ULONG Index;
    ULONG Target;

    New = WmpTableAllocate(Capacity);
    if (New == NULL) {
        return STATUS_WM_POOL_ALLOCATION_FAILED;
    }
    for (Index = 0; Index <= Old->Mask; Index++) {
        Entry = Old->Slots[Index].Entry;
        if (Entry == NULL || Entry == WMP_TOMBSTONE) {
            continue;
        }
        /* No reader sees New yet: plain stores, one publication below. */
        for (Target = (ULONG)Old->Slots[Index].Hash & New->Mask; New->Slots[Target].Entry != NULL;
             Target = (Target + 1) & New->Mask) {
        }
        New->Slots[Target].Hash = Old->Slots[Index].Hash;
        New->Slots[Target].Entry = Entry;
        New->Used++;
    }
    (VOID)InterlockedExchangePointer((PVOID volatile *)&Registry->Table, New);
    /* Readers may still be probing Old: it waits for the gate to drain. */
    Old->Next = Registry->RetiredTables;
    Registry->RetiredTables = Old;
    return STATUS_SUCCESS;
}

/* Makes room for one more used slot: rebuilds when the table would pass half
 * full counting tombstones, doubling it when live keys fill a quarter. */
static NTSTATUS
WmpTableReserve(_Inout_ PWMP_REGISTRY Registry)
{
    PWMP_REGISTRY_TABLE Table = Registry->Table;
    ULONG Capacity = Table->Mask + 1;
    ULONG Live = (ULONG)Registry->Count;

    if ((ULONGLONG)(Table->Used + 1) * 2 <= Capacity) {
        return STATUS_SUCCESS;
    }
    if ((ULONGLONG)(Live + 1) * 4 > Capacity) {
        if (Capacity >= WMP_TABLE_MAX) {
            return STATUS_WM_POOL_ALLOCATION_FAILED;
        }
        Capacity *= 2;
    }
    return WmpTableRebuild(Registry, Capacity);
}

/* ------------------------------------------------------------------------ */
/* Reclamation                                                              */
/* ------------------------------------------------------------------------ */

/* Under the writer lock: moves what no thread can reach any more to the
 * caller's lists, to be freed after the lock is released. */
static VOID
WmpCollectReclaimable(_Inout_ PWMP_REGISTRY Registry, _Inout_ PWMP_REGISTRY_ENTRY *Entries,
                      _Inout_ PWMP_REGISTRY_TABLE *Tables)
{
    PWMP_REGISTRY_ENTRY *Link;
    PWMP_REGISTRY_ENTRY Entry;

    if (Registry->Retired == NULL && Registry->RetiredTables == NULL) {
        return;
    }
    if (!WmpWaitForCalls()) {
        return;  /* a lookup is in flight: a later writer or destroy retries */
    }
    *Tables = Registry->RetiredTables;
    Registry->RetiredTables = NULL;

    /* In-use is checked after the drain: no lookup can hand the entry out any
     * more, so a holder or counted handle seen now is the last one. */
    for (Link = &Registry->Retired; (Entry = *Link) != NULL;) {
        if (WmpEntryInUse(Entry)) {
            Link = &Entry->Next;
        } else {
            *Link = Entry->Next;
            Entry->Next = *Entries;
            *Entries = Entry;
        }
    }
}

/* Releases the writer lock, then frees what was collected (destructors run
 * at the caller's IRQL, outside the lock). */
_IRQL_requires_max_(APC_LEVEL)
static VOID
WmpLeaveWriter(_Inout_ PWMP_REGISTRY Registry)
{
    PWMP_REGISTRY_ENTRY Entries = NULL;
    PWMP_REGISTRY_TABLE Tables = NULL;

    WmpCollectReclaimable(Registry, &Entries, &Tables);
    ExReleaseFastMutex(&Registry->WriterLock);
    WmpTableFreeList(Tables);
    WmpEntryFreeList(Entries);
}

static BOOLEAN
WmpListInUse(_In_opt_ PWMP_REGISTRY_ENTRY Entry)
{
    for (; Entry != NULL; Entry = Entry->Next) {
        if (WmpEntryInUse(Entry)) {
            return TRUE;
        }
    }
    return FALSE;
}

static BOOLEAN
WmpAnyEntryInUse(_In_ PWMP_REGISTRY Registry)
{
    PWMP_REGISTRY_TABLE Table = Registry->Table;
    PWMP_REGISTRY_ENTRY Entry;
    ULONG Index;

    for (Index = 0; Index <= Table->Mask; Index++) {
        Entry = Table->Slots[Index].Entry;
        if (Entry != NULL && Entry != WMP_TOMBSTONE && WmpEntryInUse(Entry)) {
            return TRUE;
        }
    }
    return WmpListInUse(Registry->Retired) || WmpListInUse(Registry->Replaced);
}

/* Frees a registry nobody can reach: every entry (destructors run), every
 * table, the registry itself. */
static VOID
WmpRegistryFree(_In_ PWMP_REGISTRY Registry)
{
    PWMP_REGISTRY_TABLE Table = Registry->Table;
    PWMP_REGISTRY_ENTRY Entry;
    ULONG Index;

    for (Index = 0; Index <= Table->Mask; Index++) {
        Entry = Table->Slots[Index].Entry;
        if (Entry != NULL && Entry != WMP_TOMBSTONE) {
            WmpEntryFree(Entry, TRUE);
        }
    }
    WmpEntryFreeList(Registry->Replaced);
    WmpEntryFreeList(Registry->Retired);
    /* Retired tables hold stale entry pointers: freed without a walk. */
    WmpTableFreeList(Registry->RetiredTables);
    WmpTableFree(Table);
    WmpFree(Registry->Block, WM_TAG_REGISTRY);
}

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                 */
/* ------------------------------------------------------------------------ */

_Use_decl_annotations_
NTSTATUS
WmRegistryInitialize(VOID)
{
    PWMP_REGISTRY Registry;
    PVOID Block;

    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* Cheap early answer; the compare-exchange below decides. */
    if (WmpLoadAcquire(&WmpGate.Registry) != NULL) {
        return STATUS_WM_REGISTRY_EXISTS;
    }
    Registry = (PWMP_REGISTRY)WmpAllocateAligned(sizeof(WMP_REGISTRY), &Block);
    if (Registry == NULL) {
        return STATUS_WM_POOL_ALLOCATION_FAILED;
    }
    Registry->Block = Block;
    Registry->Table = WmpTableAllocate(WMP_TABLE_MIN);
    if (Registry->Table == NULL) {
        WmpFree(Block, WM_TAG_REGISTRY);
        return STATUS_WM_POOL_ALLOCATION_FAILED;
    }
    ExInitializeFastMutex(&Registry->WriterLock);

    /* Exactly one initialisation publishes; a loser frees its copy. */
    if (InterlockedCompareExchangePointer((PVOID volatile *)&WmpGate.Registry, Registry, NULL) != NULL) {
        WmpTableFree(Registry->Table);
        WmpFree(Block, WM_TAG_REGISTRY);
        return STATUS_WM_REGISTRY_EXISTS;
    }
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmRegistryDestroy(VOID)
{
    PWMP_REGISTRY Registry;
    NTSTATUS Status;

    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    if (WmpLoadAcquire(&WmpGate.Registry) == NULL) {
        return STATUS_WM_REGISTRY_NOT_INITIALIZED;
    }
    /* One destroy at a time; from here on new calls are turned away. */
    if (InterlockedCompareExchange(&WmpGate.Destroying, 1, 0) != 0) {
        return STATUS_WM_REGISTRY_BUSY;
    }
    /* Re-read under the flag: another destroy may have finished meanwhile. */
    Registry = WmpLoadAcquire(&WmpGate.Registry);
    if (Registry == NULL) {
        InterlockedExchange(&WmpGate.Destroying, 0);
        return STATUS_WM_REGISTRY_NOT_INITIALIZED;
    }

    /* Owning the writer lock waits out a writer; a writer still waiting for
     * it is inside the gate and makes the drain below fail. */
    ExAcquireFastMutex(&Registry->WriterLock);
    if (!WmpWaitForCalls() || WmpAnyEntryInUse(Registry)) {
        Status = STATUS_WM_REGISTRY_BUSY;
    } else {
        (VOID)InterlockedExchangePointer((PVOID volatile *)&WmpGate.Registry, NULL);
        Status = STATUS_SUCCESS;
    }
    ExReleaseFastMutex(&Registry->WriterLock);

    if (Status == STATUS_SUCCESS) {
        /* Unreachable now: no call is inside and new ones see NULL. */
        WmpRegistryFree(Registry);
    }
    InterlockedExchange(&WmpGate.Destroying, 0);
    return Status;
}

_Use_decl_annotations_
BOOLEAN
WmRegistryIsInitialized(VOID)
{
    return WmpLoadSeqCst(&WmpGate.Destroying) == 0 && WmpLoadAcquire(&WmpGate.Registry) != NULL;
}

_Use_decl_annotations_
NTSTATUS
WmRegistryCount(PULONG Count)
{
    PWMP_REGISTRY Registry;
    NTSTATUS Status;
    ULONG Slot;

    if (Count == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    *Count = 0;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    Status = WmpEnter(&Slot, &Registry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    *Count = (ULONG)WmpLoadAcquire(&Registry->Count);
    WmpLeave(Slot);
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* Writers                                                                  */
/* ------------------------------------------------------------------------ */

_Use_decl_annotations_
NTSTATUS
WmpRegistryRegister(PCSTR Key, PCWMP_REGISTRY_TYPE Type, const VOID *Initial,
                    PWM_VALUE_DESTRUCTOR Destructor, BOOLEAN Overwrite)
{
    PWMP_REGISTRY Registry;
    PWMP_REGISTRY_ENTRY Entry;
    PWMP_REGISTRY_ENTRY Old;
    PWMP_REGISTRY_SLOT Slot;
    PWMP_REGISTRY_SLOT Free;
    WMP_KEY Parsed;
    NTSTATUS Status;

    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    if (Type == NULL || Type->Ops == NULL || Type->Name == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    if (!WmpParseKey(Key, &Parsed)) {
        return STATUS_WM_INVALID_KEY;
    }
    /* Answer the common mistake before allocating anything. */
    if (!WmRegistryIsInitialized()) {
        return STATUS_WM_REGISTRY_NOT_INITIALIZED;
    }
    /* Allocate and initialise outside the writer lock. */
    Status = WmpEntryCreate(&Parsed, Type, Initial, Destructor, &Entry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Status = WmpEnterWriter(&Registry);
    if (!NT_SUCCESS(Status)) {
        WmpEntryFree(Entry, FALSE);
        return Status;
    }

    Slot = WmpTableFindForWrite(Registry->Table, &Parsed, &Free);
    if (Slot != NULL) {
        if (!Overwrite) {
            Status = STATUS_WM_KEY_EXISTS;
        } else {
            /* Replace in place. The old entry stays allocated until destroy:
             * threads that got or hold it keep valid memory. */
            Old = Slot->Entry;
            WmpSlotPublish(Slot, (ULONG_PTR)Parsed.Hash, Entry);
            Old->Next = Registry->Replaced;
            Registry->Replaced = Old;
            Entry = NULL;
        }
    } else {
        if (Free->Entry == NULL) {
            /* Consumes an empty slot: keep the table at most half used. */
            Status = WmpTableReserve(Registry);
            if (NT_SUCCESS(Status)) {
                /* The table may be new: find the insertion slot again. */
                (VOID)WmpTableFindForWrite(Registry->Table, &Parsed, &Free);
            }
        }
        if (NT_SUCCESS(Status)) {
            if (Free->Entry == NULL) {
                Registry->Table->Used++;
            }
            WmpSlotPublish(Free, (ULONG_PTR)Parsed.Hash, Entry);
            InterlockedIncrement(&Registry->Count);
            Entry = NULL;
        }
    }
    WmpLeaveWriter(Registry);

    if (Entry != NULL) {
        /* Not published: the caller keeps its value, no destructor runs. */
        WmpEntryFree(Entry, FALSE);
    }
    return Status;
}

_Use_decl_annotations_
NTSTATUS
WmRegistryUnregister(PCSTR Key)
{
    PWMP_REGISTRY Registry;
    PWMP_REGISTRY_ENTRY Entry;
    PWMP_REGISTRY_SLOT Slot;
    PWMP_REGISTRY_SLOT Free;
    WMP_KEY Parsed;
    NTSTATUS Status;

    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    if (!WmpParseKey(Key, &Parsed)) {
        return STATUS_WM_INVALID_KEY;
    }
    Status = WmpEnterWriter(&Registry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    if (Registry->Count == 0) {
        Status = STATUS_WM_REGISTRY_EMPTY;
    } else {
        Slot = WmpTableFindForWrite(Registry->Table, &Parsed, &Free);
        if (Slot == NULL) {
            Status = STATUS_WM_KEY_NOT_FOUND;
        } else {
            Entry = Slot->Entry;
            if (WmpEntryInUse(Entry)) {
                Status = STATUS_WM_REGISTRY_BUSY;
            } else {
                /* Unlink (a full barrier), then retire: it is freed below if
                 * no lookup is in flight, else by a later writer or destroy. */
                (VOID)InterlockedExchangePointer((PVOID volatile *)&Slot->Entry, WMP_TOMBSTONE);
                InterlockedDecrement(&Registry->Count);
                Entry->Next = Registry->Retired;
                Registry->Retired = Entry;
            }
        }
    }
    WmpLeaveWriter(Registry);
    return Status;
}

/* ------------------------------------------------------------------------ */
/* Lookups                                                                  */
/* ------------------------------------------------------------------------ */

_Use_decl_annotations_
NTSTATUS
WmpRegistryLookup(PCSTR Key, PCWMP_REGISTRY_TYPE Type, ULONG Flags, PWM_LOCK_HEADER *Lock)
{
    PWMP_REGISTRY Registry;
    PWMP_REGISTRY_ENTRY Entry;
    WMP_KEY Parsed;
    NTSTATUS Status;
    ULONG Slot;

    if (Lock == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    *Lock = NULL;
    if (Type == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    if (!WmpParseKey(Key, &Parsed)) {
        return STATUS_WM_INVALID_KEY;
    }
    Status = WmpEnter(&Slot, &Registry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    if (WmpLoadRelaxed(&Registry->Count) == 0) {
        Status = STATUS_WM_REGISTRY_EMPTY;
    } else {
        Entry = WmpTableFind(WmpLoadAcquire(&Registry->Table), &Parsed);
        if (Entry == NULL) {
            Status = STATUS_WM_KEY_NOT_FOUND;
        } else if (!WmpTypeMatches(Entry, Type)) {
            Status = STATUS_WM_TYPE_MISMATCH;
        } else {
            if ((Flags & WMP_REGISTRY_LOOKUP_REFERENCE) != 0) {
                /* Inside the gate the entry cannot be freed; once counted it
                 * cannot be freed after we leave either. */
                InterlockedIncrement(&Entry->References);
            }
            *Lock = WmpEntryLock(Entry);
        }
    }
    WmpLeave(Slot);
    return Status;
}

_Use_decl_annotations_
NTSTATUS
WmpRegistryLock(PCSTR Key, PCWMP_REGISTRY_TYPE Type, PWM_GUARD Guard)
{
    PWM_LOCK_HEADER Lock;
    NTSTATUS Status;

    if (Guard == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    Status = WmpRegistryLookup(Key, Type, WMP_REGISTRY_LOOKUP_REFERENCE, &Lock);
    if (!NT_SUCCESS(Status)) {
        /* Leave the guard disarmed, as a failed lock call does. */
        RtlZeroMemory(Guard, sizeof(*Guard));
        Guard->Status = Status;
        return Status;
    }
    /* Counted while it waits, so unregister and destroy refuse; once it
     * holds the lock, holding protects it. */
    Status = WmpLockAcquire(Lock, NULL, FALSE, Guard);
    InterlockedDecrement(&WmpEntryFromLock(Lock)->References);
    return Status;
}

_Use_decl_annotations_
NTSTATUS
WmRegistryDereference(PWM_LOCK_HEADER Lock)
{
    PWMP_REGISTRY_ENTRY Entry;
    LONG References;

    if (Lock == NULL || (Lock->Flags & WMP_LOCK_FLAG_REGISTRY) == 0) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    Entry = WmpEntryFromLock(Lock);
    /* Never below zero: a stray dereference must not free a used entry. */
    for (;;) {
        References = WmpLoadSeqCst(&Entry->References);
        if (References <= 0) {
            return STATUS_WM_INVALID_PARAMETER;
        }
        if (InterlockedCompareExchange(&Entry->References, References - 1, References) == References) {
            return STATUS_SUCCESS;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Test hook                                                                */
/* ------------------------------------------------------------------------ */

_Use_decl_annotations_
VOID
WmpRegistryTestHoldCall(BOOLEAN Hold)
{
    if (Hold) {
        InterlockedIncrement(&WmpGate.Calls[WmpCallSlot()].Shared);
    } else {
        WmpLeave(WmpCallSlot() | WMP_CALL_SHARED);
    }
}

static VOID
WmpListDropReferences(_In_opt_ PWMP_REGISTRY_ENTRY Entry)
{
    for (; Entry != NULL; Entry = Entry->Next) {
        InterlockedExchange(&Entry->References, 0);
    }
}

_Use_decl_annotations_
VOID
WmpRegistryTestDropReferences(VOID)
{
    PWMP_REGISTRY Registry;
    PWMP_REGISTRY_ENTRY Entry;
    ULONG Index;

    if (KeGetCurrentIrql() > APC_LEVEL || !NT_SUCCESS(WmpEnterWriter(&Registry))) {
        return;
    }
    for (Index = 0; Index <= Registry->Table->Mask; Index++) {
        Entry = Registry->Table->Slots[Index].Entry;
        if (Entry != NULL && Entry != WMP_TOMBSTONE) {
            InterlockedExchange(&Entry->References, 0);
        }
    }
    WmpListDropReferences(Registry->Retired);
    WmpListDropReferences(Registry->Replaced);
    ExReleaseFastMutex(&Registry->WriterLock);
}
