"""Wire shapes of RocketSource scans: the reference's `UploadRequest` and results query, plus the
forms the official TypeScript client sends (`filters`, `pagination`, `sorting`, `table_type`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sellerkit.calculator.schemas import MultipackPrepCost

MAX_PER_PAGE = 100


class Mapping(BaseModel):
    """Column numbers, 0-indexed."""

    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=0)
    cost: int = Field(ge=0)
    supplier_sku: int | None = Field(None, ge=0)
    supplier_image: int | None = Field(None, ge=0)
    supplier_title: int | None = Field(None, ge=0)
    supplier_pack_quantity: int | None = Field(None, ge=0)
    map: int | None = Field(None, ge=0)
    stock_quantity: int | None = Field(None, ge=0)
    discount_per_product: int | None = Field(None, ge=0)
    custom_columns: list[int] = Field(default_factory=list)

    @field_validator("custom_columns")
    @classmethod
    def _non_negative(cls, v: list[int]) -> list[int]:
        for i, col in enumerate(v):
            if col < 0:
                raise ValueError(f"custom_columns[{i}]: column numbers start at 0")
        return v

    def columns(self) -> dict[str, int]:
        """Every mapped input -> its column (custom columns as `custom_<i>`)."""
        out = {k: v for k, v in self.model_dump(exclude={"custom_columns"}).items() if v is not None}
        out.update({f"custom_{i}": col for i, col in enumerate(self.custom_columns)})
        return out


class Options(BaseModel):
    model_config = ConfigDict(extra="ignore")
    marketplace_id: str = "US"
    name: str | None = Field(None, max_length=200)
    header: bool | None = Field(None, description="row 1 is a header; default: detected")
    discount_supplier: Decimal = Field(Decimal(0), ge=0, le=100, description="percent")
    custom_columns: list[str] = Field(default_factory=list)
    multipack_prep_cost: MultipackPrepCost | None = None
    prep_cost: Decimal = Field(Decimal(0), ge=0, description="dollars per Amazon unit")
    multipack_override: bool = False
    multipack_override_quantity: int | None = Field(None, ge=1, le=1000)
    pull_historical_data: bool = False
    inbound_shipping_per_lb: Decimal = Field(Decimal(0), ge=0, le=100, description="dollars per pound")
    storage_months: int = Field(1, ge=0, le=36)
    fulfilment: Literal["FBA", "FBM"] = "FBA"
    inbound_placement: Literal["none", "estimate"] = "none"
    decimal: Literal[".", ","] | None = Field(
        None, description="the file's decimal separator; default: the marketplace's (',' for DE, FR, IT, ES ...)")

    @model_validator(mode="after")
    def _override_needs_quantity(self) -> Options:
        if self.multipack_override and not self.multipack_override_quantity:
            raise ValueError("multipack_override_quantity: required when multipack_override is set")
        return self


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    mapping: Mapping
    options: Options = Field(default_factory=Options)


class Sorting(BaseModel):
    field: str
    direction: str = "asc"


class Pagination(BaseModel):
    page: int = Field(1, ge=0)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


class ResultsQuery(BaseModel):
    """Both body forms; the client form wins where both are given."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)
    perPage: int | None = Field(None, ge=1, le=MAX_PER_PAGE)
    page: int = Field(1, ge=0)
    tableType: Literal["products", "errors"] | None = None
    table_type: Literal["products", "errors"] | None = None
    sort: str | None = None
    sorting: Sorting | None = None
    filter: list[dict[str, Any]] = Field(default_factory=list)
    filters: list[dict[str, Any]] | None = None
    pagination: Pagination | None = None

    def table(self, query_table: str | None = None) -> str:
        return self.table_type or self.tableType or query_table or "products"

    def page_and_size(self) -> tuple[int, int]:
        if self.pagination:
            return self.pagination.page, self.pagination.per_page
        return self.page, self.perPage or self.per_page

    def sort_spec(self) -> str | dict | None:
        if self.sorting:
            return self.sorting.model_dump()
        return self.sort

    def filter_items(self) -> list[dict[str, Any]]:
        return self.filters if self.filters is not None else self.filter
