# The extension as a packed CRX for force-install by browser policy (Chrome, Chromium, Edge).
#
# A Chromium-family browser names an extension after the public key that signed its CRX, so the
# key decides the extension id that the native-messaging manifests, the host's configuration and
# the force-install policies must all name. Included from the top-level CMakeLists.txt before
# nmhost/, so that POSTWARDEN_CHROME_EXTENSION_ID is the packed extension's id there.
#
#   -DPOSTWARDEN_CRX=ON                      pack build/packaging/extension/postwarden.crx
#   -DPOSTWARDEN_CRX_KEY=/path/company.pem   sign with the company's key (RSA, PEM, PKCS#8)
#
# Without POSTWARDEN_CRX_KEY a key is generated once per build tree
# (build/packaging/crx-key.pem): good for tests, useless for a fleet, since each build tree gets
# a different id. The private key is never installed.
include(${CMAKE_CURRENT_LIST_DIR}/PostwardenExtensionId.cmake)

option(POSTWARDEN_CRX "Pack the extension as a CRX for force-install (needs chromium, openssl)" OFF)
set(POSTWARDEN_CRX_KEY "" CACHE FILEPATH
    "PEM private key that signs the CRX (default: one generated in the build tree, for tests)")

if(POSTWARDEN_CRX)
  find_program(PW_OPENSSL openssl REQUIRED)
  find_program(PW_CHROMIUM NAMES chromium chromium-browser google-chrome REQUIRED)
  set(PW_CRX_DIR ${CMAKE_BINARY_DIR}/packaging/extension)
  file(MAKE_DIRECTORY ${PW_CRX_DIR})
  if(POSTWARDEN_CRX_KEY)
    set(PW_CRX_KEY ${POSTWARDEN_CRX_KEY})
  else()
    set(PW_CRX_KEY ${CMAKE_BINARY_DIR}/packaging/crx-key.pem)
    if(NOT EXISTS ${PW_CRX_KEY})
      message(STATUS "Generating a CRX signing key for this build tree: ${PW_CRX_KEY}")
      execute_process(COMMAND ${PW_OPENSSL} genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
                              -out ${PW_CRX_KEY}
                      RESULT_VARIABLE rc ERROR_QUIET)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "openssl genpkey failed (${rc})")
      endif()
    endif()
  endif()
  # The id: the first 128 bits of SHA-256 over the DER public key, hex digits 0-f spelled a-p.
  execute_process(COMMAND ${PW_OPENSSL} pkey -in ${PW_CRX_KEY} -pubout -outform DER
                          -out ${PW_CRX_DIR}/key.pub.der
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "POSTWARDEN_CRX_KEY ${PW_CRX_KEY}: not a private key openssl reads: ${err}")
  endif()
  file(SHA256 ${PW_CRX_DIR}/key.pub.der pw_hash)
  pw_extension_id("${pw_hash}" pw_id)
  if(DEFINED CACHE{POSTWARDEN_CHROME_EXTENSION_ID}
     AND NOT POSTWARDEN_CHROME_EXTENSION_ID STREQUAL pw_id
     AND NOT POSTWARDEN_CHROME_EXTENSION_ID STREQUAL "dbmbjloomoklmhdgmpcmalmgpgdkbcbc")
    message(WARNING "POSTWARDEN_CHROME_EXTENSION_ID=${POSTWARDEN_CHROME_EXTENSION_ID} is not the "
                    "id of the CRX key (${pw_id}); the CRX key wins")
  endif()
  # A normal variable: nmhost/ sees it in place of the cache default.
  set(POSTWARDEN_CHROME_EXTENSION_ID ${pw_id})
  message(STATUS "Packed extension id: ${pw_id}")
endif()
