#!/usr/bin/env python3
"""check_build.py - the build's own promises, as TAP:

    python3 tests/build/check_build.py SOURCE_ROOT BUILD_ROOT

- every dependency meson.build asks for is required, so a machine without one fails at
  `meson setup` instead of building (and "passing") without the tests that need it;
- scripts/setup.sh installs the Debian packages those dependencies and the checks come from;
- every tests/unit/test_*.c and tests/store/test_store*.c program is registered as a test.
"""

import glob
import json
import os
import re
import subprocess
import sys

# Debian package -> why the build or `make test` needs it.
SETUP_PACKAGES = {
    "libcmocka-dev": "the unit and store tests (cmocka, a required dependency)",
    "clang-tidy": "the static analyser of make test (tests/lint/clang_tidy.py)",
}


class Tap:
    def __init__(self):
        self.n = self.failed = 0

    def result(self, ok, name, diag=""):
        self.n += 1
        self.failed += 0 if ok else 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}")
        for line in str(diag).splitlines() if not ok else []:
            print(f"# {line}")


def setup_packages(src):
    with open(os.path.join(src, "scripts", "setup.sh"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"^packages=\((.*?)^\)", text, re.S | re.M)
    return set(m.group(1).split()) if m else set()


def main(src, build):
    tap = Tap()
    print("1..3")
    deps = json.loads(subprocess.check_output(
        ["meson", "introspect", "--scan-dependencies", os.path.join(src, "meson.build")],
        cwd=src))
    optional = sorted(d["name"] for d in deps if not d.get("required") or d.get("conditional"))
    tap.result(not optional and any(d["name"] == "cmocka" for d in deps),
               "meson.build: every dependency is required (cmocka included)",
               f"optional or conditional: {optional}; all: {[d['name'] for d in deps]}")

    have = setup_packages(src)
    missing = {p: why for p, why in SETUP_PACKAGES.items() if p not in have}
    tap.result(not missing, "scripts/setup.sh installs " + ", ".join(SETUP_PACKAGES),
               "\n".join(f"{p} missing: needed for {why}" for p, why in missing.items()))

    tests = json.loads(subprocess.check_output(["meson", "introspect", build, "--tests"]))
    registered = {os.path.basename(t["cmd"][0]) for t in tests}
    want = {"test_" + os.path.basename(p)[5:-2]
            for p in glob.glob(os.path.join(src, "tests", "unit", "test_*.c"))}
    want |= {"test_store_sqlite" + os.path.basename(p)[10:-2]
             for p in glob.glob(os.path.join(src, "tests", "store", "test_store*.c"))}
    lost = sorted(want - registered)
    tap.result(not lost, f"every unit and store test program is registered ({len(want)})",
               f"not registered: {lost}")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: check_build.py SOURCE_ROOT BUILD_ROOT", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
