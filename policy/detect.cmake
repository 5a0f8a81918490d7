# policy/detect.cmake: sources and tests of this part of libpostwarden-policy.
