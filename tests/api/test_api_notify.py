"""Notification channels over HTTP: set through the command table's routes, read at
``GET /people/{handle}/notify`` and ``GET /teams/{slug}/notify``; webhook URLs in full only
for their owner and admins."""

from __future__ import annotations

from tests.api.test_api_support import Api

HOOK = "https://hooks.slack.com/services/T000/B000/very-secret"


def _shown(api: Api, path: str, who: str) -> dict[str, object] | int:
    answer = api.client.get(path, headers={"Koers-Actor": who})
    return answer.json() if answer.status_code == 200 else answer.status_code


def test_a_person_sets_and_reads_their_channels_and_others_see_the_url_masked(api: Api) -> None:
    body = {"slack_url": HOOK, "digest": "weekly", "quiet": "18:30-07:30"}
    assert api.post("/people/bram/notify", body, **{"Koers-Actor": "bram"}).status_code == 200
    own = _shown(api, "/people/bram/notify", "bram")
    assert isinstance(own, dict)
    assert (own["slack"], own["digest"], own["quiet"]) == (HOOK, "weekly", "18:30-07:30")
    admin = _shown(api, "/people/bram/notify", "admin")
    assert isinstance(admin, dict)
    assert admin["slack"] == HOOK
    auditor = _shown(api, "/people/bram/notify", "audrey")
    assert isinstance(auditor, dict)
    assert "very-secret" not in str(auditor)
    assert _shown(api, "/people/bram/notify", "bob") == 404  # may not see bram at all


def test_someone_else_may_not_set_a_persons_channels(api: Api) -> None:
    refused = api.post("/people/cem/notify", {"email": "off"}, **{"Koers-Actor": "dora"})
    assert refused.status_code in (403, 404)
    assert api.post("/people/cem/notify", {"email": "off"}, **{"Koers-Actor": "admin"}).is_success


def test_a_lead_sets_the_team_channels_and_members_see_them_masked(api: Api) -> None:
    body = {"teams_url": "https://example.webhook.office.com/webhookb2/very-secret"}
    assert api.post("/teams/platform/notify", body, **{"Koers-Actor": "bob"}).status_code == 403
    assert api.post("/teams/platform/notify", body, **{"Koers-Actor": "tester"}).is_success
    lead = _shown(api, "/teams/platform/notify", "tester")
    member = _shown(api, "/teams/platform/notify", "bob")
    assert isinstance(lead, dict)
    assert isinstance(member, dict)
    assert lead["teams"] == body["teams_url"]
    assert "very-secret" not in str(member["teams"])


def test_a_bad_value_is_refused_naming_the_field(api: Api) -> None:
    answer = api.post("/people/dora/notify", {"quiet": "late"}, **{"Koers-Actor": "dora"})
    assert answer.status_code == 422
    assert "quiet" in answer.text
