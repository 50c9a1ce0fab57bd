"""A cloned repository must not be able to send the person's key to a server it chose.

The workspace's ``.memento/config.toml`` is committed: its ``api_base`` and
``api_key_env`` come from whoever wrote the repository. A scripted OpenAI-compatible
server on 127.0.0.1 records the Authorization header of every request: it gets no key
(no request at all) from doctor, run, reflect, eval or the TUI until the person runs
``memento trust``; values the person gives (flags, environment, their own config) need
no confirmation, and the local model (loopback, no key) never did.
"""

from __future__ import annotations

import json
import stat
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.agent.loop import RunRequest
from memento_tui.domain.errors import ConfigError
from memento_tui.domain.llm import ModelError
from memento_tui.domain.llm.trust import trust_file
from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.learning import learn_from_run
from memento_tui.testing.scripted_server import ScriptedServer, call, say
from tests.conftest import configure_model

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

KEY_VAR = "MEMENTO_TEST_TOKEN"
SECRET = "sk-secret-4242"
# TEST-NET-3: never routed. Nothing may be sent there; a test that tried would time out.
FAR_AWAY = "http://203.0.113.9:9/v1"


def _git(ws: Workspace, *args: str) -> str:
    return subprocess.run(["git", "-C", str(ws.root), *args], capture_output=True, text=True, check=True).stdout


def commit_config(ws: Workspace, api_base: str, **extra: object) -> None:
    """The repository's config names a server and a key variable, and is committed."""
    configure_model(ws, api_base, **extra)
    _git(ws, "add", ".memento/config.toml")
    _git(ws, "-c", "user.name=Stranger", "-c", "user.email=s@example.com", "commit", "-qm", "model")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    monkeypatch.setenv(KEY_VAR, SECRET)
    with ScriptedServer() as running:
        yield running


def _doctor(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    main(["-C", str(ws.root), "doctor", "--json"])
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    return checks["model call"]


def test_doctor_sends_no_key_to_a_committed_api_base_until_the_person_confirms(
    workspace: Workspace, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_config(workspace, server.api_base, api_key_env=KEY_VAR)

    refused = _doctor(workspace, capsys)
    assert refused["status"] == "fail"
    assert (
        f"{workspace.paths.config}: model.api_base: not sending your key ${KEY_VAR} to {server.api_base}"
        in refused["detail"]
    )
    assert f"run 'memento trust' in {workspace.root}" in refused["fix"]
    assert server.requests == [] and server.authorizations == []

    assert main(["-C", str(workspace.root), "trust", "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"${KEY_VAR}" in out and server.api_base in out and "confirmed for" in out
    saved = json.loads(trust_file().read_text())["confirmed"]
    assert [(r["workspace"], r["api_base"], r["api_key_env"]) for r in saved] == [
        (str(workspace.root), server.api_base, KEY_VAR)
    ]
    assert stat.S_IMODE(trust_file().stat().st_mode) == 0o600
    assert not trust_file().is_relative_to(workspace.root)

    server.add(say("ok"))
    assert _doctor(workspace, capsys)["status"] == "ok"
    assert server.authorizations == [f"Bearer {SECRET}"]


def test_memento_run_refuses_off_a_terminal_naming_the_file_the_field_and_the_command(
    workspace: Workspace, server: ScriptedServer, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_config(workspace, server.api_base, api_key_env=KEY_VAR)
    code = main(["-C", str(workspace.root), "run", "count the words in notes.txt"])
    out = capsys.readouterr().out
    assert code == 2
    assert str(workspace.paths.config) in out and "model.api_base" in out
    assert f"not sending your key ${KEY_VAR}" in out and "memento trust" in out
    assert server.requests == []
    services = make_services(workspace)
    record = services.runs().list()[0]
    events, _ = services.runs().trace(record.id)
    assert any(e.type == "run_error" and e.kind == "model_unconfirmed" for e in events)
    assert record.status == "error"


def test_memento_trust_off_a_terminal_needs_yes_and_forget_withdraws(
    workspace: Workspace,
    server: ScriptedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commit_config(workspace, server.api_base, api_key_env=KEY_VAR)
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115 - not a terminal
    assert main(["-C", str(workspace.root), "trust"]) == 1
    captured = capsys.readouterr()
    assert "run 'memento trust --yes' to confirm" in captured.err
    assert not trust_file().exists()

    assert main(["-C", str(workspace.root), "trust", "--yes"]) == 0
    assert main(["-C", str(workspace.root), "trust", "--forget"]) == 0
    assert "withdrew 1 confirmation for" in capsys.readouterr().out
    assert json.loads(trust_file().read_text())["confirmed"] == []
    services = make_services(workspace)
    with pytest.raises(ModelError, match="not sending your key") as refused:
        services.model().complete([{"role": "user", "content": "hi"}])
    assert refused.value.kind == "unconfirmed"
    assert server.requests == []


def test_a_changed_api_base_or_key_name_asks_again(workspace: Workspace, server: ScriptedServer) -> None:
    commit_config(workspace, server.api_base, api_key_env=KEY_VAR)
    assert main(["-C", str(workspace.root), "trust", "--yes"]) == 0
    with ScriptedServer() as other:
        commit_config(workspace, other.api_base, api_key_env=KEY_VAR)
        with pytest.raises(ModelError, match=f"to {other.api_base}"):
            make_services(workspace).model().complete([{"role": "user", "content": "hi"}])
        assert other.requests == []
    # The same server with another of the person's variables: AWS_SECRET_ACCESS_KEY to a
    # model server is exactly what a repository must not choose.
    commit_config(workspace, server.api_base, api_key_env="AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ModelError, match=r"not sending your key \$AWS_SECRET_ACCESS_KEY"):
        make_services(workspace).model().complete([{"role": "user", "content": "hi"}])
    assert server.requests == []


def test_a_committed_key_name_is_confirmed_even_without_an_api_base(
    workspace: Workspace, server: ScriptedServer
) -> None:
    commit_config(workspace, "", api_key_env="AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ModelError) as refused:
        make_services(workspace).model().complete([{"role": "user", "content": "hi"}])
    assert refused.value.field == "model.api_key_env"
    assert "the provider's own endpoint for openai/scripted" in refused.value.message


def test_a_committed_remote_api_base_without_a_key_still_asks(workspace: Workspace, server: ScriptedServer) -> None:
    commit_config(workspace, FAR_AWAY)
    with pytest.raises(ModelError, match=f"not sending your prompts to {FAR_AWAY}"):
        make_services(workspace).model().complete([{"role": "user", "content": "hi"}])


def test_the_local_model_loopback_without_a_key_needs_no_confirmation(
    workspace: Workspace, server: ScriptedServer
) -> None:
    commit_config(workspace, server.api_base)  # no api_key_env
    server.add(say("ok"))
    reply = make_services(workspace).model().complete([{"role": "user", "content": "hi"}])
    assert reply.text == "ok"
    assert server.authorizations == ["Bearer sk-local"]
    assert not trust_file().exists()


def test_values_the_person_gives_need_no_confirmation(
    workspace: Workspace,
    server: ScriptedServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The repository points at a far-away server; the person's flag overrides the server,
    # but the key variable is still the repository's choice: refused, naming that field.
    commit_config(workspace, FAR_AWAY, api_key_env=KEY_VAR)
    code = main(["-C", str(workspace.root), "run", "say hi", "--api-base", server.api_base, "--no-learn"])
    assert code == 2 and "model.api_key_env" in capsys.readouterr().out
    assert server.requests == []

    # Both from the person's environment.
    monkeypatch.setenv("MEMENTO_API_KEY_ENV", KEY_VAR)
    server.add(call("finish", answer="hi", success=True))
    code = main(["-C", str(workspace.root), "run", "say hi", "--api-base", server.api_base, "--no-learn"])
    assert code == 0
    monkeypatch.delenv("MEMENTO_API_KEY_ENV")

    # Both from the person's own config file, outside the repository.
    user_config = trust_file().parent / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(f'[model]\napi_base = "{server.api_base}"\napi_key_env = "{KEY_VAR}"\n')
    server.add(say("ok"))
    make_services(workspace.root).model().complete([{"role": "user", "content": "hi"}])
    assert server.authorizations == [f"Bearer {SECRET}"] * 2
    assert not trust_file().exists()


def test_a_bad_user_config_or_trust_file_names_the_file_and_the_fix(
    workspace: Workspace, server: ScriptedServer
) -> None:
    user_config = trust_file().parent / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text('[model]\napi_bse = "x"\n')
    with pytest.raises(ConfigError) as bad:
        make_services(workspace).workspace.config  # noqa: B018 - reading it is the test
    assert bad.value.file == user_config and bad.value.field == "model.api_bse"
    user_config.unlink()

    commit_config(workspace, server.api_base, api_key_env=KEY_VAR)
    trust_file().write_text("{not json")
    with pytest.raises(ConfigError) as garbled:
        make_services(workspace).model().complete([{"role": "user", "content": "hi"}])
    assert garbled.value.file == trust_file() and "memento trust" in (garbled.value.fix or "")
    assert server.requests == []


def test_reflect_sends_nothing_to_a_committed_server_the_person_has_not_confirmed(
    workspace: Workspace, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_config(workspace, FAR_AWAY, api_key_env=KEY_VAR)
    # A failed run made with the person's own server and key...
    monkeypatch.setenv("MEMENTO_API_BASE", server.api_base)
    monkeypatch.setenv("MEMENTO_API_KEY_ENV", KEY_VAR)
    server.add(call("finish", answer="could not", success=False))
    failed = make_services(workspace.root).agent().run(RunRequest(task="count words", learn=False))
    assert failed.status == "failed" and server.authorizations == [f"Bearer {SECRET}"]
    # ...then reflected on with the repository's: refused before anything is sent.
    monkeypatch.delenv("MEMENTO_API_BASE")
    monkeypatch.delenv("MEMENTO_API_KEY_ENV")
    with pytest.raises(ModelError, match=f"not sending your key \\${KEY_VAR} to {FAR_AWAY}"):
        learn_from_run(make_services(workspace.root), failed.id)
    assert len(server.requests) == 1


def test_eval_sends_nothing_to_a_committed_server_the_person_has_not_confirmed(
    workspace: Workspace, server: ScriptedServer, tmp_path: Path
) -> None:
    from memento_tui.services.evaluation import EvalOptions, run_eval

    commit_config(workspace, server.api_base, api_key_env=KEY_VAR)
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        textwrap.dedent("""\
        name: tiny
        tasks:
          - id: hello
            prompt: Say hello
            check: "true"
        """)
    )
    outcome = run_eval(make_services(workspace), suite, EvalOptions(rounds=1, learn=False))
    assert server.requests == []
    result = outcome.state.rounds[0].tasks["hello"]
    assert result.status == "error" and result.run_id is not None
    # The eval runs in a clone with the person's config: the confirmation asked for is
    # still this workspace's, not the clone's.
    events, _ = make_services(Path(outcome.state.clone)).runs().trace(result.run_id)
    error = next(e for e in events if e.type == "run_error")
    assert error.kind == "model_unconfirmed"
    assert f"run 'memento trust' in {workspace.root};" in error.message


async def test_the_tui_shows_the_same_message(workspace: Workspace, server: ScriptedServer) -> None:
    from textual.widgets import Input, RichLog

    from memento_tui.ui.screens.run import RunScreen
    from tests.ui.conftest import drive

    commit_config(workspace, server.api_base, api_key_env=KEY_VAR)
    services = make_services(workspace)
    try:
        async with drive(services) as d:
            screen = d.app.screen
            assert isinstance(screen, RunScreen)
            screen.query_one("#task", Input).value = "count the words"
            await d.press("ctrl+r")
            await d.until(lambda: d.seen(RunScreen.RunFinished), "the run to finish")
            log = screen.query_one("#stream-log", RichLog)

            def shown() -> str:  # long lines wrap: compare without the spaces
                return "".join("".join(s.text for s in log.lines).split())

            await d.until(lambda: "mementotrust" in shown(), "the message in the stream")
            assert "model_unconfirmed" in shown()
            assert f"notsendingyourkey${KEY_VAR}" in shown() and "model.api_base" in shown()
    finally:
        services.close()
    assert server.requests == []
