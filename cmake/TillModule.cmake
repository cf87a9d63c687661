# Helpers that give every Till target the same compile flags.
#
# Warnings are errors on project code only: third-party headers come from /usr/include, which
# the compiler treats as system headers, so their warnings never fail our build.
add_library(till_warnings INTERFACE)
if(TILL_WERROR)
  target_compile_options(till_warnings INTERFACE -Werror)
endif()
target_compile_options(till_warnings INTERFACE
  -Wall -Wextra -Wpedantic
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wconversion -Wimplicit-fallthrough -Wformat=2)

# till_module(NAME SOURCES a.cpp b.cpp DEPS other_lib ...)
# One static library per module: till_<NAME>, include root is src/ so headers are included as
# "module/header.h".
function(till_module NAME)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(till_${NAME} STATIC ${ARG_SOURCES})
  target_include_directories(till_${NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(till_${NAME} PUBLIC ${ARG_DEPS} PRIVATE till_warnings)
endfunction()

# till_test(NAME SOURCES ... DEPS ...) — a GoogleTest binary registered with CTest.
# One CTest entry per binary (not per test case): binaries that need a PostgreSQL server start
# one and share it across their cases, which per-case processes could not do.
function(till_test NAME)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${NAME} ${ARG_SOURCES})
  target_link_libraries(${NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main till_warnings)
  target_include_directories(${NAME} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  add_test(NAME ${NAME} COMMAND ${NAME} --gtest_brief=1)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 600)
  endif()
  set_tests_properties(${NAME} PROPERTIES TIMEOUT ${ARG_TIMEOUT})
endfunction()
