"""Wire shapes of RocketSource scans: the reference's `UploadRequest` and results query, plus the
forms the official TypeScript client sends (`filters`, `pagination`, `sorting`, `table_type`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from sellerkit.calculator.schemas import MAX_DOLLARS, MultipackPrepCost
from sellerkit.domain import filters, results
from sellerkit.domain.filters import MAX_FILTERS, MAX_NAME_CHARS, MAX_PAGE, MAX_PER_PAGE
from sellerkit.domain.marketplaces import MARKETPLACE_CHARS

HEAVY_FILTER_VALUES = 100  # filter values (list items, text characters) a page computes on the loop
MAX_COLUMN = 16_383  # the last column of an XLSX sheet (XFD), 0-indexed
MAX_CUSTOM_COLUMNS = 100
Column = Annotated[int, Field(ge=0, le=MAX_COLUMN)]
ColumnName = Annotated[str, Field(max_length=200)]
FieldName = Annotated[str, Field(max_length=MAX_NAME_CHARS)]


class Mapping(BaseModel):
    """Column numbers, 0-indexed."""

    model_config = ConfigDict(extra="forbid")
    id: Column
    cost: Column
    supplier_sku: Column | None = None
    supplier_image: Column | None = None
    supplier_title: Column | None = None
    supplier_pack_quantity: Column | None = None
    map: Column | None = None
    stock_quantity: Column | None = None
    discount_per_product: Column | None = None
    custom_columns: list[Column] = Field(default_factory=list, max_length=MAX_CUSTOM_COLUMNS)

    def columns(self) -> dict[str, int]:
        """Every mapped input -> its column (custom columns as `custom_<i>`)."""
        out = {k: v for k, v in self.model_dump(exclude={"custom_columns"}).items() if v is not None}
        out.update({f"custom_{i}": col for i, col in enumerate(self.custom_columns)})
        return out


class Options(BaseModel):
    """Unknown keys are refused by name: a misspelled option would silently change the scan."""

    model_config = ConfigDict(extra="forbid")
    marketplace_id: str = Field("US", max_length=MARKETPLACE_CHARS)
    name: str | None = Field(None, max_length=200)
    header: bool | None = Field(None, description="row 1 is a header; default: detected")
    discount_supplier: Decimal = Field(Decimal(0), ge=0, le=100, description="percent")
    custom_columns: list[ColumnName] = Field(default_factory=list, max_length=MAX_CUSTOM_COLUMNS)
    multipack_prep_cost: MultipackPrepCost | None = None
    prep_cost: Decimal = Field(Decimal(0), ge=0, le=MAX_DOLLARS, description="dollars per Amazon unit")
    multipack_override: bool = False
    multipack_override_quantity: int | None = Field(None, ge=1, le=1000)
    pull_historical_data: bool = False
    inbound_shipping_per_lb: Decimal = Field(Decimal(0), ge=0, le=100, description="dollars per pound")
    storage_months: int = Field(1, ge=0, le=36)
    fulfilment: Literal["FBA", "FBM"] = "FBA"
    inbound_placement: Literal["none", "estimate"] = "none"
    decimal: Literal[".", ","] | None = Field(
        None, description="the file's decimal separator; default: the marketplace's (',' for DE, FR, IT, ES ...)")
    enrich_filter: list[dict[str, Any]] | None = Field(
        None, max_length=MAX_FILTERS,
        description="With live data connected: only rows passing these filters (the results' filter items, "
                    "ANDed) are also checked for listing restrictions and offers, the costliest quota; `[]` checks "
                    "every row; unset checks none.")

    @model_validator(mode="after")
    def _override_needs_quantity(self) -> Options:
        if self.multipack_override and not self.multipack_override_quantity:
            raise ValueError("multipack_override_quantity: required when multipack_override is set")
        return self

    @field_validator("enrich_filter")
    @classmethod
    def _filter_is_valid(cls, items: list[dict[str, Any]] | None, info: ValidationInfo):
        if items is not None:
            try:
                filters.parse_filters(items, "products", result_columns(bool(info.data.get("pull_historical_data"))),
                                      key="enrich_filter")
            except filters.FilterError as exc:  # `enrich_filter[0].name: ...`, under the field's own name
                raise PydanticCustomError("enrich_filter", "{message}",
                                          {"message": str(exc).removeprefix("enrich_filter")}) from None
        return items


def wire_options(options: dict[str, Any], model: type[BaseModel] = Options) -> dict[str, Any]:
    """Stored options (JSON of `Options`, decimals as text) with their decimals as JSON numbers,
    as the official client reads them (`prep_cost: 0.5`, not `"0.5"`)."""
    out = dict(options)
    for name, info in model.model_fields.items():
        value = out.get(name)
        kinds = {info.annotation, *get_args(info.annotation)}
        if isinstance(value, str) and Decimal in kinds:
            try:
                number = Decimal(value)
            except ArithmeticError:
                continue
            out[name] = int(number) if number == number.to_integral_value() else float(number)
        elif isinstance(value, dict):
            nested = next((k for k in kinds if isinstance(k, type) and issubclass(k, BaseModel)), None)
            if nested is not None:
                out[name] = wire_options(value, nested)
    return out


def result_columns(historical: bool) -> list[str]:
    """The columns a scan's results have (historical ones only when it pulls history)."""
    return [c for c in results.ALL_PRODUCT_FIELDS if historical or not c.startswith("historical.")]


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mapping: Mapping
    options: Options = Field(default_factory=Options)


class Sorting(BaseModel):
    model_config = ConfigDict(extra="forbid")
    field: FieldName
    direction: str = Field("asc", max_length=10)


class Pagination(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int = Field(1, ge=0, le=MAX_PAGE)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


class ResultsQuery(BaseModel):
    """Both body forms; the client form wins where both are given. Every key the reference and
    the official client send is here; any other is refused by name (a misspelled filter key
    would silently return every row)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)
    perPage: int | None = Field(None, ge=1, le=MAX_PER_PAGE)
    page: int = Field(1, ge=0, le=MAX_PAGE)
    tableType: Literal["products", "errors"] | None = None
    table_type: Literal["products", "errors"] | None = None
    sort: FieldName | None = None
    sorting: Sorting | None = None
    filter: list[dict[str, Any]] = Field(default_factory=list, max_length=MAX_FILTERS)
    filters: (Annotated[list[dict[str, Any]], Field(max_length=MAX_FILTERS)]
              | Annotated[dict[str, Any], Field(max_length=MAX_FILTERS)] | None) = Field(
        None, description="The client's filters: a list of filter items, or its object "
                                                  'form, `{"cost": {">": 5}, "brand": "Acme"}` (the same items).')
    pagination: Pagination | None = None

    def table(self, query_table: str | None = None) -> str:
        return self.table_type or self.tableType or query_table or "products"

    def page_and_size(self) -> tuple[int, int]:
        if self.pagination:
            return self.pagination.page, self.pagination.per_page
        return self.page, self.perPage or self.per_page

    def sort_spec(self) -> tuple[str | dict | None, str]:
        """The sort and the body key it came under, for messages."""
        if self.sorting:
            return self.sorting.model_dump(), "sorting"
        return self.sort, "sort"

    def heavy(self) -> bool:
        """Filters carrying many or long values (a big `in` list, a long `contains`): the page is
        then computed on a worker thread, so one large query never holds the event loop."""
        size = 0
        items, key = self.filter_items()
        if isinstance(items, dict):
            try:
                items = [item for item, _ in filters.object_form(items, key)]
            except filters.FilterError:
                return False  # refused on the loop, quickly
        for item in items:
            value = item.get("value")
            size += len(value) if isinstance(value, (list, str)) else 1
        return size > HEAVY_FILTER_VALUES

    def filter_items(self) -> tuple[list[dict[str, Any]] | dict[str, Any], str]:
        """The filter items and the body key they came under, for messages."""
        return (self.filters, "filters") if self.filters is not None else (self.filter, "filter")


MAX_BRANDS = 1_000
BRAND_CHARS = 200  # the brands table's column


class BrandBlocklist(BaseModel):
    model_config = ConfigDict(extra="forbid")
    brands: list[Annotated[str, Field(max_length=BRAND_CHARS)]] = Field(
        max_length=MAX_BRANDS, description=f"Brand names (case-insensitive), at most {MAX_BRANDS:,}.")


# ---- replies (documentation of what the service's views hold; the routes send those as they are) --

ScanStatus = Literal["InProgress", "Success", "Error", "Cancelled"]
ExportStatus = Literal["InProgress", "Success", "Error"]


class EnrichmentStage(BaseModel):
    done: int = Field(description="Codes or ASINs answered (or given up on) so far.")
    total: int = Field(description="Codes or ASINs this stage asks for (grows while matching finds ASINs).")
    missed: int = Field(0, description="Those no provider knows (remembered for SELLERKIT_TTL_MISSES).")
    failed: int = Field(0, description="Those that could not be asked now (a rerun asks again).")


class Waiting(BaseModel):
    operation: str = Field(description="The budget's operation, e.g. getCompetitivePricing, or Keepa's tokens.")
    provider: str = Field(description="spapi or keepa.")
    rows: int = Field(description="Rows of the file still waiting on this budget.")
    expected_done_at: str = Field(description="When this budget is expected to have answered them (ISO 8601, UTC).")


class Unavailable(BaseModel):
    data: Literal["catalog", "pricing", "fees", "offers", "restrictions"]
    turn_on: str = Field(description="The settings or command that turn it on.")


class Enrichment(BaseModel):
    """How a scan spends its account's quota: stages in order of cost (see docs/providers.md)."""

    stage: str | None = Field(
        None, description="match, pricing, fees, filter, restrictions, offers, results or done; null when no "
                          "live data is connected.")
    providers: list[str] = Field(description="The providers asked, in order (empty: the local catalog only).")
    stages: dict[str, EnrichmentStage] = Field(default_factory=dict, description="match, pricing, fees, "
                                               "restrictions, offers: only those with something to ask.")
    waiting_on: list[Waiting] = Field(default_factory=list)
    expected_finish_at: str | None = Field(None, description="When the live data is expected complete.")
    unavailable: list[Unavailable] = Field(
        default_factory=list, description="Live data no connected provider gives, and what turns it on.")


class ScanView(BaseModel):
    """A scan as RocketSource shows it."""

    id: int
    name: str
    marketplace: str = Field(description="Marketplace code, e.g. US.")
    status: ScanStatus
    file_name: str
    lines: int = Field(description="Data rows in the file (0 until counted).")
    processed: int = Field(description="Rows done so far.")
    products: int = Field(description="Result rows (matched products).")
    errors: int = Field(description="Rows that could not be scanned (see the errors table).")
    progress: float = Field(ge=0, le=100, description="Percent of the rows done.")
    speed: int = Field(description="Rows a minute.")
    message: str | None = Field(description="Why a scan failed or was cancelled.")
    mapping: dict[str, Any] = Field(description="The column mapping it was uploaded with (`Mapping`).")
    options: dict[str, Any] = Field(description="The options it was uploaded with (`Options`).")
    created_at: str | None = Field(description="ISO 8601, UTC.")
    started_at: str | None
    finished_at: str | None
    updated_at: str | None
    results_status: ScanStatus | None = Field(
        description="How the run whose results are shown ended; null until a run has ended.")
    results_finished_at: str | None = Field(description="When that run ended (ISO 8601, UTC).")
    results_from_previous_run: bool = Field(
        description="True while a rerun runs or after it failed: the results shown are the previous run's.")
    enrichment: Enrichment | None = Field(
        None, description="Live data (SP-API, Keepa) the latest run brought up to date before computing results "
                          "(a re-pricing asks none and leaves it as it was); null for a scan run before live data "
                          "existed. See docs/providers.md.")
    user_id: int = Field(description="The official client's `PublicScan`: the account (sellerkit's user).")
    account_id: int = Field(description="The account the scan belongs to.")
    source_type: Literal["Upload", "API"] = Field(description="`Upload`: the scan is of an uploaded file (all are).")
    source_id: int = Field(description="The uploaded file the scan reads: the scan's own id.")
    deleted_at: None = Field(description="Always null: a deleted scan is gone.")


class PageMeta(BaseModel):
    page: int
    per_page: int
    total: int


class ListPagination(BaseModel):
    page: int
    per_page: int


class ScanList(BaseModel):
    count: int = Field(description="Scans of the account.")
    data: list[ScanView]
    meta: PageMeta
    total: int = Field(description="The official client's `PaginatedResults`: the same as `count`.")
    pagination: ListPagination = Field(description="The official client's page and page size.")


class ColumnDefinition(BaseModel):
    type: Literal["text", "int", "float", "money", "ratio", "bool", "texts"]
    unit: Literal["cents", "basis_points"] | None = Field(None, description="Only for money and ratios.")


class ResultsMeta(PageMeta):
    table_type: Literal["products", "errors"]
    status: ScanStatus = Field(description="The scan's status: results grow while it is InProgress.")
    errors: int = Field(description="The official client's `ResultsMetadata`: the scan's error rows.")
    lines: int = Field(description="Data rows in the scan's file.")
    products: int = Field(description="The scan's result rows.")
    source_id: int = Field(description="The uploaded file: the scan's id.")
    source_type_id: int = Field(description="1: an uploaded file (the client's `ScanSource` Upload).")
    user_id: int = Field(description="The account.")
    scanned_at: str | None = Field(None, description="When the run whose results these are ended (ISO 8601, "
                                                     "UTC); left out until one has.")
    columns: dict[str, ColumnDefinition] = Field(description="The page's columns: what a filter, a sort or a CSV "
                                                             "header names, with its type and unit.")


class ResultsPage(BaseModel):
    """One page of a scan's products (RocketSource's nested product objects) or error rows."""

    count: int = Field(description="Rows that match the filter.")
    data: list[dict[str, Any]] = Field(description="The page's rows.")
    meta: ResultsMeta
    options: dict[str, Any] = Field(description="The scan's options.")


class ScanDeleted(BaseModel):
    id: int
    deleted: bool


class ExportJob(BaseModel):
    """A download being prepared in the background (or a Google Sheets export)."""

    id: int
    scan_id: int
    type: Literal["csv", "xlsx", "json", "gsheet"]
    table_type: Literal["products", "errors"]
    status: ExportStatus
    rows: int
    done: int
    progress: float = Field(ge=0, le=100)
    url: str | None = Field(description="Where to fetch the file once `status` is Success (the sheet's URL for gsheet).")
    message: str | None
    created_at: str | None
    finished_at: str | None


class SheetLink(BaseModel):
    url: str = Field(description="The new Google spreadsheet.")


EXPORT_MEDIA = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "json": "application/json"}
_FILE = {"type": "string", "format": "binary"}
_JSON_ROWS = {"type": "array", "items": {"type": "object"},
              "description": "Product objects (as in the results), or error rows with table_type=errors."}


def _file_content(formats) -> dict:
    return {EXPORT_MEDIA[f]: {"schema": _JSON_ROWS if f == "json" else _FILE} for f in formats}


def download_replies(*formats: str) -> dict:
    """A download's replies: the file now (200), or a background job to poll (202)."""
    formats = formats or tuple(EXPORT_MEDIA)
    return {
        200: {"description": "The file, as an attachment (`Content-Disposition`).", "content": _file_content(formats)},
        202: {"model": ExportJob, "description": "Too large to send now (or `background=true`): a job to poll "
                                                 "at `/api/v3/exports/{id}`; its `url` gives the file when done."},
    }


DOWNLOAD_REPLIES = download_replies()
EXPORT_FILE_REPLIES = {
    200: {"description": "The prepared file.", "content": _file_content(EXPORT_MEDIA)},
    409: {"description": "The export has no file (still running, failed, or a Google Sheet)."},
}
SHEETS_ERRORS = {400: {"description": "Google Sheets is not set up on this server, or bad input."},
                 502: {"description": "Google refused or failed the export; the message has Google's reason."}}
