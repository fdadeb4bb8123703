"""What the tracked-collections routes take and answer, for the OpenAPI document.

The routes read their bodies themselves (`tracking.router._body`): the dialect accepts numbers
written as text, lists or comma-separated text, forms as well as JSON, and names the fields it
ignores, which a validating model would refuse. These models say what is accepted and what each
reply's `data` holds; every reply is the envelope (`Envelope`), HTTP 200, success or failure.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")
Id = int | str  # a whole number, or its digits as text
Flag = bool | int | str  # true/false, 1/0, "true"/"false"


class Envelope(BaseModel, Generic[T]):
    """Every reply: `status` 1 and the result in `data`, or `status` 0, `code` the intended status
    (400 bad input, 401 no or bad key, 402 not enough credits, 404 not found or another account's,
    409 duplicate or running, 429 over the key's rate, 500) and `data` the message naming the field."""

    code: int = Field(description="200 on success; on failure the status the error stands for.")
    status: Literal[0, 1] = Field(description="1: success; 0: failure, the message in `data`.")
    data: T | str = Field(description="The result, or the failure's message.")


# ---- bodies ----------------------------------------------------------------------------------------

class Paging(BaseModel):
    skip: int | None = Field(None, ge=0, description="Records to skip (default 0).")
    limit: int | None = Field(None, ge=0, le=10_000, description="Records to return (default 100).")


class ZipcodeCreate(BaseModel):
    domain: Id = Field(description="A domain's id (`settings/domains/`).")
    zipcode: str = Field(description="The postcode, in the domain's `postcode_regex` format.")


class ZipcodeQuery(Paging):
    status: Literal["in-progress", "active", "failed"] | None = Field(None, description="Only postcodes in this state.")
    domain: Id | None = Field(None, description="Only postcodes of this domain (its id or name).")


class ProfileUpdate(BaseModel):
    timezone: str = Field(description="An IANA time zone (`Europe/Berlin`): schedule hours are read in it. "
                                      "Default `Australia/Brisbane` (UTC+10).")


class CollectionFields(BaseModel):
    name: str | None = Field(None, description="Required on create; at most 200 characters.")
    request_type: str | None = Field(None, description="`amazon` (the only type supported). Required on create.")
    schedule: Literal["Every X Minutes", "Daily", "Weekly", "Monthly", "Manual"] | None = Field(
        None, description="Default `Manual` (runs only when triggered).")
    schedule_time: dict[str, Any] | None = Field(
        None, description="`{minutes_frequency, days_of_week, hours, day_of_month}`: lower-case day names, hours "
                          "as `\"08.00\"` text, read in the account's time zone.")
    priority: Literal["Highest", "High", "Normal", "Low", "Lowest"] | None = Field(None, description="Default Normal.")
    fetch_mode: Literal["full", "availability_only"] | None = Field(None, description="Default full.")
    destinations: str | list[str] | None = Field(None, description="Webhook URLs (comma-separated or a list) that "
                                                                    "receive each completed run's summary.")
    notification_email: str | None = Field(None, description="Told of each completed run (when SMTP is set up).")


class CollectionUpdate(CollectionFields):
    collection_id: Id = Field(description="The collection (`id` is accepted too).")


class CollectionRef(BaseModel):
    collection_id: Id = Field(description="The collection (`id` is accepted too).")


class CollectionIds(BaseModel):
    collection_ids: list[Id] | Id = Field(description="1 to 50 collection ids (`ids` or `collection_id` too).")


class RunHistory(Paging):
    collection_id: Id


class ItemCreate(BaseModel):
    collection: Id = Field(description="The collection's id.")
    domain: Id = Field(description="The domain's **id** (`settings/domains/`).")
    customer_postcode: Id = Field(description="An active postcode's **id** (`zipcodes/get-zipcodes/`).")
    asin: str
    custom_id: str | None = Field(None, description="Your reference, copied to each output.")
    include_raw_html: Flag | None = Field(None, description="Keep the captured page's HTML with its output.")
    output: Literal["JSON", "HTML"] | None = Field(None, description="HTML keeps the page too. Default JSON.")


class ItemsCreate(BaseModel):
    collection: Id = Field(description="The collection's id.")
    domain: str = Field(description="The domain's **name** (`amazon.com`).")
    customer_postcode: str = Field(description="An active postcode's **value** (`10001`).")
    asins: str | list[str] = Field(description="ASINs, comma-separated or a list; at most 5,000.")
    including_raw_html: Flag | None = Field(None, description="Keep each page's HTML (this route's spelling).")


class BulkForm(BaseModel):
    collection_id: str = Field(description="The collection's id.")
    csv: bytes = Field(json_schema_extra={"format": "binary"},
                       description="CSV with the header `domain,customer_postcode,asin,include_raw_html` (domain and "
                                   "postcode by value); at most 5,000 rows.")


class ItemList(Paging):
    collection_id: Id
    with_count: Flag | None = Field(None, description="Wrap the list in `{total_count, asin_list}`.")


class ItemGet(BaseModel):
    id: Id = Field(description="The ASIN row's id (`collection` is accepted and ignored).")
    collection: Id | None = None


class ItemUpdate(BaseModel):
    asin_id: Id = Field(description="The ASIN row's id.")
    asin: str | None = None
    include_raw_html: Flag | None = None
    output: Literal["JSON", "HTML"] | None = None
    custom_id: str | None = None


class ItemRef(BaseModel):
    asin_id: Id = Field(description="The ASIN row's id.")


class OutputList(Paging):
    collection_id: Id


class OutputRef(BaseModel):
    asin_id: Id = Field(description="The **output's** id (from `output/list/`), as the service names it.")


# ---- replies ---------------------------------------------------------------------------------------

class DomainView(BaseModel):
    id: int
    domain: str
    country_code: str
    supplier_type: str
    status: str
    postcode_regex: str


class DomainRef(BaseModel):
    id: int
    domain: str


class ZipcodeView(BaseModel):
    id: int
    zipcode: str
    domain: dict[str, Any] = Field(description="`{id, domain, supplier_type}`.")
    status: str = Field(description="`in-progress`, then `active` once the delivery location is set, or `failed`.")
    message: str | None = Field(description="Why it failed.")
    created_at: str | None
    updated_at: str | None


class CreditsView(BaseModel):
    available_credits: int
    used_credits: int
    frozen_credits: int = Field(description="Held by running runs: one an item not yet captured.")
    remaining_credits: int = Field(description="available - (used + frozen): what a new run may spend.")


class ProfileView(BaseModel):
    account_id: int
    timezone: str


class CollectionView(BaseModel):
    id: int
    name: str
    status: str = Field(description="`draft` until its first ASIN, then `enable`; `Processing` while a run goes.")
    schedule_status: str
    request_type: str
    fetch_mode: str
    schedule: str
    schedule_time: dict[str, Any]
    priority: str
    destinations: list[str]
    notification_email: str | None
    is_paused: bool
    next_run_at: str | None
    last_run_at: str | None
    message: str | None = Field(description="Why the last scheduled run did not start.")
    created_at: str | None
    updated_at: str | None


class CollectionList(BaseModel):
    total_count: int
    collections: list[CollectionView]


class FileLink(BaseModel):
    file_name: str
    url: str = Field(description="`GET` it with the owner's key.")
    size: int


class RunView(BaseModel):
    id: int = Field(description="The runner id.")
    collection: int
    status: Literal["Processing", "Completed", "Failed"]
    trigger: str
    started_at: str | None
    finished_at: str | None
    records: int
    pages: int
    ok: int
    failed: int
    blocked: int
    skipped: int
    credits: int
    frozen_credits: int
    block_rate: float = Field(description="Robot checks met per page fetched, retries included.")
    progress: float
    is_download_generated: bool = Field(description="True once every page file and the ZIP are written.")
    download_links: list[FileLink] = Field(description="Pages of at most 500 items, then the ZIP of them all.")
    notification_email: str | None
    email_sent: bool
    webhooks: list[dict[str, Any]] = Field(description="Each destination's delivery: url, delivered, attempts.")
    message: str | None


class ItemView(BaseModel):
    id: int
    asin: str
    collection: int
    custom_id: str | None
    include_raw_html: bool
    output: str
    created_at: str | None
    updated_at: str | None
    domain: DomainRef | int = Field(description="`{id, domain}` on list and get; the id on create.")
    customer_postcode: dict[str, Any] | int = Field(description="`{id, zipcode}` on list and get; the id on create.")


class ItemCount(BaseModel):
    total_count: int
    asin_list: list[ItemView]


class RowError(BaseModel):
    asin: str
    error: str
    row: int | None = Field(None, description="The CSV line (bulk create).")


class RowsAdded(BaseModel):
    success_count: int
    error_rows: list[RowError]


class ItemUpdated(BaseModel):
    id: int
    asin: str
    include_raw_html: bool
    output: str
    custom_id: str | None
    updated_at: str | None


class OutputSummary(BaseModel):
    id: int
    user: int
    collection: int
    run: int
    asin_id: int = Field(description="The ASIN row it was captured for.")
    asin: str
    output_json_count: int
    created_at: str | None
    updated_at: str | None


class OutputView(BaseModel):
    id: int
    user: int
    collection: int
    run: int
    asin_id: int
    output_json: dict[str, Any] = Field(description="asin, title, price, currency, rating, review_count, "
                                                    "best_sellers_rank, availability, custom_id and every field the "
                                                    "parser read (`raw_html` when kept).")
    output_json_count: int
    created_at: str | None
    updated_at: str | None


def body(model: type[BaseModel], form: bool = False) -> dict:
    """`openapi_extra` documenting a route's body as `model` (the route reads it itself)."""
    media = "multipart/form-data" if form else "application/json"
    return {"requestBody": {"required": True, "content": {media: {"schema": model.model_json_schema()}}}}


def query(model: type[BaseModel]) -> dict:
    """`openapi_extra` documenting `model`'s fields as the query parameters of a `GET` route."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return {"parameters": [{"name": name, "in": "query", "required": name in required, "schema": prop,
                            **({"description": prop["description"]} if "description" in prop else {})}
                           for name, prop in schema["properties"].items()]}
