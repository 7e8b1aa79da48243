"""`koers decision …`: reads here, writes from the command table.

Two commands read some options themselves, over the same declaration: ``decision open``
takes ``--option a='Yes'`` (repeat), ``--criterion speed=3`` (repeat) and ``--likelihood`` /
``--impact`` for the risk; ``decision add-option`` takes ``--option c='Later'``. The text
becomes the declared parts (key and title, name and weight, likelihood and impact), which
the domain checks as it checks the API's JSON.
"""

from __future__ import annotations

from typing import Any

from ledger.cli._commands import add_commands, bespoke_option, command_function, option_values
from ledger.cli._quality import decider_quality
from ledger.cli._reads import add_reads
from ledger.cli._tree import group
from ledger.domain import COMMANDS, Command
from ledger.domain import decisions as dc
from ledger.errors import InvalidField

__all__ = ["decision"]

decision = group("decision")

add_reads(decision, "decision")

decision.command("quality")(decider_quality)

_OPTIONS, _CRITERIA = dc.OPEN_DECISION.field("options"), dc.OPEN_DECISION.field("criteria")
_LIKELIHOOD, _IMPACT = dc.RISK.parts[0], dc.RISK.parts[1]


def _pair(field: str, text: str, left: str, right: str) -> dict[str, str]:
    """``a=Yes`` as ``{"key": "a", "title": "Yes"}`` (the parts the declaration checks)."""
    one, sep, other = text.partition("=")
    if not sep:
        raise InvalidField(field, f"{text!r}: write it as {left}={right}, e.g. a='Build it'")
    return {left: one, right: other}


def _open_values(command: Command, options: dict[str, Any]) -> dict[str, Any]:
    values = option_values(command, options)
    if options["option"]:
        values["options"] = [
            _pair(f"options[{i}]", text, "key", "title") for i, text in enumerate(options["option"])
        ]
    if options["criterion"]:
        values["criteria"] = [
            _pair(f"criteria[{i}]", text, "name", "weight")
            for i, text in enumerate(options["criterion"])
        ]
    risk = {p.name: options[p.name] for p in (_LIKELIHOOD, _IMPACT) if options[p.name] is not None}
    if risk:
        values["risk"] = risk
    return values


def _add_option_values(command: Command, options: dict[str, Any]) -> dict[str, Any]:
    text = options["option"]
    return {} if text is None else {"option": _pair("option", text, "key", "title")}


_open = command_function(
    dc.OPEN_DECISION,
    _open_values,
    bespoke=[
        bespoke_option("option", "--option", f"{_OPTIONS.help} One as key=title (repeat).",
                       metavar="KEY=TITLE", many=True),
        bespoke_option("criterion", "--criterion", f"{_CRITERIA.help} One as name=weight "
                       "(repeat).", metavar="NAME=WEIGHT", many=True),
        bespoke_option("likelihood", "--likelihood", f"{_LIKELIHOOD.help} [default: 3]",
                       metavar="N"),
        bespoke_option("impact", "--impact", f"{_IMPACT.help} [default: 3]", metavar="N"),
    ],
    flags={"risk": "--likelihood/--impact", "risk.likelihood": "--likelihood",
           "risk.impact": "--impact"},
)  # fmt: skip
_add_option = command_function(
    dc.ADD_OPTION,
    _add_option_values,
    bespoke=[
        bespoke_option("option", "--option", "The new option, as key=title.", metavar="KEY=TITLE")
    ],
)

add_commands(
    decision,
    COMMANDS.of_kind("decision"),
    bespoke={dc.OPEN_DECISION.name: _open, dc.ADD_OPTION.name: _add_option},
)
