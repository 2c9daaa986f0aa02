# reco_cc_library(NAME x SRCS a.cc b.cc DEPS y z): a static library reco_x with src/ on the
# include path. Explicit sources, no globbing.
function(reco_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(reco_${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(reco_${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(reco_${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()

# reco_cc_test(NAME x_test SRCS x_test.cc DEPS reco_x): a GoogleTest binary registered with ctest.
function(reco_cc_test)
  if(NOT RECO_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${ARG_NAME} PRIVATE
    RECO_SOURCE_DIR="${PROJECT_SOURCE_DIR}" RECO_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${ARG_LABELS}")
endfunction()

# reco_cc_benchmark(NAME x_benchmark SRCS x_benchmark.cc DEPS reco_x): a Google Benchmark binary.
function(reco_cc_benchmark)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  target_compile_definitions(${ARG_NAME} PRIVATE RECO_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()
