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
 *   grt_get keys=N threads=T ns_per_get=X   X: each thread times its own gets;
 *                                           for T=2 the mean of the two
 *   map_get keys=N threads=1 ns_per_get=X   baseline
 * Lines starting with '#' give details (per-thread figures, scaling).
 *
 * Method: the keys a thread looks up are a random sequence over the N keys,
 * laid out in lookup order in one buffer, so reading the caller's key streams
 * (a driver passes a literal, which is hot in cache) and the registry's own
 * memory accesses are what is measured. One warm-up pass, then timed passes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wdkmutex/wdkmutex.h>

WM_DECLARE_FAST_MUTEX_TYPE(BENCH_MUTEX, BenchMutex, ULONG);

#define KEY_STRIDE   32            /* bytes per key in a lookup buffer        */
#define GETS         (1u << 19)    /* lookups per pass per thread             */
#define PASSES       4             /* timed passes (after one warm-up pass)   */
#define MAX_THREADS  2

static const unsigned KeyCounts[] = { 1, 10, 100, 1000, 10000, 100000 };

typedef struct {
    char *Keys;                   /* GETS keys, KEY_STRIDE apart, lookup order */
    pthread_barrier_t *Start;
    double NsPerGet;
    unsigned long Failures;
    uintptr_t Sink;
} WORKER;

static void
MakeKey(char *Out, unsigned Index)
{
    snprintf(Out, KEY_STRIDE, "driver.device%u.lock", Index);
}

static uint64_t
NextRandom(uint64_t *State)
{
    uint64_t X = *State;

    X ^= X << 13;
    X ^= X >> 7;
    X ^= X << 17;
    *State = X;
    return X;
}

static double
NowNs(void)
{
    struct timespec Time;

    clock_gettime(CLOCK_MONOTONIC, &Time);
    return (double)Time.tv_sec * 1e9 + (double)Time.tv_nsec;
}

/* A random lookup sequence over Count keys, keys laid out in that order. */
static char *
MakeLookupBuffer(unsigned Count, uint64_t Seed)
{
    char *Buffer = aligned_alloc(64, (size_t)GETS * KEY_STRIDE);
    uint64_t State = Seed | 1;
    unsigned Index;

    if (Buffer == NULL) {
        perror("aligned_alloc");
        exit(1);
    }
    for (Index = 0; Index < GETS; Index++) {
        MakeKey(Buffer + (size_t)Index * KEY_STRIDE, (unsigned)(NextRandom(&State) % Count));
    }
    return Buffer;
}

static void
OnePass(WORKER *Worker)
{
    BENCH_MUTEX Mutex;
    unsigned Index;

    for (Index = 0; Index < GETS; Index++) {
        if (BenchMutexRegistryGet(Worker->Keys + (size_t)Index * KEY_STRIDE, &Mutex) != STATUS_SUCCESS) {
            Worker->Failures++;
        }
        Worker->Sink += (uintptr_t)Mutex.Object;
    }
}

static void *
GetWorker(void *Context)
{
    WORKER *Worker = Context;
    unsigned Pass;
    double Start;

    OnePass(Worker); /* warm-up: caches, TLB, the model's thread state */
    pthread_barrier_wait(Worker->Start);
    Start = NowNs();
    for (Pass = 0; Pass < PASSES; Pass++) {
        OnePass(Worker);
    }
    Worker->NsPerGet = (NowNs() - Start) / ((double)GETS * PASSES);
    return NULL;
}

/* Runs Threads workers concurrently; returns the mean of their own averages. */
static double
RunGets(unsigned Count, unsigned Threads, double *PerThread)
{
    pthread_t Handles[MAX_THREADS];
    WORKER Workers[MAX_THREADS];
    pthread_barrier_t Start;
    double Sum = 0;
    unsigned Index;

    pthread_barrier_init(&Start, NULL, Threads);
    for (Index = 0; Index < Threads; Index++) {
        memset(&Workers[Index], 0, sizeof(Workers[Index]));
        Workers[Index].Keys = MakeLookupBuffer(Count, 0x9E3779B97F4A7C15ULL * (Index + 1) + Count);
        Workers[Index].Start = &Start;
    }
    for (Index = 0; Index < Threads; Index++) {
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
        PerThread[Index] = Workers[Index].NsPerGet;
        Sum += Workers[Index].NsPerGet;
        free(Workers[Index].Keys);
    }
    pthread_barrier_destroy(&Start);
    return Sum / Threads;
}

/* --- Baseline: ordered map with string keys ------------------------------ */

static int
CompareKeys(const void *A, const void *B)
{
    return strcmp(*(const char *const *)A, *(const char *const *)B);
}

static double
RunMap(unsigned Count)
{
    char **Sorted = malloc(sizeof(char *) * Count);
    char *Keys = MakeLookupBuffer(Count, 0x9E3779B97F4A7C15ULL + Count);
    uintptr_t Sink = 0;
    unsigned Pass;
    unsigned Index;
    double Start = 0;
    double Ns;

    for (Index = 0; Index < Count; Index++) {
        Sorted[Index] = malloc(KEY_STRIDE);
        MakeKey(Sorted[Index], Index);
    }
    qsort(Sorted, Count, sizeof(char *), CompareKeys);
    for (Pass = 0; Pass <= PASSES; Pass++) {
        if (Pass == 1) {
            Start = NowNs();
        }
        for (Index = 0; Index < GETS; Index++) {
            const char *Key = Keys + (size_t)Index * KEY_STRIDE;
            char **Found = bsearch(&Key, Sorted, Count, sizeof(char *), CompareKeys);
            if (Found == NULL) {
                fprintf(stderr, "grt_bench: map lookup failed\n");
                exit(1);
            }
            Sink += (uintptr_t)*Found;
        }
    }
    Ns = (NowNs() - Start) / ((double)GETS * PASSES);
    for (Index = 0; Index < Count; Index++) {
        free(Sorted[Index]);
    }
    free(Sorted);
    free(Keys);
    if (Sink == 1) {
        puts("");
    }
    return Ns;
}

int
main(void)
{
    unsigned Case;
    unsigned Registered = 0;
    char Key[KEY_STRIDE];
    double PerThread[MAX_THREADS];
    double One;
    double Two;
    ULONG Zero = 0;
    NTSTATUS Status;

    if (WmRegistryInitialize() != STATUS_SUCCESS) {
        fprintf(stderr, "grt_bench: WmRegistryInitialize failed\n");
        return 1;
    }
    printf("# grt_bench: %u lookups per pass, %u timed passes per thread, keys like \"driver.device123.lock\"\n",
           GETS, PASSES);
    for (Case = 0; Case < sizeof(KeyCounts) / sizeof(KeyCounts[0]); Case++) {
        /* Grow the registry to this key count (keys 0..N-1). */
        for (; Registered < KeyCounts[Case]; Registered++) {
            MakeKey(Key, Registered);
            Status = BenchMutexRegisterChecked(Key, &Zero, NULL);
            if (Status != STATUS_SUCCESS) {
                fprintf(stderr, "grt_bench: register %s: %s\n", Key, WmStatusName(Status));
                return 1;
            }
        }
        One = RunGets(KeyCounts[Case], 1, PerThread);
        printf("grt_get keys=%u threads=1 ns_per_get=%.1f\n", KeyCounts[Case], One);
        Two = RunGets(KeyCounts[Case], 2, PerThread);
        printf("grt_get keys=%u threads=2 ns_per_get=%.1f\n", KeyCounts[Case], Two);
        printf("# keys=%u threads=2 per-thread ns_per_get=%.1f,%.1f; throughput 2 threads / 1 thread = %.2fx\n",
               KeyCounts[Case], PerThread[0], PerThread[1], 2.0 * One / Two);
        printf("map_get keys=%u threads=1 ns_per_get=%.1f\n", KeyCounts[Case], RunMap(KeyCounts[Case]));
        fflush(stdout);
    }
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
