# SPDX-License-Identifier: MIT
#
# wm_add_driver(<name> [SOURCES] <src>... [INCLUDE_DIRS <dir>...]
#               [DEFINITIONS <def>...] [NO_WARNINGS_AS_ERRORS])
#
# Builds <name>.sys: a WDM kernel driver (native subsystem, entry DriverEntry)
# that imports from ntoskrnl.exe only (i686: ntoskrnl.exe and hal.dll, which
# holds the x86 spin-lock and fast-mutex DDIs). No CRT, no libgcc imports.
# A post-build step fails the build if the import table names any other DLL.
# Requires one of cmake/toolchain-mingw*.cmake (they set the DDK include dir
# and the kernel code-generation flags for every target).

include_guard(GLOBAL)

if(NOT CMAKE_SYSTEM_NAME STREQUAL "Windows")
  message(FATAL_ERROR "WmDriver.cmake needs a cmake/toolchain-mingw*.cmake toolchain")
endif()

if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  set(WM_DRIVER_ARCH i686)
  # stdcall decoration: DRIVER_INITIALIZE is NTAPI.
  set(WM_DRIVER_ENTRY _DriverEntry@8)
  set(WM_DRIVER_LIBS ntoskrnl hal)
  set(WM_DRIVER_ALLOWED_IMPORTS ntoskrnl.exe hal.dll)
else()
  set(WM_DRIVER_ARCH x86_64)
  set(WM_DRIVER_ENTRY DriverEntry)
  set(WM_DRIVER_LIBS ntoskrnl)
  set(WM_DRIVER_ALLOWED_IMPORTS ntoskrnl.exe)
endif()
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  # Static helpers only (i686 64-bit division: __udivdi3 and friends); libgcc
  # objects import nothing. Clang x86_64 needs none.
  list(APPEND WM_DRIVER_LIBS gcc)
endif()

# The mingw objdump reads PE on every host; the host's objdump may not.
find_program(WM_OBJDUMP NAMES ${WM_TRIPLE}-objdump x86_64-w64-mingw32-objdump llvm-objdump
             HINTS /usr/bin)
set(_WM_DRIVER_DIR ${CMAKE_CURRENT_LIST_DIR})

function(wm_add_driver name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_WARNINGS_AS_ERRORS" "" "SOURCES;INCLUDE_DIRS;DEFINITIONS")
  list(APPEND ARG_SOURCES ${ARG_UNPARSED_ARGUMENTS})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "wm_add_driver(${name}): no SOURCES")
  endif()
  # MODULE: linked with -shared (relocatable image, like every .sys) but no
  # import library is produced.
  add_library(${name} MODULE ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES
    PREFIX "" SUFFIX ".sys" DEFINE_SYMBOL ""
    C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  target_include_directories(${name} PRIVATE ${ARG_INCLUDE_DIRS})
  target_compile_definitions(${name} PRIVATE ${ARG_DEFINITIONS})
  if(ARG_NO_WARNINGS_AS_ERRORS)
    target_compile_options(${name} PRIVATE -Wall -Wextra)
  else()
    target_compile_options(${name} PRIVATE -Wall -Wextra -Werror)
  endif()
  target_link_options(${name} PRIVATE
    -nostdlib
    -Wl,--subsystem,native
    -Wl,--entry,${WM_DRIVER_ENTRY}
    # Data imported without __declspec(dllimport) would need the CRT's
    # pseudo-relocation runtime, which a driver does not have: make it a link
    # error instead of a bad pointer at run time.
    -Wl,--disable-auto-import
    -Wl,--disable-runtime-pseudo-reloc
    # Nothing is exported (ld would otherwise export every global).
    -Wl,--exclude-all-symbols
    -Wl,--no-insert-timestamp
    # e.g. ld only warns when the entry symbol is missing.
    -Wl,--fatal-warnings)
  # Deferred to the end of the directory so the import libraries follow any
  # archive the caller links later (GNU ld resolves left to right).
  cmake_language(EVAL CODE "
    cmake_language(DEFER CALL target_link_libraries ${name} PRIVATE ${WM_DRIVER_LIBS})")
  if(WM_OBJDUMP)
    add_custom_command(TARGET ${name} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -DWM_SYS=$<TARGET_FILE:${name}> -DWM_OBJDUMP=${WM_OBJDUMP}
              "-DWM_ALLOWED=${WM_DRIVER_ALLOWED_IMPORTS}"
              -P ${_WM_DRIVER_DIR}/WmCheckImports.cmake
      VERBATIM)
  endif()
endfunction()
