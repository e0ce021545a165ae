# cmake -P script behind the contracts.openapi_* ctests (shared/contracts/CMakeLists.txt).
#   MODE=up_to_date: shared/contracts/${SERVICE}.openapi.json is byte for byte what
#                    `micromax openapi --target ${SERVICE}` prints now (a short diff if not).
#   MODE=complete:   every target `micromax targets` lists has a committed contract.
#   MODE=lint:       `redocly lint` (tests/tools) finds no error in the committed contract, with
#                    shared/contracts/redocly.yaml; its warnings are printed.
# TOOL: the micromax binary; ROOT: the source tree; WORK: a scratch directory;
# REDOCLY: tests/tools/node_modules/.bin/redocly (lint).
set(contracts "${ROOT}/shared/contracts")
set(update_hint "run scripts/update-contracts.sh and commit shared/contracts/")
file(MAKE_DIRECTORY "${WORK}")

if(MODE STREQUAL "up_to_date")
  set(committed "${contracts}/${SERVICE}.openapi.json")
  set(generated "${WORK}/${SERVICE}.openapi.json")
  # Production, no secrets and a data dir that cannot exist: the document must not need any.
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env MMX_ENV=production MMX_DATA_DIR=/nonexistent/mmx-contracts
            "${TOOL}" openapi --target "${SERVICE}"
    OUTPUT_FILE "${generated}" ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "micromax openapi --target ${SERVICE} failed (${rc}):\n${err}\n"
                        "If the target was removed, delete ${committed}.")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${committed}" "${generated}"
                  RESULT_VARIABLE differs)
  if(differs)
    find_program(DIFF diff)
    if(DIFF)
      # Short: the first lines say what moved; the whole diff is one command away.
      execute_process(COMMAND "${DIFF}" -u "${committed}" "${generated}" COMMAND head -n 60)
      message("(at most 60 lines shown; all of it: diff -u ${committed} ${generated})")
    endif()
    message(FATAL_ERROR
      "shared/contracts/${SERVICE}.openapi.json does not match the routes of the ${SERVICE} "
      "target (diff above: - committed, + generated). If the API change is intended, "
      "${update_hint}${SERVICE}.openapi.json with it.")
  endif()
  message(STATUS "shared/contracts/${SERVICE}.openapi.json is up to date")
  return()
endif()

if(MODE STREQUAL "complete")
  execute_process(COMMAND "${TOOL}" targets OUTPUT_VARIABLE out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "micromax targets failed (${rc})")
  endif()
  # Targets are the two-space-indented names without "(internal)"; "all" is not a service.
  string(REGEX MATCHALL "\n  [a-z0-9_-]+\n" names "${out}")
  set(missing)
  foreach(line IN LISTS names)
    string(STRIP "${line}" name)
    if(NOT name STREQUAL "all" AND NOT EXISTS "${contracts}/${name}.openapi.json")
      list(APPEND missing "${name}")
    endif()
  endforeach()
  if(missing)
    list(JOIN missing ", " missing)
    message(FATAL_ERROR "no committed OpenAPI contract for target(s) ${missing}: ${update_hint}"
                        "<target>.openapi.json")
  endif()
  message(STATUS "every target has its contract in shared/contracts/")
  return()
endif()

if(MODE STREQUAL "lint")
  if(NOT EXISTS "${REDOCLY}")
    message(FATAL_ERROR "@redocly/cli is not installed: run scripts/bootstrap.sh "
                        "(scripts/npm-install.sh tests/tools)")
  endif()
  set(spec "${contracts}/${SERVICE}.openapi.json")
  # From the scratch directory, so redocly finds no other configuration than ours.
  execute_process(COMMAND "${REDOCLY}" lint "${spec}" --config "${contracts}/redocly.yaml"
                  WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "redocly lint reports errors in shared/contracts/${SERVICE}.openapi.json "
                        "(above); fix the route declarations or shared/libs/http/src/openapi.cpp, "
                        "then ${update_hint}")
  endif()
  return()
endif()

message(FATAL_ERROR "check_openapi.cmake: unknown MODE '${MODE}'")
