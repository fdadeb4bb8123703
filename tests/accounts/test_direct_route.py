"""`DirectRoute`: a hot route's inputs resolved without FastAPI's dependency solver, every request
that is not plainly valid answered by FastAPI's own handler (so its errors are FastAPI's)."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field

from sellerkit.accounts.dependencies import CurrentPrincipal, DirectRoute
from sellerkit.kit.http import JSON, DbReader
from tests.conftest import make_client

router = APIRouter(route_class=DirectRoute)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=5)


@router.get("/direct/query")
async def with_query(who: CurrentPrincipal, reader: DbReader,
                     code: Annotated[str | None, Query(max_length=5)] = None,
                     domain: Annotated[str, Query(max_length=3)] = "com"):
    one = reader.rows("SELECT 1", ())[0][0]
    return JSON({"code": code, "domain": domain, "partner": who.partner_id, "read": one})


@router.post("/direct/body")
async def with_body(body: Body, who: CurrentPrincipal):
    return JSON({"name": body.name, "partner": who.partner_id})


@router.get("/direct/header")
async def with_header(who: CurrentPrincipal, x_note: Annotated[str | None, Header()] = None):
    return JSON({"note": x_note})


@pytest.fixture
def client(db, settings):
    with make_client(db, settings) as c:
        c.app.include_router(router)
        yield c


@pytest.fixture
def key(new_key):
    return new_key("direct", plan="pro")


@pytest.fixture
def no_solver(monkeypatch):
    """FastAPI's dependency solver made to fail: a request answered anyway did not use it."""
    import fastapi.routing

    def refuse(*args, **kwargs):
        raise AssertionError("FastAPI's dependency solver ran")

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", refuse)


class TestDirectRoute:
    def test_calls_the_endpoint_with_the_query_the_principal_and_a_reader(self, client, key, no_solver):
        r = client.get("/direct/query", params={"code": "abc", "key": key.key})
        assert r.json() == {"code": "abc", "domain": "com", "partner": key.partner_id, "read": 1}

    def test_calls_the_endpoint_with_the_validated_body(self, client, key, no_solver):
        r = client.post("/direct/body", json={"name": "abc"}, headers={"Authorization": f"Bearer {key.key}"})
        assert r.json() == {"name": "abc", "partner": key.partner_id}

    def test_a_query_value_past_its_limit_gets_fastapis_message(self, client, key):
        r = client.get("/direct/query", params={"code": "abcdef", "key": key.key})
        assert (r.status_code, r.json()["message"]) == (400, "query.code: String should have at most 5 characters")

    def test_a_body_the_model_refuses_gets_fastapis_message(self, client, key):
        r = client.post("/direct/body", json={"name": "abc", "extra": 1}, headers={"Authorization": f"Bearer {key.key}"})
        assert (r.status_code, r.json()["message"]) == (400, "extra: unknown field; expected one of name")

    def test_a_body_that_is_not_json_gets_fastapis_message(self, client, key):
        r = client.post("/direct/body", content=b"{nope", headers={"Authorization": f"Bearer {key.key}",
                                                                    "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["message"].startswith("request body is not valid JSON")

    def test_a_body_sent_as_a_form_gets_fastapis_message(self, client, key):
        r = client.post("/direct/body", data={"name": "abc"}, headers={"Authorization": f"Bearer {key.key}"})
        assert r.status_code == 400 and "Content-Type: application/json" in r.json()["message"]

    def test_a_request_without_a_key_is_401(self, client, no_solver):
        assert client.get("/direct/query", params={"code": "abc"}).status_code == 401

    def test_a_revoked_key_is_401_at_once(self, client, db, key, no_solver):
        from sellerkit.accounts.service import keys

        assert client.get("/direct/query", params={"key": key.key}).status_code == 200
        with db.session(write=True) as s:
            keys.revoke(s, key.partner_id)
        assert client.get("/direct/query", params={"key": key.key}).status_code == 401

    def test_a_route_with_inputs_it_does_not_resolve_is_fastapis(self, client, key):
        r = client.get("/direct/header", headers={"X-Note": "hi", "Authorization": f"Bearer {key.key}"})
        assert r.json() == {"note": "hi"}


def lane_of(app):
    from sellerkit.accounts.dependencies import DirectLane

    layer = app.middleware_stack
    while not isinstance(layer, DirectLane):
        layer = layer.app
    return layer


def refuse_routing(app, monkeypatch) -> None:
    """The app's router made to fail: a request answered anyway took the lane."""
    async def refuse(*args, **kwargs):
        raise AssertionError("routed")

    monkeypatch.setattr(app.router, "middleware_stack", refuse)


@pytest.fixture
def no_routing(client, monkeypatch):
    refuse_routing(client.app, monkeypatch)


class TestDirectLane:
    """Once the router chose a DirectRoute for a path, that path's requests go to it from the
    scope (`DirectLane`), with the same replies and errors as when routed."""

    def test_a_path_the_router_chose_is_answered_without_routing(self, client, key, monkeypatch):
        first = client.get("/direct/query", params={"code": "abc", "key": key.key})
        refuse_routing(client.app, monkeypatch)
        again = client.get("/direct/query", params={"code": "abc", "key": key.key})
        assert (again.status_code, again.content) == (first.status_code, first.content)
        assert again.headers["x-ratelimit-limit"] == first.headers["x-ratelimit-limit"]

    def test_a_path_never_routed_is_routed(self, client, key, no_routing):
        with pytest.raises(AssertionError, match="routed"):
            client.get("/direct/query", params={"code": "abc", "key": key.key})

    def test_errors_are_the_routed_ones(self, client, db, key):
        from sellerkit.accounts.service import keys

        def replies():
            with db.session(write=True) as s:  # a key of its own each time: the revoked one stays revoked
                other = keys.create(s, name="other", plan="pro")
            out = [client.get("/direct/query", params={"code": "abcdef", "key": key.key}),
                   client.get("/direct/query", params={"code": "abc"}),
                   client.get("/direct/query", params={"code": "abc", "key": "sk_nope"}),
                   client.post("/direct/body", json={"name": "abc", "extra": 1},
                               headers={"Authorization": f"Bearer {key.key}"}),
                   client.post("/direct/body", content=b"{nope", headers={"Authorization": f"Bearer {key.key}",
                                                                           "Content-Type": "application/json"}),
                   client.post("/direct/body", json={"name": "abc"})]
            assert client.get("/direct/query", params={"key": other.key}).status_code == 200
            with db.session(write=True) as s:
                keys.revoke(s, other.partner_id)
            out.append(client.get("/direct/query", params={"key": other.key}))  # revoked: 401 at once
            return [(r.status_code, r.json()) for r in out]

        routed = replies()  # the first request of each path is routed: the lane learns it
        client.get("/direct/query", params={"key": key.key})
        client.post("/direct/body", json={"name": "abc"}, headers={"Authorization": f"Bearer {key.key}"})
        assert {("GET", "/direct/query"), ("POST", "/direct/body")} <= set(lane_of(client.app).routes)
        assert replies() == routed
        assert [s for s, _ in routed] == [400, 401, 401, 400, 400, 401, 401]

    def test_the_rate_limit_refuses_in_the_lane_as_routed(self, client, db, key):
        from sellerkit.accounts.service import keys

        with db.session(write=True) as s:
            keys.set_limit(s, key.partner_id, 1)
        answers = [client.get("/direct/query", params={"key": key.key}) for _ in range(4)]
        statuses = [r.status_code for r in answers]
        assert statuses[0] == 200 and 429 in statuses
        refused = next(r for r in answers if r.status_code == 429)
        assert refused.json()["message"].startswith(f"too many requests: key {key.partner_id}")
        assert refused.headers["retry-after"]
