# policy/engine.cmake: sources and tests of this part of libpostwarden-policy.
