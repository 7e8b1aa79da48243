"""``koers lineage <id>`` on the local data (issue #14, item 5): a retro item, the action item
that came of it (``--from-item``) and a retarget citing that (``--cites``), shown both ways;
an unknown id and a citation of nothing are refused with what to do."""

from __future__ import annotations

import uuid

from tests.cli.test_cli import as_json, koers, new_key_result
from tests.commandline import options


def test_lineage_from_a_retro_item_to_a_retarget(cli_env: dict[str, str]) -> None:
    retro = as_json("retro", "hold", *options(team="platform", period="Sprint 1",
                                              held_on="2026-11-20"), env=cli_env)  # fmt: skip
    item = as_json("retro", "item", retro["id"], *options(kind="to_improve", text="Slow CI"),
                   env=cli_env)["item_id"]  # fmt: skip
    action = as_json("retro", "action", retro["id"],
                     *options(text="Cache builds", owner="bram", due="2030-01-01",
                              from_item=item), env=cli_env)["item_id"]  # fmt: skip
    _, kr = new_key_result(cli_env)
    koers("kr", "retarget", kr["id"], *options(target="4", reason="Caching first", cites=action),
          env=cli_env)  # fmt: skip
    found = as_json("lineage", item, env=cli_env)
    assert found["node"]["kind"] == "retro_item"
    assert [n["kind"] for n in found["descendants"]] == ["action_item", "key_result"]
    assert [(link["kind"], link["actor"]) for link in found["links"]] == [
        ("retro.action", "ann"), ("key_result.retarget", "ann")]  # fmt: skip
    shown = koers("lineage", action, env=cli_env).stdout
    assert f"action item {action}: Cache builds  (platform)  [open]" in shown
    assert "led here:\n  retro item" in shown
    assert "came of it:\n  key result" in shown
    assert "ann  key_result.retarget: action item" in shown


def test_an_unknown_id_and_a_citation_of_nothing_are_refused(cli_env: dict[str, str]) -> None:
    nothing = str(uuid.uuid4())
    unknown = koers("lineage", nothing, env=cli_env, check=False)
    assert unknown.returncode != 0
    assert nothing in unknown.stderr
    _, kr = new_key_result(cli_env)
    cited = koers("kr", "retarget", kr["id"], *options(target="4", reason="r", cites=nothing),
                  env=cli_env, check=False)  # fmt: skip
    assert cited.returncode == 2
    assert "--cites" in cited.stderr
    assert "is not the id of a retro item" in cited.stderr
