/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The host runner: every suite on the host kernel model, death
 *              tests in forked children, results on stdout.
 * ENVIRONMENT: User mode (Linux), with the host kernel model.
 *
 * Usage: wmtest_host [--list] [FILTER]
 *   FILTER   run only tests whose "suite.name" contains it
 *   --list   print the tests (with their needs) instead of running them
 * Exit status: 0 when nothing failed, 1 otherwise, 2 on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wmtest.h"
#include "hostkernel.h"
#include <wdkmutex/pool.h>

#include "all_suites.h"

#if defined(__SANITIZE_THREAD__)
#define WMT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WMT_TSAN 1
#endif
#endif

#ifdef WMT_TSAN
/* Death tests fork and some children start threads. The runner waits for
 * finished test threads to go before it forks, but a detached thread may
 * still be unwinding; let its child go on regardless (TSAN_OPTIONS can still
 * override this). */
const char *__tsan_default_options(void);
const char *
__tsan_default_options(void)
{
    return "die_after_fork=0";
}
#endif

/* How long a death test's child may run before it counts as hung. */
#define WMT_DEATH_TIMEOUT_MS 20000

/* ------------------------------------------------------------------------ */
/* Platform hooks                                                           */
/* ------------------------------------------------------------------------ */

/* What the runner has printed so far, for a report if the model bug-checks
 * in the middle of an ordinary test (that ends the process). */
static char WmtRunningTest[256];
static unsigned long WmtSeen[3]; /* PASS, FAIL, SKIP lines */

static void
WmtNoteLine(const char *Text)
{
    static const char Start[] = "WMT START ";

    if (strncmp(Text, Start, sizeof(Start) - 1) == 0) {
        snprintf(WmtRunningTest, sizeof(WmtRunningTest), "%s", Text + sizeof(Start) - 1);
    } else if (strncmp(Text, "WMT PASS ", 9) == 0) {
        WmtSeen[0]++;
    } else if (strncmp(Text, "WMT FAIL ", 9) == 0) {
        WmtSeen[1]++;
    } else if (strncmp(Text, "WMT SKIP ", 9) == 0) {
        WmtSeen[2]++;
    }
}

VOID
WmtPlatformPrint(PCSTR Text)
{
    struct iovec Parts[2];
    ssize_t Written;

    WmtNoteLine(Text);

    /* One writev per line: whole lines even when helper threads print, and
     * nothing buffered in stdio to be duplicated by fork(). */
    Parts[0].iov_base = (void *)Text;
    Parts[0].iov_len = strlen(Text);
    Parts[1].iov_base = (void *)"\n";
    Parts[1].iov_len = 1;
    do {
        Written = writev(STDOUT_FILENO, Parts, 2);
    } while (Written < 0 && errno == EINTR);
}

BOOLEAN
WmtPlatformCanRunHostOnly(VOID)
{
    return TRUE;
}

LONG
WmtPlatformOutstandingPool(VOID)
{
    return (LONG)HkPoolOutstanding();
}

/* What the child's bug check hook sends the parent. */
typedef struct _WMT_BUGCHECK_RECORD {
    unsigned long long Code;
    unsigned long long Parameters[4];
} WMT_BUGCHECK_RECORD;

static int WmtDeathPipe = -1;

static void
WmtDeathBugCheckHook(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    WMT_BUGCHECK_RECORD Record;
    const char *Bytes = (const char *)&Record;
    size_t Done = 0;
    ssize_t Written;

    Record.Code = Code;
    Record.Parameters[0] = P1;
    Record.Parameters[1] = P2;
    Record.Parameters[2] = P3;
    Record.Parameters[3] = P4;
    while (Done < sizeof(Record)) {
        Written = write(WmtDeathPipe, Bytes + Done, sizeof(Record) - Done);
        if (Written < 0 && errno == EINTR) {
            continue;
        }
        if (Written <= 0) {
            break;
        }
        Done += (size_t)Written;
    }
}

/* A bug check outside a death test: the model exits right after this hook,
 * so report the running test as failed and close the log with a summary. */
static void
WmtUnexpectedBugCheckHook(ULONG Code, ULONG_PTR P1, ULONG_PTR P2, ULONG_PTR P3, ULONG_PTR P4)
{
    char Line[512];

    snprintf(Line, sizeof(Line),
             "WMT FAIL %s main.c:0 bug check 0x%08lX (0x%llX, 0x%llX, 0x%llX, 0x%llX) in a test that "
             "expects none; the run stops here", WmtRunningTest[0] != '\0' ? WmtRunningTest : "(no test)",
             (unsigned long)Code, (unsigned long long)P1, (unsigned long long)P2,
             (unsigned long long)P3, (unsigned long long)P4);
    WmtPlatformPrint(Line);
    snprintf(Line, sizeof(Line), "%lu passed, %lu failed, %lu skipped", WmtSeen[0], WmtSeen[1], WmtSeen[2]);
    WmtPlatformPrint(Line);
}

static void
WmtSleepMs(long Milliseconds)
{
    struct timespec Delay;

    Delay.tv_sec = Milliseconds / 1000;
    Delay.tv_nsec = (Milliseconds % 1000) * 1000000L;
    while (nanosleep(&Delay, &Delay) != 0 && errno == EINTR) {
    }
}

/* Threads of this process (/proc/self/task entries), or -1 if unknown. */
static int
WmtCountThreads(void)
{
    DIR *Tasks = opendir("/proc/self/task");
    struct dirent *Entry;
    int Count = 0;

    if (Tasks == NULL) {
        return -1;
    }
    while ((Entry = readdir(Tasks)) != NULL) {
        if (Entry->d_name[0] != '.') {
            Count++;
        }
    }
    closedir(Tasks);
    return Count;
}

/* Threads the process has with no test thread alive: sanitizer runtimes may
 * run their own (ThreadSanitizer starts one with the first pthread_create). */
static int WmtBaselineThreads = 1;

static void *
WmtNothing(void *Argument)
{
    return Argument;
}

static void
WmtMeasureBaselineThreads(void)
{
    pthread_t Thread;
    int Count;

    /* Make any runtime thread appear first, then count without ours. */
    if (pthread_create(&Thread, NULL, WmtNothing, NULL) == 0) {
        pthread_join(Thread, NULL);
    }
    WmtSleepMs(5);
    Count = WmtCountThreads();
    if (Count > 0) {
        WmtBaselineThreads = Count;
    }
}

/* The model's system threads are detached pthreads: one that a test has
 * joined (its thread object signalled) may still be finishing. Forking then
 * would make the child "multi-threaded forked", which ThreadSanitizer refuses
 * to let create threads in; so wait (bounded) until only the threads that
 * were there at start remain. */
static void
WmtWaitForTestThreadsToEnd(void)
{
    int Waited;

    for (Waited = 0; Waited < 2000; Waited += 2) {
        if (WmtCountThreads() <= WmtBaselineThreads) {
            return;
        }
        WmtSleepMs(2);
    }
}

/* Reads whatever the child sent; TRUE with a complete record. */
static BOOLEAN
WmtReadBugCheck(int Fd, WMT_BUGCHECK_RECORD *Record)
{
    char *Bytes = (char *)Record;
    size_t Done = 0;
    ssize_t Got;

    while (Done < sizeof(*Record)) {
        Got = read(Fd, Bytes + Done, sizeof(*Record) - Done);
        if (Got < 0 && errno == EINTR) {
            continue;
        }
        if (Got <= 0) {
            break;
        }
        Done += (size_t)Got;
    }
    return Done == sizeof(*Record);
}

/*
 * A death test runs in a forked child whose bug check hook reports the code
 * and parameters through a pipe before the model exits with
 * HK_BUGCHECK_EXIT_CODE. It passes only if the child exited that way with
 * the expected code (and parameter 1 when the test names one).
 */
BOOLEAN
WmtPlatformRunDeath(const WMT_TEST *Test, PCSTR *Why)
{
    static char Reason[256];
    WMT_BUGCHECK_RECORD Record;
    BOOLEAN HaveRecord;
    BOOLEAN TimedOut = FALSE;
    int Fds[2];
    int WaitStatus = 0;
    long Waited = 0;
    pid_t Child;
    pid_t Done;

    *Why = Reason;
    Reason[0] = '\0';
    WmtWaitForTestThreadsToEnd();
    if (pipe(Fds) != 0) {
        snprintf(Reason, sizeof(Reason), "pipe() failed: %s", strerror(errno));
        return FALSE;
    }
    Child = fork();
    if (Child < 0) {
        snprintf(Reason, sizeof(Reason), "fork() failed: %s", strerror(errno));
        close(Fds[0]);
        close(Fds[1]);
        return FALSE;
    }
    if (Child == 0) {
        close(Fds[0]);
        WmtDeathPipe = Fds[1];
        HkResetCurrentThread();
        HkSetBugCheckHook(WmtDeathBugCheckHook);
        Test->Routine();
        /* The body returned: no bug check happened. */
        _exit(WmtFailed() ? 3 : 0);
    }

    close(Fds[1]);
    for (;;) {
        Done = waitpid(Child, &WaitStatus, WNOHANG);
        if (Done == Child) {
            break;
        }
        if (Done < 0 && errno != EINTR) {
            snprintf(Reason, sizeof(Reason), "waitpid() failed: %s", strerror(errno));
            close(Fds[0]);
            return FALSE;
        }
        if (Waited >= WMT_DEATH_TIMEOUT_MS) {
            TimedOut = TRUE;
            kill(Child, SIGKILL);
            while (waitpid(Child, &WaitStatus, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        WmtSleepMs(10);
        Waited += 10;
    }
    HaveRecord = WmtReadBugCheck(Fds[0], &Record);
    close(Fds[0]);

    if (TimedOut) {
        snprintf(Reason, sizeof(Reason), "child hung: killed after %d ms (expected bug check 0x%lX)",
                 WMT_DEATH_TIMEOUT_MS, (unsigned long)Test->DeathCode);
        return FALSE;
    }
    if (WIFSIGNALED(WaitStatus)) {
        snprintf(Reason, sizeof(Reason), "child died of signal %d (%s), expected bug check 0x%lX",
                 WTERMSIG(WaitStatus), strsignal(WTERMSIG(WaitStatus)), (unsigned long)Test->DeathCode);
        return FALSE;
    }
    if (!WIFEXITED(WaitStatus)) {
        snprintf(Reason, sizeof(Reason), "child ended oddly (wait status 0x%x)", WaitStatus);
        return FALSE;
    }
    if (WEXITSTATUS(WaitStatus) != HK_BUGCHECK_EXIT_CODE) {
        if (WEXITSTATUS(WaitStatus) == 0 || WEXITSTATUS(WaitStatus) == 3) {
            snprintf(Reason, sizeof(Reason), "no bug check: the test body returned%s (expected 0x%lX)",
                     WEXITSTATUS(WaitStatus) == 3 ? " after a failed check" : "",
                     (unsigned long)Test->DeathCode);
        } else {
            snprintf(Reason, sizeof(Reason), "child exited with %d, not %d (bug check); expected 0x%lX",
                     WEXITSTATUS(WaitStatus), HK_BUGCHECK_EXIT_CODE, (unsigned long)Test->DeathCode);
        }
        return FALSE;
    }
    if (!HaveRecord) {
        snprintf(Reason, sizeof(Reason), "child exited with %d but its bug check hook reported nothing",
                 HK_BUGCHECK_EXIT_CODE);
        return FALSE;
    }
    if (Record.Code != Test->DeathCode ||
        (Test->CheckParam1 && Record.Parameters[0] != (unsigned long long)Test->DeathParam1)) {
        snprintf(Reason, sizeof(Reason),
                 "bug check 0x%llX (0x%llX, 0x%llX, 0x%llX, 0x%llX), expected 0x%lX%s",
                 Record.Code, Record.Parameters[0], Record.Parameters[1], Record.Parameters[2],
                 Record.Parameters[3], (unsigned long)Test->DeathCode,
                 Test->CheckParam1 ? " with that P1" : "");
        if (Test->CheckParam1) {
            size_t Used = strlen(Reason);
            snprintf(Reason + Used, sizeof(Reason) - Used, " (P1 0x%llX)",
                     (unsigned long long)Test->DeathParam1);
        }
        return FALSE;
    }
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* Entry                                                                    */
/* ------------------------------------------------------------------------ */

#define WMT_DECLARE_ONE_(Suite) WMT_DECLARE_SUITE(Suite);
WMT_ALL_SUITES(WMT_DECLARE_ONE_)
#undef WMT_DECLARE_ONE_

static void
WmtListSuite(const WMT_TEST *Tests, ULONG Count, const char *Filter)
{
    char Name[256];
    ULONG Index;

    for (Index = 0; Index < Count; Index++) {
        const WMT_TEST *Test = &Tests[Index];
        snprintf(Name, sizeof(Name), "%s.%s", Test->Suite, Test->Name);
        if (Filter != NULL && strstr(Name, Filter) == NULL) {
            continue;
        }
        printf("%s%s%s%s%s%s\n", Name,
               (Test->Flags & WMT_NEEDS_IRQL) ? " [irql]" : "",
               (Test->Flags & WMT_DEATH) ? " [death]" : "",
               (Test->Flags & WMT_KMUTEX_HANDOFF) ? " [kmutex-handoff]" : "",
               (Test->Flags & WMT_HOST_ONLY) ? " [host-only]" : "",
               (Test->Flags & WMT_SLOW) ? " [slow]" : "");
    }
}

int
main(int argc, char **argv)
{
    const char *Filter = NULL;
    BOOLEAN List = FALSE;
    WMT_RESULTS Results;
    int Index;

    WmtMeasureBaselineThreads();
    HkSetBugCheckHook(WmtUnexpectedBugCheckHook);

    for (Index = 1; Index < argc; Index++) {
        if (strcmp(argv[Index], "--list") == 0) {
            List = TRUE;
        } else if (strcmp(argv[Index], "--help") == 0 || strcmp(argv[Index], "-h") == 0) {
            printf("usage: %s [--list] [FILTER]\n", argv[0]);
            return 0;
        } else if (argv[Index][0] == '-' || Filter != NULL) {
            fprintf(stderr, "usage: %s [--list] [FILTER]\n", argv[0]);
            return 2;
        } else {
            Filter = argv[Index];
        }
    }

    if (List) {
#define WMT_LIST_ONE_(Suite) WmtListSuite(WmtSuite_##Suite, WmtSuiteCount_##Suite, Filter);
        WMT_ALL_SUITES(WMT_LIST_ONE_)
#undef WMT_LIST_ONE_
        return 0;
    }

    WmtRunAll(Filter, &Results);
    return Results.Failed == 0 ? 0 : 1;
}
