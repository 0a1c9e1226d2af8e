/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     ntifs.h of the model (a superset of ntddk.h in the WDK).
 * ENVIRONMENT: Host (Linux user mode).
 */
#ifndef _NTIFS_
#define _NTIFS_

#include "ntddk.h"

#endif /* _NTIFS_ */
