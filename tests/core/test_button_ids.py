"""The one reading of a button's id payload: a stale or forged id is a private refusal."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.core.errors import InvalidInput, UserFacingError
from bot.core.registry import STALE_BUTTON, id_parts, int_id


@pytest.mark.parametrize(
    ("ident", "expected"),
    [("7", 7), ("0", 0), ("0042", 42), ("9223372036854775807", 2**63 - 1)],
)
def test_int_id_reads_a_row_id(ident: str, expected: int) -> None:
    assert int_id(ident) == expected


@pytest.mark.parametrize(
    "ident",
    ["", "x", "-1", "+1", " 7", "7 ", "1.5", "1e3", "٣", "7:8", "9223372036854775808", "1_000"],
)
def test_int_id_refuses_anything_else_with_the_same_message(ident: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        int_id(ident)
    assert str(caught.value) == STALE_BUTTON == "This button no longer does anything. Try the command again."
    assert isinstance(caught.value, UserFacingError)


@pytest.mark.parametrize(
    ("ident", "count", "expected"),
    [
        ("3:9", 2, ("3", "9")),
        ("3:open", 2, ("3", "open")),
        ("3", 1, ("3",)),
        ("a:b:c", 3, ("a", "b", "c")),
    ],
)
def test_id_parts_splits_exactly(ident: str, count: int, expected: tuple[str, ...]) -> None:
    assert id_parts(ident, count) == expected


@pytest.mark.parametrize(
    ("ident", "count"),
    [("3", 2), ("3:9:1", 2), ("3:", 2), (":9", 2), ("", 1), ("", 2), ("::", 2)],
)
def test_id_parts_refuses_the_wrong_shape(ident: str, count: int) -> None:
    with pytest.raises(InvalidInput, match=f"^{re.escape(STALE_BUTTON)}$"):
        id_parts(ident, count)


HINTED: list[Callable[[], object]] = [
    lambda: int_id("x", "Try /events."),
    lambda: id_parts("x", 2, "Try /events."),
]


@pytest.mark.parametrize("bad", HINTED)
def test_a_hint_says_where_to_go_instead(bad: Callable[[], object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        bad()
    assert str(caught.value) == "This button no longer does anything. Try /events."
