# policy/engine.cmake: sources and tests of this part of libpostwarden-policy: the policy file
# (model.c, jsonpos.c, terms.c), the vectorscan matcher and its cache (match.c), verdicts
# (verdict.c).
set(_pw_engine ${CMAKE_CURRENT_LIST_DIR})
find_package(Threads REQUIRED)
target_sources(postwarden-policy PRIVATE
  ${_pw_engine}/jsonpos.c ${_pw_engine}/terms.c ${_pw_engine}/model.c ${_pw_engine}/match.c
  ${_pw_engine}/verdict.c)
target_link_libraries(postwarden-policy PUBLIC Threads::Threads)

# The engine calls the built-in detectors once detect.cmake has put them into the library.
get_target_property(_pw_policy_sources postwarden-policy SOURCES)
if(_pw_policy_sources MATCHES "detect[^/]*\\.c")
  target_compile_definitions(postwarden-policy PRIVATE PW_HAVE_DETECTORS=1)
endif()

pw_unit_test(policy_load LIBS postwarden-policy)
pw_unit_test(policy_check LIBS postwarden-policy)

pw_fuzz_target(policy_load SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_policy_load.c
               LIBS postwarden-policy)
pw_fuzz_target(policy_check SOURCES ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_policy_check.c
               LIBS postwarden-policy)

# The shipped example policy and its manual page.
install(FILES default/policy.json default/code-names.txt default/clients.txt
              default/harassment.txt
        DESTINATION ${CMAKE_INSTALL_DATADIR}/postwarden/default-policy)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/postwarden-policy.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
