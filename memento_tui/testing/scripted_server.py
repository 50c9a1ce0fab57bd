"""A scripted OpenAI-compatible chat server on 127.0.0.1.

Tests and benchmarks drive the real agent through litellm's real code path to this
server. Each request to ``/v1/chat/completions`` takes the next step of the script:

    ScriptedServer([
        say("Let me look."),
        call("load_skill", name="csv-json"),
        call("run", command="python3 /skill/scripts/convert.py in.csv -o out.json"),
        call("finish", answer="done"),
    ])

A step may also be ``fail(500)`` (an HTTP error), ``garbage()`` (a body that is not
JSON), or any callable ``(request_json) -> step``. When the script runs out, the server
answers with HTTP 500 and a clear message, so a test that under-scripts fails loudly.

``ScriptedServer(refuse_tools=VLLM_NO_TOOLS)`` plays a server without tool support: a
request that carries ``tools`` gets HTTP 400 with that message (and takes no step).
``refuse_response_format=NO_RESPONSE_FORMAT`` does the same for structured output.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Step:
    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    raw_body: bytes | None = None
    prompt_tokens: int = 50
    completion_tokens: int = 10
    delay: float = 0.0


Scripted = Step | Callable[[dict[str, Any]], Step]

# What real servers say when they cannot take tool calls.
VLLM_NO_TOOLS = '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
LLAMA_CPP_NO_TOOLS = "tools param requires --jinja flag"
OLLAMA_NO_TOOLS = "registry.ollama.ai/library/gemma:2b does not support tools"
NO_RESPONSE_FORMAT = "response_format is not supported by this server"


def say(text: str, **kw: Any) -> Step:
    return Step(content=text, **kw)


def call(tool: str, /, **arguments: Any) -> Step:
    """A reply that calls one tool; ``arguments`` are the tool's own (``name=`` included)."""
    return Step(tool_calls=[{"name": tool, "arguments": arguments}])


def say_and_call(text: str, tool: str, /, **arguments: Any) -> Step:
    return Step(content=text, tool_calls=[{"name": tool, "arguments": arguments}])


def calls(*pairs: tuple[str, dict[str, Any]]) -> Step:
    return Step(tool_calls=[{"name": n, "arguments": a} for n, a in pairs])


def json_action(tool: str, /, **arguments: Any) -> Step:
    """A reply in the JSON action protocol, for models without native tool calls."""
    return Step(content=json.dumps({"tool": tool, "arguments": arguments}))


def fail(status: int = 500, message: str = "scripted failure") -> Step:
    return Step(status=status, content=message)


def garbage() -> Step:
    return Step(raw_body=b"<html>not json</html>")


class ScriptedServer:
    """Serve a script of replies; record every request. Use as a context manager."""

    def __init__(
        self,
        script: Iterable[Scripted] = (),
        *,
        repeat_last: bool = False,
        refuse_tools: str = "",
        refuse_response_format: str = "",
    ) -> None:
        self.script: list[Scripted] = list(script)
        self.refuse_tools = refuse_tools
        self.refuse_response_format = refuse_response_format
        self.requests: list[dict[str, Any]] = []
        # The headers of every request, lower-cased names: tests check which key was sent.
        self.headers: list[dict[str, str]] = []
        self.repeat_last = repeat_last
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> ScriptedServer:
        handler = type("Handler", (_Handler,), {"scripted": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script ------------------------------------------------------------------
    def add(self, *steps: Scripted) -> None:
        with self._lock:
            self.script.extend(steps)

    @property
    def remaining(self) -> int:
        return len(self.script)

    @property
    def authorizations(self) -> list[str]:
        """The Authorization header of each request ('' where there was none)."""
        with self._lock:
            return [h.get("authorization", "") for h in self.headers]

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            if self.refuse_tools and body.get("tools"):
                return fail(400, self.refuse_tools)
            if self.refuse_response_format and body.get("response_format"):
                return fail(400, self.refuse_response_format)
            if not self.script:
                return fail(500, "the scripted server ran out of script")
            item = self.script[0] if (self.repeat_last and len(self.script) == 1) else self.script.pop(0)
        return item(body) if callable(item) else item


def _tool_call_payload(step: Step) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": {"name": tc["name"], "arguments": json.dumps(tc["arguments"])},
        }
        for tc in step.tool_calls
    ]


def _usage(step: Step) -> dict[str, int]:
    return {
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
        "total_tokens": step.prompt_tokens + step.completion_tokens,
    }


def _completion(step: Step, body: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": step.content or None}
    if step.tool_calls:
        message["tool_calls"] = _tool_call_payload(step)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if step.tool_calls else "stop",
            }
        ],
        "usage": _usage(step),
    }


def _chunks(step: Step, body: dict[str, Any]) -> Iterable[dict[str, Any]]:
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "scripted"),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    text = step.content
    for i in range(0, len(text), 16):  # several small deltas, like a real server
        yield chunk({"content": text[i : i + 16]})
    for index, tc in enumerate(_tool_call_payload(step)):
        args = tc["function"]["arguments"]
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": index,
                        "id": tc["id"],
                        "type": "function",
                        "function": {"name": tc["function"]["name"], "arguments": ""},
                    }
                ]
            }
        )
        for i in range(0, len(args), 24):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": args[i : i + 24]}}]})
    yield chunk({}, "tool_calls" if step.tool_calls else "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(step)}


class _Handler(BaseHTTPRequestHandler):
    """Answers as an OpenAI-compatible server would, from the script of ``scripted``."""

    scripted: ScriptedServer  # set on the subclass each server makes
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        with self.scripted._lock:
            self.scripted.headers.append({k.lower(): v for k, v in self.headers.items()})
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": f"no route {self.path}"}})
            return
        step = self.scripted._next(body)
        if step.delay:
            time.sleep(step.delay)
        if step.raw_body is not None:
            self._send(200, "application/json", step.raw_body)
        elif step.status != 200:
            self._send_json(
                step.status,
                {
                    "error": {
                        "message": step.content,
                        "type": "scripted",
                        "code": step.status,
                    }
                },
            )
        elif body.get("stream"):
            self._stream(step, body)
        else:
            self._send_json(200, _completion(step, body))

    def _send(self, status: int, ctype: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, "application/json", json.dumps(payload).encode())

    def _stream(self, step: Step, body: dict[str, Any]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("connection", "close")
        self.end_headers()
        for chunk in _chunks(step, body):
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True
