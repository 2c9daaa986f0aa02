# reco_cc_library(NAME x SRCS a.cc b.cc DEPS y z): a static library reco_x with src/ on the
# include path. Explicit sources, no globbing.
function(reco_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(reco_${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(reco_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(reco_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# reco_cc_test(NAME x_test SRCS x_test.cc DEPS reco_x): a GoogleTest binary registered with ctest.
# POSTGRES_TESTS <gtest filter>: the tests that use the test PostgreSQL server (e.g. "*/postgres"
# for the postgres instances of a value-parameterised suite); they require the ctest fixture
# "postgres" (src/store/CMakeLists.txt), which starts one server for the whole run.
function(reco_cc_test)
  if(NOT RECO_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME;POSTGRES_TESTS" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    RECO_SOURCE_DIR="${PROJECT_SOURCE_DIR}" RECO_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_POSTGRES_TESTS)
    gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
    return()
  endif()
  if(NOT ARG_POSTGRES_TESTS STREQUAL "*")
    gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60 TEST_FILTER "-${ARG_POSTGRES_TESTS}"
                         PROPERTIES LABELS "${ARG_LABELS}")
  endif()
  # One label only: the discovery script writes a list value unquoted (its items would shift
  # the property/value pairs that follow).
  set(pg_labels postgres)
  if(ARG_LABELS)
    set(pg_labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60 TEST_FILTER "${ARG_POSTGRES_TESTS}"
                       PROPERTIES LABELS "${pg_labels}" FIXTURES_REQUIRED postgres
                       ENVIRONMENT "RECO_TEST_PG_DIR=${RECO_TEST_PG_DIR}")
endfunction()

# reco_cc_benchmark(NAME x_benchmark SRCS x_benchmark.cc DEPS reco_x): a Google Benchmark binary.
function(reco_cc_benchmark)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  target_compile_definitions(${ARG_NAME} PRIVATE RECO_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()

# reco_forbid_links(TARGET DEP...): fails the configuration when TARGET links one of DEP (a
# target or a library path), directly or through the libraries it links, naming the chain. How a
# lower layer is kept free of the heavy dependencies of the layers above it.
function(reco_forbid_links target)
  set(forbidden ${ARGN})
  set(seen "")
  set(queue ${target})
  string(MAKE_C_IDENTIFIER "${target}" key)
  set(chain_${key} "${target}")
  while(queue)
    list(POP_FRONT queue current)
    if(current IN_LIST seen OR NOT TARGET ${current})
      continue()
    endif()
    list(APPEND seen ${current})
    string(MAKE_C_IDENTIFIER "${current}" key)
    get_target_property(libs ${current} INTERFACE_LINK_LIBRARIES)
    if(NOT libs)
      continue()
    endif()
    foreach(lib IN LISTS libs)
      if(lib MATCHES "^\\$<")
        continue()
      endif()
      set(chain "${chain_${key}} -> ${lib}")
      if(lib IN_LIST forbidden)
        message(FATAL_ERROR "${target} must not link ${lib}, but does: ${chain}")
      endif()
      string(MAKE_C_IDENTIFIER "${lib}" lib_key)
      if(NOT DEFINED chain_${lib_key})
        set(chain_${lib_key} "${chain}")
      endif()
      list(APPEND queue ${lib})
    endforeach()
  endwhile()
endfunction()
