/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     Umbrella header: every primitive of the library.
 * ENVIRONMENT: Kernel mode.
 */
#ifndef WDKMUTEX_WDKMUTEX_H
#define WDKMUTEX_WDKMUTEX_H

#include "compiler.h"
#include "status.h"
#include "pool.h"
#include "lock.h"
#include "kmutex.h"
#include "fast_mutex.h"
#include "spin_lock.h"
#include "guarded_mutex.h"
#include "rw_lock.h"
#include "critical_section.h"
#include "region.h"

#endif /* WDKMUTEX_WDKMUTEX_H */
