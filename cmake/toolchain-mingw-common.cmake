# SPDX-License-Identifier: MIT
# Shared part of the mingw-w64 cross toolchains (included by toolchain-*.cmake).
# Inputs: WM_TRIPLE (x86_64-w64-mingw32 / i686-w64-mingw32).
# Everything this configuration builds is kernel-mode code, so the DDK headers
# and the kernel code-generation flags apply to every target.

set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_VERSION 10.0)

set(WM_SYSROOT /usr/${WM_TRIPLE})
set(WM_DDK_INCLUDE_DIR ${WM_SYSROOT}/include/ddk)

set(CMAKE_FIND_ROOT_PATH ${WM_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Compiler checks would link a user-mode .exe against the mingw CRT, which
# the kernel build never uses; an object-only check is enough.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# -isystem: the DDK headers' own warnings must not trip -Werror.
# -fno-stack-protector: __stack_chk_* live in libssp (a user-mode DLL).
# -mno-stack-arg-probe: no ___chkstk_ms/__chkstk (libgcc, not exported by
#   ntoskrnl); kernel stacks are fully committed, so probing buys nothing.
# Builtins stay enabled on purpose: gcc/clang may emit memcpy/memset/memmove/
# memcmp calls, and ntoskrnl exports all four.
set(WM_KERNEL_C_FLAGS "-isystem ${WM_DDK_INCLUDE_DIR} -fno-stack-protector -mno-stack-arg-probe")
# winnt.h (intrin-impl.h) declares InterlockedBitTestAndSet/Reset extern and
# ddk/wdm.h then defines them static: clang gives every object file an
# external copy (lld: duplicate symbol). Marking the intrin-impl.h versions as
# already defined leaves only wdm.h's static inline ones, for gcc as well.
string(APPEND WM_KERNEL_C_FLAGS
  " -D__INTRINSIC_DEFINED_InterlockedBitTestAndSet"
  " -D__INTRINSIC_DEFINED_InterlockedBitTestAndReset")
# gcc >= 12 treats a constant address below 4 KiB as a null-pointer offset
# and, at -O2, flags __readgsqword(0x188) (KeGetCurrentThread, inlined from
# the mingw headers) with -Warray-bounds. Kernel code reads such addresses
# on purpose; min-pagesize=0 turns the heuristic off (diagnostics only).
if(CMAKE_C_COMPILER MATCHES "gcc$")
  execute_process(COMMAND ${CMAKE_C_COMPILER} -dumpversion
                  OUTPUT_VARIABLE _wm_gcc_version OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  string(REGEX MATCH "^[0-9]+" _wm_gcc_major "${_wm_gcc_version}")
  if(_wm_gcc_major AND _wm_gcc_major GREATER_EQUAL 12)
    string(APPEND WM_KERNEL_C_FLAGS " --param=min-pagesize=0")
  endif()
endif()
set(CMAKE_C_FLAGS_INIT "${WM_KERNEL_C_FLAGS}")

# CMake's Windows-GNU default links kernel32, user32, ... into every binary; a
# driver must not silently resolve a symbol from a user-mode DLL.
set(CMAKE_C_STANDARD_LIBRARIES "" CACHE STRING "Kernel drivers link ntoskrnl (and hal) only")
