#!/usr/bin/env python3
"""
run.py - Greenlight's black-box API and CLI test suite.

    python3 tests/api/run.py /path/to/build/greenlight [NAME-SUBSTRING...]

Starts one `greenlight serve` per test module (fresh database in a temporary directory),
runs the module's cases against it and prints TAP on stdout: "1..N", then "ok K - name" or
"not ok K - name" with "# ..." diagnostics. After each module the server is stopped with
SIGTERM and one more case checks that it exited 0 without sanitizer reports. Exits 1 when any
case failed. Optional NAME-SUBSTRING arguments run only the matching cases (for debugging).
Set GL_KEEP_TMP=1 to keep the temporary directories.
"""

import os
import subprocess
import sys
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import test_approvals  # noqa: E402
import test_audit  # noqa: E402
import test_auth  # noqa: E402
import test_authz  # noqa: E402
import test_bad_input  # noqa: E402
import test_changes  # noqa: E402
import test_cli  # noqa: E402
import test_clients_cis  # noqa: E402
import test_documents  # noqa: E402
import test_graph  # noqa: E402
import test_hardening  # noqa: E402
import test_import  # noqa: E402
import test_lifecycle  # noqa: E402
import test_login  # noqa: E402
import test_serve  # noqa: E402
import test_report  # noqa: E402
import test_ci_attrs  # noqa: E402
import test_policy_rules  # noqa: E402
import test_risk  # noqa: E402
import test_calendar  # noqa: E402
import test_reapproval  # noqa: E402
import test_quickstart  # noqa: E402

MODULES = [test_auth, test_authz, test_clients_cis, test_changes, test_lifecycle, test_bad_input,
           test_cli, test_serve, test_audit, test_login, test_hardening, test_graph,
           test_import, test_documents, test_report, test_risk, test_ci_attrs, test_calendar,
           test_approvals, test_policy_rules, test_reapproval, test_quickstart]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, name, diag=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}")
        for block in diag:
            for line in str(block).splitlines() or [""]:
                print(f"# {line}")
        sys.stdout.flush()


def main(argv):
    if len(argv) < 2:
        print("usage: run.py /path/to/greenlight [NAME-SUBSTRING...]", file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    only = [s.lower() for s in argv[2:]]

    plan = []
    for m in MODULES:
        mod = m.MODULE
        cases = [(n, f) for n, f in mod.cases
                 if not only or any(s in f"{mod.name}: {n}".lower() for s in only)]
        if cases:
            plan.append((mod, cases))
    total = sum(len(c) + (1 if mod.server else 0) for mod, c in plan)
    print(f"1..{total}")
    sys.stdout.flush()

    tap = Tap()
    if not os.access(binary, os.X_OK):
        for mod, cases in plan:
            for name, _ in cases:
                tap.result(False, f"{mod.name}: {name}", [f"binary {binary} is not executable"])
            if mod.server:
                tap.result(False, f"{mod.name}: server stops on SIGTERM with exit 0 and no "
                                  "sanitizer report", ["not started"])
        return 1

    t_start = time.monotonic()
    for mod, cases in plan:
        server = harness.Server(binary, mod.name) if mod.server else None
        start_error = None
        if server is not None:
            try:
                server.start()
            except Exception as e:  # noqa: BLE001 - reported as TAP
                start_error = f"server did not start: {e}"
        ctx = harness.Context(binary, server, mod) if server is not None and not start_error \
            else None
        if server is None:
            ctx = harness.Context(binary, harness.Server(binary, mod.name), mod)
        for name, fn in cases:
            full = f"{mod.name}: {name}"
            if start_error:
                tap.result(False, full, [start_error])
                continue
            ctx.log.clear()
            t0 = time.monotonic()
            try:
                fn(ctx)
                ok, diag = True, []
            except harness.Failure as e:
                ok, diag = False, [str(e)]
            except Exception:  # noqa: BLE001 - a broken test is a failed test
                ok, diag = False, [traceback.format_exc()]
            if not ok and ctx.log:
                diag.append("requests of this case (last 8):")
                diag.extend("  " + line for line in ctx.log[-8:])
            if server is not None and server.alive() and any(
                    "no response" in line or "connect failed" in line for line in ctx.log):
                try:  # a request went unanswered: give a dying process a moment to be reaped
                    server.proc.wait(timeout=1.0)
                except subprocess.TimeoutExpired:
                    pass
            if server is not None and not server.alive():
                rc = server.proc.returncode
                diag.append(f"SERVER DIED during this case (exit code {rc}); stderr tail:")
                diag.append(harness.short(server.stderr_text()[-3000:], 3000))
                ok = False
                try:
                    server.restart_after_crash()
                    ctx.refresh()
                except Exception as e:  # noqa: BLE001
                    start_error = f"server could not be restarted after a crash: {e}"
            dt = time.monotonic() - t0
            if dt > 5:
                diag.append(f"slow case: {dt:.1f} s")
            tap.result(ok, full, diag)

        if server is not None:
            name = f"{mod.name}: server stops on SIGTERM with exit 0 and no sanitizer report"
            if start_error and not server.alive():
                rc, err = server.stop()
                tap.result(False, name, [start_error, harness.short(err, 3000)])
            else:
                rc, err = server.stop()
                diag = []
                if rc is None:
                    diag.append(f"did not exit within {harness.STOP_TIMEOUT_S:.0f} s of SIGTERM "
                                "(killed)")
                elif rc != 0:
                    diag.append(f"exit code {rc} (expected 0)")
                found = harness.sanitizer_findings(err)
                if found:
                    diag.append(f"stderr contains {found}:")
                    diag.append(err[-4000:])
                for crc, cerr in server.incidents:
                    diag.append(f"server crashed earlier with exit code {crc}; stderr tail:")
                    diag.append(cerr[-3000:])
                    for m in harness.sanitizer_findings(cerr):
                        diag.append(f"  (crash stderr contains {m})")
                tap.result(not diag, name, diag)
            server.cleanup()
        elif ctx is not None:
            ctx.server.cleanup()

    print(f"# {tap.n - tap.failed}/{tap.n} passed in {time.monotonic() - t_start:.1f} s")
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
