"""Per language: source file names, the compile step and the run step, and how an `assert` test program is built.

Every command runs in the work directory `/work` of the sandbox's root file system (the shared rootfs built by
`sandbox/image/build.sh`), by absolute path, with a fixed scrubbed environment.

An `assert` task in a language other than Python is one program: solution, tests, and a harness `main` that runs
the tests and only afterwards prints the evidence line with the per-run nonce. Where the nonce lives:

* C, C++, Go, Rust: compiled in, split and under random names, in a sealed binary (sandbox/assembly.py);
* Java and JavaScript (whose class files and sources the runtime must be able to read): on stdin, read by the
  harness before any code of the solution runs (Java: the runner class's `main`, before the solution's classes are
  initialised; JavaScript: the main module, which then runs solution and tests as scripts in the global scope and
  keeps the nonce in its own module scope, out of their reach) -- afterwards stdin is at its end.

The JavaScript harness also fixes, before the solution runs, what tests rely on: `console.assert` throws (Node's
only logs, which HumanEval-X's tests rely on); the `assert` module, JSON, Math, Reflect and the static methods of
Object, Array, String and Number are frozen, and those globals cannot be rebound (prototypes stay open: solutions
do extend them). Python tests run in a
separate process (sandbox/guest/py_harness.py); `stdio` outputs are compared outside the sandbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox import assembly
from sandbox.base import File

JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss64m", "-Xshare:auto")
RUNTIME_HEADROOM_MB = 256  # a JVM's or V8's memory beyond its heap (metaspace, code, GC structures, stacks)


@dataclass(frozen=True)
class Build:
    """What the harness needs for one program: files, optional compile argv, run argv, extra environment."""

    files: tuple[File, ...]
    run_argv: tuple[str, ...]
    compile_argv: tuple[str, ...] | None = None
    env: tuple[tuple[str, str], ...] = ()
    hide_after_compile: tuple[str, ...] = ()  # sources holding test code or the nonce: gone before the program runs
    seal_after_compile: tuple[str, ...] = ()  # binaries holding the nonce: run, but cannot be read
    run_stdin: bytes = b""  # for assert tests: what the harness reads first (the nonce, for Java and JavaScript)
    counts_tests: bool = False  # the evidence line carries passed/total


def _src(path: str, text: str) -> File:
    return File(path=path, content=text.encode("utf-8"), readonly=True)


def heap_mb(memory_mb: int) -> int:
    """The managed heap of a JVM or V8 under a job limit of `memory_mb`: the rest is the runtime's own."""
    return max(64, memory_mb - RUNTIME_HEADROOM_MB)


# ---------------------------------------------------------------- C, C++
def python_build(solution: str) -> Build:
    return Build(files=(_src("solution.py", solution),), run_argv=("/usr/bin/python3", "-I", "-S", "solution.py"))


def c_build(solution: str, tests: str | None, cpp: bool, nonce: str) -> Build:
    ext, compiler, std = ("cpp", "/usr/bin/g++", "-std=gnu++17") if cpp else ("c", "/usr/bin/gcc", "-std=gnu17")
    source = assembly.c_family_assert_source(solution, tests, nonce) if tests is not None else solution
    argv = (compiler, std, "-O2", "-pipe", "-o", "prog", f"main.{ext}", "-lm")
    return Build(
        files=(_src(f"main.{ext}", source),),
        compile_argv=argv,
        run_argv=("./prog",),
        hide_after_compile=(f"main.{ext}",) if tests is not None else (),
        seal_after_compile=("prog",) if tests is not None else (),
    )


# ---------------------------------------------------------------- Java
_PUBLIC_CLASS = re.compile(r"^(\s*)public\s+((?:final\s+|abstract\s+)*class\s+)(\w+)", re.MULTILINE)
_JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?[\w.]+(?:\.\*)?\s*;[ \t]*$", re.MULTILINE)
JAVA_RUNNER = """public class CodealignRunner {
  public static void main(String[] args) throws Exception {
    // First, before any class of the solution is initialised: the nonce, then stdin is at its end.
    String nonce = new String(System.in.readAllBytes()).trim();
    Main.main(args);
    System.out.flush();
    java.io.FileOutputStream out = new java.io.FileOutputStream(java.io.FileDescriptor.out);
    out.write(("\\nCODEALIGN " + nonce + " pass \\"\\"\\n").getBytes());
    out.flush();
    Runtime.getRuntime().halt(0);
  }
}
"""


def java_build(solution: str, tests: str | None, memory_mb: int, nonce: str) -> Build:
    heap = f"-Xmx{heap_mb(memory_mb)}m"
    javac = ("/usr/bin/javac", "-J-Xmx256m", *(f"-J{f}" for f in JVM_FLAGS[:3]), "-encoding", "UTF-8", "-d", ".")
    if tests is None:
        match = _PUBLIC_CLASS.search(solution)
        main_class = match.group(3) if match else "Main"
        return Build(
            files=(_src(f"{main_class}.java", solution),),
            compile_argv=(*javac, f"{main_class}.java"),
            run_argv=("/usr/bin/java", heap, *JVM_FLAGS, "-cp", ".", main_class),
        )
    imports = "\n".join(m.group(0).strip() for m in _JAVA_IMPORT.finditer(tests))
    body = _JAVA_IMPORT.sub("", tests)
    solution_no_public = _PUBLIC_CLASS.sub(r"\1\2\3", solution)  # one file: only the tests' Main stays public
    head, rest = _split_java_imports(f"{solution_no_public}\n{imports}\n{body}\n")
    return Build(
        files=(_src("Main.java", head + rest), _src("CodealignRunner.java", JAVA_RUNNER)),
        compile_argv=(*javac, "Main.java", "CodealignRunner.java"),
        # -ea: the tests' `assert` statements (MultiPL-E's Java tests are nothing else) are skipped without it
        run_argv=("/usr/bin/java", heap, *JVM_FLAGS, "-ea", "-cp", ".", "CodealignRunner"),
        hide_after_compile=("Main.java", "CodealignRunner.java"),
        run_stdin=nonce.encode() + b"\n",
    )


def _split_java_imports(source: str) -> tuple[str, str]:
    """Java requires imports before any class: the tests' imports go above the solution's classes."""
    imports = [m.group(0).strip() for m in _JAVA_IMPORT.finditer(source)]
    rest = _JAVA_IMPORT.sub("", source)
    package = re.compile(r"^\s*package\s+[\w.]+\s*;", re.MULTILINE)
    return "\n".join(dict.fromkeys(imports)) + "\n", package.sub("", rest)


# ---------------------------------------------------------------- JavaScript
JS_MAIN = r"""// The harness: solution and tests run as scripts in the global scope; the nonce stays in this module's scope.
"use strict";
const fs = require("fs");
const vm = require("vm");
const nonce = fs.readFileSync(0, "utf8").trim();
const assertModule = require("assert");
Object.defineProperty(console, "assert", {
  value: function (condition, ...message) {
    if (!condition) throw new assertModule.AssertionError({ message: ["Assertion failed", ...message].join(" ") });
  },
  writable: false,
  configurable: false,
});
// What tests compare with cannot be patched by the solution (an always-equal JSON.stringify would pass anything).
for (const target of [assertModule, assertModule.strict, JSON, Math, Reflect, Object, Array, String, Number]) {
  Object.freeze(target);
}
for (const name of ["JSON", "Math", "Reflect", "Object", "Array", "String", "Number", "Boolean", "Map", "Set"]) {
  Object.defineProperty(globalThis, name, { writable: false, configurable: false });
}
globalThis.require = require;
globalThis.module = { exports: {} };
const run = (name) => vm.runInThisContext(fs.readFileSync(name, "utf8"), { filename: name });
run("solution.js");
run("tests.js");
fs.writeSync(1, "\nCODEALIGN " + nonce + ' pass ""\n');
process.exit(0);
"""


def javascript_build(solution: str, tests: str | None, memory_mb: int, nonce: str) -> Build:
    heap = f"--max-old-space-size={heap_mb(memory_mb)}"
    if tests is None:
        return Build(files=(_src("main.js", solution),), run_argv=("/usr/bin/node", heap, "main.js"))
    files = (_src("main.js", JS_MAIN), _src("solution.js", solution), _src("tests.js", tests))
    return Build(files=files, run_argv=("/usr/bin/node", heap, "main.js"), run_stdin=nonce.encode() + b"\n")


# ---------------------------------------------------------------- Go
# GOPATH: the Debian-packaged Go libraries of the rootfs (testify for HumanEval-X's tests); GOCACHE in the work
# dir, deleted with the sources after the compile step (the build cache holds the compiled nonce).
GO_ENV = (
    ("GOCACHE", "/work/.gocache"), ("GOPATH", "/usr/share/gocode"), ("HOME", "/tmp"), ("GO111MODULE", "off"),
    ("GOTOOLCHAIN", "local"),
)  # fmt: skip


def go_build(solution: str, tests: str | None, nonce: str, all_tests: bool) -> Build:
    if tests is None:
        files = (_src("main.go", assembly.go_package_main(solution)),)
    else:
        test_functions = assembly.go_test_functions(tests)
        renamed = (
            tests
            if test_functions
            else re.sub(r"\bfunc\s+main\s*\(\s*\)", "func codealignTestsMain()", tests, count=1)
        )
        files = (
            _src("main.go", assembly.go_package_main(solution)),
            _src("tests.go", assembly.go_package_main(renamed)),
            _src("codealign_main.go", assembly.go_harness(nonce, test_functions, all_tests)),
        )
    names = tuple(f.path for f in files)
    return Build(
        files=files,
        compile_argv=("/usr/bin/go", "build", "-ldflags=-s -w", "-o", "prog", *names),
        run_argv=("./prog",),
        env=GO_ENV,
        hide_after_compile=(*names[1:], ".gocache") if tests is not None else (".gocache",),
        seal_after_compile=("prog",) if tests is not None else (),
        counts_tests=tests is not None and bool(assembly.go_test_functions(tests)),
    )


# ---------------------------------------------------------------- Rust
def rust_build(solution: str, tests: str | None, nonce: str, all_tests: bool) -> Build:
    flags = ("--edition", "2021", "-O", "-C", "debuginfo=0", "-o", "prog", "main.rs")
    if tests is None:
        return Build(files=(_src("main.rs", solution),), compile_argv=("/usr/bin/rustc", *flags), run_argv=("./prog",))
    test_source, test_functions = assembly.rust_tests(tests)
    if test_functions:
        harness = assembly.rust_harness(nonce, test_functions, all_tests)
    else:
        test_source = re.sub(r"\bfn\s+main\s*\(\s*\)", "fn codealign_tests_main()", tests, count=1)
        harness = assembly.rust_harness(nonce, None, all_tests)
    source = f"{assembly.rust_rename_main(solution, 'codealign_solution_main')}\n{test_source}\n{harness}"
    return Build(
        files=(_src("main.rs", source),),
        compile_argv=("/usr/bin/rustc", "--cfg", "test", "-A", "warnings", *flags),
        run_argv=("./prog",),
        hide_after_compile=("main.rs",),
        seal_after_compile=("prog",),
        counts_tests=bool(test_functions),
    )


def build_program(
    language: str, solution: str, tests: str | None, memory_mb: int, nonce: str = "", all_tests: bool = False
) -> Build:
    """The program for `solution` (plus assert `tests` when given) in `language` (canonical name)."""
    if language == "python":
        return python_build(solution)
    if language in ("c", "cpp"):
        return c_build(solution, tests, cpp=language == "cpp", nonce=nonce)
    if language == "java":
        return java_build(solution, tests, memory_mb, nonce)
    if language == "javascript":
        return javascript_build(solution, tests, memory_mb, nonce)
    if language == "go":
        return go_build(solution, tests, nonce, all_tests)
    if language == "rust":
        return rust_build(solution, tests, nonce, all_tests)
    raise ValueError(f"no build recipe for language {language!r}")
