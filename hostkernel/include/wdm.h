/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     The subset of the WDK's wdm.h that wdk-mutex and its tests use,
 *              declared for a Linux host where this model (pthreads) plays the
 *              kernel. Types follow the WDK's LLP64 sizes (LONG is 32-bit, WCHAR
 *              is 16-bit) and object layouts follow x64 (reference §2), with
 *              the model's state kept inside each object.
 * ENVIRONMENT: Host (Linux user mode, C11, gcc or clang).
 *
 * Section references (§n) are to shared/reference/kernel-semantics.md.
 */
#ifndef _WDMDDK_
#define _WDMDDK_
#define HK_HOST_KERNEL_MODEL 1 /* lets shared sources tell the model from a WDK */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* the model's Rtl*Memory are the C library's mem* */

#include "sal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Compiler and calling-convention macros                                   */
/* ------------------------------------------------------------------------ */

#define NTAPI
#define NTSYSAPI
#define NTKERNELAPI
#define NTHALAPI
#define FASTCALL
#define DECLSPEC_NORETURN __attribute__((__noreturn__))
#define DECLSPEC_ALIGN(x) __attribute__((__aligned__(x)))
#define DECLSPEC_NOINLINE __attribute__((__noinline__))
#define DECLSPEC_DEPRECATED_DDK
#define DECLSPEC_CACHEALIGN DECLSPEC_ALIGN(64)
/* As in mingw-w64: always inlined, no out-of-line copy. */
#define FORCEINLINE extern __inline__ __attribute__((__always_inline__, __gnu_inline__))
#define HK_INLINE static __inline__ __attribute__((__unused__))
#define RESTRICTED_POINTER
#define POINTER_ALIGNMENT
#define CONST const
#define IN
#define OUT
#define OPTIONAL
#define ANYSIZE_ARRAY 1
#define C_ASSERT(e) _Static_assert(e, #e)
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_PARAMETER(P) ((void)(P))
#define DBG_UNREFERENCED_LOCAL_VARIABLE(V) ((void)(V))
#define ARGUMENT_PRESENT(ArgumentPointer) ((CHAR *)((ULONG_PTR)(ArgumentPointer)) != (CHAR *)NULL)
#define FIELD_OFFSET(type, field) ((LONG)offsetof(type, field))
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#define RTL_NUMBER_OF(A) (sizeof(A) / sizeof((A)[0]))
#define ARRAYSIZE(A) RTL_NUMBER_OF(A)
/* The WDK spells the offset &((type *)0)->field; offsetof is the same value
 * without the null member access that clang's UBSan reports. */
#define CONTAINING_RECORD(address, type, field) \
    ((type *)((PCHAR)(address) - offsetof(type, field)))
#define ALIGN_DOWN_BY(length, alignment) ((ULONG_PTR)(length) & ~((ULONG_PTR)(alignment) - 1))
#define ALIGN_UP_BY(length, alignment) (ALIGN_DOWN_BY(((ULONG_PTR)(length) + (alignment) - 1), (alignment)))

/* ------------------------------------------------------------------------ */
/* Basic types (LLP64 sizes on an LP64 host)                                */
/* ------------------------------------------------------------------------ */

#ifndef VOID
#define VOID void
#endif
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *PCVOID;
typedef PVOID *PPVOID;
typedef char CHAR;
typedef signed char CCHAR;
typedef short SHORT;
typedef int32_t LONG;
typedef int INT;
typedef unsigned char UCHAR;
typedef uint16_t USHORT;
typedef uint16_t WORD;
typedef uint32_t ULONG;
typedef uint32_t DWORD;
typedef unsigned int UINT;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef int8_t INT8;
typedef uint8_t UINT8;
typedef int16_t INT16;
typedef uint16_t UINT16;
typedef int32_t INT32;
typedef uint32_t UINT32;
typedef int64_t INT64;
typedef uint64_t UINT64;
typedef int32_t LONG32;
typedef uint32_t ULONG32;
typedef int64_t LONG64;
typedef uint64_t ULONG64;
typedef uint64_t DWORD64;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR;
typedef intptr_t INT_PTR;
typedef uintptr_t UINT_PTR;
typedef ULONG_PTR SIZE_T;
typedef LONG_PTR SSIZE_T;
typedef ULONG_PTR DWORD_PTR;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
typedef UCHAR BOOLEAN;
typedef UCHAR BYTE;
typedef uint16_t WCHAR;
typedef LONG NTSTATUS;
typedef ULONG ACCESS_MASK;
typedef ULONG LOGICAL;
typedef LONG KPRIORITY;
typedef UCHAR KIRQL;
typedef CCHAR KPROCESSOR_MODE;
typedef ULONG CLONG;
typedef PVOID HANDLE;

typedef CHAR *PCHAR, *PSTR, *LPSTR;
typedef const CHAR *PCCHAR, *PCSTR, *LPCSTR;
typedef SHORT *PSHORT;
typedef LONG *PLONG;
typedef INT *PINT;
typedef UCHAR *PUCHAR, *PBYTE;
typedef const UCHAR *PCUCHAR;
typedef USHORT *PUSHORT;
typedef ULONG *PULONG, *PDWORD;
typedef const ULONG *PCULONG;
typedef LONGLONG *PLONGLONG;
typedef ULONGLONG *PULONGLONG;
typedef LONG64 *PLONG64;
typedef ULONG64 *PULONG64;
typedef LONG_PTR *PLONG_PTR;
typedef ULONG_PTR *PULONG_PTR;
typedef SIZE_T *PSIZE_T;
typedef BOOLEAN *PBOOLEAN;
typedef WCHAR *PWCHAR, *PWCH, *PWSTR, *LPWSTR;
typedef const WCHAR *PCWCH, *PCWSTR, *LPCWSTR;
typedef NTSTATUS *PNTSTATUS;
typedef ACCESS_MASK *PACCESS_MASK;
typedef KIRQL *PKIRQL;
typedef HANDLE *PHANDLE;

_Static_assert(sizeof(LONG) == 4 && sizeof(ULONG) == 4, "LLP64 LONG/ULONG");
_Static_assert(sizeof(WCHAR) == 2, "WCHAR is UTF-16");
_Static_assert(sizeof(ULONG_PTR) == sizeof(PVOID), "ULONG_PTR is pointer-sized");

#ifndef NULL
#define NULL ((void *)0)
#endif
#define TRUE  1
#define FALSE 0

#define MINCHAR   0x80
#define MAXCHAR   0x7f
#define MINSHORT  0x8000
#define MAXSHORT  0x7fff
#define MINLONG   ((LONG)0x80000000)
#define MAXLONG   0x7fffffff
#define MAXUCHAR  0xff
#define MAXUSHORT 0xffff
#define MAXULONG  0xffffffffU
#define MAXLONGLONG ((LONGLONG)0x7fffffffffffffffLL)
#define MAXULONG_PTR (~((ULONG_PTR)0))
#define MAXLONG_PTR ((LONG_PTR)(MAXULONG_PTR >> 1))
#define MAXSIZE_T ((SIZE_T)~((SIZE_T)0))
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12

typedef union _LARGE_INTEGER {
    struct {
        ULONG LowPart;
        LONG HighPart;
    };
    struct {
        ULONG LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        ULONG LowPart;
        ULONG HighPart;
    };
    struct {
        ULONG LowPart;
        ULONG HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef struct _UNICODE_STRING {
    USHORT Length;        /* bytes, without a terminator */
    USHORT MaximumLength; /* bytes */
    PWCH   Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

typedef struct _STRING {
    USHORT Length;
    USHORT MaximumLength;
    PCHAR  Buffer;
} STRING, *PSTRING, ANSI_STRING, *PANSI_STRING, OEM_STRING, *POEM_STRING;
typedef const STRING *PCSTRING, *PCANSI_STRING;

typedef struct _LIST_ENTRY {
    struct _LIST_ENTRY *Flink;
    struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY, *RESTRICTED_POINTER PRLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
    struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;

/* ------------------------------------------------------------------------ */
/* NTSTATUS values (ntstatus.h)                                             */
/* ------------------------------------------------------------------------ */

#define NT_SUCCESS(Status)     (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status)     ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status)       ((((ULONG)(Status)) >> 30) == 3)

#define STATUS_SUCCESS                  ((NTSTATUS)0x00000000)
#define STATUS_WAIT_0                   ((NTSTATUS)0x00000000)
#define STATUS_WAIT_1                   ((NTSTATUS)0x00000001)
#define STATUS_ABANDONED                ((NTSTATUS)0x00000080)
#define STATUS_ABANDONED_WAIT_0         ((NTSTATUS)0x00000080)
#define STATUS_USER_APC                 ((NTSTATUS)0x000000C0)
#define STATUS_KERNEL_APC               ((NTSTATUS)0x00000100)
#define STATUS_ALERTED                  ((NTSTATUS)0x00000101)
#define STATUS_TIMEOUT                  ((NTSTATUS)0x00000102)
#define STATUS_PENDING                  ((NTSTATUS)0x00000103)
#define STATUS_REPARSE                  ((NTSTATUS)0x00000104)
#define STATUS_MORE_ENTRIES             ((NTSTATUS)0x00000105)
#define STATUS_NOT_ALL_ASSIGNED         ((NTSTATUS)0x00000106)
#define STATUS_OBJECT_NAME_EXISTS       ((NTSTATUS)0x40000000)
#define STATUS_GUARD_PAGE_VIOLATION     ((NTSTATUS)0x80000001)
#define STATUS_DATATYPE_MISALIGNMENT    ((NTSTATUS)0x80000002)
#define STATUS_BREAKPOINT               ((NTSTATUS)0x80000003)
#define STATUS_BUFFER_OVERFLOW          ((NTSTATUS)0x80000005)
#define STATUS_NO_MORE_FILES            ((NTSTATUS)0x80000006)
#define STATUS_DEVICE_BUSY              ((NTSTATUS)0x80000011)
#define STATUS_NO_MORE_ENTRIES          ((NTSTATUS)0x8000001A)
#define STATUS_UNSUCCESSFUL             ((NTSTATUS)0xC0000001)
#define STATUS_NOT_IMPLEMENTED          ((NTSTATUS)0xC0000002)
#define STATUS_INVALID_INFO_CLASS       ((NTSTATUS)0xC0000003)
#define STATUS_INFO_LENGTH_MISMATCH     ((NTSTATUS)0xC0000004)
#define STATUS_ACCESS_VIOLATION         ((NTSTATUS)0xC0000005)
#define STATUS_INVALID_HANDLE           ((NTSTATUS)0xC0000008)
#define STATUS_INVALID_PARAMETER        ((NTSTATUS)0xC000000D)
#define STATUS_NO_SUCH_DEVICE           ((NTSTATUS)0xC000000E)
#define STATUS_INVALID_DEVICE_REQUEST   ((NTSTATUS)0xC0000010)
#define STATUS_NO_MEMORY                ((NTSTATUS)0xC0000017)
#define STATUS_ACCESS_DENIED            ((NTSTATUS)0xC0000022)
#define STATUS_BUFFER_TOO_SMALL         ((NTSTATUS)0xC0000023)
#define STATUS_OBJECT_TYPE_MISMATCH     ((NTSTATUS)0xC0000024)
#define STATUS_NONCONTINUABLE_EXCEPTION ((NTSTATUS)0xC0000025)
#define STATUS_INVALID_DISPOSITION      ((NTSTATUS)0xC0000026)
#define STATUS_OBJECT_NAME_INVALID      ((NTSTATUS)0xC0000033)
#define STATUS_OBJECT_NAME_NOT_FOUND    ((NTSTATUS)0xC0000034)
#define STATUS_OBJECT_NAME_COLLISION    ((NTSTATUS)0xC0000035)
#define STATUS_OBJECT_PATH_NOT_FOUND    ((NTSTATUS)0xC000003A)
#define STATUS_MUTANT_NOT_OWNED         ((NTSTATUS)0xC0000046)
#define STATUS_SEMAPHORE_LIMIT_EXCEEDED ((NTSTATUS)0xC0000047)
#define STATUS_THREAD_IS_TERMINATING    ((NTSTATUS)0xC000004B)
#define STATUS_DELETE_PENDING           ((NTSTATUS)0xC0000056)
#define STATUS_INTEGER_OVERFLOW         ((NTSTATUS)0xC0000095)
#define STATUS_INSUFFICIENT_RESOURCES   ((NTSTATUS)0xC000009A)
#define STATUS_NOT_SUPPORTED            ((NTSTATUS)0xC00000BB)
#define STATUS_INTERNAL_ERROR           ((NTSTATUS)0xC00000E5)
#define STATUS_INVALID_PARAMETER_1      ((NTSTATUS)0xC00000EF)
#define STATUS_INVALID_PARAMETER_2      ((NTSTATUS)0xC00000F0)
#define STATUS_INVALID_PARAMETER_3      ((NTSTATUS)0xC00000F1)
#define STATUS_CANCELLED                ((NTSTATUS)0xC0000120)
#define STATUS_INVALID_DEVICE_STATE     ((NTSTATUS)0xC0000184)
#define STATUS_MUTANT_LIMIT_EXCEEDED    ((NTSTATUS)0xC0000191)
#define STATUS_POSSIBLE_DEADLOCK        ((NTSTATUS)0xC0000194)
#define STATUS_NOT_FOUND                ((NTSTATUS)0xC0000225)
#define STATUS_RESOURCE_NOT_OWNED       ((NTSTATUS)0xC0000264)
#define STATUS_ASSERTION_FAILURE        ((NTSTATUS)0xC0000420)
#define STATUS_INVALID_STATE_TRANSITION ((NTSTATUS)0xC000A003)

/* ------------------------------------------------------------------------ */
/* IRQL, modes, wait reasons (§1)                                           */
/* ------------------------------------------------------------------------ */

#define PASSIVE_LEVEL  0
#define LOW_LEVEL      0
#define APC_LEVEL      1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL     5
#define SYNCH_LEVEL    12
#define CLOCK_LEVEL    13
#define IPI_LEVEL      14
#define DRS_LEVEL      14
#define POWER_LEVEL    14
#define PROFILE_LEVEL  15
#define HIGH_LEVEL     15

typedef enum _MODE {
    KernelMode,
    UserMode,
    MaximumMode
} MODE;

typedef enum _KWAIT_REASON {
    Executive,
    FreePage,
    PageIn,
    PoolAllocation,
    DelayExecution,
    Suspended,
    UserRequest,
    WrExecutive,
    WrFreePage,
    WrPageIn,
    WrPoolAllocation,
    WrDelayExecution,
    WrSuspended,
    WrUserRequest,
    WrEventPair,
    WrQueue,
    WrLpcReceive,
    WrLpcReply,
    WrVirtualMemory,
    WrPageOut,
    WrRendezvous,
    WrKeyedEvent,
    WrTerminated,
    WrProcessInSwap,
    WrCpuRateControl,
    WrCalloutStack,
    WrKernel,
    WrResource,
    WrPushLock,
    WrMutex,
    WrQuantumEnd,
    WrDispatchInt,
    WrPreempted,
    WrYieldExecution,
    WrFastMutex,
    WrGuardedMutex,
    WrRundown,
    MaximumWaitReason
} KWAIT_REASON;

typedef enum _EVENT_TYPE {
    NotificationEvent,
    SynchronizationEvent
} EVENT_TYPE;

typedef enum _WAIT_TYPE {
    WaitAll,
    WaitAny,
    WaitNotification,
    WaitDequeue
} WAIT_TYPE;

#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1
#define MUTANT_INCREMENT 1
#define SEMAPHORE_INCREMENT 1

/* ------------------------------------------------------------------------ */
/* Dispatcher objects (§2: x64 sizes). Model state lives in the real fields. */
/* ------------------------------------------------------------------------ */

/* Header.Type values (the NT KOBJECTS numbering). */
#define HK_EVENT_NOTIFICATION_OBJECT   0
#define HK_EVENT_SYNCHRONIZATION_OBJECT 1
#define HK_MUTANT_OBJECT               2
#define HK_THREAD_OBJECT               6
#define HK_GATE_OBJECT                 7

typedef struct _DISPATCHER_HEADER {
    union {
        struct {
            UCHAR Type;       /* HK_*_OBJECT                                  */
            UCHAR Signalling;
            UCHAR Size;       /* object size in LONGs; 0 = never initialised  */
            UCHAR Reserved1;
        };
        volatile LONG Lock;
    };
    LONG SignalState;        /* under the model's dispatcher lock            */
    LIST_ENTRY WaitListHead; /* the model's wait blocks, FIFO                */
} DISPATCHER_HEADER, *PDISPATCHER_HEADER;

typedef struct _KEVENT {
    DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _KGATE {
    DISPATCHER_HEADER Header;
} KGATE, *PKGATE;

typedef struct _KTHREAD *PKTHREAD, *PRKTHREAD;
typedef struct _ETHREAD *PETHREAD;
typedef struct _KPROCESS *PKPROCESS, *PRKPROCESS;
typedef struct _EPROCESS *PEPROCESS;
typedef struct _OBJECT_TYPE *POBJECT_TYPE;

typedef struct _KMUTANT {
    DISPATCHER_HEADER Header;     /* SignalState 1 free, <= 0 owned (§4)          */
    LIST_ENTRY MutantListEntry;   /* in the owner's list of held mutexes          */
    struct _KTHREAD *RESTRICTED_POINTER OwnerThread;
    BOOLEAN Abandoned;
    UCHAR ApcDisable;             /* 1 for KMUTEX: holding disables normal APCs   */
    UCHAR HkAcquireIrql;          /* model: IRQL of the 1 -> 0 acquisition        */
    UCHAR HkSpare[5];
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

/* ------------------------------------------------------------------------ */
/* Other lock objects (§2)                                                  */
/* ------------------------------------------------------------------------ */

typedef struct _FAST_MUTEX {
    LONG Count;          /* 1 free, 0 owned (FM_LOCK_BIT)                         */
    PVOID Owner;         /* owning KTHREAD                                        */
    ULONG Contention;    /* acquisitions that had to wait                         */
    KEVENT Event;        /* its WaitListHead queues the model's waiters           */
    ULONG OldIrql;       /* saved by ExAcquireFastMutex (not the Unsafe acquire)  */
    UCHAR HkUnsafe;      /* model: held through ExAcquireFastMutexUnsafe          */
    UCHAR HkSpare[3];
} FAST_MUTEX, *PFAST_MUTEX;

#define FM_LOCK_BIT 0x1

typedef struct _KGUARDED_MUTEX {
    volatile LONG Count; /* 1 free, 0 owned (GM_LOCK_BIT)                         */
    PKTHREAD Owner;
    ULONG Contention;
    KGATE Gate;          /* its WaitListHead queues the model's waiters           */
    union {
        struct {
            SHORT KernelApcDisable;
            SHORT SpecialApcDisable; /* owner's count just after acquiring (§6)   */
        };
        ULONG CombinedApcDisable;
    };
    UCHAR HkUnsafe;      /* model: held through KeAcquireGuardedMutexUnsafe       */
    UCHAR HkSpare[3];
} KGUARDED_MUTEX, *PKGUARDED_MUTEX;

#define GM_LOCK_BIT 0x1

/* 0 = free; held = owning KTHREAD | 1 (| 2 when taken as an in-stack queued
 * lock), like a ReactOS DBG build (§7). */
typedef ULONG_PTR KSPIN_LOCK;
typedef KSPIN_LOCK *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
    struct _KSPIN_LOCK_QUEUE *volatile Next;
    PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
    KSPIN_LOCK_QUEUE LockQueue;
    KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

typedef ULONG_PTR ERESOURCE_THREAD, *PERESOURCE_THREAD;

typedef struct _OWNER_ENTRY {
    ERESOURCE_THREAD OwnerThread;
    union {
        LONG OwnerCount;
        ULONG TableSize;
    };
} OWNER_ENTRY, *POWNER_ENTRY;

typedef struct _ERESOURCE {
    LIST_ENTRY SystemResourcesList;
    POWNER_ENTRY OwnerTable;        /* model: shared owners (malloc'd side table)  */
    SHORT ActiveCount;              /* threads owning it                           */
    USHORT Flag;                    /* ResourceOwnedExclusive                      */
    ULONG HkTableSize;              /* model: entries in OwnerTable                */
    union {
        struct {
            PVOID SharedWaiters;    /* PKSEMAPHORE in the WDK                      */
            PVOID ExclusiveWaiters; /* PKEVENT in the WDK                          */
        };
        LIST_ENTRY HkWaitList;      /* model: queued waiters, FIFO                 */
    };
    OWNER_ENTRY OwnerEntry;         /* exclusive owner and recursion count         */
    ULONG ActiveEntries;
    ULONG ContentionCount;
    ULONG NumberOfSharedWaiters;
    ULONG NumberOfExclusiveWaiters;
    PVOID Reserved2;                /* model: registration mark (eresource.c)      */
    union {
        PVOID Address;
        ULONG_PTR CreatorBackTraceIndex;
    };
    KSPIN_LOCK SpinLock;
} ERESOURCE, *PERESOURCE;

#define ResourceNeverExclusive       0x0010
#define ResourceReleaseByOtherThread 0x0020
#define ResourceOwnedExclusive       0x0080

/* Push lock: 0 free; exclusive = owning KTHREAD | 1; shared = count << 4 | 2. */
typedef ULONG_PTR EX_PUSH_LOCK, *PEX_PUSH_LOCK;
#define EX_DEFAULT_PUSH_LOCK_FLAGS 0

typedef struct _EX_RUNDOWN_REF {
    union {
        volatile ULONG_PTR Count; /* references * 2 | EX_RUNDOWN_ACTIVE (§10)    */
        volatile PVOID Ptr;
    };
} EX_RUNDOWN_REF, *PEX_RUNDOWN_REF;

#define EX_RUNDOWN_ACTIVE      0x1
#define EX_RUNDOWN_COUNT_SHIFT 0x1
#define EX_RUNDOWN_COUNT_INC   (1 << EX_RUNDOWN_COUNT_SHIFT)

_Static_assert(sizeof(DISPATCHER_HEADER) == 24, "DISPATCHER_HEADER is 0x18 on x64 (§2)");
_Static_assert(sizeof(KEVENT) == 24, "KEVENT is 0x18 on x64 (§2)");
_Static_assert(sizeof(KMUTEX) == 56, "KMUTEX is 0x38 on x64 (§2)");
_Static_assert(offsetof(KMUTANT, OwnerThread) == 0x28, "KMUTANT.OwnerThread at 0x28");
_Static_assert(offsetof(KMUTANT, ApcDisable) == 0x31, "KMUTANT.ApcDisable at 0x31");
_Static_assert(sizeof(FAST_MUTEX) == 56, "FAST_MUTEX is 0x38 on x64 (§2)");
_Static_assert(offsetof(FAST_MUTEX, Event) == 0x18, "FAST_MUTEX.Event at 0x18");
_Static_assert(offsetof(FAST_MUTEX, OldIrql) == 0x30, "FAST_MUTEX.OldIrql at 0x30");
_Static_assert(sizeof(KGUARDED_MUTEX) == 56, "KGUARDED_MUTEX is 0x38 on x64 (§2)");
_Static_assert(sizeof(KSPIN_LOCK) == 8, "KSPIN_LOCK is ULONG_PTR (§2)");
_Static_assert(sizeof(KLOCK_QUEUE_HANDLE) == 24, "KLOCK_QUEUE_HANDLE is 0x18 on x64 (§2)");
_Static_assert(sizeof(ERESOURCE) == 104, "ERESOURCE is 0x68 on x64 (§2)");
_Static_assert(sizeof(EX_PUSH_LOCK) == 8, "EX_PUSH_LOCK is 8 bytes (§2)");
_Static_assert(sizeof(EX_RUNDOWN_REF) == 8, "EX_RUNDOWN_REF is 8 bytes (§2)");

/* ------------------------------------------------------------------------ */
/* Pool (§13)                                                               */
/* ------------------------------------------------------------------------ */

typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = NonPagedPool,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,
    MaxPoolType = 7,
    NonPagedPoolBase = 0,
    NonPagedPoolBaseMustSucceed = 2,
    NonPagedPoolBaseCacheAligned = 4,
    NonPagedPoolBaseCacheAlignedMustS = 6,
    NonPagedPoolSession = 32,
    PagedPoolSession = 33,
    NonPagedPoolMustSucceedSession = 34,
    DontUseThisTypeSession = 35,
    NonPagedPoolCacheAlignedSession = 36,
    PagedPoolCacheAlignedSession = 37,
    NonPagedPoolCacheAlignedMustSSession = 38,
    NonPagedPoolNx = 512,
    NonPagedPoolNxCacheAligned = 516,
    NonPagedPoolSessionNx = 544
} POOL_TYPE;

#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
#define POOL_COLD_ALLOCATION             256
#define POOL_NX_ALLOCATION               512
#define POOL_ZERO_ALLOCATION             1024
#define PROTECTED_POOL                   0x80000000U

typedef ULONG64 POOL_FLAGS;
#define POOL_FLAG_REQUIRED_START         0x0000000000000001ULL
#define POOL_FLAG_USE_QUOTA              0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED          0x0000000000000002ULL
#define POOL_FLAG_SESSION                0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED          0x0000000000000008ULL
#define POOL_FLAG_RESERVED1              0x0000000000000010ULL
#define POOL_FLAG_RAISE_ON_FAILURE       0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED              0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE      0x0000000000000080ULL
#define POOL_FLAG_PAGED                  0x0000000000000100ULL
#define POOL_FLAG_RESERVED2              0x0000000000000200ULL
#define POOL_FLAG_RESERVED3              0x0000000000000400ULL
#define POOL_FLAG_REQUIRED_END           0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START         0x0000000100000000ULL
#define POOL_FLAG_SPECIAL_POOL           0x0000000100000000ULL
#define POOL_FLAG_OPTIONAL_END           0x8000000000000000ULL

/* ------------------------------------------------------------------------ */
/* Objects, handles, threads, drivers                                       */
/* ------------------------------------------------------------------------ */

#define DELETE                   0x00010000U
#define READ_CONTROL             0x00020000U
#define WRITE_DAC                0x00040000U
#define WRITE_OWNER              0x00080000U
#define SYNCHRONIZE              0x00100000U
#define STANDARD_RIGHTS_REQUIRED 0x000F0000U
#define STANDARD_RIGHTS_ALL      0x001F0000U
#define GENERIC_READ             0x80000000U
#define GENERIC_WRITE            0x40000000U
#define GENERIC_EXECUTE          0x20000000U
#define GENERIC_ALL              0x10000000U
#define THREAD_TERMINATE         0x0001U
#define THREAD_QUERY_INFORMATION 0x0040U
#define THREAD_ALL_ACCESS        (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFFU)

#define OBJ_INHERIT             0x00000002U
#define OBJ_PERMANENT           0x00000010U
#define OBJ_EXCLUSIVE           0x00000020U
#define OBJ_CASE_INSENSITIVE    0x00000040U
#define OBJ_OPENIF              0x00000080U
#define OBJ_OPENLINK            0x00000100U
#define OBJ_KERNEL_HANDLE       0x00000200U
#define OBJ_FORCE_ACCESS_CHECK  0x00000400U
#define OBJ_VALID_ATTRIBUTES    0x000007F2U

typedef struct _OBJECT_ATTRIBUTES {
    ULONG Length;
    HANDLE RootDirectory;
    PUNICODE_STRING ObjectName;
    ULONG Attributes;
    PVOID SecurityDescriptor;
    PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;
typedef const OBJECT_ATTRIBUTES *PCOBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
    do {                                          \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);  \
        (p)->RootDirectory = (r);                 \
        (p)->Attributes = (a);                    \
        (p)->ObjectName = (n);                    \
        (p)->SecurityDescriptor = (s);            \
        (p)->SecurityQualityOfService = NULL;     \
    } while (0)

typedef struct _OBJECT_HANDLE_INFORMATION {
    ULONG HandleAttributes;
    ACCESS_MASK GrantedAccess;
} OBJECT_HANDLE_INFORMATION, *POBJECT_HANDLE_INFORMATION;

typedef struct _CLIENT_ID {
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define ZwCurrentProcess() NtCurrentProcess()
#define NtCurrentThread()  ((HANDLE)(LONG_PTR)-2)
#define ZwCurrentThread()  NtCurrentThread()

typedef VOID KSTART_ROUTINE(_In_ PVOID StartContext);
typedef KSTART_ROUTINE *PKSTART_ROUTINE;

extern POBJECT_TYPE *PsThreadType;
extern POBJECT_TYPE *PsProcessType;
extern POBJECT_TYPE *ExEventObjectType;

struct _DRIVER_OBJECT;
typedef NTSTATUS DRIVER_INITIALIZE(_In_ struct _DRIVER_OBJECT *DriverObject, _In_ PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;
typedef VOID DRIVER_UNLOAD(_In_ struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
typedef NTSTATUS DRIVER_ADD_DEVICE(_In_ struct _DRIVER_OBJECT *DriverObject, _In_ PVOID PhysicalDeviceObject);
typedef DRIVER_ADD_DEVICE *PDRIVER_ADD_DEVICE;

#define IRP_MJ_MAXIMUM_FUNCTION 0x1b

typedef struct _DRIVER_EXTENSION {
    struct _DRIVER_OBJECT *DriverObject;
    PDRIVER_ADD_DEVICE AddDevice;
    ULONG Count;
    UNICODE_STRING ServiceKeyName;
} DRIVER_EXTENSION, *PDRIVER_EXTENSION;

typedef struct _DRIVER_OBJECT {
    SHORT Type;
    SHORT Size;
    PVOID DeviceObject;
    ULONG Flags;
    PVOID DriverStart;
    ULONG DriverSize;
    PVOID DriverSection;
    PDRIVER_EXTENSION DriverExtension;
    UNICODE_STRING DriverName;
    PUNICODE_STRING HardwareDatabase;
    PVOID FastIoDispatch;
    PDRIVER_INITIALIZE DriverInit;
    PVOID DriverStartIo;
    PDRIVER_UNLOAD DriverUnload;
    PVOID MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT, *PDRIVER_OBJECT;

/* DbgPrintEx components and levels (dpfilter.h). */
#define DPFLTR_SYSTEM_ID     0
#define DPFLTR_DEFAULT_ID    101
#define DPFLTR_IHVDRIVER_ID  77
#define DPFLTR_ERROR_LEVEL   0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL   2
#define DPFLTR_INFO_LEVEL    3
#define DPFLTR_MASK          0x80000000U

/* ------------------------------------------------------------------------ */
/* Bug checks and exceptions                                                */
/* ------------------------------------------------------------------------ */

/* Prints "*** STOP: ..." and ends the process (see hostkernel.h). */
NTKERNELAPI DECLSPEC_NORETURN VOID NTAPI
KeBugCheckEx(_In_ ULONG BugCheckCode, _In_ ULONG_PTR BugCheckParameter1, _In_ ULONG_PTR BugCheckParameter2,
             _In_ ULONG_PTR BugCheckParameter3, _In_ ULONG_PTR BugCheckParameter4);
NTKERNELAPI DECLSPEC_NORETURN VOID NTAPI KeBugCheck(_In_ ULONG BugCheckCode);

/* The model has no SEH: every exception is unhandled (0x1E / 0x7E). */
NTSYSAPI DECLSPEC_NORETURN VOID NTAPI ExRaiseStatus(_In_ NTSTATUS Status);
#define RtlRaiseStatus ExRaiseStatus

/* ------------------------------------------------------------------------ */
/* Debug output and assertions                                              */
/* ------------------------------------------------------------------------ */

ULONG DbgPrint(_In_z_ _Printf_format_string_ PCSTR Format, ...);
ULONG DbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level, _In_z_ _Printf_format_string_ PCSTR Format, ...);
ULONG vDbgPrintEx(_In_ ULONG ComponentId, _In_ ULONG Level, _In_z_ PCCHAR Format, _In_ va_list arglist);
NTSYSAPI VOID NTAPI DbgBreakPoint(VOID);

#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#define KdBreakPoint() DbgBreakPoint()

/* A failed assertion raises STATUS_ASSERTION_FAILURE, which the model does
 * not handle: bug check 0x1E / 0x7E after one "*** Assertion failed" line. */
DECLSPEC_NORETURN VOID HkAssertionFailed(_In_z_ PCSTR Expression, _In_z_ PCSTR File, _In_ int Line);
#define ASSERT(exp) ((exp) ? (VOID)0 : HkAssertionFailed(#exp, __FILE__, __LINE__))
#define ASSERTMSG(msg, exp) ((exp) ? (VOID)0 : HkAssertionFailed(msg, __FILE__, __LINE__))
#define NT_ASSERT(exp) ASSERT(exp)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_VERIFY(exp) ASSERT(exp)

/* Pageable code must run at IRQL <= APC_LEVEL. */
VOID HkPagedCode(_In_z_ PCSTR File, _In_ int Line);
#define PAGED_CODE() HkPagedCode(__FILE__, __LINE__)
#define PAGED_CODE_LOCKED() ((VOID)0)

/* ------------------------------------------------------------------------ */
/* Memory and strings                                                       */
/* ------------------------------------------------------------------------ */

#define RtlEqualMemory(Destination, Source, Length) (!memcmp((Destination), (Source), (Length)))
#define RtlMoveMemory(Destination, Source, Length) memmove((Destination), (Source), (Length))
#define RtlCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) memset((Destination), 0, (Length))
#define RtlCopyBytes RtlCopyMemory
#define RtlZeroBytes RtlZeroMemory
#define RtlFillBytes RtlFillMemory

NTSYSAPI SIZE_T NTAPI RtlCompareMemory(_In_ const VOID *Source1, _In_ const VOID *Source2, _In_ SIZE_T Length);

HK_INLINE PVOID
RtlSecureZeroMemory(_Out_writes_bytes_all_(cnt) PVOID ptr, _In_ SIZE_T cnt)
{
    volatile char *vptr = (volatile char *)ptr;
    while (cnt != 0) {
        *vptr++ = 0;
        cnt--;
    }
    return ptr;
}

NTSYSAPI VOID NTAPI RtlInitUnicodeString(_Out_ PUNICODE_STRING DestinationString, _In_opt_z_ PCWSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitString(_Out_ PSTRING DestinationString, _In_opt_z_ PCSTR SourceString);
NTSYSAPI VOID NTAPI RtlInitAnsiString(_Out_ PANSI_STRING DestinationString, _In_opt_z_ PCSTR SourceString);
NTSYSAPI LONG NTAPI RtlCompareUnicodeString(_In_ PCUNICODE_STRING String1, _In_ PCUNICODE_STRING String2,
                                            _In_ BOOLEAN CaseInSensitive);
NTSYSAPI BOOLEAN NTAPI RtlEqualUnicodeString(_In_ PCUNICODE_STRING String1, _In_ PCUNICODE_STRING String2,
                                             _In_ BOOLEAN CaseInSensitive);

/* ------------------------------------------------------------------------ */
/* Lists                                                                    */
/* ------------------------------------------------------------------------ */

HK_INLINE VOID
InitializeListHead(_Out_ PLIST_ENTRY ListHead)
{
    ListHead->Flink = ListHead->Blink = ListHead;
}

HK_INLINE BOOLEAN
IsListEmpty(_In_ const LIST_ENTRY *ListHead)
{
    return (BOOLEAN)(ListHead->Flink == ListHead);
}

HK_INLINE BOOLEAN
RemoveEntryList(_In_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY Blink = Entry->Blink;
    PLIST_ENTRY Flink = Entry->Flink;

    Blink->Flink = Flink;
    Flink->Blink = Blink;
    return (BOOLEAN)(Flink == Blink);
}

HK_INLINE PLIST_ENTRY
RemoveHeadList(_Inout_ PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Flink;

    RemoveEntryList(Entry);
    return Entry;
}

HK_INLINE PLIST_ENTRY
RemoveTailList(_Inout_ PLIST_ENTRY ListHead)
{
    PLIST_ENTRY Entry = ListHead->Blink;

    RemoveEntryList(Entry);
    return Entry;
}

HK_INLINE VOID
InsertTailList(_Inout_ PLIST_ENTRY ListHead, _Inout_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY Blink = ListHead->Blink;

    Entry->Flink = ListHead;
    Entry->Blink = Blink;
    Blink->Flink = Entry;
    ListHead->Blink = Entry;
}

HK_INLINE VOID
InsertHeadList(_Inout_ PLIST_ENTRY ListHead, _Inout_ PLIST_ENTRY Entry)
{
    PLIST_ENTRY Flink = ListHead->Flink;

    Entry->Flink = Flink;
    Entry->Blink = ListHead;
    Flink->Blink = Entry;
    ListHead->Flink = Entry;
}

HK_INLINE VOID
PushEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead, _Inout_ PSINGLE_LIST_ENTRY Entry)
{
    Entry->Next = ListHead->Next;
    ListHead->Next = Entry;
}

HK_INLINE PSINGLE_LIST_ENTRY
PopEntryList(_Inout_ PSINGLE_LIST_ENTRY ListHead)
{
    PSINGLE_LIST_ENTRY First = ListHead->Next;

    if (First != NULL) {
        ListHead->Next = First->Next;
    }
    return First;
}

/* ------------------------------------------------------------------------ */
/* Interlocked operations and barriers (sequentially consistent)           */
/* ------------------------------------------------------------------------ */

HK_INLINE LONG InterlockedIncrement(_Inout_ _Interlocked_operand_ LONG volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
HK_INLINE LONG InterlockedDecrement(_Inout_ _Interlocked_operand_ LONG volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
HK_INLINE LONG InterlockedExchange(_Inout_ _Interlocked_operand_ LONG volatile *Target, _In_ LONG Value)
{ return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG InterlockedExchangeAdd(_Inout_ _Interlocked_operand_ LONG volatile *Addend, _In_ LONG Value)
{ return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG InterlockedAdd(_Inout_ _Interlocked_operand_ LONG volatile *Addend, _In_ LONG Value)
{ return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG InterlockedCompareExchange(_Inout_ _Interlocked_operand_ LONG volatile *Destination,
                                          _In_ LONG Exchange, _In_ LONG Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}
HK_INLINE LONG InterlockedAnd(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG InterlockedOr(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG InterlockedXor(_Inout_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ return __atomic_fetch_xor(Destination, Value, __ATOMIC_SEQ_CST); }

HK_INLINE LONG64 InterlockedIncrement64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend)
{ return __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
HK_INLINE LONG64 InterlockedDecrement64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend)
{ return __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST); }
HK_INLINE LONG64 InterlockedExchange64(_Inout_ _Interlocked_operand_ LONG64 volatile *Target, _In_ LONG64 Value)
{ return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG64 InterlockedExchangeAdd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend, _In_ LONG64 Value)
{ return __atomic_fetch_add(Addend, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG64 InterlockedAdd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Addend, _In_ LONG64 Value)
{ return __atomic_add_fetch(Addend, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG64 InterlockedCompareExchange64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination,
                                              _In_ LONG64 Exchange, _In_ LONG64 Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}
HK_INLINE LONG64 InterlockedAnd64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value)
{ return __atomic_fetch_and(Destination, Value, __ATOMIC_SEQ_CST); }
HK_INLINE LONG64 InterlockedOr64(_Inout_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value)
{ return __atomic_fetch_or(Destination, Value, __ATOMIC_SEQ_CST); }

HK_INLINE PVOID InterlockedExchangePointer(_Inout_ _Interlocked_operand_ PVOID volatile *Target, _In_opt_ PVOID Value)
{ return __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST); }
HK_INLINE PVOID InterlockedCompareExchangePointer(_Inout_ _Interlocked_operand_ PVOID volatile *Destination,
                                                  _In_opt_ PVOID Exchange, _In_opt_ PVOID Comparand)
{
    __atomic_compare_exchange_n(Destination, &Comparand, Exchange, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return Comparand;
}

#define InterlockedIncrementAcquire InterlockedIncrement
#define InterlockedIncrementRelease InterlockedIncrement
#define InterlockedDecrementAcquire InterlockedDecrement
#define InterlockedDecrementRelease InterlockedDecrement
#define InterlockedCompareExchangeAcquire InterlockedCompareExchange
#define InterlockedCompareExchangeRelease InterlockedCompareExchange
#define InterlockedExchangeAcquire InterlockedExchange
#define InterlockedIncrementSizeT(a) ((SIZE_T)InterlockedIncrement64((LONG64 volatile *)(a)))
#define InterlockedDecrementSizeT(a) ((SIZE_T)InterlockedDecrement64((LONG64 volatile *)(a)))

/* Plain loads/stores with the WDK's ordering names. */
HK_INLINE LONG ReadNoFence(_In_ _Interlocked_operand_ LONG const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
HK_INLINE LONG ReadAcquire(_In_ _Interlocked_operand_ LONG const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
HK_INLINE VOID WriteNoFence(_Out_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
HK_INLINE VOID WriteRelease(_Out_ _Interlocked_operand_ LONG volatile *Destination, _In_ LONG Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
HK_INLINE LONG64 ReadNoFence64(_In_ _Interlocked_operand_ LONG64 const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
HK_INLINE LONG64 ReadAcquire64(_In_ _Interlocked_operand_ LONG64 const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
HK_INLINE VOID WriteNoFence64(_Out_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
HK_INLINE VOID WriteRelease64(_Out_ _Interlocked_operand_ LONG64 volatile *Destination, _In_ LONG64 Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
HK_INLINE PVOID ReadPointerNoFence(_In_ _Interlocked_operand_ PVOID const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
HK_INLINE PVOID ReadPointerAcquire(_In_ _Interlocked_operand_ PVOID const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
HK_INLINE VOID WritePointerNoFence(_Out_ _Interlocked_operand_ PVOID volatile *Destination, _In_opt_ PVOID Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELAXED); }
HK_INLINE VOID WritePointerRelease(_Out_ _Interlocked_operand_ PVOID volatile *Destination, _In_opt_ PVOID Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
HK_INLINE UCHAR ReadUCharNoFence(_In_ _Interlocked_operand_ UCHAR const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
HK_INLINE ULONG_PTR ReadULongPtrNoFence(_In_ _Interlocked_operand_ ULONG_PTR const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_RELAXED); }
HK_INLINE ULONG_PTR ReadULongPtrAcquire(_In_ _Interlocked_operand_ ULONG_PTR const volatile *Source)
{ return __atomic_load_n(Source, __ATOMIC_ACQUIRE); }
HK_INLINE VOID WriteULongPtrRelease(_Out_ _Interlocked_operand_ ULONG_PTR volatile *Destination, _In_ ULONG_PTR Value)
{ __atomic_store_n(Destination, Value, __ATOMIC_RELEASE); }
#define ReadULongNoFence(p)    ((ULONG)ReadNoFence((LONG const volatile *)(p)))
#define ReadULongAcquire(p)    ((ULONG)ReadAcquire((LONG const volatile *)(p)))
#define WriteULongRelease(p, v) WriteRelease((LONG volatile *)(p), (LONG)(v))

#define MemoryBarrier()        __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrier()      __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define _ReadWriteBarrier()    __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define PreFetchCacheLine(l, a) ((VOID)(a))
#if defined(__x86_64__) || defined(__i386__)
#define YieldProcessor()       __builtin_ia32_pause()
#else
#define YieldProcessor()       __atomic_signal_fence(__ATOMIC_SEQ_CST)
#endif

/* ------------------------------------------------------------------------ */
/* IRQL (§12)                                                               */
/* ------------------------------------------------------------------------ */

/* On x64 Windows the current thread and the IRQL are inline reads, one
 * instruction each (gs:[188h], cr8), and library code may call them on every
 * lock. The model matches that: the calling thread's KTHREAD is a
 * thread-local pointer and its IRQL a thread-local byte, each read with
 * one load. Every thread that calls the model is one the model knows, as
 * every thread that runs kernel code is the kernel's: the process's first
 * thread (adopted before main), threads from PsCreateSystemThread, and host
 * threads that call HkAdoptCurrentThread first. Anywhere else
 * KeGetCurrentThread returns NULL (what gs:[188h] reads under Wine), the
 * model's exported routines stop the process with a message, and the inline
 * KeGetCurrentIrql reads PASSIVE_LEVEL. */
/* Local-exec: the model links into executables only, and so each read is
 * one load at a fixed offset from fs, as gs:[188h] is on Windows (the
 * default model makes the compiler keep the offset in a register). */
#define HK_TLS_FIXED_OFFSET __attribute__((tls_model("local-exec")))
extern __thread PKTHREAD HkCurrentThreadObject HK_TLS_FIXED_OFFSET;
/* The calling thread's IRQL, kept beside it in its KTHREAD (which the model
 * reads): a thread-local of its own, as cr8 is a register of its own, so
 * reading it does not need the thread pointer. */
extern __thread KIRQL HkCurrentIrql HK_TLS_FIXED_OFFSET;
/* Makes the calling host thread (one pthread_create made) known to the
 * model, for the life of the process; idempotent. */
PKTHREAD HkAdoptCurrentThread(VOID) __attribute__((__returns_nonnull__));

HK_INLINE __attribute__((__always_inline__)) PKTHREAD
KeGetCurrentThread(VOID)
{
    return HkCurrentThreadObject;
}

HK_INLINE __attribute__((__always_inline__)) KIRQL
KeGetCurrentIrql(VOID)
{
    return HkCurrentIrql;
}

_IRQL_raises_(NewIrql) _IRQL_saves_
NTKERNELAPI KIRQL FASTCALL KfRaiseIrql(_In_ KIRQL NewIrql);
/* As on x64: KeRaiseIrql(a, b) is *(b) = KfRaiseIrql(a) (§1). */
#define KeRaiseIrql(a, b) (*(b) = KfRaiseIrql(a))
NTKERNELAPI VOID NTAPI KeLowerIrql(_In_ _IRQL_restores_ KIRQL NewIrql);
#define KfLowerIrql KeLowerIrql
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_raises_(DISPATCH_LEVEL) _IRQL_saves_
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToDpcLevel(VOID);
NTKERNELAPI KIRQL NTAPI KeRaiseIrqlToSynchLevel(VOID);

/* ------------------------------------------------------------------------ */
/* Threads, APC disabling (§3, §11, §15)                                    */
/* ------------------------------------------------------------------------ */

NTKERNELAPI PETHREAD NTAPI PsGetCurrentThread(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentThreadId(VOID);
NTKERNELAPI HANDLE NTAPI PsGetCurrentProcessId(VOID);
NTKERNELAPI PEPROCESS NTAPI PsGetCurrentProcess(VOID);
#define IoGetCurrentProcess PsGetCurrentProcess
NTKERNELAPI BOOLEAN NTAPI PsIsSystemThread(_In_ PETHREAD Thread);
NTKERNELAPI HANDLE NTAPI PsGetThreadId(_In_ PETHREAD Thread);

_IRQL_requires_max_(PASSIVE_LEVEL) _Must_inspect_result_
NTKERNELAPI NTSTATUS NTAPI
PsCreateSystemThread(_Out_ PHANDLE ThreadHandle, _In_ ULONG DesiredAccess, _In_opt_ POBJECT_ATTRIBUTES ObjectAttributes,
                     _In_opt_ HANDLE ProcessHandle, _Out_opt_ PCLIENT_ID ClientId, _In_ PKSTART_ROUTINE StartRoutine,
                     _In_opt_ PVOID StartContext);
_IRQL_requires_max_(PASSIVE_LEVEL)
NTKERNELAPI NTSTATUS NTAPI PsTerminateSystemThread(_In_ NTSTATUS ExitStatus);

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI NTSTATUS NTAPI
ObReferenceObjectByHandle(_In_ HANDLE Handle, _In_ ACCESS_MASK DesiredAccess, _In_opt_ POBJECT_TYPE ObjectType,
                          _In_ KPROCESSOR_MODE AccessMode, _Out_ PVOID *Object,
                          _Out_opt_ POBJECT_HANDLE_INFORMATION HandleInformation);
NTKERNELAPI LONG_PTR FASTCALL ObfReferenceObject(_In_ PVOID Object);
NTKERNELAPI LONG_PTR FASTCALL ObfDereferenceObject(_In_ PVOID Object);
#define ObReferenceObject(Object) ObfReferenceObject(Object)
#define ObDereferenceObject(Object) ObfDereferenceObject(Object)
NTKERNELAPI NTSTATUS NTAPI
ObReferenceObjectByPointer(_In_ PVOID Object, _In_ ACCESS_MASK DesiredAccess, _In_opt_ POBJECT_TYPE ObjectType,
                           _In_ KPROCESSOR_MODE AccessMode);

_IRQL_requires_max_(PASSIVE_LEVEL)
NTSYSAPI NTSTATUS NTAPI ZwClose(_In_ HANDLE Handle);
#define NtClose ZwClose

_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI NTSTATUS NTAPI KeDelayExecutionThread(_In_ KPROCESSOR_MODE WaitMode, _In_ BOOLEAN Alertable,
                                                  _In_ PLARGE_INTEGER Interval);

_IRQL_requires_max_(APC_LEVEL) _Acquires_lock_(_Global_critical_region_)
NTKERNELAPI VOID NTAPI KeEnterCriticalRegion(VOID);
_IRQL_requires_max_(APC_LEVEL) _Releases_lock_(_Global_critical_region_)
NTKERNELAPI VOID NTAPI KeLeaveCriticalRegion(VOID);
_IRQL_requires_max_(APC_LEVEL) _Acquires_lock_(_Global_critical_region_)
NTKERNELAPI VOID NTAPI KeEnterGuardedRegion(VOID);
_IRQL_requires_max_(APC_LEVEL) _Releases_lock_(_Global_critical_region_)
NTKERNELAPI VOID NTAPI KeLeaveGuardedRegion(VOID);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI BOOLEAN NTAPI KeAreApcsDisabled(VOID);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI BOOLEAN NTAPI KeAreAllApcsDisabled(VOID);

/* ------------------------------------------------------------------------ */
/* Waits, events, kernel mutexes (§4, §16)                                  */
/* ------------------------------------------------------------------------ */

_When_((Timeout == NULL || Timeout->QuadPart != 0), _IRQL_requires_max_(APC_LEVEL))
_When_((Timeout != NULL && Timeout->QuadPart == 0), _IRQL_requires_max_(DISPATCH_LEVEL))
NTKERNELAPI NTSTATUS NTAPI
KeWaitForSingleObject(_In_ PVOID Object, _In_ KWAIT_REASON WaitReason, _In_ KPROCESSOR_MODE WaitMode,
                      _In_ BOOLEAN Alertable, _In_opt_ PLARGE_INTEGER Timeout);
#define KeWaitForMutexObject KeWaitForSingleObject

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeInitializeEvent(_Out_ PRKEVENT Event, _In_ EVENT_TYPE Type, _In_ BOOLEAN State);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeSetEvent(_Inout_ PRKEVENT Event, _In_ KPRIORITY Increment, _In_ _Literal_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeResetEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeClearEvent(_Inout_ PRKEVENT Event);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeReadStateEvent(_In_ PRKEVENT Event);

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeInitializeMutex(_Out_ PRKMUTEX Mutex, _In_ ULONG Level);
_When_(Wait == 0, _IRQL_requires_max_(DISPATCH_LEVEL)) _When_(Wait == 1, _IRQL_requires_max_(APC_LEVEL))
NTKERNELAPI LONG NTAPI KeReleaseMutex(_Inout_ PRKMUTEX Mutex, _In_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI LONG NTAPI KeReadStateMutex(_In_ PRKMUTEX Mutex);

/* ------------------------------------------------------------------------ */
/* Fast mutexes and guarded mutexes (§5, §6)                                */
/* ------------------------------------------------------------------------ */

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI ExInitializeFastMutex(_Out_ PFAST_MUTEX FastMutex);
_IRQL_raises_(APC_LEVEL) _IRQL_saves_global_(OldIrql, FastMutex)
NTKERNELAPI VOID FASTCALL
ExAcquireFastMutex(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PFAST_MUTEX FastMutex);
_IRQL_requires_(APC_LEVEL) _IRQL_restores_global_(OldIrql, FastMutex)
NTKERNELAPI VOID FASTCALL
ExReleaseFastMutex(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PFAST_MUTEX FastMutex);
_Must_inspect_result_ _Success_(return != FALSE) _IRQL_raises_(APC_LEVEL) _IRQL_saves_global_(OldIrql, FastMutex)
NTKERNELAPI BOOLEAN FASTCALL
ExTryToAcquireFastMutex(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
NTKERNELAPI VOID FASTCALL
ExAcquireFastMutexUnsafe(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PFAST_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
NTKERNELAPI VOID FASTCALL
ExReleaseFastMutexUnsafe(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PFAST_MUTEX FastMutex);

_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL KeInitializeGuardedMutex(_Out_ PKGUARDED_MUTEX Mutex);
_IRQL_requires_max_(APC_LEVEL) _Acquires_lock_(_Global_critical_region_)
NTKERNELAPI VOID FASTCALL
KeAcquireGuardedMutex(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PKGUARDED_MUTEX Mutex);
_IRQL_requires_max_(APC_LEVEL) _Releases_lock_(_Global_critical_region_)
NTKERNELAPI VOID FASTCALL
KeReleaseGuardedMutex(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PKGUARDED_MUTEX Mutex);
_Must_inspect_result_ _Success_(return != FALSE) _IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI BOOLEAN FASTCALL
KeTryToAcquireGuardedMutex(_When_(return != 0, _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_))
                           _Inout_ PKGUARDED_MUTEX Mutex);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL
KeAcquireGuardedMutexUnsafe(_Inout_ _Requires_lock_not_held_(*_Curr_) _Acquires_lock_(*_Curr_) PKGUARDED_MUTEX FastMutex);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL
KeReleaseGuardedMutexUnsafe(_Inout_ _Requires_lock_held_(*_Curr_) _Releases_lock_(*_Curr_) PKGUARDED_MUTEX FastMutex);

/* ------------------------------------------------------------------------ */
/* Spin locks (§7)                                                          */
/* ------------------------------------------------------------------------ */

NTKERNELAPI VOID NTAPI KeInitializeSpinLock(_Out_ PKSPIN_LOCK SpinLock);
_Requires_lock_not_held_(*SpinLock) _Acquires_lock_(*SpinLock)
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_saves_ _IRQL_raises_(DISPATCH_LEVEL)
NTKERNELAPI KIRQL NTAPI KeAcquireSpinLockRaiseToDpc(_Inout_ PKSPIN_LOCK SpinLock);
/* As on x64 (§7). */
#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))
_Requires_lock_held_(*SpinLock) _Releases_lock_(*SpinLock) _IRQL_requires_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeReleaseSpinLock(_Inout_ PKSPIN_LOCK SpinLock, _In_ _IRQL_restores_ KIRQL NewIrql);
_Requires_lock_not_held_(*SpinLock) _Acquires_lock_(*SpinLock) _IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_Requires_lock_held_(*SpinLock) _Releases_lock_(*SpinLock) _IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI KeReleaseSpinLockFromDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
_Must_inspect_result_ _IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock);
NTKERNELAPI BOOLEAN FASTCALL KeTestSpinLock(_In_ PKSPIN_LOCK SpinLock);
#define KefAcquireSpinLockAtDpcLevel KeAcquireSpinLockAtDpcLevel
#define KefReleaseSpinLockFromDpcLevel KeReleaseSpinLockFromDpcLevel

_Requires_lock_not_held_(*LockHandle) _Acquires_lock_(*LockHandle) _Post_same_lock_(*SpinLock, *LockHandle)
_IRQL_requires_max_(DISPATCH_LEVEL) _IRQL_saves_global_(QueuedSpinLock, LockHandle) _IRQL_raises_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLock(_Inout_ PKSPIN_LOCK SpinLock,
                                                         _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_Requires_lock_held_(*LockHandle) _Releases_lock_(*LockHandle) _IRQL_requires_(DISPATCH_LEVEL)
_IRQL_restores_global_(QueuedSpinLock, LockHandle)
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLock(_In_ PKLOCK_QUEUE_HANDLE LockHandle);
_Requires_lock_not_held_(*LockHandle) _Acquires_lock_(*LockHandle) _IRQL_requires_min_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(_Inout_ PKSPIN_LOCK SpinLock,
                                                                   _Out_ PKLOCK_QUEUE_HANDLE LockHandle);
_Requires_lock_held_(*LockHandle) _Releases_lock_(*LockHandle) _IRQL_requires_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(_In_ PKLOCK_QUEUE_HANDLE LockHandle);

/* ------------------------------------------------------------------------ */
/* Executive resources (§8)                                                 */
/* ------------------------------------------------------------------------ */

_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI NTSTATUS NTAPI ExInitializeResourceLite(_Out_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI NTSTATUS NTAPI ExDeleteResourceLite(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceExclusiveLite(_Inout_ PERESOURCE Resource, _In_ _Literal_ BOOLEAN Wait);
_IRQL_requires_max_(APC_LEVEL) _Requires_lock_held_(_Global_critical_region_)
NTKERNELAPI BOOLEAN NTAPI ExAcquireResourceSharedLite(_Inout_ PERESOURCE Resource, _In_ BOOLEAN Wait);
_IRQL_requires_max_(DISPATCH_LEVEL) _Requires_lock_held_(_Global_critical_region_)
NTKERNELAPI VOID FASTCALL ExReleaseResourceLite(_Inout_ PERESOURCE Resource);
#define ExReleaseResource ExReleaseResourceLite
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI BOOLEAN NTAPI ExIsResourceAcquiredExclusiveLite(_In_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI ULONG NTAPI ExIsResourceAcquiredSharedLite(_In_ PERESOURCE Resource);
#define ExIsResourceAcquiredLite ExIsResourceAcquiredSharedLite
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI ULONG NTAPI ExGetExclusiveWaiterCount(_In_ PERESOURCE Resource);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI ULONG NTAPI ExGetSharedWaiterCount(_In_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID NTAPI ExConvertExclusiveToSharedLite(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL) _Acquires_lock_(_Global_critical_region_)
NTKERNELAPI PVOID NTAPI ExEnterCriticalRegionAndAcquireResourceExclusive(_Inout_ PERESOURCE Resource);
_IRQL_requires_max_(APC_LEVEL) _Releases_lock_(_Global_critical_region_)
NTKERNELAPI VOID FASTCALL ExReleaseResourceAndLeaveCriticalRegion(_Inout_ PERESOURCE Resource);

/* ------------------------------------------------------------------------ */
/* Push locks (§9) and rundown protection (§10)                             */
/* ------------------------------------------------------------------------ */

NTKERNELAPI VOID NTAPI ExInitializePushLock(_Out_ PEX_PUSH_LOCK PushLock);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExAcquirePushLockExclusiveEx(_Inout_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExAcquirePushLockSharedEx(_Inout_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExReleasePushLockExclusiveEx(_Inout_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExReleasePushLockSharedEx(_Inout_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTKERNELAPI BOOLEAN FASTCALL ExTryAcquirePushLockExclusiveEx(_Inout_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);
_IRQL_requires_max_(APC_LEVEL) _Must_inspect_result_
NTKERNELAPI BOOLEAN FASTCALL ExTryAcquirePushLockSharedEx(_Inout_ PEX_PUSH_LOCK PushLock, _In_ ULONG Flags);
#define ExAcquirePushLockExclusive(L) ExAcquirePushLockExclusiveEx((L), EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExAcquirePushLockShared(L) ExAcquirePushLockSharedEx((L), EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExReleasePushLockExclusive(L) ExReleasePushLockExclusiveEx((L), EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExReleasePushLockShared(L) ExReleasePushLockSharedEx((L), EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExTryAcquirePushLockExclusive(L) ExTryAcquirePushLockExclusiveEx((L), EX_DEFAULT_PUSH_LOCK_FLAGS)
#define ExTryAcquirePushLockShared(L) ExTryAcquirePushLockSharedEx((L), EX_DEFAULT_PUSH_LOCK_FLAGS)

_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExInitializeRundownProtection(_Out_ PEX_RUNDOWN_REF RunRef);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExReInitializeRundownProtection(_Inout_ PEX_RUNDOWN_REF RunRef);
_Must_inspect_result_ _IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI BOOLEAN FASTCALL ExAcquireRundownProtection(_Inout_ PEX_RUNDOWN_REF RunRef);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID FASTCALL ExReleaseRundownProtection(_Inout_ PEX_RUNDOWN_REF RunRef);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExWaitForRundownProtectionRelease(_Inout_ PEX_RUNDOWN_REF RunRef);
_IRQL_requires_max_(APC_LEVEL)
NTKERNELAPI VOID FASTCALL ExRundownCompleted(_Out_ PEX_RUNDOWN_REF RunRef);

/* ------------------------------------------------------------------------ */
/* Pool (§13)                                                               */
/* ------------------------------------------------------------------------ */

_When_((Flags & POOL_FLAG_PAGED) != 0, _IRQL_requires_max_(APC_LEVEL))
_When_((Flags & POOL_FLAG_PAGED) == 0, _IRQL_requires_max_(DISPATCH_LEVEL))
NTKERNELAPI PVOID NTAPI ExAllocatePool2(_In_ POOL_FLAGS Flags, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID NTAPI ExAllocatePoolWithTag(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes, _In_ ULONG Tag);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI PVOID NTAPI ExAllocatePool(_In_ POOL_TYPE PoolType, _In_ SIZE_T NumberOfBytes);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI ExFreePoolWithTag(_Pre_notnull_ _Frees_ptr_ PVOID P, _In_ ULONG Tag);
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI VOID NTAPI ExFreePool(_Pre_notnull_ _Frees_ptr_ PVOID P);

/* ------------------------------------------------------------------------ */
/* Routine lookup (§14), time, misc                                         */
/* ------------------------------------------------------------------------ */

_IRQL_requires_max_(PASSIVE_LEVEL)
NTKERNELAPI PVOID NTAPI MmGetSystemRoutineAddress(_In_ PUNICODE_STRING SystemRoutineName);

NTKERNELAPI VOID NTAPI KeQuerySystemTime(_Out_ PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID NTAPI KeQuerySystemTimePrecise(_Out_ PLARGE_INTEGER CurrentTime);
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTime(VOID);
NTKERNELAPI ULONGLONG NTAPI KeQueryInterruptTimePrecise(_Out_ PULONG64 QpcTimeStamp);
NTKERNELAPI LARGE_INTEGER NTAPI KeQueryPerformanceCounter(_Out_opt_ PLARGE_INTEGER PerformanceFrequency);
NTKERNELAPI VOID NTAPI KeQueryTickCount(_Out_ PLARGE_INTEGER CurrentCount);
NTKERNELAPI ULONG NTAPI KeQueryTimeIncrement(VOID);
NTKERNELAPI VOID NTAPI KeStallExecutionProcessor(_In_ ULONG MicroSeconds);
NTKERNELAPI ULONG NTAPI KeGetCurrentProcessorNumber(VOID);
NTKERNELAPI ULONG NTAPI KeQueryActiveProcessorCount(_Out_opt_ PKAFFINITY ActiveProcessors);

/* Runs BroadcastFunction(Context) on every processor at IPI_LEVEL and returns
 * when all have run it; the interrupt serialises each processor, so it also
 * orders every processor's earlier memory accesses before the call returns.
 * Implemented in hostkernel/src/ipi.c. */
typedef ULONG_PTR NTAPI KIPI_BROADCAST_WORKER(_In_ ULONG_PTR Argument);
typedef KIPI_BROADCAST_WORKER *PKIPI_BROADCAST_WORKER;
_IRQL_requires_max_(DISPATCH_LEVEL)
NTKERNELAPI ULONG_PTR NTAPI KeIpiGenericCall(_In_ PKIPI_BROADCAST_WORKER BroadcastFunction, _In_ ULONG_PTR Context);

#ifdef __cplusplus
}
#endif
#endif /* _WDMDDK_ */
