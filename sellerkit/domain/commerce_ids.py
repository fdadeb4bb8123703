"""Wire ids of the SellerChamp dialect: 24 lower-case hex characters, like the reference's
(MongoDB ObjectIds), for the integer ids sellerkit stores.

An id is the 96-bit block (8 bytes of the integer, 4 bytes of a tag) passed through a keyed
Feistel permutation (4 rounds of keyed BLAKE2b over 48-bit halves). So:
- it is reversible without a table (decode runs the rounds backwards);
- consecutive integers give unrelated-looking ids, and without the installation's key (a random
  row made by the migration) nobody can mint or enumerate them;
- the tag is keyed by the object's kind, so a product's id given where an order's is expected,
  or 24 random hex characters, decode to nothing (a 404), with odds of 1 in 2**32 of a false hit.
Pure: no I/O; the key is passed in.
"""

from __future__ import annotations

import hashlib
import re

HEX_ID = re.compile(r"[0-9a-fA-F]{24}\Z")
HEX_ID_PATTERN = "^[0-9a-fA-F]{24}$"
_MASK48 = (1 << 48) - 1
_ROUNDS = 4


class IdCodec:
    """Encodes and decodes the ids of one installation (its `key`)."""

    __slots__ = ("_key", "_round_keys")

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("id key: at least 16 bytes")
        self._key = key
        self._round_keys = [hashlib.blake2b(bytes([r]), key=key[:64], digest_size=32).digest()
                            for r in range(_ROUNDS)]

    def _f(self, r: int, half: int) -> int:
        digest = hashlib.blake2b(half.to_bytes(6, "big"), key=self._round_keys[r], digest_size=6).digest()
        return int.from_bytes(digest, "big")

    def _tag(self, kind: str, n: int) -> int:
        digest = hashlib.blake2b(kind.encode() + b"\0" + n.to_bytes(8, "big"), key=self._key[:64],
                                 digest_size=4).digest()
        return int.from_bytes(digest, "big")

    def encode(self, kind: str, n: int) -> str:
        """The wire id of object `n` of `kind` (`"product"`, `"order"` ...)."""
        if not 0 < n < 1 << 63:
            raise ValueError(f"{kind} id out of range: {n}")
        block = (n << 32) | self._tag(kind, n)
        left, right = block >> 48, block & _MASK48
        for r in range(_ROUNDS):
            left, right = right, left ^ self._f(r, right)
        return f"{(left << 48) | right:024x}"

    def decode(self, kind: str, text: object) -> int | None:
        """The integer behind a wire id of `kind`; None when `text` is not one (malformed, of
        another kind, or never issued by this installation)."""
        if not isinstance(text, str) or not HEX_ID.match(text):
            return None
        block = int(text, 16)
        left, right = block >> 48, block & _MASK48
        for r in reversed(range(_ROUNDS)):
            left, right = right ^ self._f(r, left), left
        block = (left << 48) | right
        n, tag = block >> 32, block & 0xFFFFFFFF
        if n <= 0 or n >= 1 << 63 or tag != self._tag(kind, n):
            return None
        return n
