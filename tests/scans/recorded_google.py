"""Google's APIs, answered from recorded responses at the `requests` transport.

`HTTPAdapter.send` is replaced (as the `responses` library does), so gspread, google-auth's token
refresh and `requests` itself all run for real above it; nothing reaches the network. Each
request is matched to an endpoint and answered with that endpoint's recording from
`recordings/`, or with a recording queued for it by `answer_next` (a 429, a 503 ...).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

RECORDINGS = Path(__file__).parent / "recordings"

ENDPOINTS = (
    ("POST", r"https://oauth2\.googleapis\.com/token", "oauth2-token"),
    ("POST", r"https://www\.googleapis\.com/drive/v3/files", "drive-files-create"),
    ("GET", r"https://sheets\.googleapis\.com/v4/spreadsheets/[^/:]+", "sheets-spreadsheets-get"),
    ("POST", r"https://sheets\.googleapis\.com/v4/spreadsheets/[^/:]+:batchUpdate", "sheets-batch-update"),
    ("PUT", r"https://sheets\.googleapis\.com/v4/spreadsheets/[^/:]+/values/.+", "sheets-values-update"),
    ("POST", r"https://www\.googleapis\.com/drive/v3/files/[^/]+/permissions", "drive-permissions-create"),
    ("DELETE", r"https://www\.googleapis\.com/drive/v3/files/[^/]+", "drive-files-delete"),
)


def recording(name: str) -> dict[str, Any]:
    return json.loads((RECORDINGS / f"{name}.json").read_text())


@dataclass
class Call:
    endpoint: str
    method: str
    url: str
    params: dict[str, str]
    body: Any
    headers: CaseInsensitiveDict
    status: int

    @property
    def range(self) -> str:
        """The A1 range of a values update."""
        return unquote(urlsplit(self.url).path.split("/values/", 1)[1])


class RecordedGoogle:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._queued: dict[str, deque[str]] = defaultdict(deque)

    def answer_next(self, endpoint: str, *recordings: str) -> None:
        """The next calls to `endpoint` get these recordings, then its usual one again."""
        self._queued[endpoint].extend(recordings)

    def to(self, endpoint: str) -> list[Call]:
        return [c for c in self.calls if c.endpoint == endpoint]

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        url = request.url.split("?", 1)[0]
        for method, pattern, endpoint in ENDPOINTS:
            if request.method == method and re.fullmatch(pattern, url):
                break
        else:
            raise AssertionError(f"no recording for {request.method} {request.url}")
        queued = self._queued[endpoint]
        answer = recording(queued.popleft() if queued else endpoint)["response"]
        self.calls.append(Call(endpoint, request.method, request.url, _params(request.url),
                               _body(request), request.headers, answer["status"]))
        return response(request, answer)


def _params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _body(request: requests.PreparedRequest) -> Any:
    raw = request.body
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    ctype = request.headers.get("Content-Type", "")
    if ctype.startswith("application/json"):
        return json.loads(text)
    return dict(parse_qsl(text))  # the token request is a form


def response(request: requests.PreparedRequest, answer: dict[str, Any]) -> requests.Response:
    resp = requests.Response()
    resp.status_code = answer["status"]
    resp.headers = CaseInsensitiveDict(answer["headers"])
    resp._content = b"" if answer["body"] is None else json.dumps(answer["body"]).encode()
    resp.encoding = "utf-8"
    resp.url = request.url
    resp.request = request
    resp.reason = "recorded"
    return resp
