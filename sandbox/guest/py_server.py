"""Solution side of the Python test harness (runs inside the sandbox, in the process that imports `solution.py`;
untrusted from the moment the solution's first line runs, so nothing here is relied on by the verdict).

It answers the checker's requests over two pipes (see py_checker.py for the other end): load the solution, read
globals, call functions and methods, and apply Python's protocols (`==`, `len`, iteration, ...) to objects that only
live here. Values cross as py_wire tables. After every request that ran solution code the reply carries:

* `sync`: the new contents of every mutable object the request brought in (lists, dicts, sets, instances of the
  tests' classes, ...), so that in-place changes ("modify nums in-place") reach the tests' own objects;
* `g`: module globals the tests read that changed (a counter the solution increments, a cache it fills).

Objects of classes the tests also define (LeetCode's ListNode/TreeNode) cross as instance data and become
instances of the tests' class; everything else that is not plain data is a reference ("R") into `refs`.
"""

import _operator as operator  # the C module: `operator` itself costs an import per run
import builtins
import os
import sys

import py_wire

# Bound here, before the solution runs in this process: a solution that patches `builtins` (isinstance = lambda *a:
# True) breaks only itself, not how its values are described.
isinstance, issubclass, type, hasattr, getattr, callable, len, id, vars, str = (  # noqa: A001
    builtins.isinstance, builtins.issubclass, builtins.type, builtins.hasattr, builtins.getattr, builtins.callable,
    builtins.len, builtins.id, builtins.vars, builtins.str,
)  # fmt: skip

WATCH_MAX_CHARS = 1 << 16  # a global bigger than this (a precomputed table) is not re-sent after every call
CALL_CHUNK_MAX = 256


class Server:
    def __init__(self, req_fd, resp_fd):
        self.req_fd, self.resp_fd = req_fd, resp_fd
        self.refs, self.ref_ids = [], {}  # objects the checker holds references to (kept alive: ids stay valid)
        self.module, self.mirror, self.stand_ins = None, set(), {}
        self.watched = {}  # global name -> JSON of its last value sent
        self.callbacks = {}

    # ------------------------------------------------------------ encoding for the checker
    def ref(self, obj, encoder):
        if id(obj) not in self.ref_ids:
            self.ref_ids[id(obj)] = len(self.refs)
            self.refs.append(obj)
        kind = "class" if isinstance(obj, type) else "callable" if callable(obj) else "object"
        if isinstance(obj, type) and issubclass(obj, BaseException):
            kind = "exception:" + next(b.__name__ for b in obj.__mro__ if getattr(builtins, b.__name__, None) is b)
        return ["R", self.ref_ids[id(obj)], obj.__name__ if isinstance(obj, type) else type(obj).__name__, kind]

    def mirrored(self, obj):
        return type(obj).__name__ in self.mirror and hasattr(obj, "__dict__") and not isinstance(obj, type)

    def encoder(self):
        return py_wire.Encoder(self.ref, self.mirrored)

    def decoder(self, table, targets=None):
        return py_wire.Decoder(table, self.resolve, self.instance, targets)

    def resolve(self, entry):
        if entry[0] == "R" and type(entry[1]) is int:
            return self.refs[entry[1]]
        if entry[0] == "CB" and type(entry[1]) is int:
            return self.callback_stub(entry[1])
        raise ValueError(f"unknown entry {str(entry)[:60]}")

    def instance(self, name):
        """An empty object of the solution's class `name`, or of a stand-in when the solution has none."""
        cls = getattr(self.module, name, None)
        if not isinstance(cls, type):
            cls = self.stand_ins.setdefault(name, type(name, (), {}))
        return cls.__new__(cls)

    # ------------------------------------------------------------ requests
    def serve(self):
        while True:
            try:
                req = py_wire.recv(self.req_fd)
            except EOFError:
                os._exit(0)
            py_wire.send(self.resp_fd, self.answer(req))

    def answer(self, req):
        brought = {}
        try:
            op = req["op"]
            if op == "ping":
                return {"ok": "pong"}
            if op == "load":  # with the values of the globals the tests read: one round trip for both
                described = self.load(req)
                wanted = [n for n in req.get("fetch", ()) if n in described]
                reply = self.globals_reply(wanted) if wanted else {"ok": None, "t": [], "sync": [], "g": []}
                reply["described"] = described
                return reply
            if op == "globals":
                return self.globals_reply(req["names"])
            decoder = self.decoder(req.get("t", []))
            args = decoder.decode(req["args"]) if "args" in req else None
            brought = {i: decoder.objs[i] for i in _mutable_entries(req.get("t", []))}
            result = self.perform(op, req, args)
            return self.reply({"ok": result}, brought)
        except BaseException as exc:  # the solution's own exceptions, reported to the checker by name
            bases = [b.__name__ for b in type(exc).__mro__ if getattr(builtins, b.__name__, None) is b]
            return self.reply({"exc": type(exc).__name__, "bases": bases, "msg": _text(exc)}, brought, values=False)

    def perform(self, op, req, args):
        target = self.refs[req["ref"]] if "ref" in req else None
        if op == "call":
            return target(*args[0], **args[1])
        if op == "getattr":
            return getattr(target, req["name"])
        if op == "setattr":
            return setattr(target, req["name"], args)
        if op == "dunder":
            return forward(target, req["name"], args)
        if op == "next":
            return self.next_items(target, int(req.get("n", 1)))
        if op == "isinstance":
            return isinstance(args, target)
        raise ValueError(f"unknown op {op!r}")

    def next_items(self, iterator, n):
        """Up to `n` items of `iterator` (the checker asks for growing chunks), and whether it is exhausted."""
        items = []
        for _ in range(min(n, CALL_CHUNK_MAX)):
            try:
                items.append(next(iterator))
            except StopIteration:
                return [items, True]
        return [items, False]

    def reply(self, reply, brought, values=True):
        """Encode the reply's value with the new contents of the objects the request brought, and changed globals."""
        encoder = self.encoder()
        sync = [[encoder.reserve(obj), i] for i, obj in brought.items()]
        if values and "ok" in reply:
            reply["ok"] = encoder.value(reply["ok"])
        changed = self.changed_globals(encoder)
        encoder.flush()
        reply.update(t=encoder.table, sync=sync, g=changed)
        return reply

    # ------------------------------------------------------------ the solution module
    def load(self, req):
        """Run the tests' class definitions the solution may use (the `prelude`), then the solution; describe its
        globals (kinds only: a 64 MiB table is not encoded unless the tests read it)."""
        self.mirror = set(req.get("mirror", ()))
        module = type(sys)("solution")
        module.__file__ = SOLUTION_PATH
        sys.modules["solution"] = self.module = module
        for segment in (
            req.get("prelude") or ()
        ):  # a convenience: a class whose body needs more of the tests is left out
            try:
                exec(compile(segment, "<tests' classes>", "exec", dont_inherit=True), vars(module))
            except Exception:  # noqa: S112 (the tests keep their own definition either way)
                continue
        with open(SOLUTION_PATH, "rb") as f:
            code = compile(f.read(), SOLUTION_PATH, "exec", dont_inherit=True)
        exec(code, vars(module))
        return {name: _kind(value) for name, value in list(vars(module).items()) if not name.startswith("__")}

    def globals_reply(self, names):
        values = {name: getattr(self.module, name) for name in names}
        for name, value in values.items():
            if _kind(value)[0] == "data":
                self.watch(name, value)
        encoder = self.encoder()
        root = encoder.encode(values)
        return {"ok": root, "t": encoder.table, "sync": [], "g": []}

    def watch(self, name, value):
        if hasattr(value, "__len__") and len(value) > WATCH_MAX_CHARS // 8:
            return  # too big to re-encode after every call: read once
        try:
            text = _fingerprint(value, self)
        except Exception:
            return
        if len(text) <= WATCH_MAX_CHARS:
            self.watched[name] = text

    def changed_globals(self, encoder):
        changed = []
        for name, before in list(self.watched.items()):
            value = getattr(self.module, name, None)
            try:
                now = _fingerprint(value, self)
            except Exception:
                continue
            if now != before:
                self.watched[name] = now
                changed.append([name, encoder.value(value)])
        return changed

    # ------------------------------------------------------------ calls back into the tests
    def callback_stub(self, cb_id):
        if cb_id not in self.callbacks:

            def call_back(*args, **kwargs):
                encoder = self.encoder()
                root = encoder.encode([list(args), kwargs])
                py_wire.send(self.resp_fd, {"cb": cb_id, "args": root, "t": encoder.table})
                reply = py_wire.recv(self.req_fd)
                if "exc" in reply:
                    raise getattr(builtins, str(reply["exc"]), RuntimeError)(str(reply.get("msg", "")))
                return self.decoder(reply.get("t", [])).decode(reply.get("ok"))

            self.callbacks[cb_id] = call_back
        return self.callbacks[cb_id]


SOLUTION_PATH = os.path.join(os.getcwd(), "solution.py")
# Protocol operations with Python's full semantics (reflected operands, NotImplemented, fallbacks), by the name of
# the checker-side method that forwards them.
FORWARD = {
    "__eq__": operator.eq, "__ne__": operator.ne, "__lt__": operator.lt, "__le__": operator.le, "__gt__": operator.gt,
    "__ge__": operator.ge, "__hash__": hash, "__bool__": operator.truth, "__len__": len, "__iter__": iter,
    "__contains__": operator.contains, "__getitem__": operator.getitem, "__setitem__": operator.setitem,
    "__delitem__": operator.delitem, "__str__": str, "__repr__": repr, "__format__": format, "__neg__": operator.neg,
    "__pos__": operator.pos, "__abs__": abs, "__invert__": operator.invert, "__index__": operator.index,
    "__int__": int, "__float__": float, "__round__": round, "__dir__": dir, "__delattr__": delattr,
    "__subclasscheck__": lambda cls, sub: issubclass(sub, cls),
}  # fmt: skip
for _op in py_wire.BINARY_OPERATORS:
    _fn = getattr(operator, _op if _op not in ("and", "or") else _op + "_")
    FORWARD[f"__{_op}__"] = _fn
    FORWARD[f"__r{_op}__"] = lambda a, b, _fn=_fn: _fn(b, a)


def forward(target, name, args):
    """`target.<name>(*args)` as Python applies it: through `operator` where it has one, else on the type."""
    if name in FORWARD:
        return FORWARD[name](target, *args)
    method = getattr(type(target), name, None)
    if method is None or not name.startswith("__"):
        raise AttributeError(name)
    return method(target, *args)


def _mutable_entries(table):
    return [i for i, entry in enumerate(table) if type(entry) is list and entry and entry[0] in py_wire.MUTABLE_TAGS]


DATA_TYPES = {"NoneType", "bool", "int", "float", "str", "complex", "bytes", "bytearray", "list", "tuple", "dict",
              "set", "frozenset", "range", "deque", "Counter", "OrderedDict", "defaultdict", "Decimal", "Fraction",
              "date", "datetime", "time", "timedelta"}  # fmt: skip


def _kind(value):
    """How the checker should treat a global: a module (by name), plain data, or a reference. By type only: a
    64 MiB table is described, not encoded (it crosses only if the tests read it)."""
    if type(value).__name__ == "module":
        return ["module", getattr(value, "__name__", "")]
    if isinstance(value, type):
        return ["class"]
    if callable(value):
        return ["callable"]
    if type(value).__name__ in DATA_TYPES or isinstance(value, (int, float, str, tuple, list, dict, set)):
        return ["data"]
    return ["object", type(value).__name__]


def _fingerprint(value, server):
    encoder = server.encoder()
    root = encoder.encode(value)
    return py_wire.dumps([root, encoder.table])


def _text(exc):
    try:
        return str(exc)[:2000]
    except Exception:  # a solution exception whose __str__ itself raises
        return f"<{type(exc).__name__}>"


def serve(req_fd, resp_fd):
    Server(req_fd, resp_fd).serve()
