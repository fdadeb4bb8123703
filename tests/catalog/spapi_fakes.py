"""A stand-in for Amazon behind httpx.MockTransport: the LWA token endpoint, and the SP-API static
sandbox of `getItemEligibilityPreview` serving the recorded examples of the SP-API model
(../shared/fixtures/external/sp-api-models/examples/fbaInbound/, read at test time, never copied).
Plus time that passes only when the client sleeps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import httpx

from sellerkit.catalog.spapi import Credentials, SpApiClient

SP_API = Path(__file__).resolve().parents[3] / "shared/fixtures/external/sp-api-models"
EXAMPLES = SP_API / "examples/fbaInbound"
MODEL = SP_API / "models/fbaInbound.json"
MISSING = f"SP-API fixtures not found at {SP_API}"
CREDENTIALS = Credentials("Atzr|refresh", "amzn1.application-oa2-client.test", "secret")


def sandbox_cases() -> dict[str, tuple[int, dict]]:
    """`{asin the sandbox matches: (status, body)}` from every `*.sandbox-static-*.json`."""
    cases = {}
    for path in sorted(EXAMPLES.glob("getItemEligibilityPreview.*.sandbox-static-*.json")):
        status = int(path.name.split(".")[1])
        case = json.loads(path.read_text())
        cases[case["request"]["parameters"]["asin"]["value"]] = (status, case["response"])
    return cases


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


class FakeTime:
    """A monotonic clock that moves only when `sleep` is awaited (or `advance` is called)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class FakeAmazon:
    """Answers LWA and getItemEligibilityPreview; records every request.

    `replies` maps an ASIN to a list of (status, body, headers) served in turn (the last one
    repeats); ASINs not in it get their `sandbox` case (see `sandbox_cases`), else an eligible
    ItemEligibilityPreview for the ASIN asked."""

    replies: dict[str, list[tuple[int, dict, dict]]] = field(default_factory=dict)
    token_replies: list[tuple[int, dict]] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    tokens_issued: int = 0
    sandbox: dict[str, tuple[int, dict]] = field(default_factory=dict)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/auth/o2/token":
            if self.token_replies:
                status, body = self.token_replies.pop(0) if len(self.token_replies) > 1 else self.token_replies[0]
                if status != 200:
                    return httpx.Response(status, json=body)
            self.tokens_issued += 1
            return httpx.Response(200, json={"access_token": f"Atza|token-{self.tokens_issued}",
                                             "token_type": "bearer", "expires_in": 3600})
        asin = request.url.params["asin"]
        if asin in self.replies:
            queue = self.replies[asin]
            status, body, headers = queue.pop(0) if len(queue) > 1 else queue[0]
            return httpx.Response(status, json=body, headers=headers)
        if asin in self.sandbox:
            status, body = self.sandbox[asin]
            return httpx.Response(status, json=body)
        return httpx.Response(200, json={"payload": {  # the model's ItemEligibilityPreview shape
            "asin": asin, "marketplaceId": request.url.params["marketplaceIds"], "program": "INBOUND",
            "isEligibleForProgram": True}})

    @property
    def calls(self) -> list[httpx.Request]:
        """The SP-API requests (not the token exchanges)."""
        return [r for r in self.requests if r.url.path != "/auth/o2/token"]

    @property
    def token_requests(self) -> list[dict[str, list[str]]]:
        return [parse_qs(r.content.decode()) for r in self.requests if r.url.path == "/auth/o2/token"]

    def client(self, time: FakeTime, credentials: Credentials | None = CREDENTIALS, **kwargs) -> SpApiClient:
        return SpApiClient(credentials, transport=httpx.MockTransport(self.handler),
                           clock=time.clock, sleep=time.sleep, **kwargs)
