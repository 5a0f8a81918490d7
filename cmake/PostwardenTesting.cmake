# Test registration helpers. Every test carries exactly one label, and each label a time budget
# per test, so that one group runs alone (`ctest -L unit`) and the whole suite stays well under
# 20 minutes on a 2-core machine.
set(PW_TIMEOUT_unit         60)
set(PW_TIMEOUT_integration 180)
set(PW_TIMEOUT_e2e         300)
set(PW_TIMEOUT_fuzz-smoke   90)
set(PW_TIMEOUT_packaging   600)

# pw_add_test(NAME <name> LABEL <label> COMMAND <cmd...> [ENVIRONMENT <k=v>...])
function(pw_add_test)
  cmake_parse_arguments(T "" "NAME;LABEL" "COMMAND;ENVIRONMENT" ${ARGN})
  if(NOT DEFINED PW_TIMEOUT_${T_LABEL})
    message(FATAL_ERROR "pw_add_test(${T_NAME}): unknown label '${T_LABEL}'")
  endif()
  add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
  set_tests_properties(${T_NAME} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${PW_TIMEOUT_${T_LABEL}})
  if(T_ENVIRONMENT)
    set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${T_ENVIRONMENT}")
  endif()
endfunction()

# pw_unit_test(<module> LIBS <targets...> [SOURCES <extra...>])
# Builds tests/unit/test_<module>.c with cmocka and registers it as `unit`.
function(pw_unit_test module)
  cmake_parse_arguments(T "" "" "LIBS;SOURCES" ${ARGN})
  add_executable(test_${module} ${PROJECT_SOURCE_DIR}/tests/unit/test_${module}.c ${T_SOURCES})
  target_link_libraries(test_${module} PRIVATE pw_flags PkgConfig::CMOCKA ${T_LIBS})
  pw_add_test(NAME unit.${module} LABEL unit COMMAND test_${module}
              ENVIRONMENT "PW_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# pw_fuzz_target(<name> SOURCES <src...> LIBS <targets...> [RUNS <n>])
# With POSTWARDEN_FUZZ=ON the target is a libFuzzer binary and `fuzz-smoke.<name>` runs it for a
# bounded number of executions from its seed corpus (tests/fuzz/corpus/<name>/). Without it, the
# same source links a small driver that replays the seed corpus, so every build exercises it.
function(pw_fuzz_target name)
  cmake_parse_arguments(T "" "RUNS" "SOURCES;LIBS" ${ARGN})
  if(NOT T_RUNS)
    set(T_RUNS 20000)
  endif()
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  if(POSTWARDEN_FUZZ)
    add_executable(fuzz_${name} ${T_SOURCES})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    # libFuzzer writes new inputs into the first corpus dir: give it a scratch copy.
    set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz-work/${name})
    pw_add_test(NAME fuzz-smoke.${name} LABEL fuzz-smoke
      COMMAND sh -c "rm -rf '${work}' && mkdir -p '${work}' && exec $<TARGET_FILE:fuzz_${name}> -runs=${T_RUNS} -max_total_time=60 -rss_limit_mb=2048 '${work}' '${corpus}'")
  else()
    add_executable(fuzz_${name} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
    pw_add_test(NAME fuzz-smoke.${name} LABEL fuzz-smoke COMMAND fuzz_${name} ${corpus})
  endif()
  target_link_libraries(fuzz_${name} PRIVATE pw_flags ${T_LIBS})
endfunction()
