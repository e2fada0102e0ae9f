"""Source assembly of `assert` test programs for compiled languages: the solution, the tests, and a harness `main`
that runs the tests and only afterwards writes the evidence line ``CODEALIGN <nonce> <pass|fail> {...}``.

The tests of these languages call the solution with native values, so they share its process, and code of the
solution's process can in principle do whatever the harness does. What keeps a pass unforgeable in practice:

* the nonce is in no channel the program can read -- not stdin (empty), files, argv or environment. It is
  compiled in, split into two random byte strings whose XOR it is (read through `volatile`, so the compiler cannot
  fold them into one), under per-run random identifiers the solution cannot name; the source is deleted after the
  compile step, the Go build cache too, and the binary is sealed (root-owned, mode 0111: it runs but cannot be read,
  and neither can /proc/self/exe);
* the evidence is written only after the tests returned; an early exit, a static constructor, `init()` or a
  panic leaves none;
* C/C++ `assert` is the harness's own macro, re-established after the tests' includes, failing through a
  static function with a random name and `__builtin_trap()`: a solution that redefines `__assert_fail`, `abort`
  or `_exit` cannot turn a failed assert into a return.

What remains: code that searches its own process memory and reverse-engineers the harness's layout there.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

_MAIN_SIGNATURE = re.compile(r"\bint\s+main\s*\([^)]*\)\s*\{")
_DEFINE = re.compile(r"^[ \t]*(?:#|%:)[ \t]*define[ \t]+([A-Za-z_]\w*)", re.MULTILINE)
_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include\b.*$", re.MULTILINE)
_IDENT = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class Secret:
    """The nonce as two byte strings whose XOR it is, plus a random suffix for the harness's identifiers."""

    first: bytes
    second: bytes
    tag: str

    @classmethod
    def of(cls, nonce: str) -> Secret:
        data = nonce.encode()
        first = secrets.token_bytes(len(data))
        return cls(first, bytes(a ^ b for a, b in zip(first, data)), secrets.token_hex(6))

    def literal(self, which: bytes) -> str:
        return ", ".join(str(b) for b in which)


def matching_brace(code: str, open_index: int) -> int:
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
    raise ValueError("unbalanced braces in the test code")


# ---------------------------------------------------------------- C and C++
def _rename_c_main(tests: str) -> str:
    """`int main(...) {...}` -> `int codealign_tests_main(void) {... return 0;}` (falling off a non-main int function
    is undefined behaviour in C++, and HumanEval-X test mains have no `return`)."""
    match = _MAIN_SIGNATURE.search(tests)
    if match is None:
        raise ValueError("C/C++ assert tests must define `int main()` that runs the asserts")
    close = matching_brace(tests, match.end() - 1)
    body = tests[match.end() : close]
    return f"{tests[: match.start()]}int codealign_tests_main(void) {{{body}\n  return 0;\n}}{tests[close + 1 :]}"


def _c_assert(tag: str) -> tuple[str, str]:
    """The harness's assert macro, and the function it fails through."""
    fail = f"codealign_assert_failed_{tag}"
    redefine = f"\n#undef assert\n#undef {fail}\n#define assert(e) ((e) ? (void)0 : {fail}(#e, __LINE__))\n"
    return redefine, (
        f"static void {fail}(const char *expr, int line) {{\n"
        '  fprintf(stderr, "Assertion failed: %s (tests line %d)\\n", expr, line);\n'
        "  fflush(stderr);\n  _exit(134);\n  __builtin_trap();\n}\n"
    )


def c_family_assert_source(solution: str, tests: str, nonce: str) -> str:
    """Solution; a guard (every macro the solution defines that the tests use undefined, the harness's assert);
    the tests, renamed, with the harness's assert re-established after their includes; the evidence `main`."""
    secret = Secret.of(nonce)
    joined = solution.replace("\\\n", "")
    used = set(_IDENT.findall(tests)) | {"main", "printf", "fprintf", "char", "int", "return", "if", "void", "_exit"}
    undefs = "".join(f"#undef {name}\n" for name in sorted(set(_DEFINE.findall(joined)) & used))
    redefine, fail_function = _c_assert(secret.tag)
    guard = (
        f"\n{undefs}#undef NDEBUG\n#include <assert.h>\n#include <stdio.h>\n#include <unistd.h>\n"
        f"#undef codealign_tests_main\n{fail_function}{redefine}"
    )
    renamed = _rename_c_main(tests)
    includes = list(_INCLUDE.finditer(renamed))
    if includes:  # an include of <assert.h>/<cassert> in the tests would bring back the C library's assert
        cut = includes[-1].end()
        renamed = renamed[:cut] + redefine + renamed[cut:]
    a, b = f"codealign_a_{secret.tag}", f"codealign_b_{secret.tag}"
    n = len(secret.first)
    epilogue = (
        f"\nstatic const volatile unsigned char {a}[{n}] = {{{secret.literal(secret.first)}}};\n"
        f"static const volatile unsigned char {b}[{n}] = {{{secret.literal(secret.second)}}};\n"
        'int main(void) {\n  codealign_tests_main();\n  char line[128] = "\\nCODEALIGN ";\n  int n = 11;\n'
        f"  for (int i = 0; i < {n}; i++) line[n++] = (char)({a}[i] ^ {b}[i]);\n"
        '  const char *tail = " pass \\"\\"\\n";\n  while (*tail) line[n++] = *tail++;\n'
        "  fflush(stdout);\n  if (write(1, line, n) != n) return 3;\n  return 0;\n}\n"
    )
    return f"{solution}\n{guard}{renamed}\n{epilogue}"


# ---------------------------------------------------------------- Go
_GO_TEST_FUNC = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.MULTILINE)
_GO_PACKAGE = re.compile(r"^\s*package\s+\w+", re.MULTILINE)


def go_package_main(source: str) -> str:
    """The source as package main (HumanEval-X's prompts have no package clause; a `_test` package becomes main)."""
    if _GO_PACKAGE.search(source):
        return _GO_PACKAGE.sub("package main", source, count=1)
    return "package main\n\n" + source


def go_test_functions(tests: str) -> list[str]:
    """Names of `func TestX(t *testing.T)` in Go tests written for `go test` (empty for a `main` of asserts)."""
    return _GO_TEST_FUNC.findall(tests) if not re.search(r"^func\s+main\s*\(", tests, re.MULTILINE) else []


def go_harness(nonce: str, test_functions: list[str], all_tests: bool) -> str:
    """`main` of the Go test program: the renamed test `main`, or the `testing` functions run by `testing.Main`
    (fail-fast unless all tests are wanted). Each test is wrapped to count it; a failed one writes a "fail"
    evidence line at once, and a last test (after all the others ran) writes the final one."""
    secret = Secret.of(nonce)
    a, b = f"codealignA{secret.tag}", f"codealignB{secret.tag}"
    emit = f"codealignEmit{secret.tag}"
    decls = (
        f"var {a} = [...]byte{{{secret.literal(secret.first)}}}\nvar {b} = [...]byte{{{secret.literal(secret.second)}}}\n\n"
        f"func {emit}(verdict, detail string) {{\n\tnonce := make([]byte, len({a}))\n"
        f"\tfor i := range {a} {{\n\t\tnonce[i] = {a}[i] ^ {b}[i]\n\t}}\n"
        '\tfmt.Fprintf(os.Stdout, "\\nCODEALIGN %s %s %s\\n", nonce, verdict, detail)\n}\n\n'
    )
    if not test_functions:
        body = f'\tcodealignTestsMain()\n\t{emit}("pass", `""`)\n'
        return f'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\n{decls}func main() {{\n{body}}}\n'
    total = len(test_functions)
    counts = f'fmt.Sprintf(`{{"detail": "", "passed": %d, "total": {total}}}`, passed)'
    entries = "\n".join(f'\t\t{{Name: "{name}", F: {name}}},' for name in test_functions)
    failfast = "" if all_tests else ', "-test.failfast"'
    body = (
        f"\tpassed, failed := 0, false\n\tvar tests []testing.InternalTest\n"
        f"\tfor _, test := range []testing.InternalTest{{\n{entries}\n\t}} {{\n\t\tf := test.F\n"
        "\t\ttests = append(tests, testing.InternalTest{Name: test.Name, F: func(t *testing.T) {\n"
        f'\t\t\tdefer func() {{\n\t\t\t\tif t.Failed() {{\n\t\t\t\t\tfailed = true\n\t\t\t\t\t{emit}("fail", {counts})\n'
        "\t\t\t\t} else {\n\t\t\t\t\tpassed++\n\t\t\t\t}\n\t\t\t}()\n\t\t\tf(t)\n\t\t}})\n\t}\n"
        '\ttests = append(tests, testing.InternalTest{Name: "TestCodealignEvidence", F: func(t *testing.T) {\n'
        f'\t\tverdict := "pass"\n\t\tif failed {{\n\t\t\tverdict = "fail"\n\t\t}}\n\t\t{emit}(verdict, {counts})\n\t}}}})\n'
        f"\tos.Args = []string{{os.Args[0]{failfast}}}\n"
        "\ttesting.Main(func(pat, str string) (bool, error) { return true, nil }, tests, nil, nil)\n"
    )
    imports = '\t"fmt"\n\t"os"\n\t"testing"\n'
    return f"package main\n\nimport (\n{imports})\n\n{decls}func main() {{\n{body}}}\n"


# ---------------------------------------------------------------- Rust
_RUST_TEST = re.compile(r"#\[test\]\s*((?:#\[[^\]]*\]\s*)*)(?:pub\s+)?fn\s+(\w+)\s*\(")
_RUST_MOD = re.compile(r"\bmod\s+(\w+)\s*\{")


def rust_rename_main(source: str, new_name: str) -> str:
    """The solution's own top-level `fn main()` (HumanEval-X's Rust prompts start with `fn main(){}`) renamed."""
    return re.sub(
        r"^fn\s+main\s*\(\s*\)", f"#[allow(dead_code)]\nfn {new_name}()", source, count=1, flags=re.MULTILINE
    )


def rust_tests(tests: str) -> tuple[str, list[tuple[str, bool]]]:
    """Tests written as `#[test]` functions (in `mod tests`), made callable from our `main`: the attributes removed
    (outside `rustc --test` they would compile the functions away), functions and modules made `pub`. Returns the
    source and (path, should_panic) per test; no tests found: the source unchanged and []."""
    found = list(_RUST_TEST.finditer(tests))
    if not found:
        return tests, []
    mods = [(m.group(1), m.start(), matching_brace(tests, m.end() - 1)) for m in _RUST_MOD.finditer(tests)]
    entries = []
    for m in found:
        path = [name for name, start, end in mods if start < m.start() < end]
        if "ignore" not in m.group(1):
            entries.append(("::".join([*path, m.group(2)]), "should_panic" in m.group(1)))
    source = _RUST_TEST.sub(lambda m: f"pub fn {m.group(2)}(", tests)
    source = re.sub(r"(?<!pub )\bmod\s+(\w+)\s*\{", r"pub mod \1 {", source)
    return source, entries


def rust_harness(nonce: str, tests: list[tuple[str, bool]] | None, all_tests: bool) -> str:
    """`main` of the Rust test program: the renamed test `main`, or each `#[test]` function under
    `catch_unwind` (fail-fast unless all tests are wanted); then the evidence with the counts."""
    secret = Secret.of(nonce)
    a, b = f"CODEALIGN_A_{secret.tag.upper()}", f"CODEALIGN_B_{secret.tag.upper()}"
    n = len(secret.first)
    statics = (
        f"static {a}: [u8; {n}] = [{secret.literal(secret.first)}];\n"
        f"static {b}: [u8; {n}] = [{secret.literal(secret.second)}];\n"
    )
    nonce_code = (
        f"    let nonce: String = (0..{n}).map(|i| (unsafe {{ std::ptr::read_volatile(&{a}[i]) ^ "
        f"std::ptr::read_volatile(&{b}[i]) }}) as char).collect();\n"
    )
    if tests is None:
        body = '    codealign_tests_main();\n    let (verdict, detail) = ("pass", String::from("\\"\\""));\n'
        return f"\n{statics}\nfn main() {{\n{body}{nonce_code}{_RUST_PRINT}}}\n"
    entries = "\n".join(
        f'        ("{path}", || CodealignOutcome::passed({path}()), {str(panics).lower()}),' for path, panics in tests
    )
    body = (
        f"    let tests: Vec<(&str, fn() -> bool, bool)> = vec![\n{entries}\n    ];\n"
        "    let (mut passed, mut failed) = (0usize, false);\n"
        "    for (name, test, should_panic) in tests {\n"
        "        let ok = match std::panic::catch_unwind(test) { Ok(v) => v && !should_panic, Err(_) => should_panic };\n"
        '        if ok { passed += 1 } else { eprintln!("test {} failed", name); failed = true;'
        f"{' ' if all_tests else ' break; '}}}\n    }}\n"
        '    let verdict = if failed { "fail" } else { "pass" };\n'
        f'    let detail = format!("{{{{\\"detail\\": \\"\\", \\"passed\\": {{}}, \\"total\\": {len(tests)}}}}}", passed);\n'
    )
    return f"\n{RUST_OUTCOME}{statics}\nfn main() {{\n{body}{nonce_code}{_RUST_PRINT}}}\n"


_RUST_PRINT = '    print!("\\nCODEALIGN {} {} {}\\n", nonce, verdict, detail);\n'
RUST_OUTCOME = """trait CodealignOutcome { fn passed(self) -> bool; }
impl CodealignOutcome for () { fn passed(self) -> bool { true } }
impl<E: std::fmt::Debug> CodealignOutcome for Result<(), E> {
    fn passed(self) -> bool { match self { Ok(()) => true, Err(e) => { eprintln!("Error: {:?}", e); false } } }
}
"""
