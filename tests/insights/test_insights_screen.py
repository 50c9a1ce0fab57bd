"""The TUI's Insights screen shows the analytics: critical items first, the Pareto view."""

from __future__ import annotations

import asyncio

from textual.widgets import Label

from memento_tui.domain.workspace import Workspace
from memento_tui.services.factory import make_services
from memento_tui.services.insights import mark_critical
from memento_tui.ui.app import make_app
from memento_tui.ui.screens.insights import InsightsScreen
from tests.insights.runs_fixture import RATES, write_merge, write_runs


async def test_the_insights_screen_lays_out_the_analytics(workspace: Workspace) -> None:
    write_runs(workspace)
    write_merge(workspace)
    services = make_services(workspace)
    mark_critical(services, run_id="r05", note="payroll")
    loaded: list[InsightsScreen.CountsLoaded] = []
    quality: list[InsightsScreen.QualityLoaded] = []

    def hook(message: object) -> None:
        if isinstance(message, InsightsScreen.CountsLoaded):
            loaded.append(message)
        elif isinstance(message, InsightsScreen.QualityLoaded):
            quality.append(message)

    app = make_app(services, live=False, mode="insights")
    try:
        async with app.run_test(size=(140, 50), message_hook=hook) as pilot:
            titles: list[str] = []
            for _ in range(600):  # the workers read real files; generous under CI load
                # A refresh (mount, then resume) lays the screen out again: read the titles
                # that are on screen now, and wait until both parts are there together.
                titles = [str(label.render()) for label in app.screen.query(Label).results(Label)]
                if "Failures by category" in titles and any(t.startswith("Retrieval on your runs") for t in titles):
                    break
                await asyncio.sleep(0.05)
                await pilot.pause()
            assert isinstance(app.screen, InsightsScreen)
            assert loaded and quality
            tables = {title: rows for title, _, rows in loaded[-1].tables}
    finally:
        services.close()
    critical = next(t for t in titles if t.startswith("Critical"))
    assert titles.index(critical) < titles.index("Failures by category")
    assert any("Pareto: the top 1 of 4 pattern(s) cause 3 of 6 failures (50%)" in t for t in titles)
    patterns = next(rows for title, rows in tables.items() if title.startswith("Recurring"))
    assert patterns[0][0] == "!" and patterns[0][-1] == RATES
    assert any(t.startswith("Merged patches") for t in titles)
    # Retrieval quality on the workspace's own passed runs (memento search --eval's figures).
    assert any(t.startswith("Retrieval on your runs (leave-one-out): Recall@1") for t in titles)
