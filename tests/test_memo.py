import pandas as pd
import pytest

from sendlib.memo import fingerprint, memoised


def counted():
    """A memoised column total that records each time it is really computed."""
    calls = []

    @memoised
    def total(frame: pd.DataFrame, column: str) -> pd.DataFrame:
        calls.append(column)
        return frame[[column]].sum().to_frame("total")

    return total, calls


def test_same_content_is_computed_once_even_from_another_copy():
    total, calls = counted()
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    first = total(frame, "a")
    again = total(frame.copy(deep=True), "a")  # read_table hands out copies: same content, new object
    assert calls == ["a"] and again.equals(first) and again.loc["a", "total"] == 3.0


def test_different_content_or_argument_is_recomputed():
    total, calls = counted()
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    total(frame, "a")
    assert total(frame, "b").loc["b", "total"] == 7.0
    frame.loc[0, "a"] = 10.0  # edited in place: the same object, new content
    assert total(frame, "a").loc["a", "total"] == 12.0
    renamed = pd.DataFrame({"c": [10.0, 2.0], "b": [3.0, 4.0]})  # same values, another column name
    assert total(renamed, "b").loc["b", "total"] == 7.0
    assert calls == ["a", "b", "a", "b"]


def test_a_caller_changing_its_result_does_not_change_the_next():
    total, _ = counted()
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    mine = total(frame, "a")
    mine.loc["a", "total"] = -1.0
    assert total(frame, "a").loc["a", "total"] == 3.0


def test_fingerprint_tells_dtypes_and_index_apart_and_rejects_unhashable_arguments():
    ints, floats = pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1.0, 2.0]})
    assert fingerprint(ints) != fingerprint(floats)
    assert fingerprint(floats) != fingerprint(floats.set_axis([5, 6]))
    assert fingerprint(("x", floats)) == fingerprint(("x", floats.copy()))
    with pytest.raises(TypeError):
        fingerprint(["a", "b"])
