"""``memento doctor``: start a real sandbox and look at it from the inside."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from memento_tui.domain.config import SandboxConfig
from memento_tui.domain.doctor import CheckResult, check
from memento_tui.domain.errors import MementoError
from memento_tui.domain.sandbox.cgroups import memory_note
from memento_tui.domain.sandbox.profile import BASE_ENV
from memento_tui.domain.sandbox.runner import Sandbox
from memento_tui.domain.workspace import Workspace

# Runs inside the sandbox with plain sh, so it needs nothing but coreutils.
_SELF_TEST = r"""
grep -E '^(CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status
echo "IFACES: $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\n' ' ')"
if [ -e "$1" ]; then echo "HOME_VISIBLE: yes"; else echo "HOME_VISIBLE: no"; fi
echo "ENV: $(env | cut -d= -f1 | sort | tr '\n' ' ')"
"""

_EXPECTED_ENV = {*BASE_ENV, "PWD", "SHLVL", "_"}


def self_test(sandbox: Sandbox) -> list[str]:
    """Problems seen from inside a real sandbox; [] means it holds."""
    home = os.environ.get("HOME") or "/root"
    work = Path(tempfile.mkdtemp(prefix="memento-doctor-"))
    try:
        work.chmod(0o755)
        result = sandbox.run(["sh", "-c", _SELF_TEST, "self-test", home], work_dir=work, wall_seconds=20)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if result.exit_code != 0:
        return [f"the self-test did not run: {result.summary()}: {result.stderr.strip()[:300]}"]
    seen: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(":")
        seen[key.strip()] = value.strip()
    problems = []
    if seen.get("CapEff") != "0000000000000000":
        problems.append(f"capabilities not dropped (CapEff {seen.get('CapEff')})")
    if seen.get("NoNewPrivs") != "1":
        problems.append("no_new_privs is not set")
    if seen.get("IFACES", "").split() != ["lo"]:
        problems.append(f"network interfaces other than lo: {seen.get('IFACES')}")
    if seen.get("HOME_VISIBLE") != "no":
        problems.append(f"$HOME ({home}) is visible inside")
    extra = set(seen.get("ENV", "").split()) - _EXPECTED_ENV - set(sandbox.config.env)
    if extra:
        problems.append(f"environment not cleared: {', '.join(sorted(extra))}")
    return problems


@check(35)
def check_sandbox(workspace: Workspace | None) -> CheckResult:
    config = workspace.config.sandbox if workspace is not None else SandboxConfig()
    sandbox = Sandbox(config)
    try:
        how = sandbox.describe()
        problems = self_test(sandbox)
    except MementoError as err:
        return CheckResult("sandbox", "fail", err.message, err.fix or "")
    if problems:
        return CheckResult("sandbox", "fail", "; ".join(problems), "see docs/sandbox.md; report this as a bug")
    detail = f"starts; no capabilities, no_new_privs, only lo, $HOME hidden, env cleared ({how})"
    setup = sandbox.check()
    if not setup.seccomp:
        return CheckResult("sandbox", "warn", detail, "sudo apt-get install libseccomp2")
    note = memory_note(setup.cgroups)
    if note is not None:
        return CheckResult("sandbox", "warn", f"{detail}; {note}", "see docs/sandbox.md, Limits")
    if config.network and not Path("/usr/bin/python3").exists():
        return CheckResult(
            "sandbox",
            "warn",
            f"{detail}; skills granted network need /usr/bin/python3 for the bridge to the proxy",
            "sudo apt-get install python3",
        )
    return CheckResult("sandbox", "ok", detail)
