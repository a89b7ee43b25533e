"""Ids as lists show them: short, each telling itself apart from the others listed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lockgate.cli.short_ids import MIN_SHOWN, short_ids

HEX_IDS = st.lists(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32), max_size=40)


@given(HEX_IDS)
def test_each_shown_id_is_a_prefix_no_other_listed_id_starts_with(ids: list[str]) -> None:
    shown = short_ids(ids)
    assert set(shown) == set(ids)
    for whole, short in shown.items():
        assert whole.startswith(short) and len(short) >= MIN_SHOWN
        assert [other for other in ids if other.startswith(short)] == [whole] * ids.count(whole)


@given(HEX_IDS)
def test_no_shown_id_is_longer_than_it_must_be(ids: list[str]) -> None:
    for whole, short in short_ids(ids).items():
        if len(short) > MIN_SHOWN:  # one character fewer would start another listed id too
            assert any(other != whole and other.startswith(short[:-1]) for other in ids)


def test_ids_made_in_the_same_millisecond_are_told_apart() -> None:
    same_ms = ["018f3a2b4c5d" + "0" * 19 + "1", "018f3a2b4c5d" + "0" * 19 + "2", "018f3a2b4c5e" + "f" * 20]
    shown = short_ids(same_ms)
    assert shown[same_ms[0]] == same_ms[0] and shown[same_ms[1]] == same_ms[1]
    assert shown[same_ms[2]] == "018f3a2b4c5e"
