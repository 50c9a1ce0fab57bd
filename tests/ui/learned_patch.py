"""A real patch from a real failed run: a scripted model through litellm, the real sandbox,
real git. An earlier US task passes with date-normalize; the UK task fails its check; the
reflection names step 2 (the script call) and the writer adds an "always --dayfirst" rule,
so the replay passes and the US task, replayed as a regression, fails.

Used by the review Pilot test and handy by hand: ``python -m tests.ui.learned_patch DIR``
builds such a workspace to open with ``memento -C DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from memento_tui.domain.agent.loop import RunRequest
from memento_tui.services.factory import Services
from memento_tui.services.learning import learn_from_run
from tests.learning.scripted_models import (
    ALWAYS_PITFALL,
    Router,
    current_skill_md,
    date_agent,
    reflection,
    skill_edit,
)

UK_TASK = "Normalise the dates in the UK invoice file invoices.csv to ISO 8601 and save as out.csv"
UK_CHECK = "python3 -c \"import csv; d=[r['date'] for r in csv.DictReader(open('out.csv'))]; assert d == ['2024-04-03', '2024-02-01'], d\""
US_TASK = "Normalise the dates in the US orders file orders.csv to ISO 8601 and save as out.csv"
US_CHECK = (
    "python3 -c \"import csv; d=[r['date'] for r in csv.DictReader(open('out.csv'))]; assert d == ['2024-03-04'], d\""
)


def learned_patch(services: Services, scripted: Any, folder: Path) -> dict[str, Any]:
    """Run both tasks and learn from the failure; returns learn_from_run's result."""
    invoices = folder / "invoices.csv"
    invoices.write_text("id,date\n1,03/04/2024\n2,01/02/2024\n")
    orders = folder / "orders.csv"
    orders.write_text("id,date\n7,03/04/2024\n")
    us_agent = date_agent("orders.csv", "out.csv")
    uk_agent = date_agent("invoices.csv", "out.csv")

    def agent(body: dict[str, Any]) -> Any:
        return uk_agent(body) if "invoices.csv" in body["messages"][1]["content"] else us_agent(body)

    router = Router(
        agent, reflection=[reflection()], writes=[lambda body: skill_edit(current_skill_md(body), ALWAYS_PITFALL)]
    )
    scripted.add(*[router] * 40)
    earlier = services.agent().run(RunRequest(task=US_TASK, check=US_CHECK, inputs=[orders]))
    assert earlier.status == "passed", earlier
    failed = services.agent().run(RunRequest(task=UK_TASK, check=UK_CHECK, inputs=[invoices]))
    assert failed.status == "failed", failed
    result = learn_from_run(services, failed.id)
    assert result.status == "patched", result
    return result


def main(argv: list[str]) -> int:  # pragma: no cover - a helper for trying the TUI by hand
    from memento_tui.domain.workspace import init_workspace
    from memento_tui.services.factory import make_services
    from memento_tui.testing.scripted_server import ScriptedServer
    from tests.conftest import configure_model

    root = Path(argv[0])
    workspace = init_workspace(root)
    server = ScriptedServer().start()
    try:
        configure_model(workspace, server.api_base)
        services = make_services(workspace)
        result = learned_patch(services, server, root.parent)
        services.close()
    finally:
        server.stop()
    print(result.patch_id)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
