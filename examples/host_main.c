/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex examples
 * PURPOSE:     Loads an example driver on the host kernel model the way the
 *              I/O manager would: DriverEntry, then DriverUnload.
 * ENVIRONMENT: Host (user mode).
 */
#include <wdkmutex/wdkmutex.h>
#include "hostkernel.h"

DRIVER_INITIALIZE DriverEntry;

int
main(void)
{
    DRIVER_OBJECT Driver = { 0 };
    UNICODE_STRING Path = { 0 };
    NTSTATUS Status;

    Status = DriverEntry(&Driver, &Path);
    if (!NT_SUCCESS(Status)) {
        DbgPrint("host loader: DriverEntry failed: %s\n", WmStatusName(Status));
        return 1;
    }
    if (Driver.DriverUnload != NULL) {
        Driver.DriverUnload(&Driver);
    }
    if (HkPoolOutstanding() != 0) {
        DbgPrint("host loader: %ld pool blocks leaked\n", (long)HkPoolOutstanding());
        return 1;
    }
    return 0;
}
