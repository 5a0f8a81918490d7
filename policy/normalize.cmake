# policy/normalize.cmake: sources and tests of this part of libpostwarden-policy.
# normalize.c: NFKC_Casefold + skeleton views of a text with an exact offset map (normalize.h).
target_sources(postwarden-policy PRIVATE normalize.c)
pw_unit_test(normalize LIBS postwarden-policy PkgConfig::ICU)
pw_fuzz_target(normalize SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_normalize.c
               LIBS postwarden-policy PkgConfig::ICU RUNS 50000)
target_include_directories(test_normalize PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_include_directories(fuzz_normalize PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
if(POSTWARDEN_FUZZ)
  # Edge coverage only (pw_flags adds -fsanitize=fuzzer-no-link): comparison tracing in the
  # per-byte map queries the harness makes cost two thirds of the time (measured with perf) for
  # little guidance.
  set_source_files_properties(normalize.c PROPERTIES COMPILE_OPTIONS
    "-fno-sanitize-coverage=trace-cmp")
endif()
