#!/usr/bin/env python3
"""Runs every test of every given build directory and counts the individual cases.

Each test program prints TAP (cmocka via CMOCKA_MESSAGE_OUTPUT=TAP, the API suite by its own
harness). The tests and their environment come from `meson introspect --tests`, so this
script never keeps its own list. The last line is the summary CI reads:
    N passed, N failed[, N skipped]
A program that crashes or exits non-zero without reporting a failed case counts as one failure.

    run-tests.py [--skip-suite SUITE | --only-suite SUITE]... BUILD...

--skip-suite leaves out a meson suite (make test-fast skips "lint", the static analyser);
--only-suite runs only the named suites (make lint).
"""
import json
import os
import re
import subprocess
import sys
import time

OK = re.compile(r"^ok\s+\d+(.*)$")
NOT_OK = re.compile(r"^not ok\s+\d+(.*)$")
PLAN_SKIP = re.compile(r"^1\.\.0\s*#\s*SKIP(.*)$", re.I)


def run_one(build, test):
    env = os.environ.copy()
    env.update(test.get("env") or {})
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    started = time.monotonic()
    try:
        proc = subprocess.run(test["cmd"], cwd=test.get("workdir") or None, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=test.get("timeout") or 300)
        out, err, code = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        err, code = "timed out", -1
    passed = failed = skipped = 0
    failures = []
    for line in out.splitlines():
        if m := NOT_OK.match(line):
            if "# TODO" in line:
                continue
            failed += 1
            failures.append(line)
        elif m := OK.match(line):
            if re.search(r"#\s*SKIP", m.group(1), re.I):
                skipped += 1
            else:
                passed += 1
        elif PLAN_SKIP.match(line):
            skipped += 1
    if code != 0 and failed == 0:
        failed += 1
        failures.append(f"exit status {code}")
    label = f"{os.path.basename(build)}:{test['suite'][0] if test.get('suite') else ''}/{test['name']}"
    secs = time.monotonic() - started
    print(f"{label:40s} {passed:4d} passed {failed:3d} failed {skipped:3d} skipped  ({secs:.1f}s)")
    if failed:
        for f in failures[:50]:
            print(f"    {f}")
        tail = "\n".join((out + "\n" + err).splitlines()[-40:])
        print("    --- output tail ---\n" + "\n".join("    " + l for l in tail.splitlines()))
    return passed, failed, skipped


def main(argv):
    skip, only, builds = set(), set(), []
    while argv:
        arg = argv.pop(0)
        if arg in ("--skip-suite", "--only-suite") and argv:
            (skip if arg == "--skip-suite" else only).add(argv.pop(0))
        else:
            builds.append(arg)
    total = [0, 0, 0]
    for build in builds or ["build"]:
        tests = json.loads(subprocess.check_output(["meson", "introspect", build, "--tests"]))
        for test in tests:
            suites = {s.split(":")[-1] for s in test.get("suite") or []}
            if suites & skip or (only and not suites & only):
                continue
            for i, n in enumerate(run_one(build, test)):
                total[i] += n
    summary = f"{total[0]} passed, {total[1]} failed"
    if total[2]:
        summary += f", {total[2]} skipped"
    print(summary)
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
