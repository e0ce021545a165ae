# Target helpers. Every library is static, named mmx_<name>, and exposes include/.

# mmx_library(NAME SOURCES ... DEPS ...): a shared/ library.
function(mmx_library name)
  cmake_parse_arguments(A "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(mmx_${name} STATIC ${A_SOURCES})
  target_include_directories(mmx_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_compile_options(mmx_${name} PRIVATE ${MMX_WARNINGS})
  target_link_libraries(mmx_${name} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
endfunction()

# mmx_service_library(NAME SOURCES ... DEPS ...): a microservice. It may link shared/
# libraries only; mmx_check_service_boundaries() enforces that at configure time.
function(mmx_service_library name)
  mmx_library(svc_${name} ${ARGN})
  set_property(GLOBAL APPEND PROPERTY MMX_SERVICE_TARGETS mmx_svc_${name})
endfunction()

# Walks each service's link closure; another service anywhere in it is a build error.
function(_mmx_link_closure target out)
  set(seen "")
  set(todo ${target})
  while(todo)
    list(POP_FRONT todo t)
    if(NOT TARGET ${t} OR t IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${t})
    get_target_property(libs ${t} LINK_LIBRARIES)
    get_target_property(ilibs ${t} INTERFACE_LINK_LIBRARIES)
    foreach(l IN LISTS libs ilibs)
      if(l AND NOT l MATCHES "-NOTFOUND$")
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" l "${l}")
        list(APPEND todo ${l})
      endif()
    endforeach()
  endwhile()
  list(REMOVE_ITEM seen ${target})
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

function(mmx_check_service_boundaries)
  get_property(services GLOBAL PROPERTY MMX_SERVICE_TARGETS)
  foreach(svc IN LISTS services)
    _mmx_link_closure(${svc} closure)
    foreach(dep IN LISTS closure)
      if(dep IN_LIST services)
        message(FATAL_ERROR
          "Service boundary violation: ${svc} links ${dep}. A microservice may link only "
          "shared/ libraries; talk to another service through its HTTP API or its events.")
      endif()
    endforeach()
  endforeach()
endfunction()
