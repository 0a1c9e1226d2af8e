# SPDX-License-Identifier: MIT
# x86_64 kernel-mode cross build with clang + lld against the mingw-w64
# sysroot (Debian: clang, lld, mingw-w64-x86-64-dev).
#   cmake -S . -B build-clang -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw64-clang.cmake
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(WM_TRIPLE x86_64-w64-mingw32)
find_program(WM_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
set(CMAKE_C_COMPILER ${WM_CLANG})
set(CMAKE_C_COMPILER_TARGET ${WM_TRIPLE})
find_program(WM_LLVM_AR NAMES llvm-ar llvm-ar-16 llvm-ar-15 llvm-ar-14 ${WM_TRIPLE}-ar)
find_program(WM_LLVM_RANLIB NAMES llvm-ranlib llvm-ranlib-16 llvm-ranlib-15 llvm-ranlib-14 ${WM_TRIPLE}-ranlib)
set(CMAKE_AR ${WM_LLVM_AR} CACHE FILEPATH "")
set(CMAKE_RANLIB ${WM_LLVM_RANLIB} CACHE FILEPATH "")
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-mingw-common.cmake)
# --sysroot keeps the host's /usr/include out of the search path (clang adds
# it for this target otherwise); lld because clang's mingw driver emits the
# GNU-ld command line, which lld's mingw mode understands.
string(APPEND CMAKE_C_FLAGS_INIT " --sysroot=${WM_SYSROOT}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-fuse-ld=lld")
