"""frozen_heap: objects alive before forking stay out of collections until the block ends."""

from __future__ import annotations

import gc
import weakref

from madoguchi.analyzers.forking import frozen_heap


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
