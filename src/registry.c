/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The registry of named mutexes: a lock-free lookup table of
 *              typed lock entries with safe reclamation and teardown.
 * ENVIRONMENT: Kernel mode; also built in the host model.
 *
 * Design (the contract is in registry.h):
 *
 *  Gate. 128 call slots of one cache line each (a claim and a count of
 *  calls), the published registry pointer (its low bits: "reader fences"
 *  mode, destroy in progress; WMP_GATE_NONE without a registry) and 16
 *  shared counters. A thread claims a slot once (compare-
 *  exchange of its identity into one of the four slots its identity hashes
 *  to; the claim is on the slot's own line, so a call reads and writes one
 *  line of the gate besides the published pointer) and owns it from then
 *  on: only that thread, and calls nested in it by APCs and DPCs, write the
 *  slot's Active count, so a call announces itself with a plain store, no
 *  interlocked operation and no fence. A thread finding its four slots
 *  claimed by others counts its calls in a shared counter (interlocked in
 *  and out: a full barrier). Claims are never released: thread identities
 *  are unique among live threads, a new thread that gets a dead thread's
 *  identity reuses its slot, and one that does not may find every slot
 *  taken and use a shared counter.
 *
 *  Asymmetric barrier. A writer that must know no call is inside (destroy,
 *  freeing an unlinked entry or a retired table) publishes its change
 *  (DESTROYING, a tombstone, a new table), then executes the heavy barrier
 *  and scans the slots. The heavy barrier is KeIpiGenericCall with a no-op:
 *  every processor takes an interrupt, which serialises it, so a call that
 *  stored Active before it is seen by the scan, and a call that had not yet
 *  loaded what it reads loads the writer's change (Linux's membarrier,
 *  Windows' FlushProcessWriteBuffers). Calls pay nothing for it. Where the
 *  kernel does not export KeIpiGenericCall (Wine 8), or it cannot be
 *  resolved at initialisation (above PASSIVE_LEVEL), the registry runs in
 *  "reader fences" mode: a call adds a full barrier after announcing itself
 *  and the writer's barrier is an ordinary one (Dekker). The mode is a bit
 *  of the published pointer: a call loads it without a fence, and when the
 *  bit asks for fences it executes one and loads the gate again, so a call
 *  can never use the mode of one registry with the pointer of another.
 *
 *  Table. Open addressing with linear probing over 64-byte records, power-
 *  of-two capacity, at most a quarter used counting tombstones (see
 *  WmpTableReserve). A record holds what a lookup needs: 32 hash bits,
 *  the first 40 key bytes (48 on 32-bit targets),
 *  the type descriptor and the entry pointer (handles are computed from it),
 *  so a lookup of a key shorter than 40 bytes touches one line of the
 *  table and nothing of the entry (a 40-byte key's words are also those
 *  of every longer key starting with it: its entry is compared).
 *  Records are written once per table: a writer fills an empty record's
 *  fields, then publishes its entry pointer (release); the only later
 *  change is that pointer becoming a tombstone (removal, or the old record
 *  of an overwritten key, after its replacement is inserted further along
 *  the chain). So a reader loads the entry pointer (acquire) and then the
 *  fields, which cannot change under it: no retry, no wait for a writer
 *  (the x64 lookup: plain loads, which x64 keeps in order, under compiler
 *  barriers). Tombstones keep probe chains whole and are not reused; a
 *  rebuild (growth, or purging tombstones) fills a new record array,
 *  publishes it and retires the old one until no reader can be on it.
 *
 *  Entry. One 64-byte-aligned block: type identity, the whole key and its
 *  hash (rebuilds, keys longer than a record holds), the mutable fields,
 *  then, on its own cache line, the lock object (header, kernel object,
 *  value) initialised in place. Handles point at that lock object.
 *
 *  Writers (register, unregister, rebuild) serialise on a FAST_MUTEX in the
 *  registry; they enter the gate only until they own it, and destroy takes
 *  it too, so a writer never races a destroy.
 *
 *  Reclamation. An unregistered entry or a retired record array is freed
 *  once, after the heavy barrier, every call slot has been seen idle and,
 *  for an entry, it is neither held nor referenced. Otherwise it waits on a
 *  retired list that every later writer and destroy retries. Overwritten
 *  entries are kept until destroy (plain handles to them stay valid).
 */
#include "wmp.h"

/* ------------------------------------------------------------------------ */
/* Constants and memory-order helpers                                       */
/* ------------------------------------------------------------------------ */

#define WMP_CACHE_LINE        64
#define WMP_CALL_SLOTS        WMP_REGISTRY_CALL_SLOTS /* power of two       */
#define WMP_CALL_SLOT_BITS    7
#define WMP_CALL_PROBES       4            /* slots a thread may claim        */
#define WMP_KEY_WORDS         (WM_REGISTRY_MAX_KEY_LENGTH / 8)
#define WMP_TABLE_MIN         16           /* initial and smallest capacity   */
#define WMP_TABLE_MAX         0x40000000UL /* capacity limit (2^30 records)   */
#define WMP_TABLE_SMALL       4096         /* records (256 KB): sparse up to here */
#define WMP_DRAIN_SPINS       4096         /* per call slot, per attempt      */

WM_STATIC_ASSERT(WM_REGISTRY_MAX_KEY_LENGTH % 8 == 0, "key storage is whole words");
WM_STATIC_ASSERT((1u << WMP_CALL_SLOT_BITS) == WMP_CALL_SLOTS, "slot bits");

#if defined(__GNUC__) || defined(__clang__)
#define WmpLoadAcquire(P)          __atomic_load_n((P), __ATOMIC_ACQUIRE)
#define WmpLoadRelaxed(P)          __atomic_load_n((P), __ATOMIC_RELAXED)
#define WmpStoreRelaxed(P, V)      __atomic_store_n((P), (V), __ATOMIC_RELAXED)
#define WmpStoreRelease(P, V)      __atomic_store_n((P), (V), __ATOMIC_RELEASE)
/* Orders the compiler only (the announcement store before the gate loads). */
#define WmpCompilerBarrier()       __atomic_signal_fence(__ATOMIC_SEQ_CST)
#if defined(__i386__) || defined(__x86_64__)
#define WmpPause()                 __builtin_ia32_pause()
#else
#define WmpPause()                 ((VOID)0)
#endif
#else
/* MSVC: volatile accesses are acquire loads / release stores under
 * /volatile:ms, which wmp.h requires (the default but on ARM). */
#define WmpLoadAcquire(P)          (*(P))
#define WmpLoadRelaxed(P)          (*(P))
#define WmpStoreRelaxed(P, V)      ((VOID)(*(P) = (V)))
#define WmpStoreRelease(P, V)      ((VOID)(*(P) = (V)))
#define WmpCompilerBarrier()       _ReadWriteBarrier()
#define WmpPause()                 YieldProcessor()
#endif

/* Key words of a record: 64-bit atomics where they are single loads; on
 * 32-bit targets two plain loads (no word can tear: a record's words never
 * change once its entry is published). */
#if defined(_WIN64) || defined(__LP64__)
#define WmpLoadKeyWord(P)          WmpLoadAcquire(P)
#define WmpStoreKeyWord(P, V)      WmpStoreRelease((P), (V))
#else
#define WmpLoadKeyWord(P)          (*(P))
#define WmpStoreKeyWord(P, V)      ((VOID)(*(P) = (V)))
#endif

/* A full barrier: an interlocked exchange on a local, as the WDK's x86
 * KeMemoryBarrier does (GCC's ThreadSanitizer rejects atomic_thread_fence). */
WM_INLINE VOID
WmpFullBarrier(VOID)
{
    LONG volatile Barrier = 0;

    (VOID)InterlockedExchange(&Barrier, 1);
}

/* The key readers load past the terminator (see WmpReadKeyWords and
 * WmpReadKeyVectors); sanitizers must not instrument those loads, and the
 * functions must not be inlined into an instrumented caller. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define WMP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define WMP_SANITIZED 1
#endif
#endif
/* Otherwise it is inlined into each caller: a lookup is short enough for a
 * call's register saves to show. */
#if defined(__GNUC__) || defined(__clang__)
#ifdef WMP_SANITIZED
#define WMP_WORD_AT_A_TIME static __attribute__((no_sanitize_address, no_sanitize_thread, noinline))
#else
#define WMP_WORD_AT_A_TIME static inline __attribute__((always_inline))
#endif
#define WMP_NOINLINE __attribute__((noinline))
typedef ULONG64 __attribute__((may_alias)) WMP_ALIASING_WORD;
#else
#define WMP_WORD_AT_A_TIME static __forceinline
#define WMP_NOINLINE __declspec(noinline)
typedef ULONG64 WMP_ALIASING_WORD;
#endif

/* x64: keys are read with SSE2 (WmpReadKeyVectors); the word reader is
 * only for keys near a page end, kept out of line. ARM64EC defines _M_X64
 * but emulates SSE: the portable reader there. */
#if (defined(_M_X64) && !defined(_M_ARM64EC)) || defined(__x86_64__)
#define WMP_VECTOR_KEYS 1
#include <emmintrin.h>
#endif
#if defined(WMP_VECTOR_KEYS) && !defined(WMP_SANITIZED)
#define WMP_WORD_READER static WMP_NOINLINE
#else
#define WMP_WORD_READER WMP_WORD_AT_A_TIME
#endif
/* x64 lookups keep the key in registers (WmpLookupFast); the general
 * lookup (WmpLookupKey) takes the rare rest, out of line. Not under the
 * sanitizers, which must check the key reader's loads and see the record
 * loads as atomics. */
#if defined(WMP_VECTOR_KEYS) && !defined(WMP_SANITIZED)
#define WMP_FAST_LOOKUP 1
#define WMP_LOOKUP_FAST WMP_WORD_AT_A_TIME
#define WMP_LOOKUP_GENERAL static WMP_NOINLINE
#else
#define WMP_LOOKUP_GENERAL WM_INLINE
#endif

/* ------------------------------------------------------------------------ */
/* Structures                                                               */
/* ------------------------------------------------------------------------ */

typedef struct _WMP_REGISTRY_ENTRY WMP_REGISTRY_ENTRY, *PWMP_REGISTRY_ENTRY;
typedef struct _WMP_REGISTRY_TABLE WMP_REGISTRY_TABLE, *PWMP_REGISTRY_TABLE;
typedef struct _WMP_REGISTRY WMP_REGISTRY, *PWMP_REGISTRY;

/* A removed record: probing continues past it, inserts may reuse it. */
#define WMP_TOMBSTONE ((PWMP_REGISTRY_ENTRY)(ULONG_PTR)1)

/* Written before publication, never changed after, except the mutable
 * fields at the end. Lookups of keys up to a record's key bytes, with the
 * declaration's own type descriptor, read none of it. */
struct _WMP_REGISTRY_ENTRY {
    PCWMP_REGISTRY_TYPE Type;        /* descriptor of the registering declaration */
    PCWM_LOCK_OPS       Ops;
    PCSTR               TypeName;
    ULONG               ValueSize;
    USHORT              ValueOffset;
    USHORT              KeyLength;
    ULONG64             Hash;
    ULONG64             Key[WMP_KEY_WORDS]; /* zero-padded to whole words       */
    /* Mutable state. */
    LONG volatile       References;  /* counted handles (interlocked)          */
    LONG                Reserved;
    PWMP_REGISTRY_ENTRY Next;        /* retired / replaced list (writer lock)  */
    PVOID               Block;       /* allocation to free                     */
};

/* The lock object starts on the first cache line after the entry fields, so
 * lock traffic never shares a line with them. */
#define WMP_ENTRY_LOCK_OFFSET \
    ((sizeof(WMP_REGISTRY_ENTRY) + WMP_CACHE_LINE - 1) & ~(SIZE_T)(WMP_CACHE_LINE - 1))

/* Key words a record holds: 5 (40 bytes) on 64-bit targets, 6 on 32-bit
 * (the rest of the line after two ULONGs and two pointers). */
#if defined(_WIN64) || defined(__LP64__)
#define WMP_RECORD_KEY_WORDS 5
#else
#define WMP_RECORD_KEY_WORDS 6
#endif

/* One table record, one cache line: everything a lookup reads. Every field
 * but Entry is written before Entry is published and never changes after (a
 * tombstone keeps them). */
typedef struct _WMP_REGISTRY_RECORD {
    ULONG                        Tag;       /* hash bits 32..63 (WmpHashTag)     */
    ULONG                        Reserved;
    PWMP_REGISTRY_ENTRY volatile Entry;     /* NULL (ends a probe chain), an
                                               entry, then WMP_TOMBSTONE         */
    PCWMP_REGISTRY_TYPE          Type;      /* Entry->Type                      */
    ULONG64 volatile             Key[WMP_RECORD_KEY_WORDS]; /* zero-padded      */
} WMP_REGISTRY_RECORD, *PWMP_REGISTRY_RECORD;

WM_STATIC_ASSERT(sizeof(WMP_REGISTRY_RECORD) == WMP_CACHE_LINE, "one record per cache line");

struct _WMP_REGISTRY_TABLE {
    ULONG                Mask;    /* capacity - 1                              */
    ULONG                Used;    /* live + tombstones (writer lock)           */
    PWMP_REGISTRY_RECORD Records; /* cache-line aligned, after this header     */
    PWMP_REGISTRY_TABLE  Next;    /* retired list (writer lock)                */
    PVOID                Block;
};

#define WMP_TABLE_HEADER_SIZE \
    ((sizeof(WMP_REGISTRY_TABLE) + WMP_CACHE_LINE - 1) & ~(SIZE_T)(WMP_CACHE_LINE - 1))

/* The records follow the header: computed, not loaded, by lookups. */
WM_INLINE PWMP_REGISTRY_RECORD
WmpTableRecords(_In_ PWMP_REGISTRY_TABLE Table)
{
    return (PWMP_REGISTRY_RECORD)((PUCHAR)Table + WMP_TABLE_HEADER_SIZE);
}

struct _WMP_REGISTRY {
    /* Read by every lookup. */
    _Alignas(WMP_CACHE_LINE) PWMP_REGISTRY_TABLE volatile Table;
    LONG volatile       Count;      /* live keys                               */
    /* Writers only. */
    _Alignas(WMP_CACHE_LINE) FAST_MUTEX WriterLock;
    WMP_KE_IPI_GENERIC_CALL *IpiGenericCall; /* the heavy barrier; NULL: reader fences */
    PWMP_REGISTRY_ENTRY Retired;    /* unregistered, not yet freed             */
    PWMP_REGISTRY_ENTRY Replaced;   /* overwritten, kept until destroy         */
    PWMP_REGISTRY_TABLE RetiredTables;
    PVOID               Block;
};

/* A call slot: one cache line; Active is written only by the thread whose
 * identity Claim holds (NULL: free), and Claim once, when claimed. */
typedef struct _WMP_CALL_SLOT {
    _Alignas(WMP_CACHE_LINE) PVOID volatile Claim;
    LONG volatile Active;          /* the claimer's calls in progress          */
} WMP_CALL_SLOT;

/* WmpClaimCallSlot's answer for a thread without a slot: a Shared
 * counter's index plus this bit. */
#define WMP_CALL_SHARED 0x80000000UL

/* A call in progress, for WmpLeave: the slot's Active and the value to
 * restore, or a Shared counter and Saved < 0. */
typedef struct _WMP_CALL {
    LONG volatile *Counter;
    LONG           Saved;
} WMP_CALL;

/* Counters for the calls of threads without a slot: one cache line each,
 * interlocked in and out. */
#define WMP_SHARED_COUNTERS 16

typedef struct _WMP_SHARED_COUNTER {
    _Alignas(WMP_CACHE_LINE) LONG volatile Calls;
} WMP_SHARED_COUNTER;

/* Low bits of the published registry pointer (registries are 64-byte
 * aligned). READER_FENCES: readers must fence after announcing themselves
 * (fixed for the registry's life). DESTROYING: a destroy is deciding; calls
 * are turned away. */
#define WMP_GATE_READER_FENCES ((ULONG_PTR)1)
#define WMP_GATE_DESTROYING    ((ULONG_PTR)2)
#define WMP_GATE_FLAGS         (WMP_GATE_READER_FENCES | WMP_GATE_DESTROYING)
/* The gate with no registry: DESTROYING and no pointer, so a call's one
 * flag test turns it away (NULL would take a second test in every call). */
#define WMP_GATE_NONE          ((PVOID)WMP_GATE_DESTROYING)

typedef struct _WMP_REGISTRY_GATE {
    WMP_CALL_SLOT       Calls[WMP_CALL_SLOTS];  /* first: a slot's address is
                                                   one scaled index          */
    /* Read by every call, written by initialize and destroy only: the
     * registry | flags, or WMP_GATE_NONE. One word, so a call reads the
     * registry, its mode and a destroy in progress with one load. */
    _Alignas(WMP_CACHE_LINE) PVOID volatile Published;
    WMP_SHARED_COUNTER  Shared[WMP_SHARED_COUNTERS];
} WMP_REGISTRY_GATE;

static WMP_REGISTRY_GATE WmpGate = { .Published = WMP_GATE_NONE };

/* A parsed key: canonical words (the key's bytes from its first, little-
 * endian, zero-padded to all WMP_KEY_WORDS; one spare for an over-long key
 * being refused), length and hash. */
typedef struct _WMP_KEY {
    ULONG64 Words[WMP_KEY_WORDS + 1];
    ULONG64 Hash;
    ULONG   Length;
} WMP_KEY;

/* A record's Tag: the hash's top half, so records of other keys on a probe
 * chain rarely reach the key compare. A filter only: the zero-padded words
 * decide equality, the length included. (The x64 lookup, its key in
 * registers, compares the words at once: fewer instructions.) */
WM_INLINE ULONG
WmpHashTag(_In_ ULONG64 Hash)
{
    return (ULONG)(Hash >> 32);
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Hash: each 32 bytes of canonical words become one pair, words 0 and 1
 * with words 2 and 3 crossed in (WmpCrossWords), xored with secrets,
 * multiplied 64 x 64 -> 128 and folded (high ^ low, as wyhash does): one
 * multiply for a key under 32 bytes, two independent ones beyond. Words
 * past the key are zero, so a key has one hash whichever reader parsed it;
 * words determine the length (a key holds no NUL), so the length is not
 * hashed. Keys come from the driver, not an adversary: fixed secrets.
 * (Against a multiply per pair of words, probes per hit are the same:
 * 1.22 for the benchmark's 10k keys, 1.31 for its 100k, within 0.03 for
 * other families of names.)
 */
#define WMP_HASH_SECRET0 0xA0761D6478BD642FULL
#define WMP_HASH_SECRET1 0xE7037ED1A0B428DBULL
#define WMP_HASH_SECRET4 0x2D358DCCAA6C78A5ULL
#define WMP_HASH_SECRET5 0x8BB84B93962EACC9ULL

/* A with B's halves swapped xored in: bytes of B meet other bytes of A, so
 * a key whose two halves repeat a pattern does not cancel to zero. */
WM_INLINE ULONG64
WmpCrossWords(_In_ ULONG64 A, _In_ ULONG64 B)
{
    return A ^ ((B >> 32) | (B << 32));
}

WM_INLINE ULONG64
WmpFoldMultiply(_In_ ULONG64 A, _In_ ULONG64 B)
{
#if defined(__SIZEOF_INT128__)
    __extension__ unsigned __int128 Product = (unsigned __int128)A * B;

    return (ULONG64)Product ^ (ULONG64)(Product >> 64);
#elif defined(_MSC_VER) && defined(_M_X64)
    ULONG64 High;
    ULONG64 Low = _umul128(A, B, &High);

    return Low ^ High;
#elif defined(_MSC_VER) && defined(_M_ARM64)
    return (A * B) ^ __umulh(A, B);
#else
    /* 32-bit targets: the same product from four 32 x 32 -> 64 multiplies. */
    ULONG64 LowLow = (ULONG64)(ULONG)A * (ULONG)B;
    ULONG64 LowHigh = (ULONG64)(ULONG)A * (ULONG)(B >> 32);
    ULONG64 HighLow = (ULONG64)(ULONG)(A >> 32) * (ULONG)B;
    ULONG64 HighHigh = (ULONG64)(ULONG)(A >> 32) * (ULONG)(B >> 32);
    ULONG64 Middle = (LowLow >> 32) + (ULONG)LowHigh + (ULONG)HighLow;

    return (((Middle << 32) | (ULONG)LowLow) ^
            (HighHigh + (LowHigh >> 32) + (HighLow >> 32) + (Middle >> 32)));
#endif
}

/* The last step of a key's hash. The index takes the low bits; those of
 * the low product half see only the low bits of the words (measured: 1.54
 * probes a hit on the benchmark's 10k keys instead of 1.22). Fold the high
 * half in. */
WM_INLINE ULONG64
WmpHashMix(_In_ ULONG64 Hash)
{
    return Hash ^ (Hash >> 32);
}

/* Hashes the canonical words of a Length-byte key (1..64) and fills the
 * rest of *Parsed; the second half only for keys past 32 bytes. The x64
 * lookup (WmpLookupWords) computes the same from its registers. */
WM_INLINE VOID
WmpKeyFinish(_Inout_ WMP_KEY *Parsed, _In_ ULONG Length)
{
    const ULONG64 *Words = Parsed->Words;
    ULONG64 Hash;

    Hash = WmpFoldMultiply(WmpCrossWords(Words[0], Words[2]) ^ WMP_HASH_SECRET0,
                           WmpCrossWords(Words[1], Words[3]) ^ WMP_HASH_SECRET1);
    if (Length > 32) {
        Hash ^= WmpFoldMultiply(WmpCrossWords(Words[4], Words[6]) ^ WMP_HASH_SECRET4,
                                WmpCrossWords(Words[5], Words[7]) ^ WMP_HASH_SECRET5);
    }
    Parsed->Hash = WmpHashMix(Hash);
    Parsed->Length = Length;
}

#define WMP_ONES  0x0101010101010101ULL
#define WMP_HIGHS 0x8080808080808080ULL

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
 * The portable key reader (x86 and other targets; on x64 keys near a page
 * end): reads the key a word at a time into its canonical words. Returns
 * the length; 0 or above 64 for an empty or over-long key.
 *
 * The loads are 8-byte aligned, so a load that reaches past the terminator
 * never crosses into another page; bytes outside the key are masked off (the
 * technique of the Linux kernel's word-at-a-time string routines). For a
 * typical key this is a third of the work of a byte loop.
 */
#define WMP_HAS_ZERO(W) (((W) - WMP_ONES) & ~(W) & WMP_HIGHS)
#define WMP_LOW_BYTES(N) ((1ULL << ((N) * 8)) - 1)   /* N in 1..7 */

WMP_WORD_READER ULONG
WmpReadKeyWords(_In_z_ PCSTR Key, _Out_ ULONG64 *Words)
{
    const WMP_ALIASING_WORD *Aligned;
    ULONG64 Current;
    ULONG64 Next;
    ULONG64 Word;
    ULONG64 Zero;
    ULONG Offset;
    ULONG Shift;
    ULONG Index;
    ULONG Rest;

    /* Zero-padded: the words of the key overwrite these. */
    for (Index = 0; Index < WMP_KEY_WORDS; Index++) {
        Words[Index] = 0;
    }
    Offset = (ULONG)((ULONG_PTR)Key & 7);
    Aligned = (const WMP_ALIASING_WORD *)((ULONG_PTR)Key - Offset);

    if (Offset == 0) {
        /* Aligned key: each loaded word is a key word. */
        for (Index = 0;; Index++) {
            Word = Aligned[Index];
            Zero = WMP_HAS_ZERO(Word);
            if (Zero != 0) {
                break;
            }
            Words[Index] = Word;
            /* 64 bytes and the NUL fit in WMP_KEY_WORDS + 1 words. */
            if (Index == WMP_KEY_WORDS) {
                return 0;
            }
        }
        /* The lowest flag is exact: keep the bytes below it (the
         * terminator's own low bits are zero). Index <= WMP_KEY_WORDS. */
        Words[Index] = Word & ((Zero & (0 - Zero)) - 1);
        return Index * 8 + WmpLowestFlaggedByte(Zero);
    }
    /* Key word I is the top of aligned word I and the bottom of I + 1.
     * Bytes before the key are forced non-zero: not a terminator. */
    Shift = Offset * 8;
    Current = Aligned[0] | WMP_LOW_BYTES(Offset);
    for (Index = 0;; Index++) {
        Zero = WMP_HAS_ZERO(Current);
        if (Zero != 0) {
            /* The key ends inside the top of Current. */
            Rest = WmpLowestFlaggedByte(Zero) - Offset;
            if (Rest != 0) {
                Words[Index] = (Current >> Shift) & WMP_LOW_BYTES(Rest);
            }
            return Index * 8 + Rest;
        }
        if (Index == WMP_KEY_WORDS) {
            return 0;
        }
        Next = Aligned[Index + 1];
        Word = (Current >> Shift) | (Next << (64 - Shift));
        Zero = WMP_HAS_ZERO(Next);
        if (Zero != 0 && WmpLowestFlaggedByte(Zero) < Offset) {
            /* The key ends in the bottom of Next, inside this word. */
            Rest = 8 - Offset + WmpLowestFlaggedByte(Zero);
            Words[Index] = Rest != 8 ? Word & WMP_LOW_BYTES(Rest) : Word;
            return Index * 8 + Rest;
        }
        Words[Index] = Word;
        Current = Next;
    }
}

#ifdef WMP_VECTOR_KEYS
/* Index of the lowest set bit of a non-zero mask (the NUL bits of 32 key
 * bytes). */
WM_INLINE ULONG
WmpLowestSetBit(_In_ ULONG Mask)
{
#if defined(__GNUC__) || defined(__clang__)
    return (ULONG)__builtin_ctz(Mask);
#else
    ULONG Index;

    (VOID)_BitScanForward(&Index, Mask);
    return Index;
#endif
}

/* Bytes kept of a Length-byte key: the 16 bytes from
 * WmpKeepBytes + WM_REGISTRY_MAX_KEY_LENGTH - Length + 16 * I mask its
 * vector I (0xFF below the length, 0 from it). */
#define WMP_FF8 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF
static const _Alignas(64) UCHAR WmpKeepBytes[2 * WM_REGISTRY_MAX_KEY_LENGTH] = {
    WMP_FF8, WMP_FF8, WMP_FF8, WMP_FF8, WMP_FF8, WMP_FF8, WMP_FF8, WMP_FF8
};
#undef WMP_FF8
WM_STATIC_ASSERT(WM_REGISTRY_MAX_KEY_LENGTH == 64, "four vectors, a 64-bit terminator mask");

/* 16 key bytes as two 8-byte loads: a key just written a word at a time
 * (a caller formatting it on its stack) is forwarded from those stores to
 * loads of their size; one 16-byte load over them waits for them to reach
 * the cache, which serialises consecutive lookups' table misses (grt_bench,
 * 100k keys: 49-58 ns a get with 16-byte loads, 33-36 ns with these). */
WMP_WORD_AT_A_TIME __m128i
WmpLoadTwoWords(_In_ PCSTR Bytes)
{
    return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)Bytes), _mm_loadl_epi64((const __m128i *)(Bytes + 8)));
}

/* Bit I set where byte I of the two vectors is NUL. */
#define WMP_NUL_BITS(Low, High) \
    ((ULONG)_mm_movemask_epi8(_mm_cmpeq_epi8((Low), _mm_setzero_si128())) | \
     (ULONG)_mm_movemask_epi8(_mm_cmpeq_epi8((High), _mm_setzero_si128())) << 16)

/* The mask that keeps a Length-byte key's bytes: its vector I (0..3) is the
 * 16 bytes from WmpKeepFrom(Length) + 16 * I. */
WM_INLINE const UCHAR *
WmpKeepFrom(_In_ ULONG Length)
{
    return &WmpKeepBytes[WM_REGISTRY_MAX_KEY_LENGTH] - (SIZE_T)Length;
}
#define WmpKeepVector(Keep, I) _mm_loadu_si128((const __m128i *)((Keep) + 16 * (I)))

/* Length (32..64) of a key with no NUL in its first 32 bytes, from its
 * vectors 2 and 3; 0 for an over-long key. */
WMP_WORD_AT_A_TIME ULONG
WmpKeyTailLength(_In_z_ PCSTR Key, _In_ __m128i Words45, _In_ __m128i Words67)
{
    ULONG Nul = WMP_NUL_BITS(Words45, Words67);

    if (Nul != 0) {
        return 32 + WmpLowestSetBit(Nul);
    }
    return Key[WM_REGISTRY_MAX_KEY_LENGTH] == '\0' ? WM_REGISTRY_MAX_KEY_LENGTH : 0;
}

/*
 * The x64 key reader: two 16-byte vectors (two more for a key past 31
 * bytes), NUL bytes found by compare and mask, bytes past the key cleared
 * with a mask from WmpKeepBytes. The caller has checked that the 65 bytes
 * from Key lie in Key's page. Returns the length, 0 for an over-long key.
 *
 * x64 kernel code may use the SSE registers without saving them: "the
 * compiler also takes care of properly saving and restoring the SSE state,
 * so calls to KeSaveExtendedProcessorState ... are unnecessary"
 * (Microsoft Learn, "Using Floating Point in a WDM Driver", x64 systems;
 * AVX would need the save). x86 kernel code would need it: the portable
 * reader serves there.
 */
WMP_WORD_AT_A_TIME ULONG
WmpReadKeyVectors(_In_z_ PCSTR Key, _Out_ ULONG64 *Words)
{
    __m128i Low = WmpLoadTwoWords(Key);
    __m128i High = WmpLoadTwoWords(Key + 16);
    __m128i Low2 = _mm_setzero_si128();
    __m128i High2 = _mm_setzero_si128();
    ULONG Nul = WMP_NUL_BITS(Low, High);
    ULONG Length;

    if (!WMP_UNLIKELY(Nul == 0)) {
        /* Up to 31 bytes: the upper words stay zero. */
        Length = WmpLowestSetBit(Nul);
    } else {
        Low2 = WmpLoadTwoWords(Key + 32);
        High2 = WmpLoadTwoWords(Key + 48);
        Length = WmpKeyTailLength(Key, Low2, High2);
        if (Length == 0) {
            return 0;  /* over-long */
        }
        Low2 = _mm_and_si128(Low2, WmpKeepVector(WmpKeepFrom(Length), 2));
        High2 = _mm_and_si128(High2, WmpKeepVector(WmpKeepFrom(Length), 3));
    }
    _mm_storeu_si128((__m128i *)&Words[0], _mm_and_si128(Low, WmpKeepVector(WmpKeepFrom(Length), 0)));
    _mm_storeu_si128((__m128i *)&Words[2], _mm_and_si128(High, WmpKeepVector(WmpKeepFrom(Length), 1)));
    _mm_storeu_si128((__m128i *)&Words[4], Low2);
    _mm_storeu_si128((__m128i *)&Words[6], High2);
    return Length;
}
#endif

/*
 * Parses a NUL-terminated key into its canonical words, length and hash.
 * Returns FALSE for NULL, empty or over-long keys.
 */
WMP_WORD_AT_A_TIME BOOLEAN
WmpParseKey(_In_opt_z_ PCSTR Key, _Out_ WMP_KEY *Parsed)
{
    ULONG Length;

    if (Key == NULL) {
        return FALSE;
    }
#ifdef WMP_VECTOR_KEYS
    /* The vector reader reads up to 65 bytes: near a page end (Driver
     * Verifier's special pool puts blocks there) the word reader, which
     * never crosses a page. 4 KB: the smallest page. */
    if (!WMP_UNLIKELY(((ULONG_PTR)Key & 4095) > 4096 - 80)) {
        Length = WmpReadKeyVectors(Key, Parsed->Words);
    } else
#endif
    {
        Length = WmpReadKeyWords(Key, Parsed->Words);
        if (Length > WM_REGISTRY_MAX_KEY_LENGTH) {
            Length = 0;
        }
    }
    if (Length == 0) {
        return FALSE;
    }
    WmpKeyFinish(Parsed, Length);
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

/* The first of the slots a thread may claim. Correctness never depends on
 * the mapping (and threads sharing a first slot claim the next ones). */
WM_INLINE ULONG
WmpCallSlotOf(_In_ PVOID Thread)
{
    ULONG64 Mixed = (ULONG64)(ULONG_PTR)Thread;

    /* Fibonacci hashing: the top bits of the product depend on every bit. */
    return (ULONG)((Mixed * 0x9E3779B97F4A7C15ULL) >> (64 - WMP_CALL_SLOT_BITS));
}

/* The caller's slot: one of WMP_CALL_PROBES from First that it claimed
 * before or claims now, else a Shared counter's index | WMP_CALL_SHARED. */
static WMP_NOINLINE ULONG
WmpClaimCallSlot(_In_ PVOID Thread, _In_ ULONG First)
{
    PVOID Owner;
    ULONG Probe;
    ULONG Index;

    for (Probe = 0; Probe < WMP_CALL_PROBES; Probe++) {
        Index = (First + Probe) & (WMP_CALL_SLOTS - 1);
        Owner = WmpLoadRelaxed(&WmpGate.Calls[Index].Claim);
        if (Owner == NULL) {
            Owner = InterlockedCompareExchangePointer(&WmpGate.Calls[Index].Claim, Thread, NULL);
            if (Owner == NULL) {
                return Index;
            }
        }
        if (Owner == Thread) {
            return Index;
        }
    }
    return (First % WMP_SHARED_COUNTERS) | WMP_CALL_SHARED;
}

/* The slot the thread claimed, or its Shared token; claims nothing. */
static ULONG
WmpFindCallSlot(_In_ PVOID Thread)
{
    ULONG First = WmpCallSlotOf(Thread);
    ULONG Probe;
    ULONG Index;

    for (Probe = 0; Probe < WMP_CALL_PROBES; Probe++) {
        Index = (First + Probe) & (WMP_CALL_SLOTS - 1);
        if (WmpLoadRelaxed(&WmpGate.Calls[Index].Claim) == Thread) {
            return Index;
        }
    }
    return (First % WMP_SHARED_COUNTERS) | WMP_CALL_SHARED;
}

/* Announces a call of the current thread in *Call; returns TRUE when the
 * announcement was a full barrier (an interlocked one). */
WM_INLINE BOOLEAN
WmpAnnounce(_Out_ WMP_CALL *Call)
{
    PVOID Thread = WmpCurrentThread();
    ULONG Index = WmpCallSlotOf(Thread);
    LONG volatile *Counter;

    if (WMP_UNLIKELY(WmpLoadRelaxed(&WmpGate.Calls[Index].Claim) != Thread)) {
        Index = WmpClaimCallSlot(Thread, Index);
        if ((Index & WMP_CALL_SHARED) != 0) {
            Counter = &WmpGate.Shared[Index & ~WMP_CALL_SHARED].Calls;
            InterlockedIncrement(Counter);
            Call->Counter = Counter;
            Call->Saved = -1;
            return TRUE;
        }
    }
    /* Only this thread writes Active. A call nested in this one (an APC or
     * DPC on this thread) raises it and restores the value it found before
     * we go on, so the read-then-write needs no interlock, and we too leave
     * by restoring what we found. */
    Counter = &WmpGate.Calls[Index].Active;
    Call->Counter = Counter;
    Call->Saved = WmpLoadRelaxed(Counter);
    WmpStoreRelaxed(Counter, Call->Saved + 1);
    /* The announcement precedes the gate loads in program order; the
     * processor may still let them pass it, which the writers' heavy
     * barrier (or, in reader-fences mode, WmpEnterAnnounced's fence)
     * answers. */
    WmpCompilerBarrier();
    return FALSE;
}

/* Leaves a call announced in a slot. The release store orders every read
 * of the call before it: a writer that then sees the slot idle may free. */
WM_INLINE VOID
WmpLeaveSlot(_In_ const WMP_CALL *Call)
{
    WmpStoreRelease(Call->Counter, Call->Saved);
}

/* Leaves a registry call. */
WM_INLINE VOID
WmpLeave(_In_ const WMP_CALL *Call)
{
    if (!WMP_UNLIKELY(Call->Saved < 0)) {
        WmpLeaveSlot(Call);
    } else {
        InterlockedDecrement(Call->Counter);
    }
}

/* Enters a registry call announced in *Call (Fenced: the announcement was
 * a full barrier). On success *Registry stays valid until WmpLeave; on
 * failure the call has left. */
WM_INLINE NTSTATUS
WmpEnterAnnounced(_In_ const WMP_CALL *Call, _In_ BOOLEAN Fenced, _Out_ PWMP_REGISTRY *Registry)
{
    ULONG_PTR Published;

    for (;;) {
        /* A destroy that set DESTROYING before the announcement is seen
         * here; one that sets it later sees the announcement and refuses. */
        Published = (ULONG_PTR)WmpLoadAcquire(&WmpGate.Published);
        if (!WMP_UNLIKELY((Published & WMP_GATE_FLAGS) != 0)) {
            *Registry = (PWMP_REGISTRY)Published;  /* heavy-barrier mode */
            return STATUS_SUCCESS;
        }
        if ((Published & WMP_GATE_DESTROYING) != 0) {  /* or no registry */
            WmpLeave(Call);
            *Registry = NULL;
            return STATUS_WM_REGISTRY_NOT_INITIALIZED;
        }
        if (Fenced) {
            break;
        }
        /* Reader-fences mode: fence, then load the gate again under it. The
         * fence is an interlocked no-op on the call's own slot (only this
         * thread writes it): no local, so a lookup needs no stack frame
         * (MFENCE would not either, but doubled the time of a lookup with
         * 100k keys). */
        (VOID)InterlockedOr(Call->Counter, 0);
        Fenced = TRUE;
    }
    *Registry = (PWMP_REGISTRY)(Published & ~WMP_GATE_FLAGS);
    return STATUS_SUCCESS;
}

/* Enters a registry call. On success *Registry stays valid until WmpLeave. */
WM_INLINE NTSTATUS
WmpEnter(_Out_ WMP_CALL *Call, _Out_ PWMP_REGISTRY *Registry)
{
    BOOLEAN Fenced = WmpAnnounce(Call);

    return WmpEnterAnnounced(Call, Fenced, Registry);
}

/* Enters as a writer: returns owning the registry's writer lock (at
 * APC_LEVEL), outside the gate. */
_IRQL_requires_max_(APC_LEVEL)
static NTSTATUS
WmpEnterWriter(_Out_ PWMP_REGISTRY *Registry)
{
    PWMP_REGISTRY Current;
    NTSTATUS Status;
    WMP_CALL Call;

    Status = WmpEnter(&Call, &Current);
    if (!NT_SUCCESS(Status)) {
        *Registry = NULL;
        return Status;
    }
    /* Destroy takes this lock before it frees anything, so owning it keeps
     * the registry alive without the gate. */
    ExAcquireFastMutex(&Current->WriterLock);
    WmpLeave(&Call);
    *Registry = Current;
    return STATUS_SUCCESS;
}

static WMP_KIPI_BROADCAST_WORKER WmpIpiNoOp;

static ULONG_PTR NTAPI
WmpIpiNoOp(_In_ ULONG_PTR Argument)
{
    return Argument; /* the interrupt is the point */
}

/* TRUE once every call slot has been seen idle, each at least once, after
 * the caller's last change (an unlink, a table swap, DESTROYING) and the
 * heavy barrier: a call seen idle had either left, or not yet loaded what
 * it will read and so will find only what is still linked. Spins a bounded
 * time per slot. IRQL <= DISPATCH_LEVEL (KeIpiGenericCall). */
static BOOLEAN
WmpWaitForCalls(_In_ PWMP_REGISTRY Registry)
{
    ULONG Index;
    ULONG Spins;

    WmpFullBarrier();
    if (Registry->IpiGenericCall != NULL) {
        (VOID)Registry->IpiGenericCall(WmpIpiNoOp, 0);
    }
    for (Index = 0; Index < WMP_CALL_SLOTS; Index++) {
        for (Spins = 0; WmpLoadAcquire(&WmpGate.Calls[Index].Active) != 0; Spins++) {
            if (Spins == WMP_DRAIN_SPINS) {
                return FALSE;
            }
            WmpPause();
        }
    }
    for (Index = 0; Index < WMP_SHARED_COUNTERS; Index++) {
        for (Spins = 0; WmpLoadAcquire(&WmpGate.Shared[Index].Calls) != 0; Spins++) {
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
    Entry->Hash = Key->Hash;
    /* Zero-padded words: the record's and the hash's. */
    for (Index = 0; Index < WMP_KEY_WORDS; Index++) {
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

    return WmpLoadAcquire(&Entry->References) != 0 || WmpLockIsHeld(Lock);
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

    if ((ULONGLONG)Capacity * sizeof(WMP_REGISTRY_RECORD) >
        (ULONGLONG)(((SIZE_T)-1) - WMP_TABLE_HEADER_SIZE - WMP_CACHE_LINE)) {
        return NULL;  /* 32-bit targets: more than the address space */
    }
    Table = (PWMP_REGISTRY_TABLE)WmpAllocateAligned(
        WMP_TABLE_HEADER_SIZE + (SIZE_T)Capacity * sizeof(WMP_REGISTRY_RECORD), &Block);
    if (Table == NULL) {
        return NULL;
    }
    Table->Mask = Capacity - 1;
    Table->Used = 0;
    Table->Records = (PWMP_REGISTRY_RECORD)((PUCHAR)Table + WMP_TABLE_HEADER_SIZE);
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

/* The key words past a record's, compared in the entry (immutable). */
WM_INLINE BOOLEAN
WmpKeyTailEquals(_In_ const WMP_REGISTRY_ENTRY *Entry, _In_ const WMP_KEY *Key)
{
    ULONG Index;

    for (Index = WMP_RECORD_KEY_WORDS; Index < WMP_KEY_WORDS; Index++) {
        if (Entry->Key[Index] != Key->Words[Index]) {
            return FALSE;
        }
    }
    return TRUE;
}

/*
 * TRUE when a record's key words equal the key's (both zero-padded: every
 * word, without a loop). Called after the record's entry pointer was loaded
 * (acquire): the words were written before it and do not change. On x64
 * vector loads (words 0-1, 2-3, 4): plain loads (x64 does not reorder
 * loads with loads). Under the sanitizers, and elsewhere, word loads.
 */
WM_INLINE BOOLEAN
WmpRecordKeyEquals(_In_ const WMP_REGISTRY_RECORD *Record, _In_ const WMP_KEY *Key)
{
#if defined(WMP_VECTOR_KEYS) && !defined(WMP_SANITIZED)
    const ULONG64 *Words = (const ULONG64 *)(ULONG_PTR)Record->Key;
    __m128i Difference;

    WM_STATIC_ASSERT(WMP_RECORD_KEY_WORDS == 5, "two vectors and a word cover the record's key");
    /* The key's loads match its reader's 16-byte stores (store forwarding). */
#define WMP_DIFFERENCE(Load, I) \
    _mm_xor_si128(Load((const __m128i *)&Words[I]), Load((const __m128i *)&Key->Words[I]))
    Difference = _mm_or_si128(_mm_or_si128(WMP_DIFFERENCE(_mm_loadu_si128, 0), WMP_DIFFERENCE(_mm_loadu_si128, 2)),
                              WMP_DIFFERENCE(_mm_loadl_epi64, 4));
#undef WMP_DIFFERENCE
    return _mm_movemask_epi8(_mm_cmpeq_epi8(Difference, _mm_setzero_si128())) == 0xFFFF;
#else
    ULONG64 Difference;

#define WMP_KEY_DIFFERENCE(I) (WmpLoadKeyWord(&Record->Key[I]) ^ Key->Words[I])
    Difference = WMP_KEY_DIFFERENCE(0) | WMP_KEY_DIFFERENCE(1) | WMP_KEY_DIFFERENCE(2) |
                 WMP_KEY_DIFFERENCE(3) | WMP_KEY_DIFFERENCE(4);
#if WMP_RECORD_KEY_WORDS > 5
    Difference |= WMP_KEY_DIFFERENCE(5);
#endif
#undef WMP_KEY_DIFFERENCE
    return Difference == 0;
#endif
}

#ifdef WMP_FAST_LOOKUP
/* WmpRecordKeyEquals for a key in registers (WmpLookupWords): Low and High
 * hold its words 0-3, Words45 its words 4 and 5. Long FALSE: the key is
 * under 32 bytes, so its terminator is in words 0-3, where every longer
 * key has a non-zero byte: words 0-3 decide, word 4 is not read. */
WM_INLINE BOOLEAN
WmpRecordKeyEqualsVectors(_In_ const WMP_REGISTRY_RECORD *Record, _In_ __m128i Low, _In_ __m128i High,
                          _In_ __m128i Words45, _In_ BOOLEAN Long)
{
    const ULONG64 *Words = (const ULONG64 *)(ULONG_PTR)Record->Key;
    __m128i Same;

    Same = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)&Words[0]), Low),
                         _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)&Words[2]), High));
    if (Long) {
        /* Word 4 against the low half of Words45; the upper bytes compare
         * zero with zero. */
        Same = _mm_and_si128(Same, _mm_cmpeq_epi8(_mm_loadl_epi64((const __m128i *)&Words[4]),
                                                  _mm_move_epi64(Words45)));
    }
    return _mm_movemask_epi8(Same) == 0xFFFF;
}
#endif

/*
 * Lock-free lookup (any thread inside the gate). Returns the entry and its
 * type descriptor, or NULL. A record's entry pointer is loaded with acquire,
 * then its fields, which were written before that pointer was published and
 * do not change (see the top of this file). On x86 these are plain loads.
 */
WM_INLINE PWMP_REGISTRY_ENTRY
WmpTableFind(_In_ PWMP_REGISTRY_TABLE Table, _In_ const WMP_KEY *Key, _Out_ PCWMP_REGISTRY_TYPE *Type)
{
    PWMP_REGISTRY_RECORD Records = WmpTableRecords(Table);
    ULONG Mask = Table->Mask;
    ULONG Index = (ULONG)Key->Hash & Mask;
    ULONG Tag = WmpHashTag(Key->Hash);
    PWMP_REGISTRY_RECORD Record;
    PWMP_REGISTRY_ENTRY Entry;

    for (;; Index = (Index + 1) & Mask) {
        Record = &Records[Index];
        Entry = WmpLoadAcquire(&Record->Entry);
        if (Entry == NULL) {
            return NULL;
        }
        /* A key of exactly a record's bytes has the same record words as
         * any longer key starting with it: the entry's words decide. */
        if (Entry != WMP_TOMBSTONE && Record->Tag == Tag && WmpRecordKeyEquals(Record, Key) &&
            (Key->Length < WMP_RECORD_KEY_WORDS * 8 || WmpKeyTailEquals(Entry, Key))) {
            *Type = Record->Type;
            return Entry;
        }
    }
}

/* The whole key, compared in the entry (writers). */
static BOOLEAN
WmpEntryKeyEquals(_In_ const WMP_REGISTRY_ENTRY *Entry, _In_ const WMP_KEY *Key)
{
    ULONG Index;

    if (Entry->Hash != Key->Hash || Entry->KeyLength != Key->Length) {
        return FALSE;
    }
    for (Index = 0; Index < WMP_KEY_WORDS; Index++) {
        if (Entry->Key[Index] != Key->Words[Index]) {
            return FALSE;
        }
    }
    return TRUE;
}

/* Writer lookup: the record holding Key or NULL, and in *Free the empty
 * record ending its chain, where an insert goes (tombstones are not reused:
 * see the top of this file). Writers are serialised: plain reads. */
static PWMP_REGISTRY_RECORD
WmpTableFindForWrite(_In_ PWMP_REGISTRY_TABLE Table, _In_ const WMP_KEY *Key,
                     _Out_ PWMP_REGISTRY_RECORD *Free)
{
    PWMP_REGISTRY_RECORD Records = Table->Records;
    ULONG Mask = Table->Mask;
    ULONG Index = (ULONG)Key->Hash & Mask;
    PWMP_REGISTRY_RECORD Found = NULL;
    PWMP_REGISTRY_ENTRY Entry;

    for (;; Index = (Index + 1) & Mask) {
        Entry = Records[Index].Entry;
        if (Entry == NULL) {
            *Free = &Records[Index];
            return Found;
        }
        if (Found == NULL && Entry != WMP_TOMBSTONE && Records[Index].Tag == WmpHashTag(Key->Hash) &&
            WmpEntryKeyEquals(Entry, Key)) {
            Found = &Records[Index];
        }
    }
}

/* Publishes Entry in an empty record (writer lock): its fields first, then
 * the pointer (release), so a reader that sees the pointer sees them. */
static VOID
WmpRecordInsert(_Inout_ PWMP_REGISTRY_RECORD Record, _In_ PWMP_REGISTRY_ENTRY Entry)
{
    ULONG Index;

    Record->Tag = WmpHashTag(Entry->Hash);
    Record->Type = Entry->Type;
    for (Index = 0; Index < WMP_RECORD_KEY_WORDS; Index++) {
        WmpStoreKeyWord(&Record->Key[Index], Entry->Key[Index]);
    }
    WmpStoreRelease(&Record->Entry, Entry);
}

/* Rebuilds the table into a new record array of Capacity records (writer
 * lock). */
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
        Entry = Old->Records[Index].Entry;
        if (Entry == NULL || Entry == WMP_TOMBSTONE) {
            continue;
        }
        /* No reader sees New before the exchange below. */
        for (Target = (ULONG)Entry->Hash & New->Mask; New->Records[Target].Entry != NULL;
             Target = (Target + 1) & New->Mask) {
        }
        WmpRecordInsert(&New->Records[Target], Entry);
        New->Used++;
    }
    (VOID)InterlockedExchangePointer((PVOID volatile *)&Registry->Table, New);
    /* Readers may still be probing Old: it waits for the gate to drain. */
    Old->Next = Registry->RetiredTables;
    Registry->RetiredTables = Old;
    return STATUS_SUCCESS;
}

/* Makes room for one more used record (live + tombstones): rebuilds when
 * the table would pass a quarter used, doubling it when live keys pass an
 * eighth (tables up to WMP_TABLE_SMALL records, 256 KB) or 3/16 (larger
 * ones), else purging tombstones at the same size. Measured on the
 * benchmark: a probe past the first record costs a mispredicted branch on
 * data that may still be in memory, which outweighs the footprint (at 13/16
 * used, 100k keys in 8 MB took 70 ns a lookup; at half used, in 16 MB, 55
 * ns). Against half used (bounds 1/2, 1/4, 3/8), these bounds took
 * 0.66-0.83x the time from 100 to 100k keys in ten alternated runs
 * (bench/grt-ab.py; 100k keys: 24.7 against 29.1 ns), for tables twice the
 * size: 32 MB at 100k keys, 335 bytes a key beside the entry's 303. */
static NTSTATUS
WmpTableReserve(_Inout_ PWMP_REGISTRY Registry)
{
    PWMP_REGISTRY_TABLE Table = Registry->Table;
    ULONGLONG Capacity = (ULONGLONG)Table->Mask + 1;
    ULONGLONG Live = (ULONGLONG)(ULONG)Registry->Count + 1;

    if (((ULONGLONG)Table->Used + 1) * 4 <= Capacity) {
        return STATUS_SUCCESS;
    }
    if (Capacity <= WMP_TABLE_SMALL ? Live * 8 > Capacity : Live * 16 > Capacity * 3) {
        if (Capacity >= WMP_TABLE_MAX) {
            return STATUS_WM_POOL_ALLOCATION_FAILED;
        }
        Capacity *= 2;
    }
    return WmpTableRebuild(Registry, (ULONG)Capacity);
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
    if (!WmpWaitForCalls(Registry)) {
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

/* The entry a record holds, or NULL (empty, tombstone). */
WM_INLINE PWMP_REGISTRY_ENTRY
WmpRecordEntry(_In_ const WMP_REGISTRY_RECORD *Record)
{
    PWMP_REGISTRY_ENTRY Entry = Record->Entry;

    return Entry != WMP_TOMBSTONE ? Entry : NULL;
}

static BOOLEAN
WmpAnyEntryInUse(_In_ PWMP_REGISTRY Registry)
{
    PWMP_REGISTRY_TABLE Table = Registry->Table;
    PWMP_REGISTRY_ENTRY Entry;
    ULONG Index;

    for (Index = 0; Index <= Table->Mask; Index++) {
        Entry = WmpRecordEntry(&Table->Records[Index]);
        if (Entry != NULL && WmpEntryInUse(Entry)) {
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
        Entry = WmpRecordEntry(&Table->Records[Index]);
        if (Entry != NULL) {
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
    ULONG_PTR Published;
    PVOID Block;

    /* Its calls record callers by identity (compiler.h). */
    if (!WmpThreadIdentityMapped()) {
        return STATUS_NOT_SUPPORTED;
    }
    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* Cheap early answer; the compare-exchange below decides. */
    if (WmpLoadAcquire(&WmpGate.Published) != WMP_GATE_NONE) {
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
    /* The mode, once for this registry: the heavy barrier when the kernel
     * exports it (resolved at PASSIVE_LEVEL; WmInitializeLibrary resolves it
     * ahead for an APC_LEVEL caller), else fences in every call. */
    Registry->IpiGenericCall = (WMP_KE_IPI_GENERIC_CALL *)WmpGetRoutine(WmpRoutineKeIpiGenericCall);
    Published = (ULONG_PTR)Registry | (Registry->IpiGenericCall == NULL ? WMP_GATE_READER_FENCES : 0);

    /* Exactly one initialisation publishes; a loser frees its copy. */
    if (InterlockedCompareExchangePointer(&WmpGate.Published, (PVOID)Published, WMP_GATE_NONE) != WMP_GATE_NONE) {
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
    ULONG_PTR Published;
    NTSTATUS Status;

    if (KeGetCurrentIrql() > APC_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    /* One destroy at a time; from here on new calls are turned away. */
    do {
        Published = (ULONG_PTR)WmpLoadAcquire(&WmpGate.Published);
        if (Published == (ULONG_PTR)WMP_GATE_NONE) {
            return STATUS_WM_REGISTRY_NOT_INITIALIZED;
        }
        if ((Published & WMP_GATE_DESTROYING) != 0) {
            return STATUS_WM_REGISTRY_BUSY;
        }
    } while (InterlockedCompareExchangePointer(&WmpGate.Published, (PVOID)(Published | WMP_GATE_DESTROYING),
                                               (PVOID)Published) != (PVOID)Published);
    Registry = (PWMP_REGISTRY)(Published & ~WMP_GATE_FLAGS);

    /* Owning the writer lock waits out a writer; a writer still waiting for
     * it is inside the gate and makes the drain below fail. */
    ExAcquireFastMutex(&Registry->WriterLock);
    if (!WmpWaitForCalls(Registry) || WmpAnyEntryInUse(Registry)) {
        Status = STATUS_WM_REGISTRY_BUSY;
    } else {
        (VOID)InterlockedExchangePointer(&WmpGate.Published, WMP_GATE_NONE);
        Status = STATUS_SUCCESS;
    }
    ExReleaseFastMutex(&Registry->WriterLock);

    if (Status == STATUS_SUCCESS) {
        /* Unreachable now: no call is inside and new ones see none. */
        WmpRegistryFree(Registry);
    } else {
        (VOID)InterlockedExchangePointer(&WmpGate.Published, (PVOID)Published);
    }
    return Status;
}

_Use_decl_annotations_
BOOLEAN
WmRegistryIsInitialized(VOID)
{
    ULONG_PTR Published = (ULONG_PTR)WmpLoadAcquire(&WmpGate.Published);

    return (Published & WMP_GATE_DESTROYING) == 0;  /* WMP_GATE_NONE has it */
}

_Use_decl_annotations_
NTSTATUS
WmRegistryCount(PULONG Count)
{
    PWMP_REGISTRY Registry;
    NTSTATUS Status;
    WMP_CALL Call;

    if (Count == NULL) {
        return STATUS_WM_INVALID_PARAMETER;
    }
    *Count = 0;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
    Status = WmpEnter(&Call, &Registry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    *Count = (ULONG)WmpLoadAcquire(&Registry->Count);
    WmpLeave(&Call);
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
    PWMP_REGISTRY_RECORD Record;
    PWMP_REGISTRY_RECORD Free;
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

    Record = WmpTableFindForWrite(Registry->Table, &Parsed, &Free);
    if (Record != NULL && !Overwrite) {
        Status = STATUS_WM_KEY_EXISTS;
    } else {
        /* Consumes an empty record: keep the table within its bound. */
        Status = WmpTableReserve(Registry);
    }
    if (NT_SUCCESS(Status)) {
        /* The table may be new: find the records again. */
        Record = WmpTableFindForWrite(Registry->Table, &Parsed, &Free);
        Registry->Table->Used++;
        WmpRecordInsert(Free, Entry);
        if (Record != NULL) {
            /* An overwrite: the new record is further along the chain, so
             * a lookup finds the old entry until the tombstone, the new one
             * after. The old entry stays allocated until destroy: threads
             * that got or hold it keep valid memory. */
            Old = Record->Entry;
            WmpStoreRelease(&Record->Entry, WMP_TOMBSTONE);
            Old->Next = Registry->Replaced;
            Registry->Replaced = Old;
        } else {
            InterlockedIncrement(&Registry->Count);
        }
        Entry = NULL;
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
    PWMP_REGISTRY_RECORD Record;
    PWMP_REGISTRY_RECORD Free;
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
        Record = WmpTableFindForWrite(Registry->Table, &Parsed, &Free);
        if (Record == NULL) {
            Status = STATUS_WM_KEY_NOT_FOUND;
        } else {
            Entry = Record->Entry;
            if (WmpEntryInUse(Entry)) {
                Status = STATUS_WM_REGISTRY_BUSY;
            } else {
                /* Unlink, then retire: it is freed below if no lookup is in
                 * flight, else by a later writer or destroy. */
                WmpStoreRelease(&Record->Entry, WMP_TOMBSTONE);
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

/* A hit: counts the handle if asked, returns the lock. Inside the gate. */
WM_INLINE VOID
WmpLookupHit(_In_ PWMP_REGISTRY_ENTRY Entry, _In_ ULONG Flags, _Out_ PWM_LOCK_HEADER *Lock)
{
    if ((Flags & WMP_REGISTRY_LOOKUP_REFERENCE) != 0) {
        /* Inside the gate the entry cannot be freed; once counted it
         * cannot be freed after we leave either. */
        InterlockedIncrement(&Entry->References);
    }
    *Lock = WmpEntryLock(Entry);
}

/* A lookup from the key on (the caller has checked the other arguments and
 * the IRQL, and set *Lock to NULL): every lookup on most targets, on x64
 * what WmpLookupFast leaves to it. */
WMP_LOOKUP_GENERAL NTSTATUS
WmpLookupKey(_In_opt_z_ PCSTR Key, _In_ PCWMP_REGISTRY_TYPE Type, _In_ ULONG Flags, _Inout_ PWM_LOCK_HEADER *Lock)
{
    PWMP_REGISTRY Registry;
    PWMP_REGISTRY_ENTRY Entry;
    PCWMP_REGISTRY_TYPE Found;
    WMP_KEY Parsed;
    NTSTATUS Status;
    WMP_CALL Call;

    if (!WmpParseKey(Key, &Parsed)) {
        return STATUS_WM_INVALID_KEY;
    }
    Status = WmpEnter(&Call, &Registry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    Entry = WmpTableFind(WmpLoadAcquire(&Registry->Table), &Parsed, &Found);
    if (Entry == NULL) {
        Status = WmpLoadRelaxed(&Registry->Count) == 0 ? STATUS_WM_REGISTRY_EMPTY : STATUS_WM_KEY_NOT_FOUND;
    } else if (Found != Type && !WmpTypeMatches(Entry, Type)) {
        /* The same declaration is one pointer compare; another declaration
         * of the same type reads the entry. */
        Status = STATUS_WM_TYPE_MISMATCH;
    } else {
        WmpLookupHit(Entry, Flags, Lock);
    }
    WmpLeave(&Call);
    return Status;
}

#ifdef WMP_FAST_LOOKUP
/* A hit of the x64 lookup under another declaration's type descriptor:
 * the type check reads the entry. Leaves the gate. */
static WMP_NOINLINE NTSTATUS
WmpLookupOtherType(_In_ PWMP_REGISTRY_ENTRY Entry, _In_ PCWMP_REGISTRY_TYPE Type, _In_ ULONG Flags,
                   _Inout_ PWM_LOCK_HEADER *Lock, _In_ WMP_CALL Call)
{
    NTSTATUS Status = STATUS_WM_TYPE_MISMATCH;

    if (WmpTypeMatches(Entry, Type)) {
        WmpLookupHit(Entry, Flags, Lock);
        Status = STATUS_SUCCESS;
    }
    WmpLeaveSlot(&Call);
    return Status;
}

/* WmpFoldMultiply of the pair WmpKeyFinish makes of 32 bytes of canonical
 * words: First's two words with Second's crossed in (WmpCrossWords: the
 * halves of each of Second's words swapped), each xored with its secret. */
WM_INLINE ULONG64
WmpFoldVector(_In_ __m128i First, _In_ __m128i Second, _In_ ULONG64 SecretLow, _In_ ULONG64 SecretHigh)
{
    __m128i Mixed = _mm_xor_si128(_mm_xor_si128(First, _mm_shuffle_epi32(Second, _MM_SHUFFLE(2, 3, 0, 1))),
                                  _mm_set_epi64x((LONG64)SecretHigh, (LONG64)SecretLow));

    return WmpFoldMultiply((ULONG64)_mm_cvtsi128_si64(Mixed), (ULONG64)_mm_cvtsi128_si64(_mm_unpackhi_epi64(Mixed, Mixed)));
}

/* TRUE when an entry's key words 5-7 are those in Words45 (high half) and
 * Words67. */
WM_INLINE BOOLEAN
WmpEntryTailEqualsVectors(_In_ const WMP_REGISTRY_ENTRY *Entry, _In_ __m128i Words45, _In_ __m128i Words67)
{
    __m128i Same = _mm_and_si128(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)&Entry->Key[4]), Words45),
                                 _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)&Entry->Key[6]), Words67));

    return _mm_movemask_epi8(Same) == 0xFFFF;
}

/*
 * The x64 lookup of a key in registers: Low, High, Words45 and Words67 its
 * canonical words (as WmpReadKeyVectors leaves them), Length its length.
 * Hashes as WmpKeyFinish does and reads records as WmpTableFind does, for
 * a thread whose call slot Counter is and has no call in progress, so the
 * count to restore is 0. Long: the key may be 32 bytes or longer; FALSE
 * (WmpLookupFast) compiles its code for those out. Its calls are tail
 * calls and it keeps few values across the probe loop, so that it needs
 * few registers saved.
 */
WMP_LOOKUP_FAST NTSTATUS
WmpLookupWords(_In_ __m128i Low, _In_ __m128i High, _In_ __m128i Words45, _In_ __m128i Words67, _In_ ULONG Length,
               _In_ BOOLEAN Long, _In_ PCWMP_REGISTRY_TYPE Type, _In_ ULONG Flags, _Inout_ PWM_LOCK_HEADER *Lock,
               _In_ LONG volatile *Counter)
{
    PWMP_REGISTRY_RECORD Records;
    PWMP_REGISTRY_RECORD Record;
    PWMP_REGISTRY_ENTRY Entry;
    PWMP_REGISTRY_TABLE Table;
    PWMP_REGISTRY Registry;
    PCWMP_REGISTRY_TYPE Found;
    ULONG64 Hash;
    NTSTATUS Status;
    WMP_CALL Call;

    /* WmpKeyFinish from the vectors. */
    Hash = WmpFoldVector(Low, High, WMP_HASH_SECRET0, WMP_HASH_SECRET1);
    if (Long && Length > 32) {
        Hash ^= WmpFoldVector(Words45, Words67, WMP_HASH_SECRET4, WMP_HASH_SECRET5);
    }
    Hash = WmpHashMix(Hash);

    /* As WmpAnnounce. */
    Call.Counter = Counter;
    Call.Saved = 0;
    WmpStoreRelaxed(Counter, 1);
    WmpCompilerBarrier();
    Status = WmpEnterAnnounced(&Call, FALSE, &Registry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }

    /* WmpTableFind. The entry pointer is a volatile load and the compiler
     * barrier keeps the record's loads after it; x64 does not reorder
     * loads, so they are plain loads. (GCC gives the address of a 64-bit
     * __atomic_load a register of its own: measured, a saved register and
     * three instructions more a lookup.) The tag is not compared: the
     * record words with the key's terminator among them are exact, and
     * checking them costs fewer instructions than checking the tag first. */
    Table = WmpLoadAcquire(&Registry->Table);
    Record = &WmpTableRecords(Table)[(ULONG)Hash & Table->Mask];
    for (;;) {
        Entry = Record->Entry;
        WmpCompilerBarrier();
        /* Neither NULL nor WMP_TOMBSTONE, the key's record words and, from
         * 40 bytes on, the rest of the key in the entry (an entry is
         * immutable, and stays allocated inside the gate). */
        if ((ULONG_PTR)Entry > (ULONG_PTR)WMP_TOMBSTONE && WmpRecordKeyEqualsVectors(Record, Low, High, Words45, Long) &&
            (!Long || Length < WMP_RECORD_KEY_WORDS * 8 || WmpEntryTailEqualsVectors(Entry, Words45, Words67))) {
            Found = Record->Type;
            break;
        }
        if (Entry == NULL) {
            /* The registry again, not kept across the loop: inside the gate
             * it is the published one. */
            Registry = (PWMP_REGISTRY)((ULONG_PTR)WmpLoadRelaxed(&WmpGate.Published) & ~WMP_GATE_FLAGS);
            Status = WmpLoadRelaxed(&Registry->Count) == 0 ? STATUS_WM_REGISTRY_EMPTY : STATUS_WM_KEY_NOT_FOUND;
            WmpLeaveSlot(&Call);
            return Status;
        }
        /* The mask loaded again, not kept across the loop. */
        Records = WmpTableRecords(Table);
        Record = &Records[(Record - Records + 1) & Table->Mask];
    }
    if (WMP_UNLIKELY(Found != Type)) {
        return WmpLookupOtherType(Entry, Type, Flags, Lock, Call);
    }
    WmpLookupHit(Entry, Flags, Lock);
    WmpLeaveSlot(&Call);
    return STATUS_SUCCESS;
}

/* WmpLookupFast for a key of 32 bytes or more, read as WmpReadKeyVectors
 * does (the caller has checked the page). */
static WMP_NOINLINE NTSTATUS
WmpLookupLongKey(_In_z_ PCSTR Key, _In_ PCWMP_REGISTRY_TYPE Type, _In_ ULONG Flags, _Inout_ PWM_LOCK_HEADER *Lock,
                 _In_ LONG volatile *Counter)
{
    __m128i Words45 = WmpLoadTwoWords(Key + 32);
    __m128i Words67 = WmpLoadTwoWords(Key + 48);
    ULONG Length = WmpKeyTailLength(Key, Words45, Words67);

    if (Length == 0) {
        return STATUS_WM_INVALID_KEY;  /* over-long */
    }
    Words45 = _mm_and_si128(Words45, WmpKeepVector(WmpKeepFrom(Length), 2));
    Words67 = _mm_and_si128(Words67, WmpKeepVector(WmpKeepFrom(Length), 3));
    return WmpLookupWords(WmpLoadTwoWords(Key), WmpLoadTwoWords(Key + 16), Words45, Words67, Length, TRUE, Type,
                          Flags, Lock, Counter);
}

/*
 * The x64 lookup, for a thread with a call slot and no call in progress
 * (one this call interrupts), the key kept in registers (WmpLookupWords):
 * read as WmpReadKeyVectors does, a key of 32 bytes or more by
 * WmpLookupLongKey. The rest it leaves to WmpLookupKey: a NULL key, a key
 * near a page end (see WmpParseKey) or at a page start, a thread without a
 * slot or with a call in progress.
 */
WMP_LOOKUP_FAST NTSTATUS
WmpLookupFast(_In_opt_z_ PCSTR Key, _In_ PCWMP_REGISTRY_TYPE Type, _In_ ULONG Flags, _Inout_ PWM_LOCK_HEADER *Lock)
{
    LONG volatile *Counter;
    const UCHAR *Keep;
    PVOID Thread;
    __m128i Low;
    __m128i High;
    ULONG Length;
    ULONG Index;
    ULONG Nul;

    /* The slot first: the key pointer is then not needed once the key is
     * read. */
    Thread = WmpCurrentThread();
    Index = WmpCallSlotOf(Thread);
    Counter = &WmpGate.Calls[Index].Active;
    /* One test for a NULL key and a key near a page end: the byte before
     * the key is within a page's last 80 bytes (also true of a key at a
     * page start, which the general lookup then takes). */
    if (WMP_UNLIKELY(WmpLoadRelaxed(&WmpGate.Calls[Index].Claim) != Thread || WmpLoadRelaxed(Counter) != 0) ||
        WMP_UNLIKELY((((ULONG_PTR)Key - 1) & 4095) > 4096 - 81)) {
        return WmpLookupKey(Key, Type, Flags, Lock);
    }
    Low = WmpLoadTwoWords(Key);
    High = WmpLoadTwoWords(Key + 16);
    Nul = WMP_NUL_BITS(Low, High);
    if (WMP_UNLIKELY(Nul == 0)) {
        return WmpLookupLongKey(Key, Type, Flags, Lock, Counter);
    }
    Length = WmpLowestSetBit(Nul);
    if (Length == 0) {
        return STATUS_WM_INVALID_KEY;
    }
    Keep = WmpKeepFrom(Length);
    Low = _mm_and_si128(Low, WmpKeepVector(Keep, 0));
    High = _mm_and_si128(High, WmpKeepVector(Keep, 1));
    return WmpLookupWords(Low, High, _mm_setzero_si128(), _mm_setzero_si128(), Length, FALSE, Type, Flags, Lock,
                          Counter);
}
#endif

_Use_decl_annotations_
NTSTATUS
WmpRegistryLookup(PCSTR Key, PCWMP_REGISTRY_TYPE Type, ULONG Flags, PWM_LOCK_HEADER *Lock)
{
    /* Type and Lock come from the generated wrappers: never NULL. */
    *Lock = NULL;
    if (KeGetCurrentIrql() > DISPATCH_LEVEL) {
        return STATUS_WM_IRQL_TOO_HIGH;
    }
#ifdef WMP_FAST_LOOKUP
    return WmpLookupFast(Key, Type, Flags, Lock);
#else
    return WmpLookupKey(Key, Type, Flags, Lock);
#endif
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
        References = WmpLoadAcquire(&Entry->References);
        if (References <= 0) {
            return STATUS_WM_INVALID_PARAMETER;
        }
        if (InterlockedCompareExchange(&Entry->References, References - 1, References) == References) {
            return STATUS_SUCCESS;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Test hooks                                                               */
/* ------------------------------------------------------------------------ */

_Use_decl_annotations_
VOID
WmpRegistryTestHoldCall(BOOLEAN Hold)
{
    PVOID Thread = WmpCurrentThread();
    WMP_CALL Call;
    ULONG Index;

    if (Hold) {
        /* The announcement of a call, on the slot (or Shared counter) the
         * thread's lookups use. */
        (VOID)WmpAnnounce(&Call);
    } else {
        /* The same slot again (claims are never released), found without
         * claiming one; calls nested since have restored its count. */
        Index = WmpFindCallSlot(Thread);
        if ((Index & WMP_CALL_SHARED) == 0) {
            WmpStoreRelease(&WmpGate.Calls[Index].Active, WmpLoadRelaxed(&WmpGate.Calls[Index].Active) - 1);
        } else {
            InterlockedDecrement(&WmpGate.Shared[Index & ~WMP_CALL_SHARED].Calls);
        }
    }
}

_Use_decl_annotations_
NTSTATUS
WmpRegistryTestQueryCapacity(PULONG Records)
{
    PWMP_REGISTRY Registry;
    NTSTATUS Status;

    *Records = 0;
    Status = WmpEnterWriter(&Registry);
    if (!NT_SUCCESS(Status)) {
        return Status;
    }
    *Records = Registry->Table->Mask + 1;
    WmpLeaveWriter(Registry);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
WmpRegistryTestQueryGate(PULONG ClaimedSlots, PBOOLEAN CallerHasSlot, PBOOLEAN ReaderFences)
{
    ULONG_PTR Published;
    ULONG Claimed = 0;
    ULONG Index;

    for (Index = 0; Index < WMP_CALL_SLOTS; Index++) {
        if (WmpLoadAcquire(&WmpGate.Calls[Index].Claim) != NULL) {
            Claimed++;
        }
    }
    *ClaimedSlots = Claimed;
    *CallerHasSlot = (WmpFindCallSlot(WmpCurrentThread()) & WMP_CALL_SHARED) == 0;
    Published = (ULONG_PTR)WmpLoadAcquire(&WmpGate.Published);
    *ReaderFences = (Published & WMP_GATE_READER_FENCES) != 0;
    Published &= ~WMP_GATE_FLAGS;
    return Published != 0 ? STATUS_SUCCESS : STATUS_WM_REGISTRY_NOT_INITIALIZED;
}

_Use_decl_annotations_
VOID
WmpRegistryTestReleaseCallSlots(VOID)
{
    ULONG Index;

    for (Index = 0; Index < WMP_CALL_SLOTS; Index++) {
        if (WmpLoadAcquire(&WmpGate.Calls[Index].Active) == 0) {
            (VOID)InterlockedExchangePointer(&WmpGate.Calls[Index].Claim, NULL);
        }
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
        Entry = WmpRecordEntry(&Registry->Table->Records[Index]);
        if (Entry != NULL) {
            InterlockedExchange(&Entry->References, 0);
        }
    }
    WmpListDropReferences(Registry->Retired);
    WmpListDropReferences(Registry->Replaced);
    ExReleaseFastMutex(&Registry->WriterLock);
}
