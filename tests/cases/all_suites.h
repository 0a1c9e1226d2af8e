/* SPDX-License-Identifier: MIT */
/*
 * PROJECT:     wdk-mutex
 * PURPOSE:     The list of every test suite, once, in run order.
 * ENVIRONMENT: Kernel mode (driver runner) or the host kernel model.
 *
 * An X-macro: a user defines what one entry expands to, e.g.
 *
 *     #define WMT_DECLARE_ONE_(Suite) WMT_DECLARE_SUITE(Suite);
 *     WMT_ALL_SUITES(WMT_DECLARE_ONE_)
 *
 * Each suite Suite is a table WmtSuite_Suite[] closed by WMT_SUITE_END(Suite)
 * in one source under tests/cases/. Adding a suite = one entry here.
 *
 *   model       the host kernel model checked against the documented DDI
 *               semantics (tests/cases/test_model.c)
 *   core        status names, the pool allocator, scoped release, bad input
 *   kmutex      KMutex (tests/cases/test_kmutex.c + lock_cases.inc)
 *   fast_mutex  FastMutex (tests/cases/test_fast_mutex.c + lock_cases.inc)
 *   registry    the registry of named mutexes (tests/cases/test_registry.c)
 *   spin_lock   SpinLock and QueuedSpinLock (tests/cases/test_spin_lock.c)
 *   queued_spin_lock QueuedSpinLock's shared cases (test_queued_spin_lock.c)
 *   guarded_mutex GuardedMutex, native and fallback (test_guarded_mutex.c)
 *   rw_lock     RwLock, push lock and ERESOURCE (tests/cases/test_rw_lock.c)
 *   resource_rw_lock the ERESOURCE-only RwLock (test_resource_rw_lock.c)
 *   critical_section critical sections and scoped regions (test_critical_section.c)
 *   storage     every primitive in caller storage (tests/cases/test_storage.c)
 */
#ifndef WMT_ALL_SUITES_H
#define WMT_ALL_SUITES_H

#define WMT_ALL_SUITES(X) \
    X(model)              \
    X(core)               \
    X(kmutex)             \
    X(fast_mutex)         \
    X(registry)           \
    X(spin_lock)          \
    X(queued_spin_lock)   \
    X(guarded_mutex)      \
    X(rw_lock)            \
    X(resource_rw_lock)   \
    X(critical_section)   \
    X(storage)

#endif /* WMT_ALL_SUITES_H */
