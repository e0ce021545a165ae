# Compiler launcher, linker and warning policy shared by every target.

find_program(MMX_CCACHE ccache)
if(MMX_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${MMX_CCACHE})
endif()

# mold links the test binaries several times faster than ld.bfd; CI is 2 cores.
find_program(MMX_MOLD mold)
if(MMX_MOLD)
  add_link_options(-fuse-ld=mold)
endif()

# -Wno-stringop-overread: g++ 12 reports a bogus unbounded memmove inside
# boost::container::small_vector's move constructor (GCC's known -Wstringop-* false
# positives on inlined container code); the request's inline header list triggers it.
# -Wno-mismatched-new-delete: g++ 12 pairs asio's awaitable frame operator new(size) with
# its sized operator delete(void*, size) as "mismatched" in long coroutines (a false
# positive: both are the frame's own class-specific pair).
# -Wno-restrict: at -O3 (release) g++ 12 flags std::string concatenation ("'" + s + "'")
# as overlapping memcpy (GCC bug 105329, a false positive in libstdc++'s inlined append).
set(MMX_WARNINGS -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor
    -Wno-missing-field-initializers -Wno-stringop-overread -Wno-mismatched-new-delete
    -Wno-restrict)
if(MMX_WERROR)
  list(APPEND MMX_WARNINGS -Werror)
endif()

if(MMX_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Asio without its deprecated names (keeps us on the current API). Concepts off: g++ 12
# spends noticeably longer compiling Asio's constrained templates for no runtime gain.
add_compile_definitions(
  BOOST_ASIO_NO_DEPRECATED
  BOOST_ASIO_DISABLE_CONCEPTS)
