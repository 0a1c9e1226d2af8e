/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex examples
 * PURPOSE:     A locally scoped mutex: create a KMutex owning a ULONG, lock it,
 *              print the value through the guard, release at scope exit.
 * ENVIRONMENT: Kernel mode (a complete WDM driver; also runs on the host model).
 */
#include <wdkmutex/wdkmutex.h>

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD LocalMutexUnload;

/* A KMUTEX that owns a ULONG: LOCAL_MUTEX handles, LocalMutex* functions. */
WM_DECLARE_KMUTEX_TYPE(LOCAL_MUTEX, LocalMutex, ULONG);

static NTSTATUS
LocalScope(VOID)
{
    LOCAL_MUTEX Mutex;
    ULONG Initial = 0;
    NTSTATUS Status;

    Status = LocalMutexCreate(&Mutex, &Initial, NULL);
    if (!NT_SUCCESS(Status)) {
        DbgPrint("wdk-mutex example: create failed: %s\n", WmStatusName(Status));
        return Status;
    }

    /* The body runs only if the lock was taken; the lock is released when the
     * block ends, however it ends. */
    WM_WITH_LOCK(LOCAL_MUTEX, Guard, Status, LocalMutexLock(Mutex, &Guard)) {
        DbgPrint("wdk-mutex example: The value is: %lu\n", (unsigned long)*Guard.Value);
    } WM_END_WITH_LOCK(LOCAL_MUTEX, Guard);

    if (Status != STATUS_SUCCESS) {
        DbgPrint("wdk-mutex example: lock failed: %s\n", WmStatusName(Status));
    }
    /* Unlike a Rust drop, destruction is explicit; it fails if still held. */
    return LocalMutexDestroy(&Mutex);
}

_Use_decl_annotations_
VOID NTAPI
LocalMutexUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    DbgPrint("wdk-mutex example: unloaded, outstanding pool blocks: %ld\n",
             (long)WmQueryOutstandingAllocations());
}

_Use_decl_annotations_
NTSTATUS NTAPI
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = LocalMutexUnload;
    return LocalScope();
}
