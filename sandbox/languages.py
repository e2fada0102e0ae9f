"""Per language: source file names, the compile step and the run step, and how an `assert` test program is built.

Every command runs in the work directory `/work` of the sandbox's root file system (the shared rootfs built by
`sandbox/image/build.sh`), by absolute path, with a fixed scrubbed environment.

For compiled languages and JavaScript an `assert` task is one program: solution, then the test code (which holds
the test `main`, renamed by us), then a harness `main` that calls the tests and only afterwards prints the evidence
line with the per-run nonce, which it reads from stdin at that point. An early `exit(0)` from the solution, a static
initializer, `init()` or an atexit hook therefore never produces a pass. These programs share one process with the
solution, so a solution written against this harness (reading stdin before the tests, overriding `operator==` or a
libc function the tests call) could still forge a pass; Python runs tests in a separate process (see py_harness.py),
and `stdio` tasks compare outputs outside the sandbox, which no program can influence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.base import File

MAIN_DIR = "/work"
JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss64m", "-Xshare:auto")


@dataclass(frozen=True)
class Build:
    """What the harness needs for one program: files, optional compile argv, run argv, extra environment."""

    files: tuple[File, ...]
    run_argv: tuple[str, ...]
    compile_argv: tuple[str, ...] | None = None
    env: tuple[tuple[str, str], ...] = ()
    hide_after_compile: tuple[str, ...] = ()  # sources holding test code: gone before the program runs


def _src(path: str, text: str) -> File:
    return File(path=path, content=text.encode("utf-8"), readonly=True)


def _java_heap_mb(memory_mb: int) -> int:
    return max(64, int(memory_mb * 0.5))


# ---------------------------------------------------------------- C-family test assembly
_MAIN_SIGNATURE = re.compile(r"\bint\s+main\s*\([^)]*\)\s*\{")
_DEFINE = re.compile(r"^[ \t]*(?:#|%:)[ \t]*define[ \t]+([A-Za-z_]\w*)", re.MULTILINE)
_IDENT = re.compile(r"[A-Za-z_]\w*")


def _matching_brace(code: str, open_index: int) -> int:
    """Index of the `}` closing the `{` at `open_index`, skipping strings, chars and comments."""
    depth, i = 0, open_index
    while i < len(code):
        two = code[i : i + 2]
        if two == "//":
            i = code.find("\n", i) if "\n" in code[i:] else len(code)
            continue
        if two == "/*":
            i = code.find("*/", i + 2) + 2 if "*/" in code[i + 2 :] else len(code)
            continue
        ch = code[i]
        if ch in "\"'":
            j = i + 1
            while j < len(code) and code[j] != ch:
                j += 2 if code[j] == "\\" else 1
            i = j + 1
            continue
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and ch == "}":
            return i
        i += 1
    raise ValueError("the test code's main() has no closing brace")


def _rename_c_main(tests: str) -> str:
    """`int main(...) {...}` -> `int codealign_tests_main(void) {... return 0;}` (falling off a non-main int function
    is undefined behaviour in C++, and HumanEval-X test mains have no `return`)."""
    match = _MAIN_SIGNATURE.search(tests)
    if match is None:
        raise ValueError("C/C++ assert tests must define `int main()` that runs the asserts")
    close = _matching_brace(tests, match.end() - 1)
    body = tests[match.end() : close]
    return f"{tests[: match.start()]}int codealign_tests_main(void) {{{body}\n  return 0;\n}}{tests[close + 1 :]}"


def c_family_assert_source(solution: str, tests: str) -> str:
    """Solution, then a guard (assert re-enabled, every macro the solution defines that the tests use undefined),
    the renamed tests, and a main that prints the evidence after they return."""
    joined = solution.replace("\\\n", "")
    used = set(_IDENT.findall(tests)) | {"main", "printf", "scanf", "char", "int", "return", "if", "void"}
    undefs = "".join(f"#undef {name}\n" for name in sorted(set(_DEFINE.findall(joined)) & used))
    # The solution's macros go first, then <assert.h> again with NDEBUG off (it may be re-included on purpose).
    guard = f"\n{undefs}#undef NDEBUG\n#undef assert\n#include <assert.h>\n#include <stdio.h>\n#undef codealign_tests_main\n"
    epilogue = (
        "\nint main(void) {\n  codealign_tests_main();\n  char nonce[80] = {0};\n"
        '  if (scanf("%64s", nonce) != 1) return 3;\n  printf("\\nCODEALIGN %s pass \\"\\"\\n", nonce);\n'
        "  return 0;\n}\n"
    )
    return f"{solution}\n{guard}{_rename_c_main(tests)}\n{epilogue}"


# ---------------------------------------------------------------- per-language builds
def python_build(solution: str) -> Build:
    return Build(files=(_src("solution.py", solution),), run_argv=("/usr/bin/python3", "-I", "-S", "solution.py"))


def c_build(solution: str, tests: str | None, cpp: bool) -> Build:
    ext, compiler, std = ("cpp", "/usr/bin/g++", "-std=gnu++17") if cpp else ("c", "/usr/bin/gcc", "-std=gnu17")
    source = c_family_assert_source(solution, tests) if tests is not None else solution
    argv = (compiler, std, "-O2", "-pipe", "-o", "prog", f"main.{ext}", "-lm")
    return Build(
        files=(_src(f"main.{ext}", source),),
        compile_argv=argv,
        run_argv=("./prog",),
        hide_after_compile=(f"main.{ext}",) if tests is not None else (),
    )


_PUBLIC_CLASS = re.compile(r"^(\s*)public\s+((?:final\s+|abstract\s+)*class\s+)(\w+)", re.MULTILINE)
_JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?[\w.]+(?:\.\*)?\s*;[ \t]*$", re.MULTILINE)
JAVA_RUNNER = """public class CodealignRunner {
  public static void main(String[] args) throws Exception {
    Main.main(args);
    String nonce = new String(System.in.readAllBytes()).trim();
    System.out.print("\\nCODEALIGN " + nonce + " pass \\"\\"\\n");
    System.out.flush();
    System.exit(0);
  }
}
"""


def java_build(solution: str, tests: str | None, memory_mb: int) -> Build:
    heap = f"-Xmx{_java_heap_mb(memory_mb)}m"
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
    source = f"{solution_no_public}\n{imports}\n{body}\n"
    # Java requires imports before any class: hoist the tests' imports above the solution's classes.
    head, rest = _split_java_imports(source)
    return Build(
        files=(_src("Main.java", head + rest), _src("CodealignRunner.java", JAVA_RUNNER)),
        compile_argv=(*javac, "Main.java", "CodealignRunner.java"),
        # -ea: the tests' `assert` statements (MultiPL-E's Java tests are nothing else) are skipped without it
        run_argv=("/usr/bin/java", heap, *JVM_FLAGS, "-ea", "-cp", ".", "CodealignRunner"),
        hide_after_compile=("Main.java", "CodealignRunner.java"),
    )


def _split_java_imports(source: str) -> tuple[str, str]:
    imports = [m.group(0).strip() for m in _JAVA_IMPORT.finditer(source)]
    rest = _JAVA_IMPORT.sub("", source)
    package = re.compile(r"^\s*package\s+[\w.]+\s*;", re.MULTILINE)
    return "\n".join(dict.fromkeys(imports)) + "\n", package.sub("", rest)


JS_EPILOGUE = """
;(function codealignEvidence() {
  const nonce = require("fs").readFileSync(0, "utf8").trim();
  process.stdout.write("\\nCODEALIGN " + nonce + ' pass ""\\n');
})();
"""


# Between the solution and the tests: Node's console.assert only logs a failed assertion (HumanEval-X's JavaScript
# tests rely on it), so it is made to throw, fixed in place so that the tests cannot be handed a silent one (a
# solution that froze console.assert first makes this line throw, and the run fails).
JS_PROLOGUE = """
;Object.defineProperty(console, "assert", {
  value: function (condition, ...message) {
    if (!condition) throw new (require("assert").AssertionError)({ message: ["Assertion failed", ...message].join(" ") });
  },
  writable: false,
  configurable: false,
});
"""


def javascript_build(solution: str, tests: str | None, memory_mb: int) -> Build:
    source = solution if tests is None else f"{solution}\n{JS_PROLOGUE}\n{tests}\n{JS_EPILOGUE}"
    heap = f"--max-old-space-size={max(32, int(memory_mb * 0.6))}"
    return Build(files=(_src("main.js", source),), run_argv=("/usr/bin/node", heap, "main.js"))


GO_MAIN = """package main

import (
\t"fmt"
\t"io"
\t"os"
\t"strings"
)

func main() {
\tcodealignTestsMain()
\tnonce, _ := io.ReadAll(os.Stdin)
\tfmt.Printf("\\nCODEALIGN %s pass \\"\\"\\n", strings.TrimSpace(string(nonce)))
}
"""
GO_ENV = (("GOCACHE", "/tmp/go-cache"), ("HOME", "/tmp"), ("GO111MODULE", "off"), ("GOTOOLCHAIN", "local"))


def go_build(solution: str, tests: str | None) -> Build:
    if tests is None:
        files = (_src("main.go", solution),)
    else:
        renamed = re.sub(r"\bfunc\s+main\s*\(\s*\)", "func codealignTestsMain()", tests, count=1)
        if not re.search(r"^\s*package\s+main\b", renamed, re.MULTILINE):
            renamed = "package main\n\n" + renamed
        files = (_src("main.go", solution), _src("tests.go", renamed), _src("codealign_main.go", GO_MAIN))
    names = tuple(f.path for f in files)
    return Build(
        files=files,
        compile_argv=("/usr/bin/go", "build", "-o", "prog", *names),
        run_argv=("./prog",),
        env=GO_ENV,
        hide_after_compile=names[1:],
    )


RUST_MAIN = """
fn main() {
    codealign_tests_main();
    let mut nonce = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut nonce).unwrap();
    print!("\\nCODEALIGN {} pass \\"\\"\\n", nonce.trim());
}
"""


def rust_build(solution: str, tests: str | None) -> Build:
    if tests is None:
        source = solution
    else:
        renamed = re.sub(r"\bfn\s+main\s*\(\s*\)", "fn codealign_tests_main()", tests, count=1)
        source = f"{solution}\n{renamed}\n{RUST_MAIN}"
    argv = ("/usr/bin/rustc", "--edition", "2021", "-O", "-C", "debuginfo=0", "-o", "prog", "main.rs")
    return Build(
        files=(_src("main.rs", source),),
        compile_argv=argv,
        run_argv=("./prog",),
        hide_after_compile=("main.rs",) if tests is not None else (),
    )


def build_program(language: str, solution: str, tests: str | None, memory_mb: int) -> Build:
    """The program for `solution` (plus assert `tests` when given) in `language` (canonical name)."""
    if language == "python":
        return python_build(solution)
    if language in ("c", "cpp"):
        return c_build(solution, tests, cpp=language == "cpp")
    if language == "java":
        return java_build(solution, tests, memory_mb)
    if language == "javascript":
        return javascript_build(solution, tests, memory_mb)
    if language == "go":
        return go_build(solution, tests)
    if language == "rust":
        return rust_build(solution, tests)
    raise ValueError(f"no build recipe for language {language!r}")
