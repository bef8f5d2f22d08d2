"""Condition forms: and, or, not, parentheses, "1 of"/"all of" patterns and "them"."""

from __future__ import annotations

from collections.abc import Callable

CheckFn = Callable[..., Callable[..., bool]]

SELECTIONS = {
    "sel_img": {"Image|endswith": "\\powershell.exe"},
    "sel_cli": {"CommandLine|contains": "-enc"},
    "filter": {"ParentImage|endswith": "\\explorer.exe"},
}


def detection(condition: str) -> dict[str, object]:
    return {**SELECTIONS, "condition": condition}


PS = "C:\\Windows\\powershell.exe"
EXPLORER = "C:\\Windows\\explorer.exe"


def test_and_or_not(check: CheckFn) -> None:
    both = check(detection("sel_img and sel_cli"))
    assert both(Image=PS, CommandLine="-enc AA")
    assert not both(Image=PS, CommandLine="-nop")
    either = check(detection("sel_img or sel_cli"))
    assert either(Image="x.exe", CommandLine="-enc AA")
    assert not either(Image="x.exe", CommandLine="-nop")
    negated = check(detection("sel_img and not filter"))
    assert negated(Image=PS, ParentImage="C:\\cmd.exe")
    assert negated(Image=PS)  # a missing field does not match, so "not" holds
    assert not negated(Image=PS, ParentImage=EXPLORER)


def test_precedence_and_parentheses(check: CheckFn) -> None:
    # "and" binds tighter than "or": sel_img or (sel_cli and filter)
    loose = check(detection("sel_img or sel_cli and filter"))
    assert loose(Image=PS)
    assert not loose(CommandLine="-enc")
    grouped = check(detection("(sel_img or sel_cli) and filter"))
    assert not grouped(Image=PS)
    assert grouped(CommandLine="-enc", ParentImage=EXPLORER)
    not_group = check(detection("not (sel_img or sel_cli)"))
    assert not_group(Image="x.exe")
    assert not not_group(CommandLine="-enc")


def test_one_of_and_all_of_patterns(check: CheckFn) -> None:
    one = check(detection("1 of sel_*"))
    assert one(CommandLine="-enc")
    assert one(Image=PS)
    assert not one(ParentImage=EXPLORER)
    every = check(detection("all of sel_* and not filter"))
    assert every(Image=PS, CommandLine="-enc")
    assert not every(Image=PS)
    assert not every(Image=PS, CommandLine="-enc", ParentImage=EXPLORER)


def test_them(check: CheckFn) -> None:
    one = check(detection("1 of them"))
    assert one(ParentImage=EXPLORER)
    assert not one(Image="x.exe")
    every = check(detection("all of them"))
    assert every(Image=PS, CommandLine="-enc", ParentImage=EXPLORER)
    assert not every(Image=PS, CommandLine="-enc")


def test_several_conditions_are_ored(check: CheckFn) -> None:
    hit = check({**SELECTIONS, "condition": ["sel_img and filter", "sel_cli"]})
    assert hit(Image=PS, ParentImage=EXPLORER)
    assert hit(CommandLine="-enc")
    assert not hit(Image=PS)


def test_selection_with_and_without_fields_mixed(check: CheckFn) -> None:
    hit = check({"sel": {"EventID": 4688}, "kw": ["mimikatz"], "condition": "sel and kw"})
    assert hit(EventID=4688, CommandLine="mimikatz")
    assert not hit(EventID=4688, CommandLine="calc")
