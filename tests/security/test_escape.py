"""Escape and privilege: hostile scripts that try to leave the sandbox or gain rights.

Each runs a real script through the real runner, asserts the safe outcome, and checks
that nothing outside the sandbox changed.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from memento_tui.domain.sandbox import Sandbox
from memento_tui.domain.sandbox.seccomp import filter_bytes
from tests.sandboxing import IS_ROOT, snapshot


def test_writing_the_skill_folder_fails_and_the_host_copy_is_untouched(
    sandbox: Sandbox, work: Path, skill_factory
) -> None:
    skill = skill_factory("victim", {"scripts/run.py": "print('original')\n"})
    before = snapshot(skill)
    script = r"""
for f in /skill/SKILL.md /skill/scripts/run.py /skill/new-file; do
  if echo 'pwned' > "$f" 2>/dev/null; then echo "WROTE $f"; fi
done
rm -f /skill/scripts/run.py 2>/dev/null && echo REMOVED
mkdir /skill/x 2>/dev/null && echo MKDIR
exit 0
"""
    result = sandbox.run(["sh", "-c", script], work_dir=work, skill_dir=skill)
    assert result.exit_code == 0
    assert "WROTE" not in result.stdout and "REMOVED" not in result.stdout
    assert "MKDIR" not in result.stdout
    assert snapshot(skill) == before


def test_remounting_the_skill_folder_read_write_fails(sandbox: Sandbox, work: Path, skill_factory) -> None:
    """A root caller without --cap-drop ALL could remount /skill rw; with it, no."""
    skill = skill_factory("victim")
    before = snapshot(skill)
    script = (
        "mount -o remount,rw /skill 2>&1 && echo REMOUNTED;"
        "mount -t tmpfs none /tmp 2>&1 && echo MOUNTED;"
        "echo pwned > /skill/SKILL.md 2>/dev/null && echo WROTE; exit 0"
    )
    result = sandbox.run(["sh", "-c", script], work_dir=work, skill_dir=skill)
    assert "REMOUNTED" not in result.stdout
    assert "MOUNTED" not in result.stdout
    assert "WROTE" not in result.stdout
    assert snapshot(skill) == before


def test_no_capabilities_and_no_new_privileges(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(["cat", "/proc/self/status"], work_dir=work)
    fields = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert fields[cap].strip() == "0" * 16, cap
    assert fields["NoNewPrivs"].strip() == "1"


def test_nested_user_namespace_is_refused(sandbox: Sandbox, work: Path) -> None:
    """unshare -Ur would hand the script a full set of capabilities in a new namespace."""
    result = sandbox.run(
        ["sh", "-c", "unshare -Ur id 2>&1 && echo NESTED; unshare -U true 2>&1 && echo NESTED2; exit 0"],
        work_dir=work,
    )
    assert "NESTED" not in result.stdout
    assert "uid=0" not in result.stdout or "NESTED" not in result.stdout


def test_option_injection_as_the_first_argument_stays_a_command(sandbox: Sandbox, work: Path, open_dir: Path) -> None:
    """Without '--', '--bind / /host' would be read by bwrap as options (CVE-2024-32462 class)."""
    secret = open_dir / "host-secret.txt"
    secret.write_text("TOP-SECRET-HOST-FILE")
    secret.chmod(0o644)
    result = sandbox.run(["--bind", "/", "/host", "cat", f"/host{secret}"], work_dir=work)
    assert result.exit_code != 0
    assert "TOP-SECRET" not in result.stdout + result.stderr
    probe = sandbox.run(["sh", "-c", "ls /host 2>&1; ls /"], work_dir=work)
    assert "host" not in probe.stdout.split()


def test_kernel_settings_cannot_be_written(sandbox: Sandbox, work: Path) -> None:
    """A uid-0 sandbox must not reach core_pattern (a host root shell) or sysrq."""
    core = Path("/proc/sys/kernel/core_pattern").read_text()
    script = (
        "echo '|/work/evil' > /proc/sys/kernel/core_pattern 2>/dev/null && echo CORE;"
        "echo h > /proc/sysrq-trigger 2>/dev/null && echo SYSRQ;"
        "echo 1 > /proc/sys/vm/drop_caches 2>/dev/null && echo CACHES; exit 0"
    )
    result = sandbox.run(["sh", "-c", script], work_dir=work)
    assert result.stdout.strip() == ""
    assert Path("/proc/sys/kernel/core_pattern").read_text() == core


def test_host_processes_are_invisible_and_unkillable(sandbox: Sandbox, work: Path) -> None:
    victim = subprocess.Popen(["sleep", "30"])
    try:
        script = f"kill -9 {victim.pid} 2>&1 && echo KILLED; ls /proc | grep -c '^[0-9]'"
        result = sandbox.run(["sh", "-c", script], work_dir=work)
        assert "KILLED" not in result.stdout
        assert int(result.stdout.split()[-1]) < 10  # only the sandbox's own few processes
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_host_password_hashes_are_not_there(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(
        ["sh", "-c", "cat /etc/shadow /etc/passwd /root/.bashrc 2>&1; ls /etc; ls /home 2>&1"],
        work_dir=work,
    )
    assert "root:" not in result.stdout
    assert "shadow" not in result.stdout.split()


SETID_ATTEMPTS = {
    "chmod": "cp /bin/sh x && chmod 4755 x",
    "chmod g+s": "cp /bin/sh x && chmod g+s x",
    "install -m": "install -m 4755 /bin/sh x",
    "cp --preserve": "cp /bin/sh y && chmod 755 y && cp --preserve=mode y x; chmod u+s x",
    "open O_CREAT": "python3 -c \"import os; os.close(os.open('x', os.O_CREAT | os.O_WRONLY, 0o4755))\"",
    "mkdir setgid": "mkdir -m 2775 x",
    "chmod dir": "mkdir x && chmod 2775 x",
    "tar": "mkdir t && cp /bin/sh t/x && tar --mode=4755 -cf a.tar -C t x && tar -xpf a.tar",
    "python fchmod": "python3 -c \"import os; f=os.open('x', os.O_CREAT|os.O_WRONLY, 0o755); os.fchmod(f, 0o6755)\"",
}


@pytest.mark.parametrize("how", sorted(SETID_ATTEMPTS))
def test_no_setuid_or_setgid_file_can_be_made(sandbox: Sandbox, work: Path, how: str) -> None:
    """A setid file in /work lives on the host's disk, where any local user could run it
    while the command runs; the filter refuses the bit, and the walk afterwards clears any."""
    seen_inside: list[str] = []

    def watch(stream: str, text: str) -> None:
        seen_inside.append(text)

    script = SETID_ATTEMPTS[how] + "; find . -perm /6000 -printf 'SETID %p\\n'; echo end"
    result = sandbox.run(["sh", "-c", script], work_dir=work, on_output=watch)
    assert "SETID" not in result.stdout, (how, result.stdout, result.stderr)
    for path in [work, *work.rglob("*")]:
        assert not path.lstat().st_mode & (stat.S_ISUID | stat.S_ISGID), path
        assert path.lstat().st_uid == os.getuid()


def test_setid_bits_are_cleared_at_any_depth(sandbox: Sandbox, work: Path) -> None:
    """The walk after the run is iterative: a 1,100-deep tree used to raise RecursionError
    and leave what was in it (os.fwalk recurses)."""
    script = "python3 -c \"import os\nfor _ in range(1100): os.mkdir('d'); os.chdir('d')\nopen('f','w')\""
    result = sandbox.run(["sh", "-c", script], work_dir=work)
    assert result.exit_code == 0, result.stderr
    fd = os.open(work, os.O_RDONLY)
    try:
        for _ in range(1100):
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        st = os.stat("f", dir_fd=fd)
    finally:
        os.close(fd)
    assert st.st_uid == os.getuid()
    from memento_tui.domain.tree import remove_tree

    remove_tree(work / "d")


def test_device_nodes_cannot_be_made(sandbox: Sandbox, work: Path) -> None:
    result = sandbox.run(
        ["sh", "-c", "mknod /work/disk b 8 0 2>&1 && echo MADE; mknod /tmp/mem c 1 1 2>&1 && echo MADE2; exit 0"],
        work_dir=work,
    )
    assert "MADE" not in result.stdout
    assert not (work / "disk").exists()


def test_dev_is_read_only_and_dev_shm_is_bounded(limited, work: Path) -> None:
    """/dev is a tmpfs with no size limit: writing there would fill host memory."""
    box = limited(tmp_size_mb=2)
    script = (
        "touch /dev/evil 2>/dev/null && echo DEV_WRITABLE;"
        "head -c 10000000 /dev/zero > /dev/shm/fill 2>/dev/null; wc -c < /dev/shm/fill;"
        "head -c 10000000 /dev/zero > /tmp/fill 2>/dev/null; wc -c < /tmp/fill"
    )
    result = box.run(["sh", "-c", script], work_dir=work)
    assert "DEV_WRITABLE" not in result.stdout
    sizes = [int(x) for x in result.stdout.split()]
    assert sizes and all(size <= 2 * 1024 * 1024 for size in sizes)


@pytest.mark.skipif(filter_bytes() is None, reason="libseccomp is not installed")
def test_tiocsti_keystroke_injection_is_blocked(sandbox: Sandbox, work: Path, skill_factory) -> None:
    """A session leader with its own terminal could push keystrokes with TIOCSTI; the
    filter denies it, also with the high bits of the request set (seccomp sees 64 bits)."""
    skill = skill_factory(
        "tty",
        {
            "scripts/inject.py": r"""
        import ctypes, fcntl, os, termios
        libc = ctypes.CDLL(None, use_errno=True)
        os.setsid()
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        for request in (0x5412, 0x100005412):
            ch = ctypes.c_char(b"x")
            rc = libc.syscall(16, slave, ctypes.c_ulong(request), ctypes.byref(ch))
            print("INJECTED" if rc == 0 else "denied", hex(request), os.strerror(ctypes.get_errno()))
        for fd in (0, 1, 2):
            try:
                fcntl.ioctl(fd, termios.TIOCSTI, b"x")
                print("INJECTED-STD", fd)
            except OSError:
                pass
        """
        },
    )
    result = sandbox.run(["python3", "/skill/scripts/inject.py"], work_dir=work, skill_dir=skill)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("denied") == 2
    assert "INJECTED" not in result.stdout


@pytest.mark.skipif(filter_bytes() is None, reason="libseccomp is not installed")
def test_ptrace_bpf_keyring_and_io_uring_are_denied(sandbox: Sandbox, work: Path, skill_factory) -> None:
    skill = skill_factory(
        "kernel",
        {
            "scripts/probe.py": r"""
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        calls = {"ptrace": (101, 0, 0, 0, 0), "bpf": (321, 0, 0, 0),
                 "keyctl": (250, 0, 0, 0, 0), "io_uring_setup": (425, 1, 0),
                 "unshare": (272, 0x10000000), "process_vm_readv": (310, 1, 0, 0, 0, 0, 0)}
        for name, (nr, *args) in calls.items():
            rc = libc.syscall(nr, *[ctypes.c_long(a) for a in args])
            print(name, rc, ctypes.get_errno())
        """
        },
    )
    result = sandbox.run(["python3", "/skill/scripts/probe.py"], work_dir=work, skill_dir=skill)
    assert result.exit_code == 0, result.stderr
    for line in result.stdout.splitlines():
        _name, rc, err = line.split()
        assert rc == "-1" and int(err) == 1, line  # EPERM from the filter


@pytest.mark.skipif(not IS_ROOT, reason="the uid guard is a root-only strategy")
def test_hardlink_to_a_host_file_in_the_work_dir_never_changes_owner(open_dir: Path) -> None:
    """Under root the uid guard hands the work dir to uid 65534. A hardlink planted there
    to a root-only host file must not be chowned with it (that would give the file away)."""
    from tests.sandboxing import make_sandbox

    box = make_sandbox(process_guard="uid")
    secret = open_dir / "shadow-like"
    secret.write_text("ROOT-ONLY-SECRET")
    secret.chmod(0o600)
    work = open_dir / "work"
    work.mkdir(mode=0o755)
    os.link(secret, work / "innocent.txt")
    os.symlink(secret, work / "link.txt")
    result = box.run(["sh", "-c", "cat innocent.txt link.txt 2>&1; id -u"], work_dir=work)
    assert "ROOT-ONLY-SECRET" not in result.stdout
    st = secret.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o600)
