"""Attacks on the harnesses themselves (added to `tests.sandbox_attacks.ATTACKS`): forging the pass line of compiled
and JavaScript `assert` tests (the nonce wherever it could be: stdin, the program's own source or binary, the
harness's fields; then an early successful exit), turning failed asserts into returns, patching what tests compare
with, and Python values that lie through the harness's new paths (in-place copy-back, mirrored test classes,
subclasses claiming another type, forged replies)."""

from __future__ import annotations

HEX_SCAN_C = r"""
static void print_candidates(const unsigned char *data, long n) {
  for (long i = 0; i + 32 <= n; i++) {
    int run = 0;
    while (run < 32 && ((data[i + run] >= '0' && data[i + run] <= '9') || (data[i + run] >= 'a' && data[i + run] <= 'f'))) run++;
    if (run == 32) { printf("\nCODEALIGN %.32s pass \"\"\n", (const char *)data + i); i += 31; }
  }
}
__attribute__((constructor)) static void forge(void) {
  static unsigned char buf[1 << 22];
  long n = read(0, buf, sizeof buf);  /* the nonce used to come on stdin */
  if (n > 0) print_candidates(buf, n);
  const char *places[] = {"/proc/self/exe", "prog", "main.c", "main.cpp", "/proc/self/cmdline", "/proc/self/environ"};
  for (int p = 0; p < 6; p++) {
    int fd = open(places[p], O_RDONLY);
    if (fd < 0) continue;
    n = read(fd, buf, sizeof buf);
    if (n > 0) print_candidates(buf, n);
    close(fd);
  }
  printf("\nCODEALIGN 00000000000000000000000000000000 pass \"\"\n");
  fflush(stdout);
  _exit(0);
}
"""
C_HEADERS = "#include <fcntl.h>\n#include <stdio.h>\n#include <unistd.h>\n"

JAVA_FORGE = r"""class Solution {
    static {
        StringBuilder found = new StringBuilder();
        try { found.append(new String(System.in.readAllBytes()).trim()); } catch (Exception e) { }
        try {
            for (java.lang.reflect.Field f : Class.forName("CodealignRunner").getDeclaredFields()) {
                f.setAccessible(true);
                found.append(String.valueOf(f.get(null)));
            }
        } catch (Throwable e) { }
        for (String name : new String[] {"CodealignRunner.class", "Main.class"}) {
            try { found.append(new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(name)), "ISO-8859-1")); }
            catch (Exception e) { }
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[0-9a-f]{32}").matcher(found + "00000000000000000000000000000000");
        while (m.find()) System.out.println("\nCODEALIGN " + m.group() + " pass \"\"");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
    long fib(int n) { return 0; }
}
"""

JS_FORGE = r"""const fs = require("fs");
const found = ["0".repeat(32)];
try { found.push(fs.readFileSync(0, "utf8").trim()); } catch (e) { }
for (const name of ["main.js", "tests.js", "solution.js", "/proc/self/cmdline", "/proc/self/environ"]) {
  try { found.push(...(fs.readFileSync(name, "latin1").match(/[0-9a-f]{32}/g) || [])); } catch (e) { }
}
try { found.push(String(require.main && require.main.exports && JSON.stringify(require.main.exports))); } catch (e) { }
for (const token of found) process.stdout.write(`\nCODEALIGN ${token} pass ""\n`);
process.exit(0);
function add(a, b) { return 0; }
"""

GO_FORGE = r"""package main

import (
	"fmt"
	"io"
	"os"
	"regexp"
)

func init() {
	var data []byte
	if in, err := io.ReadAll(os.Stdin); err == nil {
		data = append(data, in...)
	}
	for _, name := range []string{"/proc/self/exe", "prog", "tests.go", "codealign_main.go", "/proc/self/environ"} {
		if b, err := os.ReadFile(name); err == nil {
			data = append(data, b...)
		}
	}
	for _, token := range append(regexp.MustCompile(`[0-9a-f]{32}`).FindAll(data, -1), []byte("00000000000000000000000000000000")) {
		fmt.Printf("\nCODEALIGN %s pass {\"detail\": \"\", \"passed\": 1, \"total\": 1}\n", token)
	}
	os.Exit(0)
}

func Add(a, b int) int { return 0 }
"""
GO_TESTING = {
    "kind": "assert",
    "code": 'package main\n\nimport "testing"\n\nfunc TestAdd(t *testing.T) {\n\tif Add(2, 3) != 5 {\n\t\tt.Fatal("2+3")\n\t}\n}\n',
}

RUST_FORGE = r"""#[used]
#[link_section = ".init_array"]
static FORGE: extern "C" fn() = forge;

extern "C" fn forge() {
    let mut data = Vec::new();
    let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut data);
    for name in ["/proc/self/exe", "prog", "main.rs"] {
        if let Ok(bytes) = std::fs::read(name) { data.extend(bytes); }
    }
    data.extend(b"00000000000000000000000000000000");
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    let mut i = 0;
    while i + 32 <= data.len() {
        if data[i..i + 32].iter().all(|&b| hex(b)) {
            println!("\nCODEALIGN {} pass \"\"", String::from_utf8_lossy(&data[i..i + 32]));
            i += 32;
        } else {
            i += 1;
        }
    }
    std::process::exit(0);
}

fn add(a: i32, b: i32) -> i32 { 0 }
"""
RUST_TESTS = {
    "kind": "assert",
    "code": "#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_add() {\n        assert_eq!(add(2, 3), 5);\n    }\n}\n",
}

COPY_BACK_EQ = """class Eq:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def fill(xs):
    xs[:] = [Eq(), Eq()]
    xs.append({"k": Eq()})
"""
MIRRORED_LIAR = """class ListNode:
    def __init__(self, val=0, next=None):
        self.val, self.next = val, next

    def __eq__(self, other):
        return True


def reverse(head):
    return ListNode(0)
"""
MIRROR_TESTS = """class ListNode:
    def __init__(self, val=0, next=None):
        self.val, self.next = val, next

    def __eq__(self, other):
        return isinstance(other, ListNode) and (self.val, self.next) == (other.val, other.next)


def build(values):
    head = None
    for v in reversed(values):
        head = ListNode(v, head)
    return head


assert reverse(build([1, 2, 3])) == build([3, 2, 1])
"""
LYING_TYPE = """class Fake(int):
    __class__ = property(lambda self: int)

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


class FakeList(list):
    __class__ = property(lambda self: list)

    def __eq__(self, other):
        return True

    __hash__ = None


def add(a, b):
    return Fake(0)


def pair(a, b):
    return FakeList()
"""
FORGED_REPLIES = """import py_server
import py_wire

_answer = py_server.Server.answer


def answer(self, request):
    reply = _answer(self, request)
    if request.get("op") == "call":  # every call "returns" its first argument, and claims it changed the checker's
        reply = {"ok": request["args"], "t": request.get("t", []), "sync": [[0, 0], [0, 5]], "g": [["x", 1]]}
    return reply


py_server.Server.answer = answer


def add(a, b):
    return 0
"""


def forgery_attacks(py, other, add_tests: dict, gcd_tests: dict) -> list:
    """The attacks, built with tests/sandbox_attacks.py's helpers."""
    fib_tests = {"kind": "assert", "code": "public class Main {\n    public static void main(String[] args) {\n        if (new Solution().fib(10) != 55) throw new AssertionError();\n    }\n}"}  # fmt: skip
    js_tests = {"kind": "assert", "code": "const assert = require('assert');\nassert.strictEqual(add(2, 3), 5);\n"}
    return [
        other("c_forge_pass_line", "c", C_HEADERS + HEX_SCAN_C + "int gcd(int a, int b) { return 0; }\n", gcd_tests, ("failed",),
              "no nonce on stdin, in the sealed binary (unreadable), the source (deleted) or /proc: a guessed line is no evidence"),
        other("cpp_forge_pass_line", "cpp", C_HEADERS + HEX_SCAN_C + "int gcd(int a, int b) { return 0; }\n", gcd_tests, ("failed",),
              "the same in C++"),
        other("c_interpose_assert_fail", "c", "void __assert_fail(const char *a, const char *f, unsigned int l, const char *fn) { }\nvoid _exit(int status) { }\nint gcd(int a, int b) { return 0; }\n",
              gcd_tests, ("failed", "runtime_error", "compile_error"), "the harness's own assert fails through a random-named function, then traps: libc's failure path is not used"),
        other("java_forge_pass_line", "java", JAVA_FORGE, fib_tests, ("failed",),
              "the runner read the nonce from stdin before the solution's static initializer ran; it keeps it in a local"),
        other("js_forge_pass_line", "javascript", JS_FORGE, js_tests, ("failed",),
              "the main module read the nonce before running the solution and keeps it out of the scripts' scope"),
        other("js_patch_what_tests_compare_with", "javascript", "JSON.stringify = () => 'same';\nrequire('assert').deepStrictEqual = () => undefined;\nconst sortArray = (xs) => xs;\n",
              {"kind": "assert", "code": "const assert = require('assert');\nconsole.assert(JSON.stringify(sortArray([3, 1])) === JSON.stringify([1, 3]));\nassert.deepStrictEqual(sortArray([2, 1]), [1, 2]);\n"},
              ("failed",), "JSON and the assert module are frozen before the solution runs"),
        other("go_forge_pass_line", "go", GO_FORGE, GO_TESTING, ("failed",),
              "Go `testing` tests: the nonce is only in the sealed binary; init() exiting early leaves no evidence"),
        other("rust_forge_pass_line", "rust", RUST_FORGE, RUST_TESTS, ("failed",),
              "Rust `#[test]` tests: code before main finds no nonce (sealed binary, deleted source, empty stdin)"),
        py("eq_through_copy_back", COPY_BACK_EQ, ("failed",), "what an in-place change puts into the tests' list is data: an always-equal object arrives as a reference",
           tests={"kind": "assert", "code": "xs = [0]\nfill(xs)\nassert xs == [1, 2, {'k': 3}]\n"}),
        py("mirrored_class_lies", MIRRORED_LIAR, ("failed",), "a solution's ListNode crosses as data into the tests' ListNode, whose __eq__ decides",
           tests={"kind": "assert", "code": MIRROR_TESTS}),
        py("class_lies_about_its_type", LYING_TYPE, ("failed",), "a subclass claiming to be int or list arrives as its base value (0, [])",
           tests={"kind": "assert", "code": "assert add(2, 3) == 5\nassert pair(1, 2) == [1, 2]\n"}),
        py("forged_replies", FORGED_REPLIES, ("failed", "runtime_error"), "replies are data checked against the request: a forged sync or global is a protocol breach, an echoed argument a wrong answer",
           tests=add_tests),
    ]  # fmt: skip
