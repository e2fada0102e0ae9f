"""Wire format of the Python test harness (runs inside the sandbox; standard library only, no `json`, `re`, `ast`).

Frames: a 4-byte big-endian length, then JSON. A value is a JSON scalar, or `["@", i]`: entry `i` of the message's
flat object table. Every container and object is one table entry, encoded without recursion, so shared references
and cycles keep their identity, a 100,000-node linked list is as easy as a flat list, and the receiver can fill
objects it already holds in place (that is how a solution's in-place changes reach the tests).

Entries (tag first): L list, T tuple, S set, F frozenset, D dict, Q deque, CT Counter, OD OrderedDict, DD
defaultdict, B bytes, BA bytearray, CX complex, DE Decimal, FR Fraction, RG range, DA/DT/TI date/datetime/time
(ISO text), TD timedelta, TY builtin type, NT namedtuple, KV/VV/IV dict keys/values/items views, O an instance
as its class name and attributes, and the tags a side defines for what is not data (R: a reference to an object of
the solution process; CB: a function of the tests the solution may call back). Subclasses of builtin types cross as
their base value, computed with the base type's own methods: whatever such an object claims, the receiver only
ever holds exact builtin types or classes of its own.
"""

import _json
import builtins
import os
import sys

# Bound here, before the solution runs in this process: a solution that patches `builtins` (isinstance = lambda *a:
# True) breaks only itself, not how its values are described.
isinstance, issubclass, type, hasattr, getattr, callable, len, id, vars, str = (  # noqa: A001
    builtins.isinstance, builtins.issubclass, builtins.type, builtins.hasattr, builtins.getattr, builtins.callable,
    builtins.len, builtins.id, builtins.vars, builtins.str,
)  # fmt: skip

MAX_MESSAGE_BYTES = 512 << 20
SCALARS = {type(None), bool, int, float, str}
MUTABLE_TAGS = {"L", "S", "D", "Q", "CT", "OD", "DD", "BA", "O"}
PLAIN_SHELLS = {"L": list, "D": dict, "S": set, "BA": bytearray}
BUILTIN_TYPES = {n for n, v in vars(builtins).items() if isinstance(v, type)}
FACTORIES = {"list": list, "int": int, "set": set, "dict": dict, "str": str, "float": float, "tuple": tuple}

# The binary operators both sides proxy (`__add__`/`__radd__`, ...): the names of the `operator` functions.
BINARY_OPERATORS = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor", "lshift", "rshift",
                    "matmul")  # fmt: skip


# ---------------------------------------------------------------- frames (the C accelerator: `import json` costs)
class _ScanContext:
    strict, object_hook, object_pairs_hook, memo = True, None, None, {}
    parse_float, parse_int, parse_constant = float, int, float


def _no_default(obj):
    raise TypeError(f"{type(obj).__name__} is not plain data")


_scan = _json.make_scanner(_ScanContext())
_encode = _json.make_encoder(None, _no_default, _json.encode_basestring_ascii, None, ":", ",", False, False, True)


def dumps(obj):
    return "".join(_encode(obj, 0))


def loads(text):
    try:
        obj, end = _scan(text, 0)
    except StopIteration as exc:
        raise ValueError(f"malformed JSON at {exc.value}") from None
    if text[end:].strip():
        raise ValueError("trailing data after JSON value")
    return obj


def send(fd, obj):
    data = dumps(obj).encode()
    payload = len(data).to_bytes(4, "big") + data  # int.to_bytes, not struct: one import less per run
    while payload:
        payload = payload[os.write(fd, payload) :]


def _read_exact(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv(fd):
    n = int.from_bytes(_read_exact(fd, 4), "big")
    if n > MAX_MESSAGE_BYTES:
        raise ValueError(f"message of {n} bytes exceeds the limit")
    return loads(_read_exact(fd, n).decode())


def _b64(data):
    import binascii  # C module: base64 keeps a 64 MiB table at 85 MiB of JSON (latin-1 text escapes to 6x)

    return binascii.b2a_base64(data, newline=False).decode()


def _unb64(text):
    import binascii

    if type(text) is not str:
        raise ValueError("malformed bytes")
    return binascii.a2b_base64(text)


def _loaded(module, name):
    """`module.name` if that module was imported at all (a value of its type cannot exist otherwise)."""
    return getattr(sys.modules.get(module), name, None)


# ---------------------------------------------------------------- encoding
class Encoder:
    """Values -> JSON values plus `self.table`. `other(obj, encoder)` returns the entry for anything that is not
    plain data (or raises TypeError); `mirror(obj)` says whether an object crosses as instance data ("O")."""

    def __init__(self, other, mirror=None):
        self.other, self.mirror = other, mirror
        self.table, self.objects, self.ids, self.pending = [], [], {}, []

    def reserve(self, obj):
        """Give `obj` an entry now (its contents are encoded with the rest); returns the entry's index."""
        self.value(obj)
        return self.ids[id(obj)]

    def value(self, x):
        t = type(x)
        if t in SCALARS:
            return x
        if isinstance(x, (int, float, str)):  # a subclass (IntEnum, a "lying" int, ...): its base value only
            return (
                int.__int__(x)
                if isinstance(x, int)
                else float.__float__(x)
                if isinstance(x, float)
                else str.__str__(x)
            )
        i = self.ids.get(id(x))
        if i is None:
            i = self.ids[id(x)] = len(self.table)
            self.table.append(None)
            self.objects.append(x)  # kept alive: ids must not be reused while this message is built
            self.pending.append(i)
        return ["@", i]

    def encode(self, x):
        root = self.value(x)
        self.flush()
        return root

    def flush(self):
        while self.pending:
            i = self.pending.pop()
            self.table[i] = self.entry(self.objects[i])

    def entry(self, x):
        t, v = type(x), self.value
        if t is list:
            return ["L", [v(e) for e in x]]
        if t is dict:
            return ["D", [[v(a), v(b)] for a, b in x.items()]]
        if t is tuple:
            return ["T", [v(e) for e in x]]
        if t is set or t is frozenset:
            return ["S" if t is set else "F", [v(e) for e in x]]
        if self.mirror is not None and self.mirror(x):
            return ["O", t.__name__, [[str(k), v(e)] for k, e in vars(x).items()]]
        return self.rare(x, t, v)

    def rare(self, x, t, v):
        pairs = lambda d: [[v(a), v(b)] for a, b in dict.items(d)]  # noqa: E731
        if t is _loaded("collections", "deque"):
            return ["Q", [v(e) for e in x]]
        if t is _loaded("collections", "Counter"):
            return ["CT", pairs(x)]
        if t is _loaded("collections", "OrderedDict"):
            return ["OD", pairs(x)]
        if t is _loaded("collections", "defaultdict"):
            return ["DD", getattr(x.default_factory, "__name__", None), pairs(x)]
        if t is bytes or t is bytearray:
            return ["B" if t is bytes else "BA", _b64(x)]
        if t is complex:
            return ["CX", x.real, x.imag]
        if t is range:
            return ["RG", x.start, x.stop, x.step]
        found = self.library(x, t, v)
        if found is not None:
            return found
        if isinstance(x, tuple) and hasattr(t, "_fields") and t.__bases__ == (tuple,):
            return ["NT", t.__name__, [str(f) for f in t._fields], [v(e) for e in tuple.__iter__(x)]]
        base = next((b for b in (bytes, list, tuple, dict, set, frozenset) if isinstance(x, b)), None)
        if base is not None:
            return self.entry(_base_value(x, base))
        return self.other(x, self)

    def library(self, x, t, v):
        """Values of types from decimal, fractions, datetime, and dict views; None for anything else."""
        if t is _loaded("decimal", "Decimal"):
            return ["DE", str(x)]
        if t is _loaded("fractions", "Fraction"):
            return ["FR", x.numerator, x.denominator]
        if t in (_loaded("datetime", "date"), _loaded("datetime", "datetime"), _loaded("datetime", "time")):
            return [{"date": "DA", "datetime": "DT", "time": "TI"}[t.__name__], x.isoformat()]
        if t is _loaded("datetime", "timedelta"):
            return ["TD", x.days, x.seconds, x.microseconds]
        if t is type and x.__name__ in BUILTIN_TYPES and getattr(builtins, x.__name__) is x:
            return ["TY", x.__name__]
        view = {type({}.keys()): "KV", type({}.values()): "VV", type({}.items()): "IV"}.get(t)
        if view is not None:
            return [view, [v(e) for e in x]]
        return None


def _base_value(x, base):
    """The exact builtin value of a container subclass instance, computed by the base type (never the subclass)."""
    if base is bytes:
        return bytes(memoryview(x))
    if base is list:
        return list.copy(x)
    if base is tuple:
        return tuple.__getitem__(x, slice(None))
    if base is dict:
        return dict.copy(x)
    return set.copy(x) if base is set else frozenset.copy(x)


# ---------------------------------------------------------------- decoding
class Decoder:
    """JSON values plus a table -> objects built by this side's own code. `other(entry)` builds what
    the table holds that is not data (references, callbacks); `instance(name)` an empty object of the named class
    for an "O" entry. `targets` maps entry indices to objects this side already holds, which are then filled in
    place instead of created. Anything unexpected raises ValueError."""

    def __init__(self, table, other, instance, targets=None):
        if type(table) is not list:
            raise ValueError("malformed object table")
        self.table, self.other, self.instance = table, other, instance
        self.objs = [None] * len(table)
        self.state = [0] * len(table)  # 0: untouched, 1: being built, 2: built (or a shell to fill)
        for i, obj in (targets or {}).items():
            self.objs[i], self.state[i] = obj, 2
        self.fill = list(targets or ())

    def decode(self, root):
        table, objs, state, fill, plain = self.table, self.objs, self.state, self.fill, PLAIN_SHELLS
        for i, entry in enumerate(table):
            if state[i]:
                continue
            if type(entry) is not list or not entry:
                raise ValueError(f"malformed table entry {str(entry)[:80]}")
            make = plain.get(entry[0])
            if make is not None:
                objs[i], state[i] = make(), 2
                fill.append(i)
            elif entry[0] in MUTABLE_TAGS:
                objs[i], state[i] = self.shell(entry), 2
                fill.append(i)
        for i in range(len(table)):
            if state[i] == 0:
                self.build(i)
        fill.sort(key=lambda i: table[i][0] != "O")  # attributes first: hashes may depend on them
        for i in fill:
            self.fill_in(objs[i], table[i])
        return self.value(root)

    def decode_many(self, roots):
        self.decode(None)
        return [self.value(root) for root in roots]

    def value(self, x):
        if type(x) in SCALARS:
            return x
        if type(x) is list and len(x) == 2 and x[0] == "@" and type(x[1]) is int and 0 <= x[1] < len(self.objs):
            if self.state[x[1]] != 2:
                raise ValueError("reference cycle through immutable values")
            return self.objs[x[1]]
        raise ValueError(f"malformed value {str(x)[:80]}")

    def values(self, items):
        """`value` over a list, with scalars (most elements) resolved inline."""
        if type(items) is not list:
            raise ValueError("malformed items")
        scalars, objs, state, n = SCALARS, self.objs, self.state, len(self.objs)
        out = []
        for x in items:
            if type(x) in scalars:
                out.append(x)
            elif type(x) is list and len(x) == 2 and type(x[1]) is int and 0 <= x[1] < n and state[x[1]] == 2:
                out.append(objs[x[1]])
            else:
                out.append(self.value(x))  # raises the precise error
        return out

    def shell(self, entry):
        import collections

        tag = entry[0]
        if tag == "O":
            return self.instance(str(entry[1]))
        if tag == "DD":
            return collections.defaultdict(FACTORIES.get(entry[1]))
        return {"Q": collections.deque, "CT": collections.Counter, "OD": collections.OrderedDict}[tag]()

    def build(self, root):
        """Immutable entries after their children (an explicit stack: deep nesting needs no recursion)."""
        stack = [root]
        while stack:
            i = stack[-1]
            if self.state[i] == 2:
                stack.pop()
                continue
            self.state[i] = 1
            todo = [j for j in _children(self.table[i]) if self.state[j] == 0]
            if todo:
                stack.extend(todo)
                continue
            self.objs[i], self.state[i] = self.immutable(self.table[i]), 2
            stack.pop()

    def immutable(self, entry):
        tag, v = _tag(entry), self.value
        if tag == "T":
            return tuple(self.values(entry[1]))
        if tag == "F":
            return frozenset(v(e) for e in entry[1])
        if tag in ("KV", "VV", "IV"):
            items = [v(e) for e in entry[1]]
            if tag == "KV":
                return dict.fromkeys(items).keys()
            return dict(enumerate(items)).values() if tag == "VV" else dict(items).items()
        if tag == "NT":
            return _namedtuple(str(entry[1]), tuple(str(f) for f in entry[2]))(*(v(e) for e in entry[3]))
        return _scalar_entry(entry, tag, self.other)

    def fill_in(self, obj, entry):
        tag, v = _tag(entry), self.value
        if tag == "O":
            if not hasattr(obj, "__dict__"):
                raise ValueError("instance data for an object without attributes")
            attrs = {str(k): v(e) for k, e in entry[2]}
            vars(obj).clear()
            vars(obj).update(attrs)
        elif tag == "L" and isinstance(obj, list):
            obj[:] = self.values(entry[1])
        elif tag in ("D", "CT", "OD", "DD") and isinstance(obj, dict):
            pairs = [(v(a), v(b)) for a, b in entry[-1]]
            obj.clear()
            # dict.update: Counter.update would add counts; OrderedDict keeps its own order, so only its own update
            (obj.update if type(obj).__name__ == "OrderedDict" else dict.update.__get__(obj))(pairs)
        elif tag == "S" and isinstance(obj, set):
            items = [v(e) for e in entry[1]]
            obj.clear()
            obj.update(items)
        elif tag == "BA" and isinstance(obj, bytearray):
            obj[:] = _unb64(entry[1])
        elif tag == "Q" and type(obj).__name__ == "deque":
            items = [v(e) for e in entry[1]]
            obj.clear()
            obj.extend(items)
        else:
            raise ValueError(f"cannot fill a {type(obj).__name__} from a {tag!r} entry")


_NAMEDTUPLES = {}


def _namedtuple(name, fields):
    """One class per (name, fields): a list of 1,000 points must not define 1,000 classes."""
    if (name, fields) not in _NAMEDTUPLES:
        import collections

        _NAMEDTUPLES[name, fields] = collections.namedtuple(name, fields, rename=True)
    return _NAMEDTUPLES[name, fields]


def _tag(entry):
    if type(entry) is not list or not entry or type(entry[0]) is not str:
        raise ValueError(f"malformed table entry {str(entry)[:80]}")
    return entry[0]


def _children(entry):
    """Table indices an immutable entry refers to."""
    tag = entry[0]
    if tag not in ("T", "F", "KV", "VV", "IV", "NT"):
        return []
    items = entry[3] if tag == "NT" else entry[1]
    if type(items) is not list:
        raise ValueError("malformed entry items")
    return [x[1] for x in items if type(x) is list and len(x) == 2 and x[0] == "@" and type(x[1]) is int]


def _scalar_entry(entry, tag, other):
    """Leaf entries: bytes, numbers, dates, builtin types, and the side's own tags (via `other`)."""
    simple = {
        "B": lambda: _unb64(entry[1]),
        "CX": lambda: complex(float(entry[1]), float(entry[2])),
        "DE": lambda: __import__("decimal").Decimal(str(entry[1])),
        "FR": lambda: __import__("fractions").Fraction(int(entry[1]), int(entry[2])),
        "RG": lambda: range(int(entry[1]), int(entry[2]), int(entry[3])),
    }
    if tag in simple:
        return simple[tag]()
    if tag in ("DA", "DT", "TI"):
        import datetime

        kind = {"DA": datetime.date, "DT": datetime.datetime, "TI": datetime.time}[tag]
        return kind.fromisoformat(str(entry[1]))
    if tag == "TD":
        import datetime

        return datetime.timedelta(int(entry[1]), int(entry[2]), int(entry[3]))
    if tag == "TY" and str(entry[1]) in BUILTIN_TYPES:
        return getattr(builtins, str(entry[1]))
    return other(entry)
