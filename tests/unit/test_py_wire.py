"""The Python harness's wire format (sandbox/guest/py_wire.py), without a sandbox: values survive the crossing with
their types, identity, sharing, cycles and depth; in-place fill keeps the receiver's objects; and what crosses is
only ever data -- a hostile table is a ValueError, a lying subclass arrives as its base value."""

from __future__ import annotations

import collections
import datetime
import decimal
import fractions
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sandbox" / "guest"))
import py_wire  # noqa: E402

sys.path.pop(0)


def _no_other(obj, encoder):
    raise TypeError(f"{type(obj).__name__} is not data")


def _refuse(entry):
    raise ValueError(f"unexpected entry {entry}")


def cross(value, targets=None):
    encoder = py_wire.Encoder(_no_other)
    root = encoder.encode(value)
    message = py_wire.loads(py_wire.dumps({"root": root, "table": encoder.table}))  # through real JSON
    return py_wire.Decoder(message["table"], _refuse, lambda name: None, targets).decode(message["root"])


VALUES = [
    [1, -0.0, float("inf"), 3**500, "é", None, True],
    (1, (2, (3,))),
    {"a": [1], 2: {3: frozenset({4})}},
    collections.Counter("aab"),  # the Counter: counts restored, equal to the dict literal
    collections.OrderedDict([("b", 1), ("a", 2)]),
    collections.defaultdict(list, {1: [2]}),
    collections.deque([1, 2]),
    b"\x00\xff",
    bytearray(b"xy"),
    1 + 2j,
    decimal.Decimal("1.10"),
    fractions.Fraction(1, 3),
    range(1, 9, 2),
    datetime.date(2024, 2, 29),
    datetime.datetime(2024, 1, 2, 3, 4, 5),
    datetime.timedelta(days=1, seconds=3),
    int,
    collections.namedtuple("Point", "x y")(1, 2),
    {1: 2}.keys(),
    {1: 2}.items(),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_values_cross_with_their_types(value):
    back = cross(value)
    assert back == value
    if hasattr(value, "_fields"):  # a namedtuple of the same name and fields, defined on the receiving side
        assert (type(back).__name__, back._fields) == ("Point", ("x", "y"))
    else:
        assert type(back) is type(value)
    if isinstance(value, collections.Counter):
        assert back == {"a": 2, "b": 1}


def test_identity_sharing_cycles_and_depth():
    shared = [1]
    back = cross({"x": shared, "y": shared, "t": (shared,)})
    assert back["x"] is back["y"] is back["t"][0]
    loop = []
    loop.append(loop)
    back = cross(loop)
    assert back[0] is back
    head = None
    for i in range(20000):  # a 20,000-node linked list: no recursion limit on either side
        head = [i, head]
    back, n = cross(head), 0
    while back:
        back, n = back[1], n + 1
    assert n == 20000


def test_fill_in_place_keeps_the_receivers_objects():
    mine, inner = [[0], [0]], None
    inner = mine[0]
    encoder = py_wire.Encoder(_no_other)
    slot = encoder.reserve(mine)
    encoder.objects[slot] = [[1, 2], [3]]  # what the other side's object holds now
    encoder.flush()
    py_wire.Decoder(encoder.table, _refuse, lambda n: None, {slot: mine}).decode(None)
    assert mine == [[1, 2], [3]] and inner == [0]  # filled; new inner lists (these were not brought)
    counts = collections.Counter(a=5)
    table = [["CT", [["a", 2], ["b", 1]]]]
    py_wire.Decoder(table, _refuse, lambda n: None, {0: counts}).decode(None)
    assert counts == {"a": 2, "b": 1}  # set, not added (Counter.update would give a=7)


def test_lying_subclasses_cross_as_their_base_values():
    class Liar(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__
        __int__ = lambda self: 5  # noqa: E731  (the base value is int's, not this)

    class Listish(list):
        def __iter__(self):
            return iter([99])

    back = cross([Liar(0), Listish([1, 2])])
    assert back == [0, [1, 2]] and type(back[0]) is int and type(back[1]) is list


HOSTILE = [
    ([["L", [["@", 5]]]], ["@", 0]),  # reference past the table
    ([["T", [["@", 0]]]], ["@", 0]),  # a tuple containing itself
    ([["Z"]], ["@", 0]),  # unknown tag
    ("not a table", 1),
    ([["L", "x"]], ["@", 0]),  # items not a list
    ([], ["x", 1]),  # malformed value
]


@pytest.mark.parametrize("table,root", HOSTILE)
def test_hostile_tables_are_value_errors(table, root):
    with pytest.raises(ValueError):
        py_wire.Decoder(table, _refuse, lambda n: None).decode(root)
