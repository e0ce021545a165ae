# Configures two tiny projects with the real MmxTargets.cmake: one where service b links
# only a shared library (must pass), one where b links service a (must fail with the
# boundary message).
foreach(kind good bad)
  file(REMOVE_RECURSE ${WORK_DIR}/${kind})
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/build/fixture_${kind}
            -B ${WORK_DIR}/${kind} -DMMX_SOURCE_DIR=${SOURCE_DIR}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(kind STREQUAL "good" AND NOT rc EQUAL 0)
    message(FATAL_ERROR "a service linking only shared libraries was rejected:\n${out}${err}")
  endif()
  if(kind STREQUAL "bad")
    if(rc EQUAL 0)
      message(FATAL_ERROR "a service linking another service was accepted")
    endif()
    if(NOT err MATCHES "Service boundary violation: mmx_svc_b links mmx_svc_a")
      message(FATAL_ERROR "configure failed for another reason:\n${err}")
    endif()
  endif()
endforeach()
message(STATUS "service boundary check: good fixture accepted, bad fixture rejected")
