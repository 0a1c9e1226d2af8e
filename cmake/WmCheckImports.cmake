# SPDX-License-Identifier: MIT
# cmake -DWM_SYS=x.sys -DWM_OBJDUMP=objdump "-DWM_ALLOWED=ntoskrnl.exe;hal.dll" -P WmCheckImports.cmake
# Fails when the driver imports a DLL outside WM_ALLOWED, exports symbols, or
# is not a native-subsystem image: Windows would refuse to load it, Wine might not.
cmake_minimum_required(VERSION 3.20)
execute_process(COMMAND ${WM_OBJDUMP} -p ${WM_SYS} OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${WM_OBJDUMP} -p ${WM_SYS} failed")
endif()
string(REGEX MATCHALL "DLL Name: [^\n]+" dlls "${out}")
set(bad "")
foreach(d IN LISTS dlls)
  string(REGEX REPLACE "DLL Name: *" "" d "${d}")
  string(STRIP "${d}" d)
  string(TOLOWER "${d}" d)
  if(NOT d IN_LIST WM_ALLOWED)
    list(APPEND bad ${d})
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "${WM_SYS} imports from ${bad}; a driver may import only ${WM_ALLOWED}")
endif()
if(NOT out MATCHES "Subsystem[ \t]+0+1[ \t]")
  message(FATAL_ERROR "${WM_SYS} is not a native-subsystem image")
endif()
# ld always writes an export directory for -shared; it must stay empty.
if(out MATCHES "Number in:[ \t\r\n]+Export Address Table[ \t]+0*([1-9a-fA-F][0-9a-fA-F]*)")
  message(FATAL_ERROR "${WM_SYS} exports ${CMAKE_MATCH_1} (hex) symbols; a driver exports none")
endif()
