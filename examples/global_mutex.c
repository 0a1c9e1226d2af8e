/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex examples
 * PURPOSE:     A named mutex in the registry, shared by system threads:
 *              DriverEntry registers it, three threads find it by name and
 *              each add 1 five hundred times, the total (1500) is printed,
 *              DriverUnload destroys the registry and everything in it.
 * ENVIRONMENT: Kernel mode (a complete WDM driver; also runs on the host model).
 *
 * A FAST_MUTEX is used because it hands off correctly on every kernel we run
 * on (Wine 8's contended KMUTEX hand-off is broken, see docs/wine.md).
 */
#include <wdkmutex/wdkmutex.h>

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD GlobalMutexUnload;
KSTART_ROUTINE GlobalMutexWorker;

WM_DECLARE_FAST_MUTEX_TYPE(TOTAL_MUTEX, TotalMutex, ULONG);

#define WORKER_COUNT      3
#define INCREMENTS_EACH   500

#define TOTAL_KEY         "example.total"

_Use_decl_annotations_
VOID NTAPI
GlobalMutexWorker(PVOID Context)
{
    ULONG Index;
    NTSTATUS Status;

    TOTAL_MUTEX Total;

    UNREFERENCED_PARAMETER(Context);
    /* Look the mutex up by name once; the handle stays valid until the key is
     * unregistered or the registry destroyed (DriverUnload, after the threads). */
    Status = TotalMutexRegistryGet(TOTAL_KEY, &Total);
    if (!NT_SUCCESS(Status)) {
        DbgPrint("wdk-mutex example: lookup failed: %s\n", WmStatusName(Status));
        PsTerminateSystemThread(Status);
    }
    for (Index = 0; Index < INCREMENTS_EACH; Index++) {
        WM_WITH_LOCK(TOTAL_MUTEX, Guard, Status, TotalMutexLock(Total, &Guard)) {
            *Guard.Value += 1;
        } WM_END_WITH_LOCK(TOTAL_MUTEX, Guard);
        if (Status != STATUS_SUCCESS) {
            DbgPrint("wdk-mutex example: lock failed: %s\n", WmStatusName(Status));
            break;
        }
    }
    PsTerminateSystemThread(STATUS_SUCCESS);
}

/* Starts the workers and waits for all of them (thread objects are waitable). */
static NTSTATUS
RunWorkers(VOID)
{
    PVOID Threads[WORKER_COUNT] = { NULL };
    OBJECT_ATTRIBUTES Attributes;
    HANDLE Handle;
    NTSTATUS Status = STATUS_SUCCESS;
    ULONG Index;

    InitializeObjectAttributes(&Attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    for (Index = 0; Index < WORKER_COUNT && NT_SUCCESS(Status); Index++) {
        Status = PsCreateSystemThread(&Handle, THREAD_ALL_ACCESS, &Attributes, NULL, NULL,
                                      GlobalMutexWorker, NULL);
        if (NT_SUCCESS(Status)) {
            /* No object type: *PsThreadType is a data import whose declaration
             * differs between the WDK and mingw-w64 headers; KernelMode
             * callers may pass NULL. */
            Status = ObReferenceObjectByHandle(Handle, SYNCHRONIZE, NULL, KernelMode,
                                               &Threads[Index], NULL);
            ZwClose(Handle);
        }
    }
    for (Index = 0; Index < WORKER_COUNT; Index++) {
        if (Threads[Index] != NULL) {
            (VOID)KeWaitForSingleObject(Threads[Index], Executive, KernelMode, FALSE, NULL);
            ObDereferenceObject(Threads[Index]);
        }
    }
    return Status;
}

_Use_decl_annotations_
VOID NTAPI
GlobalMutexUnload(PDRIVER_OBJECT DriverObject)
{
    NTSTATUS Status;

    UNREFERENCED_PARAMETER(DriverObject);
    /* Frees every registered mutex and value in one call. */
    Status = WmRegistryDestroy();
    DbgPrint("wdk-mutex example: registry destroy %s, outstanding pool blocks: %ld\n",
             WmStatusName(Status), (long)WmQueryOutstandingAllocations());
}

_Use_decl_annotations_
NTSTATUS NTAPI
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NTSTATUS Status;
    ULONG Zero = 0;

    UNREFERENCED_PARAMETER(RegistryPath);
    Status = WmInitializeLibrary();
    if (NT_SUCCESS(Status)) {
        Status = WmRegistryInitialize();
    }
    if (NT_SUCCESS(Status)) {
        Status = TotalMutexRegisterChecked(TOTAL_KEY, &Zero, NULL);
        if (!NT_SUCCESS(Status)) {
            (VOID)WmRegistryDestroy();
        }
    }
    if (!NT_SUCCESS(Status)) {
        DbgPrint("wdk-mutex example: setup failed: %s\n", WmStatusName(Status));
        return Status;
    }
    DriverObject->DriverUnload = GlobalMutexUnload;

    Status = RunWorkers();
    WM_WITH_LOCK(TOTAL_MUTEX, Guard, Status, TotalMutexRegistryLock(TOTAL_KEY, &Guard)) {
        DbgPrint("wdk-mutex example: %d threads x %d increments = %lu\n",
                 WORKER_COUNT, INCREMENTS_EACH, (unsigned long)*Guard.Value);
    } WM_END_WITH_LOCK(TOTAL_MUTEX, Guard);
    return STATUS_SUCCESS;
}
