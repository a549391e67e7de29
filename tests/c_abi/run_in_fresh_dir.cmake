# SPDX-License-Identifier: MIT
# cmake -DDIR=<folder> -P run_in_fresh_dir.cmake <program> [args...]
# Runs `<program> [args...] <folder>` with <folder> emptied first, so every run starts clean, and
# removes the folder again when the program succeeds.
set(command)
set(after_script -1)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 1 ${last})
  if(after_script GREATER_EQUAL 0 AND i GREATER after_script)
    list(APPEND command "${CMAKE_ARGV${i}}")
  elseif(CMAKE_ARGV${i} STREQUAL "-P")
    math(EXPR after_script "${i} + 1")  # the next argument is this script
  endif()
endforeach()
if(NOT command OR NOT DIR)
  message(FATAL_ERROR "usage: cmake -DDIR=<folder> -P run_in_fresh_dir.cmake <program> [args]")
endif()
file(REMOVE_RECURSE "${DIR}")
file(MAKE_DIRECTORY "${DIR}")
execute_process(COMMAND ${command} "${DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${command} failed: ${rc} (data kept in ${DIR})")
endif()
file(REMOVE_RECURSE "${DIR}")
