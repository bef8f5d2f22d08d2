"""frozen_heap: objects alive before forking stay out of collections until the block ends;
freeze_survivors: long-lived results made inside the block join them."""

from __future__ import annotations

import gc
import weakref

from madoguchi.analyzers.forking import freeze_survivors, frozen_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_a_cycle_made_before_the_block_survives_collections_inside_it_and_goes_after() -> None:
    gc.collect()
    ref = _cycle()  # unreachable already: only the collector can free it
    with frozen_heap():
        assert gc.get_freeze_count() > 0
        gc.collect()
        assert ref() is not None  # frozen: not examined
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_nested_blocks_unfreeze_only_when_the_outermost_ends() -> None:
    with frozen_heap():
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_garbage_made_inside_the_block_is_still_collected() -> None:
    with frozen_heap():
        ref = _cycle()
        gc.collect()
        assert ref() is None


def test_an_inner_block_freezes_what_was_made_since_the_outer_one_began() -> None:
    with frozen_heap():
        before = gc.get_freeze_count()
        made = [_Node() for _ in range(1000)]
        with frozen_heap():
            assert gc.get_freeze_count() >= before + len(made)
    assert gc.get_freeze_count() == 0


def test_freeze_survivors_frees_young_garbage_then_freezes_what_is_left() -> None:
    with frozen_heap():
        before = gc.get_freeze_count()
        kept = [_Node() for _ in range(1000)]
        dropped = _cycle()
        freeze_survivors()
        assert dropped() is None  # the young cycle was collected, not frozen
        assert gc.get_freeze_count() >= before + len(kept)
        late = _cycle()  # made after the freeze: collected as usual
        gc.collect()
        assert late() is None
    assert gc.get_freeze_count() == 0


def test_freeze_survivors_outside_a_block_freezes_nothing() -> None:
    kept = [_Node() for _ in range(1000)]
    freeze_survivors()
    assert gc.get_freeze_count() == 0
    assert len(kept) == 1000


class _EntersABlockWhenFreed:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it

    def __del__(self) -> None:
        with frozen_heap():
            _ENTERED.append(True)


_ENTERED: list[bool] = []


def test_a_finalizer_run_by_freeze_survivors_may_enter_a_block_itself() -> None:
    _ENTERED.clear()
    with frozen_heap():
        _EntersABlockWhenFreed()  # garbage at once: freed by the collection below
        freeze_survivors()  # would deadlock on a plain lock
        assert _ENTERED == [True]
    assert gc.get_freeze_count() == 0
