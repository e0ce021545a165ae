# cmake -P script behind the contracts.* ctests.
#   MODE=up_to_date: shared/contracts/asyncapi.yaml is exactly what mmx-contracts prints now.
#   MODE=valid: the committed file passes tests/tools/validate-asyncapi.mjs (@asyncapi/parser),
#               and the generated YAML parses to the same document as the generated JSON.
# TOOL: the mmx-contracts binary; ROOT: the source tree; WORK: a scratch directory.
set(committed "${ROOT}/shared/contracts/asyncapi.yaml")
set(update_hint "run scripts/update-contracts.sh and commit shared/contracts/asyncapi.yaml")
file(MAKE_DIRECTORY "${WORK}")

execute_process(COMMAND "${TOOL}" OUTPUT_FILE "${WORK}/asyncapi.yaml" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "mmx-contracts failed (${rc})")
endif()

if(NOT EXISTS "${committed}")
  message(FATAL_ERROR "${committed} is missing: ${update_hint}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files "${committed}" "${WORK}/asyncapi.yaml"
                RESULT_VARIABLE differs)

if(MODE STREQUAL "up_to_date")
  if(differs)
    find_program(DIFF diff)
    if(DIFF)
      execute_process(COMMAND "${DIFF}" -u "${committed}" "${WORK}/asyncapi.yaml")
    endif()
    message(FATAL_ERROR
      "shared/contracts/asyncapi.yaml does not match the event DTOs (diff above: - committed, "
      "+ generated). If the change is intended, ${update_hint}.")
  endif()
  message(STATUS "shared/contracts/asyncapi.yaml is up to date")
  return()
endif()

if(MODE STREQUAL "valid")
  set(script "${ROOT}/tests/tools/validate-asyncapi.mjs")
  if(NOT NODE)
    message(FATAL_ERROR "node is not installed (Debian: apt-get install nodejs npm, or run "
                        "scripts/bootstrap.sh)")
  endif()
  if(NOT EXISTS "${ROOT}/tests/tools/node_modules/@asyncapi/parser/package.json")
    message(FATAL_ERROR "@asyncapi/parser is not installed: run scripts/npm-install.sh tests/tools")
  endif()
  execute_process(COMMAND "${TOOL}" --json OUTPUT_FILE "${WORK}/asyncapi.json" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "mmx-contracts --json failed (${rc})")
  endif()
  set(runs "${committed}")
  if(differs)
    # contracts.asyncapi_up_to_date reports the staleness; still check both texts here.
    message(WARNING "${committed} is stale (${update_hint}); validating it and the generated one")
    set(runs "${committed}" "${WORK}/asyncapi.yaml")
  endif()
  set(failed FALSE)
  foreach(file IN LISTS runs)
    set(same_as)
    if(NOT differs OR NOT file STREQUAL committed)
      set(same_as --same-as "${WORK}/asyncapi.json")
    endif()
    execute_process(COMMAND "${NODE}" "${script}" "${file}" ${same_as} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      set(failed TRUE)
    endif()
  endforeach()
  if(failed)
    message(FATAL_ERROR "the AsyncAPI document is not valid (see above)")
  endif()
  return()
endif()

message(FATAL_ERROR "check_contracts.cmake: unknown MODE '${MODE}'")
