"""An extra seccomp layer, compiled with libseccomp through ctypes and handed to bwrap.

bwrap's namespaces and dropped capabilities are the sandbox; this filter closes the
kernel interfaces a script never needs and that keep showing up in escapes: keystroke
injection into a terminal (TIOCSTI/TIOCLINUX), io_uring, ptrace and cross-process memory
access, bpf, the kernel keyring, every mount call, unshare/setns, and AF_VSOCK sockets.
Denied calls fail with EPERM (programs cope with that) rather than killing the process.

It also refuses to make setuid or setgid files: every call that sets a mode (the chmod
family, and open, creat, mkdir and mknod with a mode) fails when the mode carries S_ISUID
or S_ISGID. A setid file in /work lives on the host's disk, where other users could run
it; the work dir is also swept for setid bits after the run (``handover``), as a second
layer. ``openat2`` passes its mode in a struct a filter cannot read, so it is refused with
ENOSYS, which makes programs fall back to ``openat``.

When libseccomp is not installed the layer is skipped, and doctor says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import platform
import threading
from functools import lru_cache

_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_CMP_EQ = 4
_SCMP_CMP_MASKED_EQ = 7

TIOCSTI = 0x5412
TIOCLINUX = 0x541C
AF_VSOCK = 40

DENIED_SYSCALLS = (
    # debugging and reading other processes' memory
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    # kernel attack surface a script has no use for
    "bpf",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "perf_event_open",
    "userfaultfd",
    "keyctl",
    "add_key",
    "request_key",
    # mounts and namespaces (bwrap has set them up already)
    "mount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    # host administration
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "open_by_handle_at",
    "name_to_handle_at",
    "quotactl",
    "lookup_dcookie",
    "vhangup",
)

# Calls that set a file mode, with the index of the mode argument.
MODE_SETTING = (
    ("chmod", 1),
    ("fchmod", 1),
    ("fchmodat", 2),
    ("fchmodat2", 2),
    ("creat", 1),
    ("open", 2),
    ("openat", 3),
    ("mkdir", 1),
    ("mkdirat", 2),
    ("mknod", 1),
    ("mknodat", 2),
)
SETID_BITS = (0o4000, 0o2000)  # S_ISUID, S_ISGID


class _ArgCmp(ctypes.Structure):
    _fields_ = (
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    )


def _errno_action(code: int) -> int:
    return 0x00050000 | (code & 0x0000FFFF)


@lru_cache(maxsize=1)
def _lib() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = (ctypes.c_uint32,)
    lib.seccomp_release.argtypes = (ctypes.c_void_p,)
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = (ctypes.c_char_p,)
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = (
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    )
    lib.seccomp_export_bpf.restype = ctypes.c_int
    lib.seccomp_export_bpf.argtypes = (ctypes.c_void_p, ctypes.c_int)
    return lib


_build_lock = threading.Lock()


@lru_cache(maxsize=1)
def filter_bytes() -> bytes | None:
    """The compiled BPF program for bwrap --seccomp, or None without libseccomp."""
    lib = _lib()
    if lib is None or platform.machine() not in ("x86_64", "aarch64"):
        return None
    with _build_lock:
        ctx = lib.seccomp_init(_SCMP_ACT_ALLOW)
        if not ctx:
            return None
        try:
            deny = _errno_action(errno.EPERM)
            for name in DENIED_SYSCALLS:
                nr = lib.seccomp_syscall_resolve_name(name.encode())
                if nr < 0:
                    continue  # not on this architecture or unknown to this libseccomp
                if lib.seccomp_rule_add_array(ctx, deny, nr, 0, None) != 0:
                    return None
            # ioctl's request is 32 bits wide in the kernel but 64 in the filter:
            # mask the high half, or 0x1_0000_5412 would slip past as "not TIOCSTI".
            ioctl = lib.seccomp_syscall_resolve_name(b"ioctl")
            for request in (TIOCSTI, TIOCLINUX):
                cmp = _ArgCmp(1, _SCMP_CMP_MASKED_EQ, 0xFFFFFFFF, request)
                if lib.seccomp_rule_add_array(ctx, deny, ioctl, 1, ctypes.byref(cmp)) != 0:
                    return None
            for name, index in MODE_SETTING:
                nr = lib.seccomp_syscall_resolve_name(name.encode())
                if nr < 0:
                    continue
                for bit in SETID_BITS:
                    cmp = _ArgCmp(index, _SCMP_CMP_MASKED_EQ, bit, bit)
                    if lib.seccomp_rule_add_array(ctx, deny, nr, 1, ctypes.byref(cmp)) != 0:
                        return None
            openat2 = lib.seccomp_syscall_resolve_name(b"openat2")
            if openat2 >= 0 and lib.seccomp_rule_add_array(ctx, _errno_action(errno.ENOSYS), openat2, 0, None) != 0:
                return None
            socket = lib.seccomp_syscall_resolve_name(b"socket")
            cmp = _ArgCmp(0, _SCMP_CMP_EQ, AF_VSOCK, 0)
            if lib.seccomp_rule_add_array(ctx, deny, socket, 1, ctypes.byref(cmp)) != 0:
                return None
            read_fd, write_fd = os.pipe()
            try:
                if lib.seccomp_export_bpf(ctx, write_fd) != 0:
                    return None
                os.close(write_fd)
                write_fd = -1
                chunks = []
                while chunk := os.read(read_fd, 65536):
                    chunks.append(chunk)
                return b"".join(chunks)
            finally:
                os.close(read_fd)
                if write_fd >= 0:
                    os.close(write_fd)
        finally:
            lib.seccomp_release(ctx)


def filter_fd() -> int | None:
    """A pipe holding the filter, for bwrap to read (the caller closes it after the spawn)."""
    program = filter_bytes()
    if program is None:
        return None
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, program)  # a few hundred bytes: fits in the pipe buffer
    finally:
        os.close(write_fd)
    return read_fd
