# SPDX-License-Identifier: MIT
# x86_64 kernel-mode cross build with mingw-w64 gcc (Debian: gcc-mingw-w64-x86-64).
#   cmake -S . -B build-mingw64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64-gcc.cmake
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(WM_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${WM_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${WM_TRIPLE}-windres)
set(CMAKE_AR ${WM_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${WM_TRIPLE}-ranlib CACHE FILEPATH "")
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw-common.cmake)
