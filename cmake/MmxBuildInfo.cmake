# cmake -P script, run on every build: writes OUT from SRC with the current git commit,
# touching OUT only when its content changes (so an unchanged commit recompiles nothing).
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE MMX_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT MMX_GIT_COMMIT)
  set(MMX_GIT_COMMIT unknown)
endif()
configure_file(${SRC} ${OUT} @ONLY)
