"""The API's writes, built from the command table: one ``POST`` per command.

- A create is ``POST /<kind>s`` (``/key-results``) and answers 201 with ``Location``; a change
  is ``POST /<kind>s/{<kind>_id}/<route>`` and answers 200. Both answer the receipt.
- The body is a JSON object of the command's fields, plus ``actor`` and, on a change,
  ``expected_version``. Its schema in the OpenAPI document is made from the same declaration
  the domain checks (:meth:`ledger.domain.Field.schema`), and the values go unconverted to
  the domain's check: whatever the API refuses, the command line refuses too, naming the same
  field (422 ``invalid-value``).
- ``Idempotency-Key`` binds the key to the command and its arguments; ``If-Match`` (or
  ``expected_version``) makes any change conditional (409 when the thing moved on).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, Iterable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ledger.api._common import WriteContext, in_thread, koers_of, plain_writer, versioned_writer
from ledger.api._kinds import KINDS
from ledger.api._problems import ApiProblem, FieldError
from ledger.api._schema import CHANGED, CREATED
from ledger.application import Receipt
from ledger.domain import ACTOR, EXPECTED_VERSION, Command
from ledger.domain._fields import Field, Ref
from ledger.errors import InvalidValue

__all__ = ["command_router"]

_PATH_FIELD = re.compile(r"\{(\w+)\}")
Endpoint = Callable[..., Coroutine[Any, Any, JSONResponse]]


def _target_field(command: Command) -> Field:
    if command.named_by is not None:
        return command.named_by
    kind = command.kind.replace("_", " ")
    return Ref(name=command.target_name, kind=command.kind, help=f"The {kind}'s id.")


def _path_fields(command: Command) -> list[Field]:
    """The command's fields that its route carries in the path (not the body)."""
    names = set(_PATH_FIELD.findall(command.route))
    return [f for f in command.fields if f.name in names]


def body_schema(command: Command) -> dict[str, Any]:
    """The JSON Schema of the command's body: its fields, ``actor``, ``expected_version``."""
    in_path = {f.name for f in _path_fields(command)}
    fields = [f for f in command.fields if f.name not in in_path]
    properties = {f.name: _nullable(f) for f in fields}
    properties["actor"] = _nullable(ACTOR, "For a service token that may act for others: "
                                    "whom it acts for (as Koers-Actor).")  # fmt: skip
    if not command.creates:
        properties["expected_version"] = _nullable(
            EXPECTED_VERSION, "Refuse (409) if the thing moved past this version (as If-Match)."
        )
    return {
        "title": command.handler.title().replace("_", ""),
        "type": "object",
        "properties": properties,
        "required": [f.name for f in fields if f.required],
        "additionalProperties": False,
    }


def _nullable(field: Field, help: str = "") -> dict[str, Any]:
    schema = field.schema()
    if help:
        schema["description"] = help
    if field.required and not help:
        return schema
    return {"anyOf": [schema, {"type": "null"}], "description": schema.pop("description")}


def _parameters(command: Command) -> list[dict[str, Any]]:
    path = [] if command.creates else [_target_field(command)]
    return [
        {"name": f.name, "in": "path", "required": True, "description": f.help,
         "schema": f.schema() | {"description": f.help}}
        for f in [*path, *_path_fields(command)]
    ]  # fmt: skip


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiProblem(
            "bad-request", "the request body is not valid JSON: send a JSON object"
        ) from None
    if not isinstance(body, dict):
        raise ApiProblem(
            "invalid-request",
            "the body must be a JSON object of the command's fields",
            [FieldError(field="body", detail="not a JSON object")],
        )
    return body


Creating = Annotated[WriteContext, Depends(plain_writer)]
Changing = Annotated[WriteContext, Depends(versioned_writer)]


def _endpoint(command: Command) -> Endpoint:
    async def create(request: Request, w: Creating) -> JSONResponse:
        return await run(request, w)

    async def change(request: Request, w: Changing) -> JSONResponse:
        return await run(request, w)

    async def run(request: Request, w: WriteContext) -> JSONResponse:
        body = await _json_object(request)
        request.state.body = body  # to name the field of an unknown referenced id
        actor = w.actor_of(body.pop("actor", None))
        expected = w.expected_of(body.pop("expected_version", None))
        path = dict(request.path_params)
        for name in sorted(set(body) & set(path)):
            raise ApiProblem("invalid-request", f"{name}: is given in the path, not the body",
                             [FieldError(field=name, detail="is given in the path")])  # fmt: skip
        target = None
        if not command.creates:
            target = _target_field(command).from_json(path.pop(command.target_name))
        koers = koers_of(request)

        def execute() -> Receipt:
            try:
                return koers.execute(command, target, {**body, **path}, actor=actor, key=w.key,
                                     principal=request.state.principal,
                                     expected_version=expected, json_values=True)  # fmt: skip
            except InvalidValue as e:
                raise e.renamed({"key": "Idempotency-Key"}) from None

        receipt = await in_thread(execute)
        return await w.answer(command.kind, receipt, created=command.creates)

    endpoint = create if command.creates else change
    endpoint.__name__ = command.handler
    endpoint.__doc__ = command.description or command.summary
    return endpoint


def _links(command: Command, commands: list[Command]) -> dict[str, Any]:
    """OpenAPI links from a create's answer to what can be done with the thing it made: the
    changes of its kind and, where the API has them, its reads (the id in the answer, or the
    name the request gave it)."""
    named = command.named_by
    value = f"$request.body#/{named.name}" if named else "$response.body#/id"
    links = {
        c.handler: {"operationId": c.handler, "parameters": {c.target_name: value}}
        for c in commands
        if c.kind == command.kind and not c.creates
    }
    if command.kind in KINDS and named is None:
        for read in ("show", "history"):
            operation = f"{read}_{command.kind}"
            links[operation] = {"operationId": operation,
                                "parameters": {f"{command.kind}_id": value}}  # fmt: skip
    return links


def command_router(commands: Iterable[Command]) -> APIRouter:
    """A router with the route of every command."""
    router = APIRouter()
    every = list(commands)
    for command in every:
        options = CREATED if command.creates else CHANGED
        if command.creates:
            created = {**options["responses"][201], "links": _links(command, every)}
            options = {**options, "responses": {**options["responses"], 201: created}}
        router.add_api_route(
            command.path,
            _endpoint(command),
            methods=["POST"],
            summary=command.summary.rstrip(".").split(":")[0],
            name=command.handler,
            operation_id=command.handler,
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body_schema(command)}},
                },
                "parameters": _parameters(command),
            },
            **options,
        )
    return router
