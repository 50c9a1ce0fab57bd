"""The local model's set-up paths that need no model: naming a GGUF, a missing extra, the
first-run advice, and the schema shape llama-cpp-python's server wants. Fast; they run
whether or not the [local] extra is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.config import ModelConfig
from memento_tui.domain.llm import ModelClient, ModelError, local
from memento_tui.domain.llm.first_run import no_model_lines
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.testing.scripted_server import ScriptedServer, Step, fail, json_action
from tests.conftest import configure_model


def _no_runs(workspace: Workspace) -> bool:
    runs = workspace.paths.runs
    return not runs.exists() or not any(runs.iterdir())


def test_local_names() -> None:
    assert local.is_local("local")
    assert local.is_local("local:/models/x.gguf")
    assert not local.is_local("ollama/local")
    assert not local.is_local("localhost/model")


def test_a_gguf_path_that_does_not_exist_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelError) as caught:
        local.resolve_gguf(f"local:{missing}")
    assert caught.value.kind == "not_found"
    assert str(missing) in caught.value.message
    assert "local:" in (caught.value.fix or "")
    with pytest.raises(ModelError, match="names no file"):
        local.resolve_gguf("local:")


def test_a_gguf_path_is_taken_as_given(tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    assert local.resolve_gguf(f"local:{gguf}") == gguf


def test_without_the_extra_the_error_says_how_to_install(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(local, "server_installed", lambda: False)
    code = main(["-C", str(workspace.root), "run", "anything", "--model", "local", "--no-learn"])
    err = capsys.readouterr().err
    assert code == 2
    assert "pip install 'memento-tui[local]'" in err
    assert "scripts/setup --local" in err
    assert _no_runs(workspace)


def test_the_missing_extra_is_not_configured_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local.importlib.metadata, "files", _no_package)
    with pytest.raises(ModelError) as caught:
        local.bundled_gguf()
    assert caught.value.kind == "not_configured"
    assert "memento-tui[local]" in (caught.value.fix or "")


def _no_package(name: str) -> None:
    raise local.importlib.metadata.PackageNotFoundError(name)


def test_first_run_offers_the_local_model_when_installed() -> None:
    lines = no_model_lines("ws/.memento/config.toml", environ={}, local_ready=True)
    text = "\n".join(lines)
    assert "--model local" in text
    assert 'name = "local"' in text and "ws/.memento/config.toml" in text
    assert "ollama/" in text and "api_base" in text and "api_key_env" in text
    assert len(lines) <= 10


def test_first_run_says_how_to_install_when_not() -> None:
    text = "\n".join(no_model_lines(environ={}, local_ready=False))
    assert "pip install 'memento-tui[local]'" in text and "scripts/setup --local" in text
    assert "ollama/" in text and "api_base" in text and "api_key_env" in text


def test_first_run_names_a_key_that_is_already_set() -> None:
    text = "\n".join(no_model_lines(environ={"ANTHROPIC_API_KEY": "x"}, local_ready=False))
    assert 'api_key_env = "ANTHROPIC_API_KEY"' in text
    assert "--model anthropic/" in text
    assert "x" not in text.replace("ANTHROPIC_API_KEY", "").replace("--model", "").split()


def test_memento_run_with_no_model_prints_the_advice(workspace: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["-C", str(workspace.root), "run", "count words", "--no-learn"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("No model is configured.")
    assert str(workspace.paths.config) in err
    assert _no_runs(workspace)  # nothing ran, nothing recorded


def test_services_build_a_local_client_and_check_the_file_first(workspace: Workspace, tmp_path: Path) -> None:
    services = make_services(workspace)
    services.workspace.config.model.name = f"local:{tmp_path / 'gone.gguf'}"
    with pytest.raises(ModelError, match="GGUF file not found"):
        services.model()


def test_a_server_that_refuses_the_json_schema_shape_gets_the_json_object_shape(
    workspace: Workspace,
) -> None:
    """llama-cpp-python's server (``memento model serve``, or one started by hand) refuses
    OpenAI's json_schema response_format with a 500; the client switches shape once."""

    def reply(request: dict[str, object]) -> Step:
        shape = request.get("response_format") or {}
        assert isinstance(shape, dict)
        if shape.get("type") == "json_schema":
            return fail(
                500,
                "1 validation error: {'type': 'literal_error', 'loc': ('body', "
                "'response_format', 'type'), 'msg': \"Input should be 'text' or "
                "'json_object'\", 'input': 'json_schema'}",
            )
        assert shape["type"] == "json_object" and "anyOf" in shape["schema"]
        return json_action("finish", answer="done", success=True)

    with ScriptedServer([reply, reply, reply]) as server:
        configure_model(workspace, server.api_base, tool_calling="json")
        client = ModelClient(workspace.config.model)
        from memento_tui.domain.agent.tools import TOOLS

        first = client.complete([{"role": "user", "content": "go"}], TOOLS)
        second = client.complete([{"role": "user", "content": "go"}], TOOLS)
        shapes = [r["response_format"]["type"] for r in server.requests]
    assert first.tool_calls[0].name == "finish" and second.tool_calls[0].name == "finish"
    assert shapes == ["json_schema", "json_object", "json_object"]  # learned once, kept


def test_the_local_client_asks_for_the_llama_cpp_shape_and_names_itself_local(
    tmp_path: Path,
) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    client = local.LocalModelClient(ModelConfig(name=f"local:{gguf}"), local.LocalServer(gguf, api_key="k"))
    assert client.model == f"local:{gguf}"
    assert client.config.name == "openai/local" and client.config.tool_calling == "json"
    assert client.action_format([])["type"] == "json_object"
    assert client.api_key() == "k"
    client.close()  # never started: nothing to stop, no error
