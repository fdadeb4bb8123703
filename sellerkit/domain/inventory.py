"""Inventory rules of a product or variant held in locations (no I/O).

A sale takes quantity from the locations in priority order (lowest number first, then the
oldest location), moves it to `awaiting_pick`, and removes a `delete_if_empty` location whose
quantity reaches zero. What an order took is recorded per location (a `Take`, with the
location's name, priority and flag), so cancelling gives back exactly that to the same location,
making it again when it was removed, and shipping moves it out of `awaiting_pick`. Quantity is
conserved: what the locations hold plus what awaits pick plus what shipped only changes by
receiving stock (tests/domain/test_inventory.py holds this as a property).

An order asking for more than the locations hold takes what there is and records the rest as
`short` (the sale happened on the channel; it cannot be refused here). Two orders racing for
the last unit are serialised by the caller's row lock: the second sees zero and is short.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sellerkit.domain.quoting import quote


class InventoryError(ValueError):
    """A quantity rule broken by the request (a negative quantity, a move past what is held)."""


@dataclass(frozen=True, slots=True)
class Slot:
    """A location as the rules see it."""

    id: int
    name: str
    quantity: int
    priority: int = 1
    delete_if_empty: bool = False


@dataclass(frozen=True, slots=True)
class Take:
    """Quantity an order took from one location, with what it takes to make the location again."""

    location_id: int
    name: str
    priority: int
    delete_if_empty: bool
    quantity: int


@dataclass(frozen=True, slots=True)
class Sale:
    takes: tuple[Take, ...]
    short: int  # what the locations could not give
    slots: tuple[Slot, ...]  # the locations after the sale (emptied delete_if_empty ones gone)
    removed: tuple[int, ...]  # ids of the locations the sale emptied and removed

    @property
    def taken(self) -> int:
        return sum(t.quantity for t in self.takes)


def check_quantity(value: int, field: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InventoryError(f"{field}: expected a whole number of at least 0, got {quote(value)}")
    return value


def picking_order(slots: Iterable[Slot]) -> list[Slot]:
    return sorted(slots, key=lambda s: (s.priority, s.id))


def sell(slots: Sequence[Slot], wanted: int) -> Sale:
    """Take `wanted` units from `slots` by priority."""
    check_quantity(wanted)
    left = wanted
    takes, after, removed = [], {s.id: s for s in slots}, []
    for slot in picking_order(slots):
        if left == 0:
            break
        n = min(slot.quantity, left)
        if n == 0:
            continue
        left -= n
        takes.append(Take(slot.id, slot.name, slot.priority, slot.delete_if_empty, n))
        if slot.quantity == n and slot.delete_if_empty:
            del after[slot.id]
            removed.append(slot.id)
        else:
            after[slot.id] = replace(slot, quantity=slot.quantity - n)
    return Sale(tuple(takes), left, tuple(after.values()), tuple(removed))


def give_back(slots: Sequence[Slot], takes: Iterable[Take], new_id: int | None = None) -> tuple[Slot, ...]:
    """The locations after a cancellation returns `takes`: each to its location, or to a
    location made again with the take's name, priority and flag when the sale removed it (or
    someone deleted it since); returns to the same removed location join into one. Remade
    locations get the ids `new_id`, `new_id + 1` ... in this pure model (the database gives its
    own), or their old ids without `new_id`."""
    after = {s.id: s for s in slots}
    by_name = {s.name: s.id for s in slots}
    for take in takes:
        target = take.location_id if take.location_id in after else by_name.get(take.name)
        if target is None:
            if new_id is None:
                target = take.location_id
            else:
                target, new_id = new_id, new_id + 1
            after[target] = Slot(target, take.name, 0, take.priority, take.delete_if_empty)
            by_name[take.name] = target
        after[target] = replace(after[target], quantity=after[target].quantity + take.quantity)
    return tuple(after.values())


def move(slots: Sequence[Slot], source: int, target: int, quantity: int) -> tuple[Slot, ...]:
    """Move `quantity` units between two locations of the same product; a `delete_if_empty`
    source left at zero is removed."""
    check_quantity(quantity)
    after = {s.id: s for s in slots}
    if source not in after or target not in after:
        raise InventoryError(f"location: no location {source if source not in after else target} on this product")
    if after[source].quantity < quantity:
        raise InventoryError(f"quantity: location {quote(after[source].name)} holds {after[source].quantity}, "
                             f"cannot move {quantity}")
    if source == target or quantity == 0:
        return tuple(after.values())
    after[target] = replace(after[target], quantity=after[target].quantity + quantity)
    left = after[source].quantity - quantity
    if left == 0 and after[source].delete_if_empty:
        del after[source]
    else:
        after[source] = replace(after[source], quantity=left)
    return tuple(after.values())


def available(slots: Iterable[Slot]) -> int:
    """A product's or variant's `quantity_available`: the sum of its locations."""
    return sum(s.quantity for s in slots)
