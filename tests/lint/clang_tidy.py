#!/usr/bin/env python3
"""clang_tidy.py - the static analyser of `make test`: clang-tidy over every C file of src/,
with the checks of the repository's .clang-tidy, as one TAP case.

    python3 tests/lint/clang_tidy.py SOURCE_ROOT BUILD_ROOT [PATH-REGEX...]

The files and their flags come from BUILD_ROOT/compile_commands.json (meson writes it), so
this keeps no list of its own. Files run in parallel: GL_TIDY_JOBS workers (default: the
CPU count, at most 2). Every diagnostic is a finding, shown once even when a header is seen
from several files; a clang-tidy that cannot run, or exits non-zero, is a finding too. The
case passes only with no finding at all. PATH-REGEX arguments analyse only matching files
(for working on findings; the case then says it covered a subset).

A file whose inputs are byte for byte those of its last clean analysis is not analysed
again: the key hashes clang-tidy's version, this script, every .clang-tidy, the compile
command, the file, every header the compiler last read for it (ninja's record of its
depfile), and every header under src/. Only clean results are kept (BUILD_ROOT/clang-tidy-cache), so a finding
shows on every run; the last line says how many files were analysed and how many reused.
GL_TIDY_CACHE=off analyses every file.
"""

import concurrent.futures
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

DIAG = re.compile(r"^(?P<path>[^:\s][^:]*):(?P<line>\d+):(?P<col>\d+): "
                  r"(?P<sev>warning|error): (?P<msg>.*?)(?: \[(?P<check>[^\]]+)\])?$")
NOTE_LINES = 6  # lines of each finding's trace shown under it


def ninja_deps(build):
    """{object: [header...]} as ninja recorded them from the compiler's depfiles (ninja
    keeps them in .ninja_deps, not as .d files); objects whose record is stale are left out."""
    try:
        out = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True,
                             timeout=60).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        return {}
    deps, current = {}, None
    for line in out.splitlines():
        if line and not line[0].isspace():
            obj, _, state = line.partition(": #deps")
            current = deps.setdefault(obj, []) if state.rstrip().endswith("(VALID)") else None
        elif line.strip() and current is not None:
            current.append(os.path.join(build, line.strip()))
    return deps


def command_object(entry):
    args = entry.get("arguments") or entry["command"].split()
    return args[args.index("-o") + 1] if "-o" in args[:-1] else None


def cache_key(common, deps_of, entry, path):
    """The key of a file's inputs, or None when they cannot all be read."""
    deps = deps_of.get(command_object(entry))
    if not deps:
        return None
    h = hashlib.sha256(common)
    h.update(json.dumps(entry, sort_keys=True).encode())
    try:
        for p in [path] + sorted(set(deps)):
            with open(p, "rb") as f:
                h.update(p.encode() + b"\0" + hashlib.sha256(f.read()).digest())
    except OSError:
        return None
    return h.hexdigest()


def common_inputs(tidy, src):
    """What every file's analysis depends on besides its own inputs."""
    h = hashlib.sha256()
    h.update(subprocess.run([tidy, "--version"], capture_output=True).stdout)
    paths = [os.path.abspath(__file__)]
    paths += sorted(glob.glob(os.path.join(src, "**", ".clang-tidy"), recursive=True))
    paths += sorted(glob.glob(os.path.join(src, "src", "**", "*.h"), recursive=True))
    for p in paths:
        with open(p, "rb") as f:
            h.update(p.encode() + b"\0" + f.read())
    return h.digest()


def analyse(tidy, build, src, path):
    started = time.monotonic()
    try:
        p = subprocess.run([tidy, "-p", build, "--quiet", path], cwd=src,
                           capture_output=True, timeout=600)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        code = p.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        out, err, code = "", str(e), -1
    return path, out, err, code, time.monotonic() - started


def findings_of(src, build, path, out, err, code):
    """[(key, text)] of one file's run; key identifies a finding across files. Relative
    paths in diagnostics are relative to the compile directory (the build)."""
    found, current = [], None
    for line in out.splitlines():
        m = DIAG.match(line)
        if m:
            where = os.path.relpath(os.path.normpath(os.path.join(build, m["path"])), src)
            key = (where, int(m["line"]), int(m["col"]), m["check"] or m["msg"])
            current = [f"{where}:{m['line']}:{m['col']}: {m['msg']} [{m['check'] or m['sev']}]"]
            found.append((key, current))
        elif current is not None and len(current) <= NOTE_LINES:
            current.append("    " + line)
    if code != 0 and not found:
        rel = os.path.relpath(path, src)
        found.append(((rel, 0, 0, "exit"),
                      [f"{rel}: clang-tidy exited {code}: {err.strip()[-800:]}"]))
    return found


def main(argv):
    if len(argv) < 3:
        print("usage: clang_tidy.py SOURCE_ROOT BUILD_ROOT [PATH-REGEX...]", file=sys.stderr)
        return 2
    src, build = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    only = [re.compile(r) for r in argv[3:]]
    name = "clang-tidy over src/ with .clang-tidy: no findings"
    print("1..1")
    tidy = os.environ.get("CLANG_TIDY") or shutil.which("clang-tidy")
    db = os.path.join(build, "compile_commands.json")
    if not tidy or not os.path.exists(db):
        print(f"not ok 1 - {name}")
        print(f"# {'clang-tidy is not installed (scripts/setup.sh installs it)' if not tidy else db + ' is missing'}")
        return 1
    with open(db, encoding="utf-8") as f:
        entries = json.load(f)
    srcdir = os.path.join(src, "src") + os.sep
    by_path = {}
    for e in entries:
        by_path.setdefault(os.path.normpath(os.path.join(e["directory"], e["file"])), e)
    files = [p for p in sorted(by_path) if p.startswith(srcdir) and p.endswith(".c")
             and (not only or any(r.search(p) for r in only))]
    jobs = int(os.environ.get("GL_TIDY_JOBS") or min(2, os.cpu_count() or 1))
    started = time.monotonic()
    cache = os.path.join(build, "clang-tidy-cache")
    use_cache = os.environ.get("GL_TIDY_CACHE", "on") != "off"
    keys, todo = {}, []
    if use_cache:
        os.makedirs(cache, exist_ok=True)
        common, deps_of = common_inputs(tidy, src), ninja_deps(build)
    for p in files:
        keys[p] = cache_key(common, deps_of, by_path[p], p) if use_cache else None
        if not (keys[p] and os.path.exists(os.path.join(cache, keys[p]))):
            todo.append(p)
    seen, report, slowest = set(), [], []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for path, out, err, code, secs in pool.map(lambda p: analyse(tidy, build, src, p), todo):
            slowest.append((secs, os.path.relpath(path, src)))
            found = findings_of(src, build, path, out, err, code)
            for key, text in found:
                if key not in seen:
                    seen.add(key)
                    report.append(text)
            if not found and keys[path]:
                open(os.path.join(cache, keys[path]), "w").close()
    if use_cache and not only:  # a full run: forget what no current file uses
        live = set(keys.values())
        for name in os.listdir(cache):
            if name not in live:
                os.unlink(os.path.join(cache, name))
    secs = time.monotonic() - started
    subset = f" (files matching {' '.join(argv[3:])})" if only else ""
    ok = not report and files
    print(f"{'ok' if ok else 'not ok'} 1 - {name}{subset}")
    if not files:
        print("# no C file of src/ in compile_commands.json")
    for text in report:
        for line in text:
            print(f"# {line}")
    slowest.sort(reverse=True)
    print(f"# {len(files)} files ({len(todo)} analysed, {len(files) - len(todo)} unchanged "
          f"since a clean analysis), {len(report)} findings, {secs:.0f} s with {jobs} jobs"
          + ("; slowest: " + ", ".join(f"{p} {s:.0f} s" for s, p in slowest[:3])
             if slowest else ""))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
