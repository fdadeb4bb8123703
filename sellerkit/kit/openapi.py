"""The published OpenAPI document, made to say what the server answers. FastAPI documents each
route's parameters, body and reply model; it cannot see what the app's own plumbing answers, so
this adds it from the routes themselves: the four key styles (`accounts.dependencies`) on every
route that takes a key, and the errors each route gives in the error shape of its dialect
(`kit.http.error_response`): 400 for bad input (never FastAPI's 422), 401 and 429 where a key is
checked, 404 where a path names an object, 408 and 413 where a body is read. The envelope
dialect (tracked collections) answers its errors inside a 200 (`_document_envelope_route`). Errors that only some
routes give (409, 422 ...) are declared on the route with a description; their body is filled
in here."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from sellerkit.kit.http import DialectErrorRoute, EnvelopeRoute


class ErrorReply(BaseModel):
    """Every error: what is wrong and where (field, row or column), and the HTTP status."""

    message: str = Field(description="What is wrong and what to change; names the field, row or column.")
    status: int = Field(description="The HTTP status, repeated.")


class DialectErrorReply(ErrorReply):
    """The errors of ASINScope's routes, whose reference answers `{"error": ...}`, and of the commerce
    routes, whose clients read `error` or `message`."""

    error: str = Field(description="The error text (ASINScope's own wording where its reference fixes one).")


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Ready(BaseModel):
    ready: bool = Field(description="True when every check is `ok`.")
    checks: dict[str, str] = Field(description="Each dependency (`database`, `redis`, the file store) and "
                                               "`ok` or why it is not reachable.")


SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "`Authorization: Bearer <key>` (`Bearer: <key>`, `Token <key>` and a bare "
                              "`<key>` as the Authorization value are accepted too)."},
    "tokenHeader": {"type": "apiKey", "in": "header", "name": "Token", "description": "`Token: <key>`."},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "`X-Api-Key: <key>`."},
    "keyQuery": {"type": "apiKey", "in": "query", "name": "key",
                 "description": "`?key=<key>` (ASINScope's style; a URL may end up in logs, prefer a header)."},
}
# Any one of them (OpenAPI: each item of `security` is an alternative).
KEYED = [{name: []} for name in SECURITY_SCHEMES]

_RETRY = {
    "Retry-After": {"description": "Whole seconds to wait (at least 1).", "schema": {"type": "integer"}},
    "Retry-After-Ms": {"description": "The exact wait in milliseconds.", "schema": {"type": "integer"}},
}
# On every reply to a request that passed the key's rate check (`kit.http.RateLimitHeaders`).
_RATE = {
    "X-RateLimit-Limit": {"description": "The key's requests a second.", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the bucket now.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "Seconds until the bucket is full again.", "schema": {"type": "integer"}},
}
_BAD_INPUT = "Invalid input: the message names the parameter or field at fault and what it must be."
_GENERIC = {
    "400": _BAD_INPUT,
    "401": "No key, or a key that was never issued, was rotated or was revoked.",
    "404": "No such object for the calling account (another account's objects are 404 too).",
    "408": "The request body did not arrive in time (SELLERKIT_BODY_READ_TIMEOUT in all, "
           "SELLERKIT_BODY_IDLE_TIMEOUT between parts); the connection is closed.",
    "413": "Request body larger than the route's limit; the connection is closed.",
    "429": "Over the key's request rate or the plan's tokens; wait `Retry-After` seconds.",
}


def _calls(dependant) -> set:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def _key_check(route) -> str | None:
    """`"401"` when a missing key is a 401, `"400"` where the dialect answers 400 (ASINScope's
    `/account/tokens`), None when the route takes no key."""
    from sellerkit.accounts.dependencies import require_principal, require_principal_400

    calls = _calls(route.dependant)
    if require_principal_400 in calls:
        return "400"
    if require_principal in calls:
        return "401"
    return None


def _error_content(dialect: bool) -> dict:
    name = "DialectErrorReply" if dialect else "ErrorReply"
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def _is_fastapi_422(response: dict) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")


def _api_routes(app: FastAPI) -> list[tuple[Any, APIRoute]]:
    """(the route as mounted, the route as declared) for every APIRoute of the app."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # FastAPI before included routers became contexts: the routes are flat
        return [(r, r) for r in app.routes if isinstance(r, APIRoute)]
    return [(c, c.original_route) for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def _document_route(route, dialect: bool, op: dict, method: str) -> None:
    responses = op.setdefault("responses", {})
    if _is_fastapi_422(responses.get("422", {})):
        del responses["422"]  # validation answers 400 (kit.http); FastAPI's guess is wrong here
    missing_key = _key_check(route)
    codes: list[str] = []
    if op.get("parameters") or op.get("requestBody") or missing_key == "400":
        codes.append("400")
    if missing_key:
        op["security"] = KEYED
        codes += ["401", "429"]
    if "{" in route.path_format:
        codes.append("404")
    if method in ("POST", "PUT", "PATCH"):
        codes += ["408", "413"]
    for code in codes:
        entry = responses.setdefault(code, {})
        if not entry.get("description"):
            entry["description"] = _GENERIC[code]
    if missing_key == "400":
        responses["400"]["description"] += " A missing key is a 400 here, as in the reference."
    if "429" in responses:
        responses["429"].setdefault("headers", {}).update(_RETRY)
    if missing_key:
        for code, entry in responses.items():
            if code[0] == "2":
                entry.setdefault("headers", {}).update(_RATE)
    for code, entry in responses.items():
        if code[0] in "45" and "content" not in entry:
            entry["content"] = _error_content(dialect)
    op["responses"] = dict(sorted(responses.items()))


def _document_envelope_route(op: dict, method: str) -> None:
    """A route of the envelope dialect (`kit.http.EnvelopeRoute`): every reply is HTTP 200, its
    failures inside the envelope, so no 400/401/404/429 statuses; a key unless the route says
    `security: []`; 408 and 413 (before routing) where a body is read."""
    responses = op.setdefault("responses", {})
    responses.pop("422", None)
    keyed = op.get("security") != []
    if keyed:
        op["security"] = KEYED
        responses["200"].setdefault("headers", {}).update(_RATE)
    if method in ("POST", "PUT", "PATCH"):
        for code in ("408", "413"):
            responses[code] = {"description": _GENERIC[code], "content": _error_content(False)}
    op["responses"] = dict(sorted(responses.items()))


def _drop_unused_validation_schemas(doc: dict) -> None:
    text = str(doc["paths"])
    schemas = doc.get("components", {}).get("schemas", {})
    if "HTTPValidationError" not in text:
        schemas.pop("HTTPValidationError", None)
        if "#/components/schemas/ValidationError" not in text:
            schemas.pop("ValidationError", None)


def published_openapi(app: FastAPI) -> dict:
    """FastAPI's document of `app`, with the key styles and every route's errors added."""
    doc = FastAPI.openapi(app)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (ErrorReply, DialectErrorReply):
        schemas[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components["securitySchemes"] = SECURITY_SCHEMES
    for route, original in _api_routes(app):
        if not route.include_in_schema:
            continue
        for method in route.methods:
            op = doc["paths"].get(route.path_format, {}).get(method.lower())
            if op is not None and isinstance(original, EnvelopeRoute):
                _document_envelope_route(op, method)
            elif op is not None:
                _document_route(route, isinstance(original, DialectErrorRoute), op, method)
    _drop_unused_validation_schemas(doc)
    return doc


def install_openapi(app: FastAPI) -> None:
    """Serve `published_openapi` at `/openapi.json` (built once, on the first request)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = published_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
