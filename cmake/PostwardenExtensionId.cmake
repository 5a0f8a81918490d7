# Chromium's extension id from the SHA-256 of the DER public key (hex): its first 32 hex digits,
# each mapped 0-9a-f -> a-p. Used at configure time (PostwardenCrx.cmake) and by the CRX packing
# script (packaging/pack-crx.cmake, run with cmake -P).
function(pw_extension_id sha256_hex out_var)
  string(SUBSTRING "${sha256_hex}" 0 32 hex)
  set(id "")
  foreach(i RANGE 31)
    string(SUBSTRING "${hex}" ${i} 1 c)
    string(FIND "0123456789abcdef" "${c}" n)
    string(SUBSTRING "abcdefghijklmnop" ${n} 1 c)
    string(APPEND id "${c}")
  endforeach()
  set(${out_var} "${id}" PARENT_SCOPE)
endfunction()
