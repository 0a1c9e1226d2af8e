/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Names for the NTSTATUS codes the library returns.
 * ENVIRONMENT: Kernel mode, any IRQL (static strings only).
 */
#include "wmp.h"

#define WMP_NAME(Code) { Code, #Code }

static const struct {
    NTSTATUS Status;
    PCSTR    Name;
} WmpStatusNames[] = {
    WMP_NAME(STATUS_SUCCESS),
    WMP_NAME(STATUS_TIMEOUT),
    WMP_NAME(STATUS_ABANDONED),
    WMP_NAME(STATUS_NOT_SUPPORTED),
    WMP_NAME(STATUS_INVALID_PARAMETER),
    WMP_NAME(STATUS_INSUFFICIENT_RESOURCES),
    WMP_NAME(STATUS_UNSUCCESSFUL),
    WMP_NAME(STATUS_MUTANT_NOT_OWNED),
    WMP_NAME(STATUS_WM_IRQL_TOO_HIGH),
    WMP_NAME(STATUS_WM_IRQL_NOT_APC_LEVEL),
    WMP_NAME(STATUS_WM_POOL_ALLOCATION_FAILED),
    WMP_NAME(STATUS_WM_INVALID_PARAMETER),
    WMP_NAME(STATUS_WM_INVALID_SIZE),
    WMP_NAME(STATUS_WM_NOT_LOCKED),
    WMP_NAME(STATUS_WM_NOT_OWNER),
    WMP_NAME(STATUS_WM_RECURSIVE_ACQUIRE),
    WMP_NAME(STATUS_WM_LOCK_BUSY),
    WMP_NAME(STATUS_WM_MUTEX_HELD),
    WMP_NAME(STATUS_WM_IRQL_MISMATCH),
    WMP_NAME(STATUS_WM_NOT_INITIALIZED),
    WMP_NAME(STATUS_WM_WRONG_KIND),
};

_Use_decl_annotations_
PCSTR
WmStatusName(NTSTATUS Status)
{
    ULONG Index;

    for (Index = 0; Index < sizeof(WmpStatusNames) / sizeof(WmpStatusNames[0]); Index++) {
        if (WmpStatusNames[Index].Status == Status) {
            return WmpStatusNames[Index].Name;
        }
    }
    return "STATUS_<unknown>";
}
