# policy/normalize.cmake: sources and tests of this part of libpostwarden-policy.
