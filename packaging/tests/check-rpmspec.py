#!/usr/bin/env python3
"""packaging/rpm/postwarden.spec has the Debian package's layout (ctest packaging.rpmspec).

`rpmspec --parse` (with Fedora's path macros, packaging/tests/fedora.macros) must succeed; then
every file of the built .deb, moved to where Fedora keeps the same thing (PAM modules in
/usr/lib64/security, units in /usr/lib/systemd/system), must be listed by the spec's %files, and
every %files entry must match a file of the package. The %build section must pass CMake the
same install-directory options that put the files there.

Usage: check-rpmspec.py SPEC MACROS DEB"""
import fnmatch
import re
import subprocess
import sys

spec, macros, deb = sys.argv[1:4]
errors = []
p = subprocess.run(["rpmspec", "--parse", "--load", macros, spec], capture_output=True, text=True)
if p.returncode != 0:
    sys.exit("FAIL: rpmspec --parse:\n" + p.stderr)
parsed = p.stdout

sections = {}
cur = None
for line in parsed.splitlines():
    m = re.match(r"^%(prep|build|check|install|pre|post|preun|postun|files|changelog|description)\b", line)
    if m:
        cur = m.group(1)
        sections.setdefault(cur, [])
        continue
    if cur:
        sections[cur].append(line)

build = " ".join(l.rstrip("\\") for l in parsed.splitlines() if "-D" in l)
for opt in ("-DCMAKE_INSTALL_LIBEXECDIR=libexec", "-DPOSTWARDEN_PAMDIR=/usr/lib64/security",
            "-DPOSTWARDEN_SYSTEMD_UNITDIR=/usr/lib/systemd/system",
            "-DPOSTWARDEN_SYSUSERSDIR=/usr/lib/sysusers.d",
            "-DPOSTWARDEN_TMPFILESDIR=/usr/lib/tmpfiles.d", "-DPOSTWARDEN_CRX=ON"):
    if opt not in build:
        errors.append("%%build does not pass %s" % opt)

patterns, dirs, docs = [], [], []
for line in sections.get("files", []):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    if line.startswith("%license"):
        continue
    if line.startswith("%doc"):
        docs += ["/usr/share/doc/postwarden/" + f.split("/")[-1] for f in line.split()[1:]]
        continue
    words = [w for w in line.split() if not w.startswith("%")]
    if not words:
        errors.append("%%files line without a path: %s" % line)
        continue
    path = words[-1]
    if "%ghost" in line or "%dir" in line:
        dirs.append(path)
    else:
        patterns.append(path)

out = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
debian_only = {"/usr/share/doc/postwarden/changelog.gz", "/usr/share/doc/postwarden/copyright",
               "/usr/share/lintian/overrides/postwarden"}
files = []
for line in out.splitlines():
    if line.startswith("d"):
        continue
    f = line.split()[5][1:]
    if f in debian_only:
        continue
    f = re.sub(r"^/lib/x86_64-linux-gnu/security/", "/usr/lib64/security/", f)
    f = re.sub(r"^/lib/systemd/system/", "/usr/lib/systemd/system/", f)
    f = re.sub(r"\.gz$", "", f)  # rpm compresses man pages itself
    files.append(f)


def matches(pat, f):
    if pat.endswith("/"):
        return f.startswith(pat)
    return fnmatch.fnmatchcase(f, pat) or fnmatch.fnmatchcase(f, pat.rstrip("*"))


for f in files:
    if f in docs:
        continue
    if not any(matches(p, f) for p in patterns):
        errors.append("in the .deb, not in %%files: %s" % f)
for p in patterns:
    if not any(matches(p, f) for f in files):
        errors.append("in %%files, not in the .deb: %s" % p)
for d in docs:
    if d not in files:
        errors.append("%%doc %s is not in the .deb's docs" % d)

if errors:
    print("\n".join("FAIL: " + e for e in errors))
    sys.exit(1)
print("rpmspec: parses; %d files, same layout as the .deb" % len(files))
