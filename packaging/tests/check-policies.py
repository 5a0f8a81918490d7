#!/usr/bin/env python3
"""Checks the browser policies in the built package (ctest packaging.browser_policies) against
the policy names and value types that Chrome, Edge and Firefox document, and checks that every
file names the same extension: the id of the packed CRX, which the native-messaging manifests and
the host's configuration must allow.

Usage: check-policies.py DEB"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zipfile

tmp = tempfile.TemporaryDirectory()
subprocess.run(["dpkg-deb", "-x", sys.argv[1], tmp.name], check=True)
root = tmp.name
updates = root + "/usr/share/postwarden/extension/updates.xml"
errors = []
POL = {
    "chrome.json": "/etc/opt/chrome/policies/managed/postwarden.json",
    "chromium.json": "/etc/chromium/policies/managed/postwarden.json",
    "edge.json": "/etc/opt/edge/policies/managed/postwarden.json",
    "chrome-strict.json": "/usr/share/doc/postwarden/examples/chrome-strict.json",
    "chrome-sites.json": "/usr/share/doc/postwarden/examples/chrome-sites.json",
    "firefox-policies.json": "/usr/share/doc/postwarden/examples/firefox-policies.json",
}
NM = {
    "chrome": "/etc/opt/chrome/native-messaging-hosts/com.postwarden.host.json",
    "chromium": "/etc/chromium/native-messaging-hosts/com.postwarden.host.json",
    "edge": "/etc/opt/edge/native-messaging-hosts/com.postwarden.host.json",
    "firefox": "/usr/lib/mozilla/native-messaging-hosts/com.postwarden.host.json",
}


def err(msg):
    errors.append(msg)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


ID = re.compile(r"^[a-p]{32}$")
tree = ET.parse(updates)
ns = {"g": "http://www.google.com/update2/response"}
app = tree.getroot().find("g:app", ns)
crx_id = app.get("appid")
if not ID.match(crx_id or ""):
    err("updates.xml: appid %r is not an extension id" % crx_id)
check = app.find("g:updatecheck", ns)
if not check.get("codebase", "").endswith("/postwarden.crx") or not check.get("version"):
    err("updates.xml: updatecheck needs codebase .../postwarden.crx and a version")


def boolean(v):
    return isinstance(v, bool)


def avail(v):  # IncognitoModeAvailability / InPrivateModeAvailability / DeveloperToolsAvailability
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 2


def strlist(v):
    return isinstance(v, list) and all(isinstance(x, str) for x in v)


# Chrome Enterprise policy list (chromeenterprise.google/policies) and Microsoft Edge's.
CHROME = {
    "NativeMessagingUserLevelHosts": boolean,
    "ExtensionInstallForcelist": strlist,
    "IncognitoModeAvailability": avail,
    "BrowserGuestModeEnabled": boolean,
    "ExtensionInstallBlocklist": strlist,
    "ExtensionInstallAllowlist": strlist,
    "NativeMessagingBlocklist": strlist,
    "NativeMessagingAllowlist": strlist,
    "BrowserAddPersonEnabled": boolean,
    "DeveloperToolsAvailability": avail,
}
EDGE = dict(CHROME)
del EDGE["IncognitoModeAvailability"]
EDGE["InPrivateModeAvailability"] = avail


def check_chrome(name, p, known, required):
    for k, v in p.items():
        if k not in known:
            err("%s: %s is not a policy of this browser" % (name, k))
        elif not known[k](v):
            err("%s: %s has a value of the wrong type: %r" % (name, k, v))
    for k, v in required.items():
        if p.get(k) != v:
            err("%s: %s must be %r, is %r" % (name, k, v, p.get(k)))
    for entry in p.get("ExtensionInstallForcelist", []):
        ext, _, url = entry.partition(";")
        if ext != crx_id:
            err("%s: force-installs %s, the CRX is %s" % (name, ext, crx_id))
        if not re.match(r"^(https?|file)://.+/updates\.xml$", url):
            err("%s: update URL %r" % (name, url))
    for ext in p.get("ExtensionInstallAllowlist", []):
        if ext != crx_id:
            err("%s: allows %s, the CRX is %s" % (name, ext, crx_id))


base = {"NativeMessagingUserLevelHosts": False, "BrowserGuestModeEnabled": False}
for name in ("chrome.json", "chromium.json"):
    chrome = load(root + POL[name])
    check_chrome(POL[name], chrome, CHROME, dict(base, IncognitoModeAvailability=1))
    if not chrome.get("ExtensionInstallForcelist"):
        err("%s: no ExtensionInstallForcelist" % POL[name])
edge = load(root + POL["edge.json"])
check_chrome("edge.json", edge, EDGE, dict(base, InPrivateModeAvailability=1))
strict = load(root + POL["chrome-strict.json"])
check_chrome("chrome-strict.json", strict, CHROME, {})
if "com.postwarden.host" not in strict.get("NativeMessagingAllowlist", []):
    err("chrome-strict.json: NativeMessagingAllowlist must allow com.postwarden.host")

# The site list goes to the extension as storage.managed ("3rdparty"): its keys must be the ones
# the packed extension's managed_schema.json declares. A CRX is a header before a zip archive.
with zipfile.ZipFile(root + "/usr/share/postwarden/extension/postwarden.crx") as z:
    schema = json.loads(z.read("managed_schema.json"))
    manifest = json.loads(z.read("manifest.json"))
    names = z.namelist()
if manifest.get("version") != check.get("version"):
    err("updates.xml offers version %s, the CRX is %s" % (check.get("version"), manifest.get("version")))
if any(n.startswith("test/") for n in names):
    err("the CRX contains the extension's tests")
sites = load(root + POL["chrome-sites.json"])
if set(sites) != {"3rdparty"} or set(sites["3rdparty"]) != {"extensions"}:
    err("chrome-sites.json: the only policy must be 3rdparty.extensions")
exts = sites.get("3rdparty", {}).get("extensions", {})
if set(exts) != {crx_id}:
    err("chrome-sites.json: configures %s, the CRX is %s" % (list(exts), crx_id))
props = schema["properties"]
for cfg in exts.values():
    for k in cfg:
        if k not in props:
            err("chrome-sites.json: %s is not in the extension's managed_schema.json" % k)
    for i, site in enumerate(cfg.get("sites", [])):
        for k in site:
            if k not in props["sites"]["items"]["properties"]:
                err("chrome-sites.json: sites[%d].%s is not in managed_schema.json" % (i, k))
        if not site.get("name") or not site.get("matches"):
            err("chrome-sites.json: sites[%d] needs name and matches" % i)

# Firefox: the enterprise policy reference (policies.json has one top-level key, "policies").
ff = load(root + POL["firefox-policies.json"])
if set(ff) != {"policies"}:
    err("firefox-policies.json: the only top-level key must be 'policies'")
fp = ff.get("policies", {})
for k in fp:
    if k not in ("ExtensionSettings", "DisablePrivateBrowsing", "PrivateBrowsingModeAvailability"):
        err("firefox-policies.json: unexpected policy %s" % k)
if not boolean(fp.get("DisablePrivateBrowsing")):
    err("firefox-policies.json: DisablePrivateBrowsing must be a boolean")
nm_ff = load(root + NM["firefox"])
ff_id = nm_ff["allowed_extensions"][0]
es = fp.get("ExtensionSettings", {})
if set(es) != {ff_id}:
    err("firefox-policies.json: ExtensionSettings must name %s only, names %s" % (ff_id, list(es)))
for ext, s in es.items():
    if s.get("installation_mode") != "force_installed":
        err("firefox-policies.json: %s: installation_mode must be force_installed" % ext)
    if not re.match(r"^(https?|file)://.+\.xpi$", s.get("install_url", "")):
        err("firefox-policies.json: %s: install_url must point at an .xpi" % ext)
    if "private_browsing" in s and not boolean(s["private_browsing"]):
        err("firefox-policies.json: %s: private_browsing must be a boolean" % ext)
    extra = set(s) - {"installation_mode", "install_url", "private_browsing", "updates_disabled"}
    if extra:
        err("firefox-policies.json: %s: unknown keys %s" % (ext, sorted(extra)))

# The native-messaging manifests and the host's configuration allow the packed extension.
for b in ("chrome", "chromium", "edge"):
    m = load(root + NM[b])
    if m["path"] != "/usr/libexec/postwarden/postwarden-host":
        err("%s manifest: path %s" % (b, m["path"]))
    if not os.access(root + m["path"], os.X_OK):
        err("%s manifest: %s is not in the package" % (b, m["path"]))
    if m["allowed_origins"] != ["chrome-extension://%s/" % crx_id]:
        err("%s manifest allows %s, the CRX is %s" % (b, m["allowed_origins"], crx_id))
host = load(root + "/etc/postwarden/host.json")
if crx_id not in host["allowed_extensions"]:
    err("host.json does not allow the CRX's id %s" % crx_id)

if errors:
    print("\n".join("FAIL: " + e for e in errors))
    sys.exit(1)
print("browser policies OK (extension %s, Firefox %s)" % (crx_id, ff_id))
