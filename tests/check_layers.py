#!/usr/bin/env python3
"""
check_layers.py - the include rules between Greenlight's layers, checked on the sources.

    python3 tests/check_layers.py SRC_DIR

Prints TAP, one case per rule, with the offending lines as "# file:line: ..." diagnostics.

The rules (docs: DESIGN.md, STYLE.md "the domain core is pure"):
  codec   may include codec/, core/ and util/ headers only: it depends on core types, never
          on the store, HTTP, the CLI or the calendar adapter (cal/, libical), and it links
          no backend library (SQLite, libcurl, libmicrohttpd).
  core    (with util/, which is linked into the same library) may include core/ and util/
          headers only, and does no I/O and reads no clock:
          - no I/O header: <unistd.h>, <fcntl.h>, <sys/...>, sockets, <dirent.h>, <poll.h>,
            <time.h> (the clock and zoneinfo), and no adapter library: SQLite, libcurl,
            libmicrohttpd, libical, jansson or libcsv (wire formats are the codec's);
          - <stdio.h> is allowed, because the core formats into memory with snprintf and
            vsnprintf; every other stdio.h function and FILE, stdin, stdout, stderr are
            refused, and so are calls that read the clock, the environment or the OS's
            entropy source (time, clock_gettime, getenv, randombytes_*). libsodium itself
            is allowed: the audit chain hashes with it, which is computation, not I/O.
Comments and string literals are ignored, so a comment may name what it likes.
"""

import os
import re
import sys

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)

CODEC_ALLOWED = ("codec/", "core/", "util/")
PURE_ALLOWED = ("core/", "util/")
BACKEND_LIBS = ("sqlite3.h", "curl/", "microhttpd.h")
PURE_SYSTEM_REFUSED = (
    "unistd.h", "fcntl.h", "sys/", "netinet/", "arpa/", "netdb.h", "dirent.h", "poll.h",
    "termios.h", "syslog.h", "time.h", "sqlite3.h", "curl/", "microhttpd.h",
    "libical/", "jansson.h", "csv.h",
)
# stdio.h beyond formatting into memory, the clock, the environment, entropy: names used as
# identifiers, and functions when called.
PURE_NAMES_REFUSED = re.compile(r"(?<![\w.>])(FILE|stdin|stdout|stderr)\b")
PURE_CALLS_REFUSED = re.compile(
    r"(?<![\w.>])("
    r"fopen|fdopen|freopen|fclose|fflush|fread|fwrite|fgets|fgetc|fputs|fputc|getc|putc|"
    r"getchar|putchar|puts|printf|fprintf|vprintf|vfprintf|dprintf|scanf|fscanf|vfscanf|"
    r"perror|remove|rename|tmpfile|tmpnam|fseek|ftell|rewind|setvbuf|popen|pclose|"
    r"time|clock|clock_gettime|gettimeofday|localtime_r|mktime|tzset|"
    r"getenv|secure_getenv|setenv|system|randombytes_\w+"
    r")\s*\("
)


def strip_comments_and_strings(text):
    """Blanks comments and string/char literals, keeping newlines (line numbers hold)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            # An #include "..." keeps its quotes: the include check reads the raw text.
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + text[j - 1:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def sources(src, layer):
    d = os.path.join(src, layer)
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith((".c", ".h")))


def read(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    return raw, strip_comments_and_strings(raw)


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def includes(path):
    raw, code = read(path)
    # Includes are read from the raw text at the positions the stripped text still has one.
    for m in INCLUDE.finditer(code):
        real = INCLUDE.match(raw, m.start())
        if real:
            yield line_of(raw, m.start()), real.group(1), real.group(2)


def check_codec(src):
    bad = []
    for p in sources(src, "codec"):
        for ln, kind, name in includes(p):
            if kind == '"' and not name.startswith(CODEC_ALLOWED):
                bad.append(f"{p}:{ln}: includes \"{name}\" (codec: codec/, core/, util/ only)")
            elif kind == "<" and name.startswith(BACKEND_LIBS):
                bad.append(f"{p}:{ln}: includes <{name}> (a backend library)")
    return bad


def pure_files(src):
    return sources(src, "core") + sources(src, "util")


def check_pure_quoted(src):
    bad = []
    for p in pure_files(src):
        for ln, kind, name in includes(p):
            if kind == '"' and not name.startswith(PURE_ALLOWED):
                bad.append(f"{p}:{ln}: includes \"{name}\" (core: core/ and util/ only)")
    return bad


def check_pure_system(src):
    bad = []
    for p in pure_files(src):
        for ln, kind, name in includes(p):
            if kind == "<" and name.startswith(PURE_SYSTEM_REFUSED):
                bad.append(f"{p}:{ln}: includes <{name}> (core does no I/O)")
    return bad


def check_pure_calls(src):
    bad = []
    for p in pure_files(src):
        _, code = read(p)
        lines = code.splitlines()
        for rx in (PURE_NAMES_REFUSED, PURE_CALLS_REFUSED):
            for m in rx.finditer(code):
                ln = line_of(code, m.start())
                bad.append(f"{p}:{ln}: uses {m.group(1)}: {lines[ln - 1].strip()}")
    return bad


CASES = [
    ("codec includes only codec/, core/ and util/ headers and no backend library", "codec",
     check_codec),
    ("core and util include only core/ and util/ headers", "core", check_pure_quoted),
    ("core and util include no I/O, clock or adapter-library header", "core",
     check_pure_system),
    ("core and util call no I/O, clock, environment or entropy function (stdio.h: snprintf "
     "only)", "core", check_pure_calls),
]


def main(argv):
    src = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    print(f"1..{len(CASES)}")
    failed = 0
    for k, (name, layer, fn) in enumerate(CASES, 1):
        if not sources(src, layer):
            bad = [f"no sources found under {os.path.join(src, layer)}"]
        else:
            bad = fn(src)
        print(f"{'not ok' if bad else 'ok'} {k} - {name}")
        for b in bad:
            print(f"# {b}")
        failed += bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
