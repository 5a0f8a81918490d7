# Packs extension/ into a CRX with Chromium's own packer and writes its update manifest.
# cmake -DSRC=extension -DOUT=dir -DKEY=key.pem -DCHROMIUM=... -DOPENSSL=... -DCODEBASE=url -P
# Out: OUT/postwarden.crx, OUT/updates.xml, OUT/postwarden/ (the packed tree, for inspection).
foreach(v SRC OUT KEY CHROMIUM OPENSSL CODEBASE)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "pack-crx.cmake: -D${v}= missing")
  endif()
endforeach()

include(${CMAKE_CURRENT_LIST_DIR}/../cmake/PostwardenExtensionId.cmake)

set(tree ${OUT}/postwarden)
file(REMOVE_RECURSE ${tree} ${OUT}/postwarden.crx ${OUT}/chromium-home)
# The unit tests and their DOM fixtures stay out of what browsers install.
file(COPY ${SRC}/ DESTINATION ${tree} PATTERN test EXCLUDE)

# The manifest names the packing key, so that the packed and the unpacked tree have one id.
execute_process(COMMAND ${OPENSSL} pkey -in ${KEY} -pubout -outform DER
                COMMAND ${OPENSSL} base64 -A
                OUTPUT_VARIABLE pub RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR pub STREQUAL "")
  message(FATAL_ERROR "pack-crx.cmake: cannot read the public key of ${KEY}")
endif()
file(READ ${tree}/manifest.json manifest)
string(JSON manifest SET "${manifest}" key "\"${pub}\"")
string(JSON version GET "${manifest}" version)
file(WRITE ${tree}/manifest.json "${manifest}\n")

# Chromium packs and exits; --no-sandbox because package builds may run as root.
file(MAKE_DIRECTORY ${OUT}/chromium-home)
set(ENV{HOME} ${OUT}/chromium-home)
execute_process(COMMAND ${CHROMIUM} --no-sandbox --headless=new --disable-gpu
                        --user-data-dir=${OUT}/chromium-home/profile
                        --pack-extension=${tree} --pack-extension-key=${KEY}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out TIMEOUT 120)
file(REMOVE_RECURSE ${OUT}/chromium-home)
if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT}/postwarden.crx)
  message(FATAL_ERROR "pack-crx.cmake: chromium --pack-extension failed (${rc}):\n${out}")
endif()

# gupdate protocol 2.0, as Chrome's policy force-install reads it.
execute_process(COMMAND ${OPENSSL} pkey -in ${KEY} -pubout -outform DER
                COMMAND ${OPENSSL} dgst -sha256 -hex
                OUTPUT_VARIABLE hash)
string(REGEX REPLACE ".*= *([0-9a-f]+).*" "\\1" hash "${hash}")
pw_extension_id("${hash}" id)
file(WRITE ${OUT}/updates.xml "<?xml version='1.0' encoding='UTF-8'?>
<gupdate xmlns='http://www.google.com/update2/response' protocol='2.0'>
  <app appid='${id}'>
    <updatecheck codebase='${CODEBASE}' version='${version}' />
  </app>
</gupdate>
")
message(STATUS "Packed ${OUT}/postwarden.crx (id ${id}, version ${version})")
