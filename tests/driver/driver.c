/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The test driver: runs the whole test suite from DriverEntry and
 *              reports through DbgPrintEx, one "WMT ..." line per call, which
 *              tests/driver/run-wine.py collects from Wine's debug log.
 * ENVIRONMENT: Kernel mode, PASSIVE_LEVEL (DriverEntry / DriverUnload).
 *
 * Test selection (substring of "suite.name", as WmtRunAll takes it), first
 * match wins:
 *   1. REG_SZ value "WmtFilter" under the service key (run-wine.py --filter);
 *   2. the compile-time define WMT_FILTER (a string literal);
 *   3. none: every test.
 */
#include <ntddk.h>

#include "wmtest.h"
#include <wdkmutex/pool.h>

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD WmtDriverUnload;

/* Filled once in DriverEntry; DriverEntry and the tests run on one thread. */
static CHAR WmtFilterBuffer[128];

VOID
WmtPlatformPrint(_In_z_ PCSTR Text)
{
    /* One call per line keeps lines whole when test threads print at once.
     * IHVDRIVER/ERROR is the component/level Windows shows without a
     * "Debug Print Filter" setting; Wine prints every level. */
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%s\n", Text);
}

BOOLEAN
WmtPlatformRunDeath(_In_ const WMT_TEST *Test, _Out_ PCSTR *Why)
{
    UNREFERENCED_PARAMETER(Test);
    /* A bug check ends the driver host (Wine) or the machine (Windows). */
    *Why = "expects a bug check: host model only";
    return FALSE;
}

BOOLEAN
WmtPlatformCanRunHostOnly(VOID)
{
    return FALSE;
}

LONG
WmtPlatformOutstandingPool(VOID)
{
    return WmQueryOutstandingAllocations();
}

/* Reads the optional "WmtFilter" REG_SZ from the service key into
 * WmtFilterBuffer. Returns it, or NULL when absent or unusable. */
static PCSTR
WmtReadRegistryFilter(_In_ PUNICODE_STRING RegistryPath)
{
    /* Header + up to 127 UTF-16 characters and the terminator. */
    union {
        KEY_VALUE_PARTIAL_INFORMATION Info;
        UCHAR Bytes[FIELD_OFFSET(KEY_VALUE_PARTIAL_INFORMATION, Data) + 128 * sizeof(WCHAR)];
    } Value;
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name, Wide;
    ANSI_STRING Narrow;
    HANDLE Key;
    ULONG Length;
    NTSTATUS Status;

    InitializeObjectAttributes(&Attributes, RegistryPath,
                               OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    Status = ZwOpenKey(&Key, KEY_QUERY_VALUE, &Attributes);
    if (!NT_SUCCESS(Status)) {
        return NULL;
    }
    RtlInitUnicodeString(&Name, L"WmtFilter");
    Status = ZwQueryValueKey(Key, &Name, KeyValuePartialInformation,
                             &Value, sizeof(Value), &Length);
    ZwClose(Key);
    if (!NT_SUCCESS(Status) || Value.Info.Type != REG_SZ) {
        return NULL;
    }

    Wide.Buffer = (PWCH)Value.Info.Data;
    Wide.Length = (USHORT)(Value.Info.DataLength & ~(ULONG)1);
    Wide.MaximumLength = Wide.Length;
    while (Wide.Length != 0 && Wide.Buffer[Wide.Length / sizeof(WCHAR) - 1] == L'\0') {
        Wide.Length -= sizeof(WCHAR);
    }
    if (Wide.Length == 0) {
        return NULL;
    }
    Narrow.Buffer = WmtFilterBuffer;
    Narrow.Length = 0;
    Narrow.MaximumLength = sizeof(WmtFilterBuffer) - 1;
    if (!NT_SUCCESS(RtlUnicodeStringToAnsiString(&Narrow, &Wide, FALSE))) {
        return NULL;
    }
    WmtFilterBuffer[Narrow.Length] = '\0';
    return WmtFilterBuffer;
}

static VOID NTAPI
WmtDriverUnload(_In_ PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    /* run-wine.py requires this line with 0: every library block freed. */
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "WMT UNLOAD outstanding=%ld\n",
               (long)WmQueryOutstandingAllocations());
}

NTSTATUS NTAPI
DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    WMT_RESULTS Results;
    PCSTR Filter;

    Filter = WmtReadRegistryFilter(RegistryPath);
#ifdef WMT_FILTER
    if (Filter == NULL) {
        Filter = WMT_FILTER;
    }
#endif
    if (Filter != NULL) {
        DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "WMT INFO filter \"%s\"\n", Filter);
    }

    /* Unload must be reachable even if a test leaks, so the leak is reported. */
    DriverObject->DriverUnload = WmtDriverUnload;

    WmtRunAll(Filter, &Results);

    /* Success regardless of results: the driver stays loaded so that
     * sc stop runs DriverUnload and the outstanding-pool check. */
    return STATUS_SUCCESS;
}
