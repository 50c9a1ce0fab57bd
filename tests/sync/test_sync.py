"""Two workspaces and a bare remote: a team shares one library through git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from memento_tui.cli.main import main
from memento_tui.domain.patches.model import PatchConflict, PatchEvidence
from memento_tui.domain.workspace import Workspace, init_workspace
from memento_tui.services.factory import Services, make_services
from memento_tui.services.sync import sync, sync_status

SKILL = "csv-json"


def git(root: Path, *args: str) -> str:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root.parent), "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(
        ["git", "-C", str(root), *args], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def team(tmp_path: Path) -> tuple[Workspace, Workspace, Path]:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    a = init_workspace(tmp_path / "a")
    for ws, name in ((a, "Ada"),):
        git(ws.root, "config", "user.name", name)
        git(ws.root, "config", "user.email", f"{name.lower()}@example.org")
    git(a.root, "remote", "add", "origin", str(remote))
    git(a.root, "push", "-q", "origin", "main")
    subprocess.run(["git", "clone", "-q", str(remote), str(tmp_path / "b")], check=True)
    git(tmp_path / "b", "config", "user.name", "Bo")
    git(tmp_path / "b", "config", "user.email", "bo@example.org")
    b = Workspace.at(tmp_path / "b")
    return a, b, remote


def _services(ws: Workspace) -> Services:
    return make_services(Workspace.at(ws.root))


def _patch(services: Services, note: str) -> str:
    text = (services.paths.skills / SKILL / "SKILL.md").read_text()
    ev = PatchEvidence(
        run_id="r1",
        task="convert data.csv to json",
        failure_category="bug in skill",
        weak_skill=SKILL,
        reflection_summary="semicolons",
        decision_step=2,
    )
    return services.patches().create(SKILL, {f"skills/{SKILL}/SKILL.md": text + note}, ev).id


def test_a_patch_made_on_a_reviewed_and_merged_on_b_reads_merged_on_a(team) -> None:
    a, b, _ = team
    sa = _services(a)
    patch_id = _patch(sa, "\nCheck the delimiter first.\n")
    assert sync(sa).pushed_patches == [patch_id]

    sb = _services(b)
    result = sync(sb)
    assert result.new_patches == [(patch_id, "Ada <ada@example.org>")]
    queued = sb.patches().get(patch_id)
    assert queued.status == "pending" and queued.made_by == "Ada <ada@example.org>"
    assert queued.evidence.reflection_summary.startswith("semicolons")
    sb.patches().merge(patch_id)
    sync(sb)

    sa = _services(a)
    result = sync(sa)
    assert result.how == "fast-forward"
    assert sa.patches().get(patch_id).status == "merged"
    assert (a.paths.skills / SKILL / "SKILL.md").read_text().endswith("Check the delimiter first.\n")
    assert git(a.root, "branch", "--list", f"memento/patch/{SKILL}/{patch_id}") == ""
    assert git(a.root, "status", "--porcelain") == ""


def test_a_rejection_and_its_reason_reach_the_teammate(team) -> None:
    a, b, _ = team
    sa = _services(a)
    patch_id = _patch(sa, "\nAlways assume tabs.\n")
    sync(sa)
    sb = _services(b)
    sync(sb)
    sb.patches().reject(patch_id, "tabs are not the problem; the header is")
    sync(sb)
    sa = _services(a)
    sync(sa)
    ideas = sa.patches().rejected_ideas(SKILL)
    assert [i.reason for i in ideas] == ["tabs are not the problem; the header is"]
    assert _services(a).patches().list("rejected")[0].id == patch_id


def test_learning_on_both_sides_merges_without_conflict_and_ranks_as_if_learned_in_one_place(
    team, tmp_path: Path
) -> None:
    a, b, _ = team
    sa, sb = _services(a), _services(b)
    a_rows = [("turn the semicolon file into json records", "csv-json"), ("count words in notes.txt", "text-stats")]
    b_rows = [("make these US dates ISO 8601", "date-normalize"), ("convert config.yaml into json", "csv-json")]
    for task, skill in a_rows:
        sa.index().record_success(task, skill)
    for task, skill in b_rows:
        sb.index().record_success(task, skill)
    sync(sa)
    result = sync(sb)  # both learned at once: a merge, the outcomes by union
    assert result.how == "merged"
    sync(_services(a))
    both = make_services(init_workspace(tmp_path / "c"))
    for task, skill in a_rows + b_rows:
        both.index().record_success(task, skill)
    queries = ["json from a semicolon csv", "ISO dates please", "words in a text file"]
    for ws in (a, b):
        synced = _services(ws)
        outcomes = (ws.paths.learned / "outcomes.jsonl").read_text()
        assert all(task in outcomes for task, _ in a_rows + b_rows)
        for q in queries:
            got = [(h.name, round(h.score, 3)) for h in synced.index().search(q, top_k=3)]
            want = [(h.name, round(h.score, 3)) for h in both.index().search(q, top_k=3)]
            assert got == want, (ws.root.name, q)


def test_a_skill_both_edited_by_hand_is_a_clear_conflict_that_changes_nothing(team) -> None:
    a, b, _ = team
    path = f"skills/{SKILL}/SKILL.md"
    for ws, line in ((a, "Ada's line"), (b, "Bo's line")):
        skill_md = ws.root / path
        skill_md.write_text(skill_md.read_text() + f"\n{line}\n")
        git(ws.root, "commit", "-qam", f"{line} by hand")
    sync(_services(a))
    sb = _services(b)
    before = git(b.root, "rev-parse", "main")
    (b.root / "scratch.txt").write_text("mine, uncommitted\n")
    with pytest.raises(PatchConflict) as caught:
        sync(sb)
    assert caught.value.files == [path]
    assert "git merge origin/main" in (caught.value.fix or "")
    assert git(b.root, "rev-parse", "main") == before
    assert (b.root / path).read_text().endswith("Bo's line\n")
    assert (b.root / "scratch.txt").read_text() == "mine, uncommitted\n"


def test_sync_never_touches_uncommitted_files_and_status_says_where_it_stands(
    team, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, _ = team
    sa = _services(a)
    _patch(sa, "\nfrom Ada\n")
    readme = a.root / "skills" / "text-stats" / "SKILL.md"
    readme.write_text(readme.read_text() + "\nupstream change\n")
    git(a.root, "commit", "-qam", "upstream change")
    sync(sa)
    mine = b.root / "skills" / "date-normalize" / "SKILL.md"
    mine.write_text(mine.read_text() + "\nmy work in progress\n")
    assert main(["-C", str(b.root), "sync", "--no-push"]) == 0
    assert "1 received" in capsys.readouterr().out
    assert mine.read_text().endswith("my work in progress\n")
    assert (b.root / "skills" / "text-stats" / "SKILL.md").read_text().endswith("upstream change\n")
    status = sync_status(_services(b))
    assert (status.ahead, status.behind, status.others_pending) == (0, 0, 1)
    assert main(["-C", str(b.root), "sync", "--status"]) == 0
    assert "1 pending patch(es) from teammates" in capsys.readouterr().out


def test_no_remote_says_how_to_add_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = init_workspace(tmp_path / "solo")
    assert main(["-C", str(ws.root), "sync"]) == 2
    assert "git remote add origin URL" in capsys.readouterr().err


async def test_the_app_syncs_and_marks_a_teammates_patch_with_its_author(team) -> None:
    """S on the Patches screen syncs; the line under the queue says where the workspace
    stands; a teammate's patch is marked with who made it."""
    from memento_tui.ui.screens.patches import PatchesScreen
    from memento_tui.ui.widgets.fit_table import FitTable
    from tests.ui.conftest import drive

    a, b, _ = team
    patch_id = _patch(_services(a), "\nfrom Ada's Memento\n")
    sync(_services(a))
    services = _services(b)
    async with drive(services, mode="patches", size=(140, 40)) as d:
        await d.until(lambda: isinstance(d.app.screen, PatchesScreen) and d.app.screen.loaded, "the queue")
        screen = d.app.screen
        assert screen.patches == {}
        assert "origin: 0 ahead, 0 behind" in str(screen.query_one("#patch-team").render())
        await d.press("S")
        await d.until(lambda: d.seen(PatchesScreen.Synced), "the sync")
        await d.until(lambda: patch_id in screen.patches, "the teammate's patch")
        table = screen.query_one("#patch-table", FitTable)
        row = table.get_row(patch_id)
        assert any("Ada" in str(cell) for cell in row)
        assert "1 from teammates" in str(screen.query_one("#patch-team").render())
        assert any("1 patch(es) from teammates" in n for n in d.notifications())
