#!/usr/bin/env python3
"""Checks the generated native-messaging manifests (ctest integration.nm_manifests).

Usage: check-manifests.py BUILD_MANIFEST_DIR HOST_PATH CHROME_ID FIREFOX_ID"""
import json
import sys

d, path, chrome_id, firefox_id = sys.argv[1:5]
for browser in ("chrome", "chromium", "edge", "firefox"):
    with open("%s/%s/com.postwarden.host.json" % (d, browser)) as f:
        m = json.load(f)
    assert m["name"] == "com.postwarden.host", m
    assert m["type"] == "stdio", m
    assert m["path"] == path and path.startswith("/"), m
    if browser == "firefox":
        assert set(m) == {"name", "description", "path", "type", "allowed_extensions"}, m
        assert m["allowed_extensions"] == [firefox_id], m
    else:
        assert set(m) == {"name", "description", "path", "type", "allowed_origins"}, m
        assert m["allowed_origins"] == ["chrome-extension://%s/" % chrome_id], m
with open("%s/host.json" % d) as f:
    cfg = json.load(f)
assert cfg["allowed_extensions"] == [chrome_id, firefox_id], cfg
print("manifests OK")
