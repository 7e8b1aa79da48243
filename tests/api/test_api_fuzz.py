"""The API fuzzed against its own OpenAPI document (schemathesis): no input makes it fail.

Every operation gets a few generated requests, valid and invalid, on a store seeded with one
thing of each kind; path ids are sometimes real ones (so commands reach the domain rules),
and the actor header is sometimes a valid handle. No answer may be a 5xx, and every answer
must fit the document (status codes, content types, response schemas). The whole test is
bounded by a time budget well under the suite's per-test timeout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_api_support import Api, decision, objective, running_api, seed

#: Stop generating new requests after this many seconds (the test stays < 2 minutes).
BUDGET = 75.0
#: per operation and mode (valid, invalid); the outside run in the README goes deeper
EXAMPLES = 4


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[Api, dict[str, str]]]:
    with running_api() as api:
        yield api, seed(api)


def load_schema(api: Api, ids: dict[str, str]) -> Any:
    """The API's own document, with hooks that sometimes use real ids and a valid actor."""
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        path_parameters = path_parameters or {}
        known = {k: ids[k] for k in path_parameters if k in ids}
        return st.sampled_from([path_parameters, {**path_parameters, **known}])

    @schema.hook
    def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> Any:
        headers = {**(headers or {}), "Authorization": f"Bearer {api.tokens.of('ann')}"}
        return st.sampled_from([headers, {**headers, "Koers-Actor": "ann"}])

    return schema


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.timeout(300)  # the budget bounds the generation; a loaded machine slows the rest
@pytest.mark.long
def test_no_request_makes_the_api_fail(seeded: tuple[Api, dict[str, str]]) -> None:
    api, ids = seeded
    schema = load_schema(api, ids)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60
    started = time.monotonic()
    sent: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: Any) -> None:
                if time.monotonic() - started > BUDGET:
                    return  # the budget is spent: the remaining examples are not sent
                response = case.call(base_url=api.url, timeout=30)
                sent.append(f"{case.method} {case.path} {response.status_code}")
                case.validate_response(response, checks=CHECKS)

            fuzz()
    assert len(sent) >= len(operations)  # every operation was called at least once


@pytest.mark.timeout(300)
def test_no_sequence_of_requests_makes_the_api_fail(seeded: tuple[Api, dict[str, str]]) -> None:
    """Schemathesis's stateful phase: sequences that follow the document's links (a create,
    then the changes and reads of what it made), each answer checked as above. Objectives and
    decisions only, so that a few dozen sequences reach what they made; their creates are
    sometimes given a valid body (random ones rarely name a real team)."""
    api, _ = seeded
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json")
    token = api.tokens.of("ann")
    made: set[str] = set()  # ids of things the sequences created
    reached: list[str] = []  # requests on them, through the links
    valid = {"/objectives": objective(), "/decisions": decision()}

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> Any:
        """A valid create, so that each sequence gets through to the links (random creates
        are fuzzed by the test above; mixed in here, a full run's derandomized sequences
        once reached no create at all)."""
        one = (
            valid.get(context.operation.path)
            if context.operation.method.upper() == "POST"
            else None
        )
        return st.just(one) if one else st.just(body)

    linked = schema.include(path_regex="^/(objectives|decisions)")

    class Machine(linked.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": api.url, "timeout": 30,
                    "headers": {"Authorization": f"Bearer {token}"}}  # fmt: skip

        def after_call(self, response: Any, case: Any) -> None:
            if response.status_code == 201:
                made.add(response.json()["id"])
            elif made & set((case.path_parameters or {}).values()):
                reached.append(f"{case.method} {case.path} {response.status_code}")

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    # Whether a sequence follows a link at all depends on the document (every operation added
    # or described anew reshuffles the derandomized draws) and, on a loaded machine, on which
    # creates got through: the derandomized round first (reproducible), then up to two random
    # rounds with longer sequences, until one reaches what a create made. Every request of
    # every round is checked.
    for round_, steps in enumerate((6, 10, 10)):
        Machine.run(
            settings=settings(
                max_examples=30,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                derandomize=round_ == 0,
                suppress_health_check=list(HealthCheck),
            )
        )
        if reached:
            break
    assert made  # a create got through ...
    assert reached  # ... and a link led from it to what it made
