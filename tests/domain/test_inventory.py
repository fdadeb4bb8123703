"""Inventory rules: priority order, delete_if_empty, give back, moves, and quantity conserved
across any sequence of sales, cancellations, moves and shipments (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sellerkit.domain.inventory import InventoryError, Slot, Take, available, give_back, move, sell


def slots(*specs) -> tuple[Slot, ...]:
    return tuple(Slot(i, f"L{i}", q, p, d) for i, (q, p, d) in enumerate(specs, start=1))


class TestSell:
    def test_takes_from_the_lowest_priority_number_first(self):
        sale = sell(slots((5, 2, False), (3, 1, False)), 4)
        assert [(t.location_id, t.quantity) for t in sale.takes] == [(2, 3), (1, 1)]
        assert sale.short == 0 and available(sale.slots) == 4

    def test_equal_priorities_take_the_oldest_location_first(self):
        sale = sell(slots((2, 1, False), (2, 1, False)), 1)
        assert [t.location_id for t in sale.takes] == [1]

    def test_removes_a_delete_if_empty_location_that_reaches_zero(self):
        sale = sell(slots((1, 1, True), (5, 2, True)), 2)
        assert sale.removed == (1,) and [s.id for s in sale.slots] == [2]

    def test_keeps_an_emptied_location_without_the_flag(self):
        sale = sell(slots((1, 1, False)), 1)
        assert sale.removed == () and sale.slots[0].quantity == 0

    def test_takes_what_there_is_and_records_the_shortfall(self):
        sale = sell(slots((1, 1, False)), 3)
        assert (sale.taken, sale.short) == (1, 2)

    def test_negative_quantity_is_refused(self):
        with pytest.raises(InventoryError, match="quantity: expected a whole number of at least 0"):
            sell(slots((1, 1, False)), -1)


class TestGiveBack:
    def test_returns_to_the_same_location(self):
        before = slots((5, 1, False), (5, 2, False))
        sale = sell(before, 7)
        assert {s.id: s.quantity for s in give_back(sale.slots, sale.takes)} == {1: 5, 2: 5}

    def test_makes_a_removed_location_again_with_its_name_priority_and_flag(self):
        sale = sell(slots((2, 3, True)), 2)
        (again,) = give_back(sale.slots, sale.takes, new_id=9)
        assert (again.id, again.name, again.quantity, again.priority, again.delete_if_empty) == (9, "L1", 2, 3, True)

    def test_two_removed_locations_are_both_made_again(self):
        sale = sell(slots((1, 1, True), (1, 1, True)), 2)
        again = give_back(sale.slots, sale.takes, new_id=9)
        assert sorted((s.id, s.name, s.quantity) for s in again) == [(9, "L1", 1), (10, "L2", 1)]

    def test_returns_to_a_location_of_the_same_name_made_since(self):
        take = Take(1, "A1", 1, True, 2)
        (slot,) = give_back((Slot(7, "A1", 1),), [take])
        assert (slot.id, slot.quantity) == (7, 3)


class TestMove:
    def test_moves_between_locations(self):
        after = move(slots((3, 1, False), (0, 2, False)), 1, 2, 2)
        assert {s.id: s.quantity for s in after} == {1: 1, 2: 2}

    def test_refuses_more_than_the_source_holds(self):
        with pytest.raises(InventoryError, match=r"holds 3, cannot move 4"):
            move(slots((3, 1, False), (0, 2, False)), 1, 2, 4)

    def test_empties_and_removes_a_flagged_source(self):
        after = move(slots((3, 1, True), (0, 2, False)), 1, 2, 3)
        assert [s.id for s in after] == [2]


class Stock:
    """The rules composed as a service composes them, with a ledger of open takes per order."""

    def __init__(self, specs):
        self.slots = slots(*specs)
        self.next_id = len(self.slots) + 1
        self.open: dict[int, list[Take]] = {}
        self.shipped = 0
        self.received = available(self.slots)

    def total(self) -> int:
        return available(self.slots) + sum(t.quantity for ts in self.open.values() for t in ts) + self.shipped

    def sell(self, order: int, n: int) -> None:
        if order in self.open:
            return  # an order takes stock once
        before = available(self.slots)
        sale = sell(self.slots, n)
        assert sale.taken == min(n, before) and sale.short == n - sale.taken
        assert all(s.quantity >= 0 for s in sale.slots)
        self.slots, self.open[order] = sale.slots, list(sale.takes)

    def cancel(self, order: int) -> None:
        takes = self.open.pop(order, [])
        self.slots = give_back(self.slots, takes, new_id=self.next_id)
        self.next_id += len(takes)

    def ship(self, order: int) -> None:
        self.shipped += sum(t.quantity for t in self.open.pop(order, []))

    def move(self, a: int, b: int, n: int) -> None:
        ids = [s.id for s in self.slots]
        if len(ids) < 2:
            return
        src, dst = ids[a % len(ids)], ids[b % len(ids)]
        n = min(n, next(s.quantity for s in self.slots if s.id == src))
        self.slots = move(self.slots, src, dst, n)


location = st.tuples(st.integers(0, 6), st.integers(1, 4), st.booleans())
operation = st.one_of(
    st.tuples(st.just("sell"), st.integers(0, 5), st.integers(0, 8)),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
    st.tuples(st.just("ship"), st.integers(0, 5)),
    st.tuples(st.just("move"), st.integers(0, 9), st.integers(0, 9), st.integers(0, 6)),
)


class TestConservation:
    @settings(max_examples=300, deadline=None)
    @given(st.lists(location, min_size=1, max_size=4), st.lists(operation, max_size=30))
    def test_quantity_is_conserved_across_sales_cancellations_moves_and_shipments(self, specs, ops):
        stock = Stock(specs)
        for op, *args in ops:
            getattr(stock, op)(*args)
            assert stock.total() == stock.received
            assert all(s.quantity >= 0 for s in stock.slots)
        for order in list(stock.open):
            stock.cancel(order)
        assert available(stock.slots) + stock.shipped == stock.received
