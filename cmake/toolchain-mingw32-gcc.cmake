# SPDX-License-Identifier: MIT
# i686 kernel-mode cross build with mingw-w64 gcc (Debian: gcc-mingw-w64-i686).
# Build-only: Debian's wine64 has no 32-bit loader, so these drivers never run.
#   cmake -S . -B build-mingw32 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw32-gcc.cmake
set(CMAKE_SYSTEM_PROCESSOR X86)
set(WM_TRIPLE i686-w64-mingw32)
set(CMAKE_C_COMPILER ${WM_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${WM_TRIPLE}-windres)
set(CMAKE_AR ${WM_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${WM_TRIPLE}-ranlib CACHE FILEPATH "")
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw-common.cmake)
