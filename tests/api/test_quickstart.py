"""The README's quick start, as a new user runs it: `make run` on a port other than 8080
(scripts/run-demo.sh with the arguments the Makefile passes), then, in another shell, the
README's commands verbatim, and also the export lines run-demo prints. Runs in a temporary
directory with `build` linked to the binary's directory, so the README's `build/greenlight`
and `var/...` paths hold and the checkout's own var/ is never touched."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from harness import Failure, Module, check, eq, sanitizer_env, sanitizer_findings, short

MODULE = Module("quickstart", server=False)
t = MODULE.test

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START_TIMEOUT_S = 30.0


def readme_block():
    """The indented command block that follows "in another terminal" in README.md."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if "in another terminal" in line:
            break
    else:
        raise Failure("README.md has no paragraph ending 'in another terminal:'")
    block, j = [], i + 1
    while j < len(lines) and not lines[j].strip():
        j += 1
    while j < len(lines) and (lines[j].startswith("    ") or not lines[j].strip()):
        if lines[j].strip():
            block.append(lines[j][4:])
        j += 1
    check(block, "README.md: no command block after 'in another terminal:'")
    return block


class Demo:
    """run-demo.sh as `make run LISTEN=...` starts it, in its own directory and session."""

    def __init__(self, binary, listen):
        self.tmp = tempfile.mkdtemp(prefix="gl-api-quickstart-")
        os.symlink(os.path.dirname(os.path.abspath(binary)), os.path.join(self.tmp, "build"))
        self.lines = []
        self.banner_done = threading.Event()
        self.proc = subprocess.Popen(
            ["bash", os.path.join(ROOT, "scripts", "run-demo.sh"), "build/greenlight",
             "var/greenlight.db", listen],
            cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=sanitizer_env(), start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if "Stop with Ctrl-C" in line:
                self.banner_done.set()

    def text(self):
        return "\n".join(self.lines)

    def wait_banner(self):
        if not self.banner_done.wait(START_TIMEOUT_S):
            raise Failure(f"run-demo.sh printed no banner within {START_TIMEOUT_S:.0f} s; "
                          f"stderr: {short(self.text(), 2000)}")

    def exports(self):
        return [ln.strip() for ln in self.lines if ln.strip().startswith("export ")]

    def shell(self, commands):
        """Runs the commands in a fresh bash in the demo directory, stopping at the first
        that fails; the environment has no GREENLIGHT_* of its own."""
        env = sanitizer_env()
        for k in ("GREENLIGHT_URL", "GREENLIGHT_TOKEN"):
            env.pop(k, None)
        script = "set -e\n" + "\n".join(commands) + "\n"
        p = subprocess.run(["bash", "-c", script], cwd=self.tmp, env=env, capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=60)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8",
                                                                                  "replace")

    def stop(self):
        """Ctrl-C as the terminal sends it: SIGINT to the whole process group."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            rc = self.proc.wait()
        self.reader.join(timeout=5)
        return rc

    def cleanup(self):
        if not os.environ.get("GL_KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)


def check_answers(rc, out, err, what):
    eq(rc, 0, f"{what}: exit status (stderr {short(err, 800)!r}; stdout {short(out, 400)!r})")
    check("CHG-000001" in out, f"{what}: `change list`/`change show` printed no CHG-000001: "
          f"{short(out, 800)}")
    check('"items"' in out, f"{what}: the curl line printed no change list (JSON with "
          f"\"items\"): {short(out[-800:], 800)}")
    found = sanitizer_findings(err)
    check(not found, f"{what}: the CLI reported {found}: {short(err, 1500)}")


@t("README quick start on a port picked at start (LISTEN=127.0.0.1:0): README commands "
   "verbatim and run-demo's printed exports both reach the server; Ctrl-C stops it cleanly")
def _(ctx):
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as f:
        check(re.search(r"^LISTEN\s*\?=\s*127\.0\.0\.1:8080\s*$", f.read(), re.M),
              "Makefile: LISTEN ?= 127.0.0.1:8080 is the port variable the README names")
    block = readme_block()
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        check("make run LISTEN=" in f.read(), "README.md never names make run's LISTEN variable")
    check(any(ln.startswith("export GREENLIGHT_URL=") for ln in block),
          f"README's commands do not export GREENLIGHT_URL: {block}")
    demo = Demo(ctx.binary, "127.0.0.1:0")
    try:
        demo.wait_banner()
        exports = demo.exports()
        urls = [ln for ln in exports if ln.startswith("export GREENLIGHT_URL=")]
        eq(len(urls), 1, f"run-demo prints one GREENLIGHT_URL export: {demo.text()!r}")
        check(re.fullmatch(r"export GREENLIGHT_URL=http://127\.0\.0\.1:\d+", urls[0])
              and not urls[0].endswith(":0"),
              f"the printed URL names the port the server bound, not 0: {urls[0]!r}")
        check(any(ln.startswith("export GREENLIGHT_TOKEN=") for ln in exports),
              f"run-demo prints the token export: {exports}")
        check_answers(*demo.shell(block), "README commands")
        rest = [ln for ln in block if not ln.startswith("export ")]
        check_answers(*demo.shell(exports + rest), "run-demo's exports + README commands")
    finally:
        rc = demo.stop()
        demo.cleanup()
    eq(rc, 0, f"exit status after Ctrl-C (stderr {short(demo.text()[-1500:], 1500)!r})")
    found = sanitizer_findings(demo.text())
    check(not found, f"server stderr contains {found}: {short(demo.text()[-3000:], 3000)}")
    check(any("shutting down" in ln for ln in demo.lines),
          f"the server's own last line came through: {short(demo.text()[-800:], 800)}")
