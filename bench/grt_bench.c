/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Registry benchmark: nanoseconds per lookup (PrefixRegistryGet)
 *              with 1 to 100k keys, keys in random order, 1 and 2 threads;
 *              plus the same lookups in an ordered map with string keys (a
 *              sorted array searched with strcmp, the shape of the seed's
 *              BTreeMap<&str, ..>) as the baseline.
 * ENVIRONMENT: Host only: the host kernel model, pthreads and libc.
 *
 * Output, one line per figure:
 *   grt_get keys=N threads=T ns_per_get=X   X: each thread's own average
 *                                           (for T=2 the mean of the two)
 *   table_get keys=N threads=1 ns_per_get=X reference: an unsynchronised
 *                                           table of the registry's shape
 *   map_get keys=N threads=1 ns_per_get=X   baseline
 * Lines starting with '#' give details: the registry's gate mode, per-thread
 * figures, each thread's best pass, wall-clock figures, the key-generation
 * cost, 2-thread scaling.
 *
 * Usage: grt_bench [--reader-fences]
 *   --reader-fences  hide KeIpiGenericCall from the library before the
 *                    registry is created, so it runs in reader-fences mode
 *                    (every lookup executes a full barrier), as on Wine 8.
 *
 * Method. A driver passes a literal key, hot in cache. To measure the
 * registry's own memory accesses and not a key buffer streaming through the
 * caches, each thread builds every key in a small stack buffer just before
 * the lookup: "driver.device.id" + an 8-digit number (one aligned 8-byte
 * store) + ".lock", the number drawn at random from the N keys. That costs a
 * few ns; it is timed alone ("keygen") and subtracted. Times are each
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so other load on the machine
 * does not count (on a VM, time stolen by the host still does: the best
 * pass is printed too); wall-clock figures are printed too. One warm-up
 * pass, then PASSES timed passes of GETS lookups.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wdkmutex/wdkmutex.h>
#include "hostkernel.h" /* HkHideRoutine */

WM_DECLARE_FAST_MUTEX_TYPE(BENCH_MUTEX, BenchMutex, ULONG);

#define GETS         (1u << 20)    /* lookups per pass per thread             */
#define PASSES       5             /* timed passes (after one warm-up pass)   */
#define MAX_THREADS  2
#define KEY_SIZE     32

static const unsigned KeyCounts[] = { 1, 10, 100, 1000, 10000, 100000 };

/* A key buffer: prefix, 8 digits in the third aligned word, suffix. */
typedef union {
    char     Text[KEY_SIZE];
    uint64_t Words[KEY_SIZE / 8];
} KEY;

static const char KeyTemplate[KEY_SIZE] = "driver.device.id00000000.lock";

/* ASCII of 0000..9999, four bytes each (40 KB, stays in cache). */
static uint32_t FourDigits[10000];

static void
InitDigits(void)
{
    uint32_t Number;

    for (Number = 0; Number < 10000; Number++) {
        FourDigits[Number] = (uint32_t)('0' + Number / 1000) | (uint32_t)('0' + Number / 100 % 10) << 8 |
                             (uint32_t)('0' + Number / 10 % 10) << 16 | (uint32_t)('0' + Number % 10) << 24;
    }
}

/* The 8 ASCII digits of Number (< 10^8) as one little-endian word. */
static inline uint64_t
Digits(uint32_t Number)
{
    return (uint64_t)FourDigits[Number / 10000] | (uint64_t)FourDigits[Number % 10000] << 32;
}

static inline void
SetKey(KEY *Key, uint32_t Number)
{
    Key->Words[2] = Digits(Number);
}

static void
InitKey(KEY *Key)
{
    memcpy(Key->Text, KeyTemplate, KEY_SIZE);
}

static inline uint64_t
NextRandom(uint64_t *State)
{
    uint64_t X = *State;

    X ^= X << 13;
    X ^= X >> 7;
    X ^= X << 17;
    *State = X;
    return X;
}

/* Uniform in [0, Count). */
static inline uint32_t
Pick(uint64_t *State, uint32_t Count)
{
    return (uint32_t)(((NextRandom(State) & 0xFFFFFFFFu) * (uint64_t)Count) >> 32);
}

static double
Now(clockid_t Clock)
{
    struct timespec Time;

    clock_gettime(Clock, &Time);
    return (double)Time.tv_sec * 1e9 + (double)Time.tv_nsec;
}

typedef struct {
    _Alignas(64) uint32_t Count;
    uint64_t Seed;
    int Mode;                     /* 0 registry, 1 key generation only        */
    pthread_barrier_t *Start;
    double CpuNs;                 /* per get, CPU time                        */
    double BestNs;                /* per get, CPU time, the fastest pass      */
    double WallNs;                /* per get, wall clock                      */
    unsigned long Failures;
    uintptr_t Sink;
} WORKER;

/* Key generation alone: consumes the key words so the stores happen. */
__attribute__((noinline)) static uintptr_t
Consume(const KEY *Key)
{
    return (uintptr_t)(Key->Words[0] ^ Key->Words[2]);
}

/* Everything the loop writes is local: the two workers must not share a
 * written cache line (the registry does not make them; neither may we). */
static void
OnePass(WORKER *Worker, uint64_t *State)
{
    const uint32_t Count = Worker->Count;
    const int Mode = Worker->Mode;
    uint64_t Random = *State;
    unsigned long Failures = 0;
    uintptr_t Sink = 0;
    KEY Key;
    BENCH_MUTEX Mutex;
    unsigned Index;

    InitKey(&Key);
    for (Index = 0; Index < GETS; Index++) {
        SetKey(&Key, Pick(&Random, Count));
        if (Mode == 1) {
            Sink += Consume(&Key);
            continue;
        }
        if (BenchMutexRegistryGet(Key.Text, &Mutex) != STATUS_SUCCESS) {
            Failures++;
        }
        Sink += (uintptr_t)Mutex.Object;
    }
    *State = Random;
    Worker->Failures += Failures;
    Worker->Sink += Sink;
}

static void *
GetWorker(void *Context)
{
    WORKER *Worker = Context;
    uint64_t State = Worker->Seed | 1;
    unsigned Pass;
    double Cpu;
    double Wall;
    double PassStart;
    double PassNs;

    (void)HkAdoptCurrentThread(); /* a host thread: made known to the model */
    OnePass(Worker, &State); /* warm-up: caches, TLB */
    pthread_barrier_wait(Worker->Start);
    Cpu = Now(CLOCK_THREAD_CPUTIME_ID);
    Wall = Now(CLOCK_MONOTONIC);
    Worker->BestNs = 1e30;
    for (Pass = 0; Pass < PASSES; Pass++) {
        PassStart = Now(CLOCK_THREAD_CPUTIME_ID);
        OnePass(Worker, &State);
        PassNs = (Now(CLOCK_THREAD_CPUTIME_ID) - PassStart) / (double)GETS;
        if (PassNs < Worker->BestNs) {
            Worker->BestNs = PassNs;
        }
    }
    Worker->CpuNs = (Now(CLOCK_THREAD_CPUTIME_ID) - Cpu) / ((double)GETS * PASSES);
    Worker->WallNs = (Now(CLOCK_MONOTONIC) - Wall) / ((double)GETS * PASSES);
    return NULL;
}

/* Runs Threads workers at once; fills their own averages. */
static void
Run(uint32_t Count, unsigned Threads, int Mode, WORKER *Workers)
{
    pthread_t Handles[MAX_THREADS];
    pthread_barrier_t Start;
    unsigned Index;

    pthread_barrier_init(&Start, NULL, Threads);
    for (Index = 0; Index < Threads; Index++) {
        memset(&Workers[Index], 0, sizeof(Workers[Index]));
        Workers[Index].Count = Count;
        Workers[Index].Seed = 0x9E3779B97F4A7C15ULL * (Index + 1) + Count;
        Workers[Index].Mode = Mode;
        Workers[Index].Start = &Start;
        if (pthread_create(&Handles[Index], NULL, GetWorker, &Workers[Index]) != 0) {
            perror("pthread_create");
            exit(1);
        }
    }
    for (Index = 0; Index < Threads; Index++) {
        pthread_join(Handles[Index], NULL);
        if (Workers[Index].Failures != 0) {
            fprintf(stderr, "grt_bench: %lu failed lookups\n", Workers[Index].Failures);
            exit(1);
        }
    }
    pthread_barrier_destroy(&Start);
}

/* --- Baseline: ordered map with string keys ------------------------------ */

static double
RunMap(uint32_t Count, double KeyGen)
{
    char (*Sorted)[KEY_SIZE] = malloc((size_t)KEY_SIZE * Count);
    uint64_t State = 0x9E3779B97F4A7C15ULL + Count;
    uintptr_t Sink = 0;
    unsigned Pass;
    unsigned Index;
    double Start = 0;
    KEY Key;

    /* Fixed-width numbers: numeric order is string order. */
    for (Index = 0; Index < Count; Index++) {
        InitKey(&Key);
        SetKey(&Key, Index);
        memcpy(Sorted[Index], Key.Text, KEY_SIZE);
    }
    InitKey(&Key);
    for (Pass = 0; Pass <= PASSES; Pass++) {
        if (Pass == 1) {
            Start = Now(CLOCK_THREAD_CPUTIME_ID);
        }
        for (Index = 0; Index < GETS; Index++) {
            uint32_t Low = 0;
            uint32_t High = Count;
            int Order = 1;

            SetKey(&Key, Pick(&State, Count));
            while (Low < High) {
                uint32_t Middle = Low + (High - Low) / 2;
                Order = strcmp(Key.Text, Sorted[Middle]);
                if (Order == 0) {
                    Sink += Middle;
                    break;
                }
                if (Order < 0) {
                    High = Middle;
                } else {
                    Low = Middle + 1;
                }
            }
            if (Order != 0) {
                fprintf(stderr, "grt_bench: map lookup failed\n");
                exit(1);
            }
        }
    }
    Start = (Now(CLOCK_THREAD_CPUTIME_ID) - Start) / ((double)GETS * PASSES);
    free(Sorted);
    if (Sink == 1) {
        puts("");
    }
    return Start - KeyGen;
}

/* --- Reference: the least a lookup by string key does ------------------ */

/*
 * An unsynchronised hash table with the registry's table shape: 64-byte
 * records holding the key, open addressing with linear probing, the
 * registry's own capacity at the same key count (WmpRegistryTestQueryCapacity),
 * hashed with one 64 x 64 -> 128 multiply. No gate, no type,
 * no concurrent writer, no key-length or page check: what is left is the
 * key read, the hash, one record read per probe and the compare. Measured
 * in the same run as the registry, on the same keys in the same order, it
 * shows what the VM's memory costs that run: the registry's figure over
 * this one is what its guarantees cost.
 */
typedef struct {
    _Alignas(64) uint64_t Key[KEY_SIZE / 8];
    uintptr_t Value;                /* 0: empty                                */
} TABLE_RECORD;

_Static_assert(sizeof(TABLE_RECORD) == 64, "one record per cache line");

static inline uint32_t
TableHash(const uint64_t *Words)
{
    /* The number is in word 2: it goes into a multiplier whole, and the
     * product's halves and words are folded, so every digit moves the low
     * bits (a random placement: 0.31 records past home on average at 100k
     * keys, as for random hashes). */
    unsigned __int128 Product = (unsigned __int128)(Words[0] ^ Words[1] ^ 0x243F6A8885A308D3ULL) *
                                (Words[2] ^ Words[3] ^ 0x13198A2E03707344ULL);
    uint64_t Folded = (uint64_t)Product ^ (uint64_t)(Product >> 64);

    return (uint32_t)(Folded ^ (Folded >> 32));
}

/* A call, as the registry's get is. */
__attribute__((noinline)) static uintptr_t
TableFind(const TABLE_RECORD *Records, uint32_t Mask, const char *Text)
{
    uint64_t Words[KEY_SIZE / 8];
    uint32_t Index;

    memcpy(Words, Text, sizeof(Words));
    for (Index = TableHash(Words) & Mask;; Index = (Index + 1) & Mask) {
        const TABLE_RECORD *Record = &Records[Index];

        if (Record->Key[0] == Words[0] && Record->Key[1] == Words[1] && Record->Key[2] == Words[2] &&
            Record->Key[3] == Words[3]) {
            return Record->Value;
        }
        if (Record->Value == 0) {
            return 0;
        }
    }
}

static double
RunTable(uint32_t Count, uint32_t Capacity, double KeyGen)
{
    TABLE_RECORD *Records = aligned_alloc(64, (size_t)Capacity * sizeof(TABLE_RECORD));
    uint64_t State = 0x9E3779B97F4A7C15ULL + Count; /* the registry's thread 0 */
    uintptr_t Sink = 0;
    unsigned Pass;
    unsigned Index;
    uint32_t Slot;
    double Start = 0;
    KEY Key;

    if (Records == NULL) {
        fprintf(stderr, "grt_bench: out of memory\n");
        exit(1);
    }
    memset(Records, 0, (size_t)Capacity * sizeof(TABLE_RECORD));
    InitKey(&Key);
    for (Index = 0; Index < Count; Index++) {
        SetKey(&Key, Index);
        for (Slot = TableHash(Key.Words) & (Capacity - 1); Records[Slot].Value != 0; Slot = (Slot + 1) & (Capacity - 1)) {
        }
        memcpy(Records[Slot].Key, Key.Words, sizeof(Key.Words));
        Records[Slot].Value = (uintptr_t)Index + 1;
    }
    for (Pass = 0; Pass <= PASSES; Pass++) {
        if (Pass == 1) {
            Start = Now(CLOCK_THREAD_CPUTIME_ID);
        }
        for (Index = 0; Index < GETS; Index++) {
            uintptr_t Value;

            SetKey(&Key, Pick(&State, Count));
            Value = TableFind(Records, Capacity - 1, Key.Text);
            if (Value == 0) {
                fprintf(stderr, "grt_bench: table lookup failed\n");
                exit(1);
            }
            Sink += Value;
        }
    }
    Start = (Now(CLOCK_THREAD_CPUTIME_ID) - Start) / ((double)GETS * PASSES);
    free(Records);
    if (Sink == 1) {
        puts("");
    }
    return Start - KeyGen;
}

int
main(int argc, char **argv)
{
    WORKER Workers[MAX_THREADS];
    ULONG Claimed;
    ULONG Capacity;
    BOOLEAN HasSlot;
    BOOLEAN ReaderFences;
    unsigned Case;
    unsigned Registered = 0;
    double KeyGen;
    double One;
    double OneWall;
    double Two;
    double TwoWall;
    ULONG Zero = 0;
    NTSTATUS Status;
    KEY Key;

    InitDigits();
    if (argc > 1 && strcmp(argv[1], "--reader-fences") == 0) {
        HkHideRoutine("KeIpiGenericCall", TRUE);
    } else if (argc > 1) {
        fprintf(stderr, "usage: grt_bench [--reader-fences]\n");
        return 2;
    }
    if (WmRegistryInitialize() != STATUS_SUCCESS) {
        fprintf(stderr, "grt_bench: WmRegistryInitialize failed\n");
        return 1;
    }
    (void)WmpRegistryTestQueryGate(&Claimed, &HasSlot, &ReaderFences);
    printf("# registry gate: %s\n", ReaderFences
           ? "reader-fences mode (KeIpiGenericCall unavailable): a full barrier in every lookup"
           : "KeIpiGenericCall heavy barrier: lookups announce themselves with plain stores");
    Run(1000, 1, 1, Workers);
    KeyGen = Workers[0].CpuNs;
    printf("# grt_bench: %u lookups x %u timed passes per thread; keys \"%s\" with random numbers;"
           " keygen %.1f ns per key, subtracted\n", GETS, PASSES, KeyTemplate, KeyGen);
    InitKey(&Key);
    for (Case = 0; Case < sizeof(KeyCounts) / sizeof(KeyCounts[0]); Case++) {
        /* Grow the registry to this key count (keys 0..N-1). */
        for (; Registered < KeyCounts[Case]; Registered++) {
            SetKey(&Key, Registered);
            Status = BenchMutexRegisterChecked(Key.Text, &Zero, NULL);
            if (Status != STATUS_SUCCESS) {
                fprintf(stderr, "grt_bench: register %s: %s\n", Key.Text, WmStatusName(Status));
                return 1;
            }
        }
        Run(KeyCounts[Case], 1, 0, Workers);
        One = Workers[0].CpuNs - KeyGen;
        OneWall = Workers[0].WallNs - KeyGen;
        printf("grt_get keys=%u threads=1 ns_per_get=%.1f\n", KeyCounts[Case], One);
        printf("# keys=%u: 1 thread best pass %.1f ns\n", KeyCounts[Case], Workers[0].BestNs - KeyGen);
        Run(KeyCounts[Case], 2, 0, Workers);
        Two = (Workers[0].CpuNs + Workers[1].CpuNs) / 2 - KeyGen;
        TwoWall = (Workers[0].WallNs + Workers[1].WallNs) / 2 - KeyGen;
        printf("grt_get keys=%u threads=2 ns_per_get=%.1f\n", KeyCounts[Case], Two);
        printf("# keys=%u: 2 threads %.1f,%.1f ns (best pass %.1f,%.1f; wall %.1f,%.1f; 1 thread wall %.1f);"
               " 2-thread throughput = %.2fx 1-thread\n",
               KeyCounts[Case], Workers[0].CpuNs - KeyGen, Workers[1].CpuNs - KeyGen,
               Workers[0].BestNs - KeyGen, Workers[1].BestNs - KeyGen,
               Workers[0].WallNs - KeyGen, Workers[1].WallNs - KeyGen, OneWall, 2.0 * One / Two);
        (void)TwoWall;
        if (WmpRegistryTestQueryCapacity(&Capacity) != STATUS_SUCCESS) {
            fprintf(stderr, "grt_bench: WmpRegistryTestQueryCapacity failed\n");
            return 1;
        }
        printf("table_get keys=%u threads=1 ns_per_get=%.1f\n", KeyCounts[Case],
               RunTable(KeyCounts[Case], (uint32_t)Capacity, KeyGen));
        printf("map_get keys=%u threads=1 ns_per_get=%.1f\n", KeyCounts[Case], RunMap(KeyCounts[Case], KeyGen));
        fflush(stdout);
    }
    (void)WmpRegistryTestQueryGate(&Claimed, &HasSlot, &ReaderFences);
    printf("# call slots claimed: %lu of %u\n", (unsigned long)Claimed, (unsigned)WMP_REGISTRY_CALL_SLOTS);
    Status = WmRegistryDestroy();
    if (Status != STATUS_SUCCESS) {
        fprintf(stderr, "grt_bench: WmRegistryDestroy: %s\n", WmStatusName(Status));
        return 1;
    }
    if (WmQueryOutstandingAllocations() != 0) {
        fprintf(stderr, "grt_bench: %ld pool blocks leaked\n", (long)WmQueryOutstandingAllocations());
        return 1;
    }
    return 0;
}
