from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class KeyInfo(BaseModel):
    partner_id: str
    name: str
    account_id: int
    account: str
    plan: str | None
    key_hint: str = Field(description="Last characters of the secret, to tell keys apart.")
    rate_limit_rps: int | None
    created_at: str
    revoked: bool


class AccountInfo(BaseModel):
    account_id: int
    name: str
    plan: str | None
    keys: list[KeyInfo]


class IssuedKeyOut(BaseModel):
    key: str = Field(description="The secret. Shown once: store it now.")
    partner_id: str = Field(description="Public identifier; safe in URLs and logs.")
    account_id: int
    plan: str | None


class NewKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="A label for the key: 1 to 64 printable characters once leading and "
                      "trailing spaces are trimmed (400 naming `name` otherwise).")


class TokensReply(BaseModel):
    """ASINScope's `/account/tokens`; the limits are null on an unlimited plan."""

    dailyTokensLeft: int | None = Field(description="Tokens left today.")
    dailyTokensLimit: int | None = Field(description="Tokens a day on the account's plan.")
    minutelyTokensLeft: int | None = Field(description="Tokens in the bucket now.")
    minutelyBucketCapacity: int | None = Field(description="The bucket's capacity.")
    tokensPerMinute: int | None = Field(description="The bucket's refill rate.")
    msBeforeNextDailyReset: int = Field(description="Milliseconds until 00:00 UTC, when the daily allowance resets.")
