"""Checker side of the Python test harness (runs inside the sandbox, in the trusted process that runs the tests).

The solution lives in another process (py_server.py); the tests reach it through `Remote`. What the tests hold is
always one of: exact builtin values and instances of the tests' own classes, rebuilt here by py_wire from plain
data; or `RemoteRef`s to objects that live in the solution process. Python's rules apply to both, with one
exception that is the point of the design: a `RemoteRef` never decides a comparison with a value of the tests.
`ref == 5`, `5 == ref`, `ref < 3` and `[ref] == [5]` never ask the solution (`==` is identity then, ordering a
TypeError), so an object whose `__eq__` always returns True compares equal to nothing the tests built. Between two
solution objects the solution's own methods decide, as in Python (nothing the tests built is at stake). Everything
else -- calls, attributes, `len`, iteration, indexing, arithmetic, `str`, `hash`, truth, `isinstance` against the
solution's classes -- is forwarded and answers with values.

In-place changes flow back: after a call, every mutable object the call took (lists, dicts, sets, instances of the
tests' classes, nested ones too) is filled in place with its new contents, keeping identity and aliasing. Module
globals the tests read are refreshed after each call when they changed.
"""

import builtins
import sys

import py_wire

BUILTIN_EXCEPTIONS = {n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, Exception)}
# Raised by the solution, these must not unwind the checker as what they are: they become failures of the call.
NEVER_RAISED_AS_IS = {"StopIteration", "StopAsyncIteration"}
NO_ARGS = object()


class SolutionDied(BaseException):
    """The server process is gone (the solution exited or was killed): no call can succeed any more."""


class RemoteError(Exception):
    """The solution raised an exception of no builtin exception class (and no stand-in of the tests)."""


class Remote:
    """The checker's end of the two pipes to the solution process."""

    def __init__(self, req_fd, resp_fd):
        self.req_fd, self.resp_fd = req_fd, resp_fd
        self.dead, self.loaded, self.on_first = False, False, None
        self.refs, self.callbacks, self.stand_ins = {}, [], {}
        self.namespace, self.watched = None, set()  # where refreshed globals of the solution land

    # ------------------------------------------------------------ one round trip
    def request(self, op, args=NO_ARGS, raw=False, reply_out=None, **fields):
        if self.on_first is not None:
            hook, self.on_first = self.on_first, None
            hook()
        if self.dead:
            raise SolutionDied("the solution process exited earlier")
        encoder = py_wire.Encoder(self.outgoing, _is_test_instance)
        if args is not NO_ARGS:
            fields["args"] = encoder.encode(args)
            fields["t"] = encoder.table
        try:
            py_wire.send(self.req_fd, {"op": op, **fields})
            reply = self.wait_reply()
            if reply_out is not None:
                reply_out.update(reply)
            if raw:
                value, error = reply.get("ok"), self.raised(reply)
            else:
                value, error = self.accept(reply, encoder)
        except (EOFError, OSError, ValueError, TypeError, KeyError, IndexError) as exc:
            self.dead = True
            raise SolutionDied(f"the solution process exited or broke the protocol ({type(exc).__name__})") from None
        if error is not None:
            raise error
        return value

    def wait_reply(self):
        """The reply, serving the solution's calls of test functions (callbacks) that come before it."""
        while True:
            reply = py_wire.recv(self.resp_fd)
            if type(reply) is not dict:
                raise ValueError("malformed reply")
            if "cb" not in reply:
                return reply
            self.serve_callback(reply)

    def accept(self, reply, encoder):
        """Decode the reply, fill the request's objects in place, refresh globals; (value, exception to raise)."""
        brought = {}
        for new, old in reply.get("sync", []):
            if (
                type(old) is not int
                or not 0 <= old < len(encoder.table)
                or encoder.table[old][0] not in py_wire.MUTABLE_TAGS
            ):
                raise ValueError("sync of an object the request did not bring")
            brought[new] = encoder.objects[old]
        decoder = py_wire.Decoder(reply.get("t", []), self.incoming, self.instance, brought)
        changed = reply.get("g", [])
        values = decoder.decode_many([reply.get("ok"), *(value for _, value in changed)])
        self.refresh([name for name, _ in changed], values[1:])
        return values[0], self.raised(reply)

    def raised(self, reply):
        """The exception a reply reports (the solution's, as the tests may catch it), or None."""
        if "exc" not in reply:
            return None
        return self.exception(str(reply["exc"]), reply.get("bases", []), str(reply.get("msg", "")))

    def refresh(self, names, values):
        """Changed globals of the solution: containers filled in place (the tests may hold them), others rebound."""
        for name, value in zip(names, values):
            if name not in self.watched:
                raise ValueError(f"update of a global the tests did not read: {name!r}")
            old = self.namespace.get(name, NO_ARGS)
            if type(old) is type(value) is list:
                old[:] = value
            elif type(old) is type(value) and type(value) in (dict, set):
                old.clear()
                old.update(value)
            else:
                self.namespace[name] = value

    def exception(self, name, bases, message):
        if name in self.stand_ins:
            return self.stand_ins[name](message)
        if name in BUILTIN_EXCEPTIONS and name not in NEVER_RAISED_AS_IS:
            return getattr(builtins, name)(message)
        base = next((b for b in bases if b in BUILTIN_EXCEPTIONS and b not in NEVER_RAISED_AS_IS), None)
        if base is None:
            return RemoteError(f"{name}: {message}")
        return self.stand_in(name, base)(message)

    def stand_in(self, name, base):
        """A local exception class for the solution's class `name`: `except`/`pytest.raises` with it work."""
        if name not in self.stand_ins:
            self.stand_ins[name] = type(str(name), (getattr(builtins, base),), {})
        return self.stand_ins[name]

    # ------------------------------------------------------------ what crosses
    def outgoing(self, obj, encoder):
        if isinstance(obj, RemoteRef) and object.__getattribute__(obj, "_remote") is self:
            return ["R", object.__getattribute__(obj, "_id")]
        if callable(obj) and not isinstance(obj, type):
            self.callbacks.append(obj)
            return ["CB", len(self.callbacks) - 1]
        raise TypeError(f"cannot pass a {type(obj).__name__} into the sandboxed solution")

    def incoming(self, entry):
        if entry[0] != "R" or type(entry[1]) is not int or len(entry) != 4:
            raise ValueError(f"unknown entry {str(entry)[:40]!r}")
        ref_id, type_name, kind = entry[1], str(entry[2]), str(entry[3])
        if kind.startswith("exception:") and kind[10:] in BUILTIN_EXCEPTIONS:
            return self.stand_in(type_name, kind[10:])
        if ref_id not in self.refs:
            self.refs[ref_id] = RemoteRef(self, ref_id, type_name, kind)
        return self.refs[ref_id]

    def instance(self, name):
        cls = (self.namespace or {}).get(name)
        if not (isinstance(cls, type) and cls.__module__ == "__main__"):
            raise ValueError(f"instance data for {name!r}, which is no class of the tests")
        return cls.__new__(cls)

    def serve_callback(self, request):
        decoder = py_wire.Decoder(request.get("t", []), self.incoming, self.instance)
        args, kwargs = decoder.decode(request["args"])
        try:
            result = self.callbacks[request["cb"]](*args, **kwargs)
            encoder = py_wire.Encoder(self.outgoing, _is_test_instance)
            reply = {"ok": encoder.encode(result), "t": encoder.table}
        except Exception as exc:
            reply = {"exc": type(exc).__name__ if type(exc).__name__ in BUILTIN_EXCEPTIONS else "RuntimeError",
                     "msg": str(exc)[:2000]}  # fmt: skip
        py_wire.send(self.req_fd, reply)

    # ------------------------------------------------------------ the solution module
    def load(self, prelude=(), mirror=(), fetch=()):
        """Run the solution; its globals' kinds, and the current values of those in `fetch` that exist."""
        reply = {}
        values = self.request("load", prelude=list(prelude), mirror=list(mirror), fetch=list(fetch), reply_out=reply)
        described = reply.get("described")
        if type(described) is not dict or (values is not None and type(values) is not dict):
            raise SolutionDied("malformed reply to load from the solution process")
        self.loaded = True
        return described, values or {}

    def fetch(self, names):
        """Current values of solution globals (data, or references); data ones are then watched for changes."""
        if not names:
            return {}
        values = self.request("globals", names=list(names))
        if type(values) is not dict or set(values) != set(names):
            raise SolutionDied("malformed reply to globals from the solution process")
        return values


def _is_test_instance(obj):
    """Instances of the tests' own classes cross as data (their class is defined again on the other side)."""
    cls = type(obj)
    return cls.__module__ == "__main__" and hasattr(obj, "__dict__") and not callable(obj)


class RemoteRef:
    """An object that lives in the solution process."""

    __slots__ = ("_remote", "_id", "_type_name", "_kind")

    def __init__(self, remote, ref_id, type_name, kind):
        for name, value in (("_remote", remote), ("_id", ref_id), ("_type_name", type_name), ("_kind", kind)):
            object.__setattr__(self, name, value)

    def _ask(self, op, args=NO_ARGS, **fields):
        return self._remote.request(op, args, ref=self._id, **fields)

    def _apply(self, name, *args):
        """`operator.<name>(self, *args)` / a builtin of that name, run in the solution process."""
        return self._ask("dunder", list(args), name=name)

    def _same_side(self, other):
        return isinstance(other, RemoteRef) and other._remote is self._remote

    def __call__(self, *args, **kwargs):
        return self._ask("call", [list(args), kwargs])

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._ask("getattr", name=name)

    def __setattr__(self, name, value):
        self._ask("setattr", value, name=name)

    def __delattr__(self, name):
        self._apply("__delattr__", name)

    def __eq__(self, other):
        return self._apply("__eq__", other) if self._same_side(other) else NotImplemented

    def __ne__(self, other):
        return self._apply("__ne__", other) if self._same_side(other) else NotImplemented

    def __hash__(self):
        value = self._apply("__hash__")
        if type(value) is not int:
            raise TypeError(f"unhashable type: '{self._type_name}'")
        return value

    def __bool__(self):
        value = self._apply("__bool__")
        if type(value) is not bool:
            raise TypeError(f"__bool__ should return bool, returned {type(value).__name__}")
        return value

    def __len__(self):
        value = self._apply("__len__")
        if type(value) is not int or value < 0:
            raise TypeError(f"object of type '{self._type_name}' has no valid len()")
        return value

    def __iter__(self):
        return RemoteIterator(self._apply("__iter__"))

    def __next__(self):
        items, done = self._ask("next", n=1)
        if not items:
            raise StopIteration
        return items[0]

    def __contains__(self, item):
        return bool(self._apply("__contains__", item))

    def __getitem__(self, key):
        return self._apply("__getitem__", key)

    def __setitem__(self, key, value):
        self._apply("__setitem__", key, value)

    def __delitem__(self, key):
        self._apply("__delitem__", key)

    def __str__(self):
        return _text(self._apply("__str__"), "__str__")

    def __repr__(self):
        return _text(self._apply("__repr__"), "__repr__")

    def __format__(self, spec):
        return _text(self._apply("__format__", spec), "__format__")

    def __instancecheck__(self, obj):
        return self._same_side(obj) and self._ask("isinstance", obj) is True

    def __subclasscheck__(self, cls):
        return self._same_side(cls) and self._apply("__subclasscheck__", cls) is True

    def __enter__(self):
        return self._apply("__enter__")

    def __exit__(self, *exc_info):
        return self._apply("__exit__", None, None, None)

    def __dir__(self):
        return [name for name in self._apply("__dir__") if type(name) is str]


def _text(value, what):
    if type(value) is not str:
        raise TypeError(f"{what} returned non-string (type {type(value).__name__})")
    return value


def _ordering(name):
    def method(self, other):
        return self._apply(name, other) if self._same_side(other) else NotImplemented

    method.__name__ = name
    return method


def _arithmetic(name):
    """Binary operators: forwarded whatever the other operand (the result is a value or another reference)."""

    def method(self, other):
        return self._apply(name, other)

    method.__name__ = name
    return method


def _unary(name):
    def method(self):
        return self._apply(name)

    method.__name__ = name
    return method


for _name in ("__lt__", "__le__", "__gt__", "__ge__"):
    setattr(RemoteRef, _name, _ordering(_name))
for _op in py_wire.BINARY_OPERATORS:
    for _name in (f"__{_op}__", f"__r{_op}__"):
        setattr(RemoteRef, _name, _arithmetic(_name))
for _name in ("__neg__", "__pos__", "__abs__", "__invert__", "__index__", "__int__", "__float__", "__round__"):
    setattr(RemoteRef, _name, _unary(_name))


class RemoteIterator:
    """Iteration over a solution-side iterator, in growing chunks (1, 2, 4, ... 256 items a round trip)."""

    def __init__(self, ref):
        self.ref, self.buffer, self.done, self.chunk = ref, [], False, 1

    def __iter__(self):
        return self

    def __next__(self):
        if not self.buffer and not self.done:
            if not isinstance(self.ref, RemoteRef):  # __iter__ gave back plain data: iterate that
                self.buffer, self.done = list(self.ref), True
            else:
                items, self.done = self.ref._ask("next", n=self.chunk)
                self.buffer, self.chunk = list(items), min(self.chunk * 2, 256)
                self.buffer.reverse()
        if not self.buffer:
            raise StopIteration
        return self.buffer.pop()


class SolutionModule(type(sys)):
    """`import solution` / `from solution import f` in the tests: each attribute read is the solution's current
    value (live, as Python's `solution.counter` is)."""

    def __init__(self, remote, described):
        super().__init__("solution")
        self._remote, self._described = remote, described

    def __getattr__(self, name):
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)
        if self._described is None:
            self._described = self._remote.load()[0]
        if name == "__all__":  # star imports never bring in redefined builtins
            return [n for n in self._described if not n.startswith("_") and not hasattr(builtins, n)]
        if name not in self._described:
            raise AttributeError(f"module 'solution' has no attribute {name!r}")
        if self._described[name][:1] == ["module"]:
            import importlib

            return importlib.import_module(str(self._described[name][1]))
        return self._remote.fetch([name])[name]


def set_environment():
    """The checker's own interpreter settings (the solution's are its own business)."""
    sys.set_int_max_str_digits(0)
    sys.dont_write_bytecode = True
