"""Test runners of the Python harness (checker side, trusted): `assert` tests (MBPP's lists of asserts, HumanEval's
`check(candidate)`) and pytest modules, with counts of test items passed.

Test items of `assert` tests: the statements at the top level of the test code, and in the body of a `check` the
tests define, that contain an `assert` (not `assert <constant>`); a loop full of asserts is one item. Each item is
wrapped so that its outcome is recorded; fail-fast (the default) stops at the first failed item, `all_tests` records
it and goes on. A statement that is not an item (setup) stops the run when it fails. pytest items are pytest's.
Fail-fast tests that define no class skip all of this (`QuickAnalysis`): no syntax tree, no counts.

The namespace the tests run in: the tests' own builtins and standard library; the solution's globals the tests
read, as data or references (py_checker.py); stdlib module names are the real modules wherever the tests use them
as modules; builtin names the solution redefines reach the tests only where the tests use them as the function
under test (MBPP's `def sum(a, b)` tested as `sum(10, 15) == 6`), never where the tests apply them to values.
"""

import builtins
import os
import sys

import py_checker
from py_checker import SolutionDied


# ---------------------------------------------------------------- reading the tests
def walk(node):
    """`ast.walk` without importing `ast` (its import costs more than a short test run)."""
    import _ast

    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        for name in node._fields:
            child = getattr(node, name, None)
            if isinstance(child, list):
                stack.extend(c for c in child if isinstance(c, _ast.AST))
            elif isinstance(child, _ast.AST):
                stack.append(child)


def is_item(stmt):
    """A statement that checks something: it holds an `assert` of a non-constant (nested scopes excluded)."""
    import _ast

    scopes = (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef, _ast.Lambda)
    if isinstance(stmt, scopes):
        return False
    stack = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, _ast.Assert) and not isinstance(node.test, _ast.Constant):
            return True
        for name in node._fields:
            child = getattr(node, name, None)
            children = child if isinstance(child, list) else [child]
            stack.extend(c for c in children if isinstance(c, _ast.AST) and not isinstance(c, scopes))
    return False


class Analysis:
    """What the harness needs to know about the test code, from one parse."""

    def __init__(self, code, entry_point):
        import _ast

        self.code, self.lines = code, code.splitlines()
        self.tree = compile(code, "<tests>", "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
        body = self.tree.body
        self.defined = set()
        self.classes, self.imports = [], []
        for stmt in body:
            self.defined.update(_bound_names(stmt))
            if isinstance(stmt, (_ast.Import, _ast.ImportFrom)):
                self.imports.append(stmt)
            elif isinstance(stmt, _ast.ClassDef) and _mirrorable(stmt):
                self.classes.append(stmt)
        check = [s for s in body if isinstance(s, _ast.FunctionDef) and s.name == "check"]
        self.check = check[-1] if check else None
        self.calls_check = any(_is_call_of(s, "check") for s in body)
        self.referenced, self.attribute_bases, candidates, builtin_uses = set(), set(), set(), []
        for node in walk(self.tree):
            if isinstance(node, _ast.Name):
                self.referenced.add(node.id)
                if hasattr(builtins, node.id):
                    builtin_uses.append(node)
            elif isinstance(node, _ast.Attribute) and isinstance(node.value, _ast.Name):
                self.attribute_bases.add(node.value.id)
            elif isinstance(node, _ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], _ast.Eq):
                for side in (node.left, node.comparators[0]):
                    if isinstance(side, _ast.Call) and isinstance(side.func, _ast.Name):
                        candidates.add(id(side.func))
        self.shadowable = _shadowable(builtin_uses, candidates, entry_point)
        self.items = []  # (line) per item, in order

    @property
    def mirror(self):
        return [c.name for c in self.classes]

    def prelude(self):
        """Sources of the tests' classes (after the imports they may need), run one by one in the solution's module
        first: a LeetCode solution that uses the tests' `ListNode` without defining it must find it."""
        if not self.classes:
            return []
        return [self.segment(node) for node in [*self.imports, *self.classes]]

    def segment(self, node):
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
        text = "\n".join(self.lines[first - 1 : node.end_lineno])
        indent = len(text) - len(text.lstrip(" \t"))
        return "\n".join(line[indent:] for line in text.splitlines())

    def instrument(self):
        """The test code with every item wrapped to report its outcome to `__codealign_item__(index, exc)`."""
        self.tree.body = self._wrap_items(self.tree.body)
        if self.check is not None:
            self.check.body = self._wrap_items(self.check.body)
        return compile(self.tree, "<tests>", "exec", dont_inherit=True)

    def _wrap_items(self, body):
        out = []
        for stmt in body:
            if not is_item(stmt):
                out.append(stmt)
                continue
            index = len(self.items)
            self.items.append(stmt.lineno)
            out.append(_wrapped(stmt, index))
        return out


def _shadowable(builtin_uses, candidates, entry_point):
    """Builtin names the solution may redefine for the tests: those the tests use only as `NAME(...) == expected`."""
    uses = {}
    for node in builtin_uses:
        uses.setdefault(node.id, []).append(id(node) in candidates)
    return {name for name, positions in uses.items() if all(positions)} | ({entry_point} if entry_point else set())


class QuickAnalysis:
    """Fail-fast tests without classes of their own (the GRPO reward's usual case) need no syntax tree: the names
    they read come from the compiled code, and the tree is built only if the solution redefines builtin or stdlib
    names (to decide where the tests use them). No test items are counted then (tests_total is None)."""

    def __init__(self, code, entry_point):
        self.code, self.entry_point, self.full = code, entry_point, None
        self.compiled = compile(code, "<tests>", "exec", dont_inherit=True)
        self.referenced, stack = set(), [self.compiled]
        while stack:
            unit = stack.pop()
            self.referenced.update(unit.co_names)
            stack.extend(c for c in unit.co_consts if type(c) is type(unit))
        self.defined, self.items, self.mirror = set(), [], []
        self.check = any(type(c) is type(self.compiled) and c.co_name == "check" for c in self.compiled.co_consts)
        self.calls_check = any(line.startswith("check(") for line in code.splitlines())

    def prelude(self):
        return []

    def instrument(self):
        return self.compiled

    @property
    def shadowable(self):
        return self._full().shadowable

    @property
    def attribute_bases(self):
        return self._full().attribute_bases

    def _full(self):
        if self.full is None:
            self.full = Analysis(self.code, self.entry_point)
        return self.full


def _bound_names(stmt):
    import _ast

    if isinstance(stmt, (_ast.FunctionDef, _ast.AsyncFunctionDef, _ast.ClassDef)):
        return {stmt.name}
    if isinstance(stmt, (_ast.Import, _ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in stmt.names}
    if isinstance(stmt, (_ast.Assign, _ast.AnnAssign, _ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, _ast.Assign) else [stmt.target]
        return {n.id for t in targets for n in walk(t) if isinstance(n, _ast.Name)}
    return set()


def _mirrorable(node):
    """A class of the tests that may cross as data and be defined in the solution's module: not an exception or a
    unittest case, and nothing that checks anything (expected values must not reach the solution)."""
    import _ast

    base_names = {b.id if isinstance(b, _ast.Name) else getattr(b, "attr", "") for b in node.bases}
    if base_names & ({"TestCase"} | {n for n in dir(builtins) if n.endswith(("Error", "Exception"))}):
        return False
    return not any(isinstance(n, _ast.Assert) or (isinstance(n, _ast.Attribute) and n.attr.startswith("assert"))
                   for n in walk(node))  # fmt: skip


def _is_call_of(stmt, name):
    import _ast

    return (
        isinstance(stmt, _ast.Expr)
        and isinstance(stmt.value, _ast.Call)
        and isinstance(stmt.value.func, _ast.Name)
        and stmt.value.func.id == name
    )


def _wrapped(stmt, index):
    """try: <stmt> / except BaseException as e: __codealign_item__(index, e) / else: __codealign_item__(index, None)"""
    import _ast

    where = {"lineno": stmt.lineno, "col_offset": stmt.col_offset,
             "end_lineno": stmt.end_lineno, "end_col_offset": stmt.end_col_offset}  # fmt: skip

    def report(arg):
        func = _ast.Name(id="__codealign_item__", ctx=_ast.Load(), **where)
        call = _ast.Call(func=func, args=[_ast.Constant(value=index, **where), arg], keywords=[], **where)
        return _ast.Expr(value=call, **where)

    caught = _ast.Name(id="__codealign_exc__", ctx=_ast.Load(), **where)
    handler = _ast.ExceptHandler(
        type=_ast.Name(id="BaseException", ctx=_ast.Load(), **where),
        name="__codealign_exc__",
        body=[report(caught)],
        **where,
    )
    none = _ast.Constant(value=None, **where)
    return _ast.Try(body=[stmt], handlers=[handler], orelse=[report(none)], finalbody=[], **where)


# ---------------------------------------------------------------- outcomes
class Tally:
    """Outcome per test item; `record` is what the instrumented items call."""

    def __init__(self, all_tests):
        self.all_tests, self.passed, self.failed, self.first_failure = all_tests, set(), set(), None

    def record(self, index, exc):
        if exc is None:
            self.passed.add(index)
            return
        self.failed.add(index)
        if self.first_failure is None:
            self.first_failure = exc
        if not self.all_tests or not isinstance(exc, Exception):  # SolutionDied, SystemExit, ...: always stop
            raise exc

    def counts(self, total):
        return (None, None) if total is None else (len(self.passed - self.failed), total)


# ---------------------------------------------------------------- the namespace
def build_namespace(remote, analysis, entry_point):
    ns = {"__name__": "__main__", "__builtins__": builtins}
    remote.namespace = ns
    # Fetched with the load (one round trip): the names the tests read; modules among them are dropped below.
    candidates = sorted({*analysis.referenced, *([entry_point] if entry_point else [])})
    plain = [n for n in candidates if not hasattr(builtins, n) and n not in sys.stdlib_module_names]
    fetch = [n for n in plain if _wanted(n, analysis, entry_point)]
    described, values = remote.load(prelude=analysis.prelude(), mirror=analysis.mirror, fetch=fetch)
    sys.modules["solution"] = py_checker.SolutionModule(remote, described)
    wanted = [n for n in described if _wanted(n, analysis, entry_point)]
    modules = {n for n in wanted if _as_module(n, described[n], analysis)}
    for name in modules:
        try:
            ns[name] = _module(name, described[name])
        except ImportError:
            continue
    late = [n for n in wanted if n not in modules and n not in values]  # stdlib names the solution rebinds
    values = {**{n: v for n, v in values.items() if n not in modules}, **remote.fetch(late)}
    ns.update(values)
    remote.watched = {n for n in values if described[n][:1] == ["data"]}
    return ns


def _wanted(name, analysis, entry_point):
    if name not in analysis.referenced and name != entry_point:
        return False
    if name in analysis.defined and name != entry_point:
        return False  # the tests define it themselves
    return not hasattr(builtins, name) or name in analysis.shadowable


def _as_module(name, desc, analysis):
    """A stdlib name the tests use as `name.attr` is the real module (`math = FakeMath()` must not decide
    `math.isclose`); a module the solution imported under another name is that module, imported here."""
    if desc[:1] == ["module"]:
        return True
    return name in sys.stdlib_module_names and (
        name in analysis.attribute_bases or desc[:1] not in (["callable"], ["class"])
    )


def _module(name, desc):
    import importlib

    return importlib.import_module(name if name in sys.stdlib_module_names else str(desc[1]))


# ---------------------------------------------------------------- runners
def run_assert(remote, code, entry_point, all_tests):
    """Run `assert` tests; returns (passed items, total items or None) or raises the first failure."""
    quick = not all_tests and "class " not in code
    analysis = QuickAnalysis(code, entry_point) if quick else Analysis(code, entry_point)
    compiled = analysis.instrument()
    ns = build_namespace(remote, analysis, entry_point)
    tally = Tally(all_tests)
    ns["__codealign_item__"] = tally.record
    total = len(analysis.items) or None
    try:
        exec(compiled, ns)
        # HumanEval's tests define check(candidate) and leave the call to the harness (unless they call it). A
        # `check` the tests did not define is the solution's own function (MBPP tests `assert check(x) == y`).
        if analysis.check and not analysis.calls_check and entry_point:
            if entry_point not in ns:
                raise NameError(f"the solution defines no {entry_point!r} (the task's entry_point)")
            ns["check"](ns[entry_point])
    except BaseException as exc:
        exc.codealign_counts = tally.counts(total)
        raise
    if tally.first_failure is not None:
        tally.first_failure.codealign_counts = tally.counts(total)
        raise tally.first_failure
    return tally.counts(total)


class PytestCounter:
    def __init__(self, test_path):
        self.test_path, self.collected, self.passed, self.problems = test_path, 0, 0, []

    def pytest_collection_finish(self, session):
        self.collected = len(session.items)
        seal(self.test_path)

    def pytest_collectreport(self, report):
        if report.failed:
            self.problems.append(f"collection error: {str(report.longrepr)[-300:]}")

    def pytest_runtest_logreport(self, report):
        if report.when == "call" and report.passed:
            self.passed += 1
        elif report.failed or report.skipped:
            outcome = "failed" if report.failed else "skipped"
            self.problems.append(f"{report.nodeid} {outcome} in {report.when}: {str(report.longrepr)[-300:]}")


def seal(path):
    """Delete the test source before any solution code runs (the module object is already compiled)."""
    try:  # noqa: SIM105 (contextlib is one import too many for the harness's start-up time)
        os.unlink(path)
    except FileNotFoundError:
        pass


def run_pytest(remote, code, entry_point, all_tests):
    """Run a pytest module against `import solution`; (passed, collected) or raises AssertionError."""
    import tempfile

    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # here, after the fork: the solution's environment is its own
    tmp = tempfile.mkdtemp(prefix="codealign-tests-")
    test_path, ini_path = os.path.join(tmp, "test_solution.py"), os.path.join(tmp, "pytest.ini")
    with open(test_path, "w") as f:
        f.write(code)
    with open(ini_path, "w") as f:
        f.write("[pytest]\n")
    remote.namespace = {}
    sys.modules["solution"] = py_checker.SolutionModule(remote, None)  # loads at the tests' first `import solution`
    remote.on_first = lambda: seal(test_path)  # ... after pytest compiled the test module, before solution code runs
    counter = PytestCounter(test_path)
    import pytest

    args = [test_path, "-q", "-p", "no:cacheprovider", "--noconftest", "-c", ini_path, "--rootdir", tmp]
    args += ["--import-mode=importlib", "-p", "no:warnings", *([] if all_tests else ["-x"])]
    exit_code = pytest.main(args, plugins=[counter])
    if remote.dead:
        raise SolutionDied("the solution process exited during the tests")
    counts = (counter.passed, counter.collected or None)
    if exit_code == 0 and counter.collected > 0 and counter.passed == counter.collected and not counter.problems:
        return counts
    problems = counter.problems or [f"pytest exit code {int(exit_code)}, {counter.collected} tests collected"]
    failure = AssertionError(f"{counter.passed}/{counter.collected} tests passed; " + problems[0])
    failure.codealign_counts = counts
    raise failure
