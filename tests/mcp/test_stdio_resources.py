"""Skills as ``skill://NAME`` resources, and the notifications a connected client gets when
a skill is added, edited or merged, through the stdio client."""

from __future__ import annotations

import anyio
import pytest

from memento_tui.domain.workspace import Workspace
from tests.conftest import write_skill
from tests.mcp.conftest import connected, memento

pytestmark = pytest.mark.slow  # the quick loop is pytest -m 'not slow'

LIST_CHANGED = "notifications/resources/list_changed"
UPDATED = "notifications/resources/updated"


async def test_every_skill_is_a_resource_to_list_and_read(workspace: Workspace) -> None:
    async with connected(workspace.root) as client:
        caps = client.session.server_capabilities
        assert caps is not None and caps.resources is not None
        assert caps.resources.list_changed and caps.resources.subscribe
        listed = await client.session.list_resources()
        by_uri = {r.uri: r for r in listed.resources}
        assert set(by_uri) == {f"skill://{p.name}" for p in workspace.paths.skills.iterdir()}
        assert (by_uri["skill://csv-json"].description or "").startswith("Convert CSV/TSV")
        assert by_uri["skill://csv-json"].mime_type == "text/markdown"
        read = await client.session.read_resource("skill://csv-json")
        text = read.contents[0].text  # type: ignore[union-attr]
        assert text == (workspace.paths.skills / "csv-json" / "SKILL.md").read_text(encoding="utf-8")
        templates = await client.session.list_resource_templates()
        assert [t.uri_template for t in templates.resource_templates] == ["skill://{name}"]


# Today's clients subscribe with resources/subscribe, which the SDK marks as gone in the 2026
# protocol; this test speaks as today's clients do on purpose (the next one speaks 2026).
@pytest.mark.filterwarnings("ignore:resources/subscribe is removed")
async def test_a_new_an_edited_and_a_merged_skill_are_announced_without_a_restart(workspace: Workspace) -> None:
    skill_md = workspace.paths.skills / "csv-json" / "SKILL.md"
    original = skill_md.read_text(encoding="utf-8")
    async with connected(workspace.root) as client:
        await client.session.subscribe_resource("skill://csv-json")
        await client.session.subscribe_resource("skill://json-query")
        await client.call("find_skills", task="warm up")  # the watcher starts after the first answers

        # Merged: a proposed fix, merged by a person with main checked out.
        proposed = await client.call(
            "propose_patch", skill="csv-json", files={"SKILL.md": original + "\nMerged note.\n"}, reason="note"
        )
        client.notes.clear()
        memento(workspace.root, "patches", "merge", proposed["patch_id"])
        await client.wait_for(UPDATED, "skill://csv-json")
        reread = await client.session.read_resource("skill://csv-json")
        assert reread.contents[0].text.endswith("Merged note.\n")  # type: ignore[union-attr]

        # Added: a new folder written as an editor would.
        client.notes.clear()
        write_skill(
            workspace.paths.skills,
            "weather-report",
            "name: weather-report\ndescription: Forecast and report the weather for a city.\n",
        )
        await client.wait_for(LIST_CHANGED)
        listed = await client.session.list_resources()
        assert "skill://weather-report" in {r.uri for r in listed.resources}
        found = await client.call("find_skills", task="weather forecast for Oslo", k=1)
        assert found["skills"][0]["name"] == "weather-report"

        # Edited: a subscribed skill saved again.
        client.notes.clear()
        json_query = workspace.paths.skills / "json-query" / "SKILL.md"
        json_query.write_text(json_query.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
        await client.wait_for(UPDATED, "skill://json-query")
        # Not subscribed: no resource-updated notification for it, only the list's.
        assert not [
            n
            for n in client.notes
            if getattr(n, "method", "") == UPDATED and str(n.params.uri) == "skill://weather-report"
        ]


async def test_a_client_on_the_2026_protocol_hears_through_its_listen_stream(workspace: Workspace) -> None:
    from mcp.client.subscriptions import ResourcesListChanged, ResourceUpdated, listen

    async with connected(workspace.root, modern=True) as client:
        assert client.session.protocol_version == "2026-07-28"
        assert (await client.call("find_skills", task="convert csv to json"))["skills"]
        async with listen(
            client.session, resources_list_changed=True, resource_subscriptions=["skill://csv-json"]
        ) as stream:
            write_skill(
                workspace.paths.skills,
                "weather-report",
                "name: weather-report\ndescription: Forecast the weather for a city.\n",
            )
            with anyio.fail_after(20):
                async for event in stream:
                    if isinstance(event, ResourcesListChanged):
                        break
            skill_md = workspace.paths.skills / "csv-json" / "SKILL.md"
            skill_md.write_text(skill_md.read_text(encoding="utf-8") + "\nEdited.\n", encoding="utf-8")
            with anyio.fail_after(20):
                async for event in stream:
                    if isinstance(event, ResourceUpdated):
                        assert event.uri == "skill://csv-json"
                        break
