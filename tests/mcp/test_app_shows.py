"""The app shows what an MCP client did while it was open: the client's fix in the Patches
queue (no restart: the queue polls the branches), its outcomes as runs in Insights. The
client is the real ``memento mcp`` in another process, the app the real one under Pilot."""

from __future__ import annotations

from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.ui.screens.insights import InsightsScreen
from memento_tui.ui.screens.patches import PatchesScreen
from memento_tui.ui.widgets.evidence import evidence_text
from tests.mcp.conftest import connected
from tests.ui.conftest import drive

TASK = "Convert the semicolon-separated export.csv to JSON"


async def test_a_clients_fix_reaches_the_open_queue_and_its_outcomes_reach_insights(workspace: Workspace) -> None:
    services = make_services(workspace)
    skill_md = (workspace.paths.skills / "csv-json" / "SKILL.md").read_text(encoding="utf-8")
    try:
        async with drive(services, live=True, mode="patches") as d:
            queue = d.app.screen
            assert isinstance(queue, PatchesScreen)
            async with connected(workspace.root) as client:
                await client.call("report_outcome", task="Convert people.csv to JSON", skill="csv-json", passed=True)
                await client.call(
                    "report_outcome", task=TASK, skill="csv-json", passed=False, note="every row landed in one column"
                )
                proposed = await client.call(
                    "propose_patch",
                    skill="csv-json",
                    files={"SKILL.md": skill_md + "\nPass --delimiter semicolon.\n"},
                    reason="Say how to read semicolon-separated exports",
                )
            await d.until(lambda: proposed["patch_id"] in queue.patches, "the client's fix in the queue")
            shown = evidence_text(services.patches().get(proposed["patch_id"]))
            assert "Proposed over MCP by mcp" in shown and f"task: {TASK}" in shown
            await d.press("5")
            assert isinstance(d.app.screen, InsightsScreen)
            await d.until(lambda: any(m.runs == 2 for m in d.seen(InsightsScreen.CountsLoaded)), "two runs")
    finally:
        services.close()
