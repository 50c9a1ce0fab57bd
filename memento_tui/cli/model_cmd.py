"""``memento model serve``: the local model's llama.cpp server, standalone, for other tools."""

from __future__ import annotations

import argparse
import time

from memento_tui.cli.main import EXIT_ERROR, EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("model", help="the local model: serve it for other tools")
    actions = p.add_subparsers(dest="model_command", metavar="ACTION")
    serve = actions.add_parser(
        "serve",
        help="run the local model's OpenAI-compatible server in the foreground (Ctrl-C stops it)",
    )
    serve.add_argument(
        "--model",
        default="local",
        help='"local" (the bundled SmolLM2 GGUF, the default) or "local:/path/model.gguf"',
    )
    serve.add_argument("--port", type=int, help="port on 127.0.0.1 (default: a free one)")
    serve.add_argument("--ctx", type=int, help="context size in tokens (default: 8192)")
    serve.set_defaults(handler=cmd_serve)
    p.set_defaults(handler=lambda args: p.print_help() or EXIT_ERROR)


def cmd_serve(args: argparse.Namespace) -> int:
    from memento_tui.domain.llm import ModelError
    from memento_tui.domain.llm.local import DEFAULT_CTX, LocalServer, is_local, resolve_gguf

    name = args.model if is_local(args.model) else f"local:{args.model}"
    if args.port is not None and not 0 < args.port < 65536:
        raise ModelError(f"--port {args.port} is not a port", kind="bad_request", fix="use 1-65535")
    server = LocalServer(resolve_gguf(name), port=args.port, n_ctx=args.ctx or DEFAULT_CTX)
    try:
        info = server.ensure_started()
        print(f'llama.cpp is serving {server.gguf.name} at {info.url} (model "local")')
        print(f"started in {info.started_in:.1f} s · log {server.log_path} · Ctrl-C stops it")
        print()
        print("For another memento workspace, in .memento/config.toml:")
        print("  [model]")
        print('  name = "openai/local"')
        print(f'  api_base = "{info.url}"')
        print('  tool_calling = "json"')
        print(f'Any OpenAI client: base URL {info.url}, model "local", any API key.', flush=True)
        while server.running:
            time.sleep(0.5)
        from memento_tui.domain.skills.hidden_text import terminal_safe

        print(f"memento: the server stopped by itself; last lines:\n{terminal_safe(server.log_tail())}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("\nstopping the server")
        return EXIT_OK
    finally:
        server.close()
