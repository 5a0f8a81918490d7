# policy/detect.cmake: sources and tests of this part of libpostwarden-policy.
# Built-in detectors: registry and scan (detect.c), validators (detect_check.c), rule tables.
find_package(Threads REQUIRED)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)   # crc32() for GitHub token checksums
target_sources(postwarden-policy PRIVATE
  detect.c detect_check.c detect_pii.c detect_national.c detect_secrets.c)
target_link_libraries(postwarden-policy PRIVATE PkgConfig::ZLIB m Threads::Threads)

pw_unit_test(detect_check LIBS postwarden-policy)
target_include_directories(test_detect_check PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
pw_unit_test(detect LIBS postwarden-policy)

