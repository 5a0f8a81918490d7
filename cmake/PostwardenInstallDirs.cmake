# Where the system integration files go. With the prefix /usr (a distribution package) these are
# the places the system reads; with any other prefix they stay under the prefix, so that a
# `cmake --install` into /usr/local never writes into /lib or /etc by surprise.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  # Debian 12 keeps PAM modules and units in /lib (the /usr-merge moves nothing yet).
  if(CMAKE_LIBRARY_ARCHITECTURE)
    set(pw_pamdir_default "/lib/${CMAKE_LIBRARY_ARCHITECTURE}/security")
  else()
    set(pw_pamdir_default "${CMAKE_INSTALL_FULL_LIBDIR}/security")
  endif()
  pkg_get_variable(pw_unitdir_default systemd systemdsystemunitdir)
  if(NOT pw_unitdir_default)
    set(pw_unitdir_default "/lib/systemd/system")
  endif()
else()
  set(pw_pamdir_default "${CMAKE_INSTALL_FULL_LIBDIR}/security")
  set(pw_unitdir_default "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
endif()
set(POSTWARDEN_PAMDIR "${pw_pamdir_default}" CACHE PATH "directory for pam_postwarden.so")
set(POSTWARDEN_SYSTEMD_UNITDIR "${pw_unitdir_default}" CACHE PATH "directory for systemd units")
set(POSTWARDEN_SYSUSERSDIR "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d" CACHE PATH "sysusers.d")
set(POSTWARDEN_TMPFILESDIR "${CMAKE_INSTALL_PREFIX}/lib/tmpfiles.d" CACHE PATH "tmpfiles.d")
# Firefox reads system-wide native-messaging manifests from /usr/lib/mozilla (also on lib64
# systems), Chrome, Chromium and Edge from /etc.
set(POSTWARDEN_MOZILLA_NMDIR "${CMAKE_INSTALL_PREFIX}/lib/mozilla/native-messaging-hosts"
    CACHE PATH "Firefox's system native-messaging manifests")
