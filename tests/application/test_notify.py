"""Notification channels (issue 13): set by the person themself or an admin through the
command table, checked by the domain, webhook URLs shown only to their owners and admins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ledger.application import Koers
from ledger.domain import COMMANDS, Person, Principal, person_id
from ledger.domain.notify import Digest, quiet_until
from ledger.errors import Forbidden, InvalidValue, NotFound

SLACK = "https://hooks.slack.com/services/T000/B000/secret"


def _directory(app: Koers) -> None:
    for handle in ("ann", "bram", "cas"):
        app.add_person(actor="root", handle=handle, name=handle, email=f"{handle}@ex.org",
                       time_zone="Europe/Amsterdam")  # fmt: skip
    app.grant_role("cas", actor="root", role="admin")
    app.add_team(actor="root", slug="platform", name="Platform")
    app.set_member("platform", actor="root", handle="bram", role="lead")
    app.set_member("platform", actor="root", handle="ann", role="member")


def _set(app: Koers, who: str, target: str, **values: str) -> None:
    app.execute(COMMANDS["person.notify"], target, values, principal=Principal(who, "t"))


def test_a_person_sets_their_own_channels_and_only_they_and_admins_see_the_urls(
    koers_app: Koers,
) -> None:
    _directory(koers_app)
    _set(koers_app, "ann", "ann", email="off", digest="daily", quiet="19:00-08:00", slack_url=SLACK)
    channels = koers_app.load(Person, person_id("ann")).channels
    assert (channels.email, channels.digest, channels.quiet, channels.slack_url) == (
        False, Digest.DAILY, "19:00-08:00", SLACK)  # fmt: skip
    own = koers_app.notifications(Principal("ann", "t"), "person", "ann")
    admin = koers_app.notifications(Principal("cas", "t"), "person", "ann")
    assert own["slack"] == admin["slack"] == SLACK
    with pytest.raises(NotFound):  # bram may not see ann: not even that she exists
        koers_app.notifications(Principal("bram", "t"), "person", "ann")
    history = koers_app.event_history(person_id("ann"))
    assert "secret" not in str([_fields(e) for e in history])


def _fields(event: object) -> dict[str, object]:
    from ledger.application._reads import event_fields

    return event_fields(event)


def test_someone_else_may_not_set_a_persons_channels(koers_app: Koers) -> None:
    _directory(koers_app)
    with pytest.raises(NotFound):  # bram may not see ann: told she is not there
        _set(koers_app, "bram", "ann", email="off")
    _set(koers_app, "cas", "ann", email="off")  # an admin may
    assert koers_app.load(Person, person_id("ann")).channels.email is False


def test_a_team_lead_sets_the_team_channels_and_members_see_them_masked(koers_app: Koers) -> None:
    _directory(koers_app)
    command = COMMANDS["team.notify"]
    with pytest.raises(Forbidden):
        koers_app.execute(
            command, "platform", {"slack_url": SLACK}, principal=Principal("ann", "t")
        )
    koers_app.execute(command, "platform", {"slack_url": SLACK}, principal=Principal("bram", "t"))
    assert koers_app.notifications(Principal("bram", "t"), "team", "platform")["slack"] == SLACK
    seen = koers_app.notifications(Principal("ann", "t"), "team", "platform")["slack"]
    assert "secret" not in seen
    assert seen.startswith("https://hooks.slack.com/")


@pytest.mark.parametrize(
    ("field", "value"),
    [("quiet", "19:00"), ("quiet", "08:00-08:00"), ("slack_url", "http://example.org/x"),
     ("digest", "hourly"), ("email", "maybe")],
)  # fmt: skip
def test_bad_values_are_refused_naming_the_field(koers_app: Koers, field: str, value: str) -> None:
    _directory(koers_app)
    with pytest.raises(InvalidValue) as refused:
        _set(koers_app, "ann", "ann", **{field: value})
    assert refused.value.field == field
    assert koers_app.load(Person, person_id("ann")).version == 1


def test_setting_what_is_set_already_is_refused(koers_app: Koers) -> None:
    _directory(koers_app)
    with pytest.raises(InvalidValue, match="changes nothing"):
        _set(koers_app, "ann", "ann", email="on")


@pytest.mark.parametrize(
    ("quiet", "at", "until"),
    [
        ("19:00-08:00", "2026-12-03T20:30:00+01:00", "2026-12-04T08:00:00+01:00"),
        ("19:00-08:00", "2026-12-03T06:00:00+01:00", "2026-12-03T08:00:00+01:00"),
        ("19:00-08:00", "2026-12-03T12:00:00+01:00", None),
        ("12:00-13:00", "2026-12-03T12:15:00+01:00", "2026-12-03T13:00:00+01:00"),
        ("12:00-13:00", "2026-12-03T13:00:00+01:00", None),
        ("", "2026-12-03T20:30:00+01:00", None),
    ],
)
def test_quiet_hours_end_in_the_persons_time_zone(quiet: str, at: str, until: str | None) -> None:
    ends = quiet_until(quiet, "Europe/Amsterdam", datetime.fromisoformat(at).astimezone(UTC))
    assert ends == (datetime.fromisoformat(until) if until else None)
