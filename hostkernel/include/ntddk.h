/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex host kernel model
 * PURPOSE:     ntddk.h of the model: everything is declared in wdm.h (the WDK
 *              moved the critical-region and APC queries there too).
 * ENVIRONMENT: Host (Linux user mode).
 */
#ifndef _NTDDK_
#define _NTDDK_

#include "wdm.h"

#endif /* _NTDDK_ */
