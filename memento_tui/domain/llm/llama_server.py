"""The child process memento starts for ``model = "local"``: llama.cpp's OpenAI-compatible
server (``llama_cpp.server``), run unchanged but for two guards.

Run as a script (``python -P llama_server.py --model ... --port ...``), never imported by
memento itself, so the parent pays nothing for llama_cpp.

1. It dies with memento. ``PR_SET_PDEATHSIG`` makes the kernel kill it when the thread
   that started it ends, even if memento is killed with SIGKILL; the parent pid passed in
   ``MEMENTO_PARENT_PID`` closes the race where memento died before this line ran.
2. On CPUs with AMX, llama.cpp repacks weights into an AMX buffer whose matrix kernel
   crashes with a general protection fault in ``ggml_backend_amx_mul_mat`` on some
   machines (ggml-org/llama.cpp#20824; seen here on the first request). Turning off the
   extra buffer types keeps weights in plain CPU buffers, which is all a small model needs.
"""

from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys
from typing import Any

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    expected = os.environ.pop("MEMENTO_PARENT_PID", "")
    if not sys.platform.startswith("linux") or not expected:
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != int(expected):
        os._exit(1)  # memento is already gone


def _cpu_has_amx() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return "amx_int8" in line.split() or "amx_tile" in line.split()
    except OSError:
        pass
    return False


def _no_extra_buffers() -> None:
    import llama_cpp.llama_cpp as native

    defaults = native.llama_model_default_params

    def params() -> Any:
        value = defaults()
        if hasattr(value, "use_extra_bufts"):
            value.use_extra_bufts = False
        return value

    native.llama_model_default_params = params


def main() -> None:
    _die_with_parent()
    if os.environ.get("MEMENTO_LLAMA_EXTRA_BUFFERS") != "1" and _cpu_has_amx():
        _no_extra_buffers()
    sys.argv[0] = "llama_cpp.server"
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
