"""Hostile programs, one attack each, with the verdicts they may get (see tests/sandbox_cases.py).

Attacks that burn CPU until their CPU-time limit get a long wall-clock backstop (60 s): on a machine others load
heavily, 3 s of CPU can take longer than the default backstop, which would rightly make them "not judged".

Containment attacks make their function correct only when every escape attempt failed, so `passed` is the proof
that the sandbox held; forging attacks pair a wrong function with a trick that would fool a naive grader.
"""

from __future__ import annotations

from tests.sandbox_cases import HOST_CANARIES, LOOPBACK_PORT, SECRET_ENV, Attack
from tests.sandbox_forgery import forgery_attacks

ADD_TESTS = {
    "kind": "assert",
    "code": "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
    "entry_point": "add",
}
MBPP_TESTS = {"kind": "assert", "code": "assert add(2, 3) == 5\nassert add(-1, 1) == 0\n"}
MEAN_TESTS = {
    "kind": "assert",
    "code": "import math\nassert math.isclose(mean([1, 2]), 1.5)\nassert abs(mean([4]) - 4) < 1e-9\n",
}
PYTEST_TESTS = {"kind": "pytest", "code": "from solution import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"}
DOUBLE_STDIO = {"kind": "stdio", "cases": [{"stdin": "21\n", "stdout": "42\n"}, {"stdin": "-3\n", "stdout": "-6\n"}]}
SECRET_TESTS = {
    "kind": "assert",
    "code": "def check(candidate):\n    assert candidate(7) == 48271\n",
    "entry_point": "mystery",
}
GCD_TESTS = {"kind": "assert", "code": "int main() {\n    assert(gcd(12, 18) == 6);\n    assert(gcd(7, 0) == 7);\n}"}
CORRECT_ADD = "\ndef add(a, b):\n    return a + b\n"


def py(name: str, solution: str, expected: tuple[str, ...], why: str, tests: dict = ADD_TESTS, **limits) -> Attack:
    row = {"id": f"attack-{name}", "language": "python", "solution": solution, "tests": tests}
    attack = Attack(name=name, row=row, expected=expected, why=why)
    attack.limits.update(limits)
    return attack


def other(
    name: str, language: str, solution: str, tests: dict, expected: tuple[str, ...], why: str, **limits
) -> Attack:
    row = {"id": f"attack-{name}", "language": language, "solution": solution, "tests": tests}
    attack = Attack(name=name, row=row, expected=expected, why=why)
    attack.limits.update(limits)
    return attack


ESCAPE_WRITES = f"""
import os
escaped = []
for path in {[p for p in HOST_CANARIES if not p.startswith("/tmp")] + ["/proc/sys/kernel/hostname", "/sys/kernel/x"]}:
    try:
        with open(path, "w") as f:
            f.write("pwned")
        escaped.append(path)
    except OSError:
        pass
open("/tmp/codealign_pwned", "w").write("private /tmp only")  # allowed: the sandbox's own /tmp

def add(a, b):
    return a + b if not escaped else -1
"""

READ_SECRETS = f"""
import os
leaks = [k for k in os.environ if k not in ("PATH", "HOME", "LANG", "TMPDIR", "PWD", "LC_CTYPE")]
for pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["self"]:
    try:
        if b"{SECRET_ENV}" in open(f"/proc/{{pid}}/environ", "rb").read():
            leaks.append(pid)
    except OSError:
        pass
for path in ("/etc/shadow", "/root/.bashrc", "/root/.ssh", "/var/run/docker.sock", "/home"):
    try:
        leaks.append(path) if os.path.isdir(path) and os.listdir(path) else open(path, "rb").read(1) and leaks.append(path)
    except OSError:
        pass

def add(a, b):
    return a + b if not leaks else -1
"""

NETWORK = f"""
import socket
reached = [n for _, n in socket.if_nameindex() if n != "lo"]
for family, address in ((socket.AF_INET, ("127.0.0.1", {LOOPBACK_PORT})), (socket.AF_INET6, ("::1", {LOOPBACK_PORT}))):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(address)
        reached.append(address)
    except OSError:
        pass

def add(a, b):
    return a + b if not reached else -1
"""

DOCKER_SOCKET = """
import socket
reached = []
for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock"):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        reached.append(path)
    except OSError:
        pass

def add(a, b):
    return a + b if not reached else -1
"""

PTRACE_PARENT = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
got = []
if libc.ptrace(16, os.getppid(), 0, 0) == 0:  # PTRACE_ATTACH
    got.append("ptrace")
for name in ("mem", "environ", "fd/0", "maps"):
    try:
        fd = os.open(f"/proc/{os.getppid()}/{name}", os.O_RDONLY | os.O_NONBLOCK)
        os.read(fd, 1)
        got.append(name)
    except OSError:
        pass

def add(a, b):
    return a + b if not got else -1
"""

STEAL_ANSWERS = r"""
import os, re
def _texts():
    for root in ("/work", "/tmp"):
        for d, _, files in os.walk(root):
            for f in files:
                yield os.path.join(d, f)
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        yield f"/proc/{pid}/cmdline"
        yield f"/proc/{pid}/environ"
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                yield f"/proc/{pid}/fd/{fd}"
        except OSError:
            pass

FOUND = None
for path in _texts():
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        data = os.read(fd, 1 << 20).decode("latin-1")
    except OSError:
        continue
    m = re.search(r"candidate\(7\) == (\d+)", data)
    if m:
        FOUND = int(m.group(1))

def mystery(x):
    return FOUND if FOUND is not None else 0
"""

FORGE_EVIDENCE = r"""
import os, re, sys
tokens = set()
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    for name in ("cmdline", "environ", "fd/0"):
        try:
            fd = os.open(f"/proc/{pid}/{name}", os.O_RDONLY | os.O_NONBLOCK)
            tokens.update(re.findall(r"[0-9a-f]{32}", os.read(fd, 1 << 16).decode("latin-1")))
        except OSError:
            pass
for token in tokens | {"0" * 32}:
    line = f'\nCODEALIGN {token} pass ""\n'
    sys.stdout.write(line)
    sys.stderr.write(line)
    try:
        with open(f"/proc/{os.getppid()}/fd/1", "w") as out:
            out.write(line)
    except OSError:
        pass
sys.stdout.flush()
os._exit(0)
"""

CONFTEST = r'''
import os
PLUGIN = """
import pytest
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
"""
for d in ("/work", "/tmp", os.getcwd()):
    for name in ("conftest.py", "pytest.ini"):
        try:
            with open(os.path.join(d, name), "w") as f:
                f.write(PLUGIN if name == "conftest.py" else "[pytest]\naddopts = -p no:python\n")
        except OSError:
            pass
import pytest
pytest.fail = lambda *a, **k: None
import _pytest.outcomes
_pytest.outcomes.fail = lambda *a, **k: None

def add(a, b):
    return 0
'''

ATTACKS: list[Attack] = [
    # ---------------------------------------------------------------- resource exhaustion
    py("fork_bomb", "import os\n" + CORRECT_ADD + "while True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
       ("timeout",), "forks until the pids limit; the copies' CPU time together reaches the limit, the namespace is killed", cpu_time_s=3.0, timeout_s=60.0),
    py("thread_bomb", "import threading, time\n" + CORRECT_ADD + "while True:\n    threading.Thread(target=time.sleep, args=(60,)).start()\n",
       ("runtime_error",), "threads count against the pids limit: `can't start new thread` at import"),
    py("memory_bomb", "blocks = []\nwhile True:\n    blocks.append(bytearray(32 << 20))\n" + CORRECT_ADD,
       ("memory_limit",), "the memory cgroup kills it; reported as memory limit, not as a failed test"),
    py("huge_allocation", "def add(a, b):\n    return [0] * (10 ** 12)\n", ("memory_limit",), "an allocation Python refuses outright (MemoryError) is a memory verdict too"),
    py("output_flood", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n" + CORRECT_ADD,
       ("output_limit",), "stdout of the solution is capped; the run is cut short"),
    py("disk_fill", "for d in ('/work', '/tmp'):\n    try:\n        with open(d + '/fill', 'wb') as f:\n            while True:\n                f.write(b'0' * (1 << 20))\n    except OSError:\n        pass\n" + CORRECT_ADD,
       ("passed",), "the work dir tmpfs fills up (ENOSPC/EFBIG) without touching the host; grading still works"),
    py("many_files", "import os\nfor d in ('/work', '/tmp'):\n    try:\n        for i in range(200000):\n            os.close(os.open(f'{d}/f{i}', os.O_CREAT | os.O_WRONLY))\n    except OSError:\n        pass\n" + CORRECT_ADD,
       ("passed",), "the inode limit of the work tmpfs stops it; the next job gets a fresh tmpfs"),
    py("sigterm_ignoring_loop", "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n\ndef add(a, b):\n    while True:\n        pass\n",
       ("timeout",), "the CPU-limit kill is SIGKILL to the whole namespace, so ignoring SIGTERM does not help", cpu_time_s=3.0, timeout_s=60.0),
    py("daemon", "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(1.5)\n        open('/work/daemon_was_here', 'w').write('x')\n        time.sleep(600)\n    os._exit(0)\n" + CORRECT_ADD,
       ("passed",), "a setsid double-forked daemon dies with the pid namespace; the next run must not see it"),
    py("kill_parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + CORRECT_ADD,
       ("runtime_error",), "killing the harness leaves no evidence: never a pass"),
    py("kill_everything", "import os, signal\nos.kill(-1, signal.SIGKILL)\n" + CORRECT_ADD,
       ("runtime_error",), "kill(-1) reaches only the sandbox's own processes; no evidence, no pass"),
    py("segfault", "import ctypes\n\ndef add(a, b):\n    return ctypes.string_at(0)\n",
       ("runtime_error",), "a crashing solution process is a runtime error, never a pass"),
    py("unbounded_recursion", "import sys\nsys.setrecursionlimit(10 ** 8)\n\ndef add(a, b):\n    return add(a, b)\n",
       ("memory_limit", "runtime_error"), "Python 3.11 frames live on the heap (memory limit); a C stack overflow would segfault"),
    # ---------------------------------------------------------------- escapes and reads
    py("write_outside_workdir", ESCAPE_WRITES, ("passed",), "the root file system is read-only; /tmp is private"),
    py("read_host_secrets", READ_SECRETS, ("passed",), "no grader environment (not even via /proc/1/environ), no host files"),
    py("network", NETWORK, ("passed",), "own network namespace: no interface but lo, host loopback unreachable"),
    py("docker_socket", DOCKER_SOCKET, ("passed",), "no engine socket inside the sandbox"),
    py("ptrace_parent", PTRACE_PARENT, ("passed",), "the harness is non-dumpable: no ptrace, no /proc/<ppid>/mem|fd|environ"),
    py("read_tests_for_answers", STEAL_ANSWERS, ("failed",), "the test source never touches the file system and the harness memory is unreadable", tests=SECRET_TESTS),
    py("overwrite_tests", "import glob, os\nfor p in glob.glob('/work/*') + glob.glob('/tmp/**', recursive=True):\n    for act in (lambda: open(p, 'w').write('pass\\n'), lambda: os.unlink(p), lambda: os.chmod(p, 0o666)):\n        try:\n            act()\n        except OSError:\n            pass\n\ndef add(a, b):\n    return 0\n",
       ("failed",), "test and harness files are root-owned and read-only in a sticky directory"),
    # ---------------------------------------------------------------- forged verdicts (Python)
    py("sys_exit_before_asserts", "import sys\n\ndef add(a, b):\n    return 0\n\nsys.exit(0)\n", ("runtime_error",), "exit 0 is not evidence"),
    py("os_exit_before_asserts", "import os\n\ndef add(a, b):\n    return 0\n\nos._exit(0)\n", ("runtime_error",), "os._exit skips every finally"),
    py("exit_inside_candidate", "import os\n\ndef add(a, b):\n    os._exit(0)\n", ("runtime_error",), "the solution process died mid-test"),
    py("system_exit_inside_candidate", "def add(a, b):\n    raise SystemExit(0)\n", ("runtime_error",), "SystemExit from the solution does not unwind the checker"),
    py("atexit_hook", "import atexit\natexit.register(lambda: print('All tests passed'))\n\ndef add(a, b):\n    return 0\n", ("failed",), "atexit in the solution's process is irrelevant"),
    py("excepthook", "import os, sys\nsys.excepthook = lambda *a: os._exit(0)\n\ndef add(a, b):\n    return 0\n", ("failed",), "the assert fails in the checker, whose excepthook is untouched"),
    py("always_equal", "class Eq:\n    def __eq__(self, other):\n        return True\n    __ne__ = lambda self, other: False\n    __hash__ = object.__hash__\n\ndef add(a, b):\n    return Eq()\n", ("failed",), "non-plain objects come back as opaque references equal only to themselves"),
    py("int_subclass_equal", "class Liar(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n\ndef add(a, b):\n    return Liar(0)\n", ("failed",), "exact types only: an int subclass is not an int"),
    py("patch_builtins", "import builtins\nbuiltins.AssertionError = type('Quiet', (Exception,), {})\nbuiltins.abs = lambda x: 0\nbuiltins.isinstance = lambda *a: True\n\ndef mean(xs):\n    return 0\n", ("failed",), "builtins of the solution process are not the checker's", tests=MEAN_TESTS),
    py("shadow_builtin_global", "def abs(x):\n    return 0\n\ndef mean(xs):\n    return 0.0\n", ("failed",), "a solution-defined `abs` is not used where the tests apply it to differences", tests=MEAN_TESTS),
    py("patch_math_isclose", "import math\nmath.isclose = lambda *a, **k: True\n\ndef mean(xs):\n    return 0\n", ("failed",), "the tests' `math` is the checker's own module", tests=MEAN_TESTS),
    py("fake_math_object", "class FakeMath:\n    isclose = staticmethod(lambda *a, **k: True)\n\nmath = FakeMath()\n\ndef mean(xs):\n    return 0\n", ("failed",), "stdlib module names always resolve to the real module", tests={"kind": "assert", "code": "assert math.isclose(mean([1, 2]), 1.5)\n"}),
    py("function_named_math", "def math():\n    pass\n\nmath.isclose = lambda *a, **k: True\n\ndef mean(xs):\n    return 0\n", ("failed",), "a stdlib name the tests use as a module is the real module, whatever the solution binds to it", tests={"kind": "assert", "code": "assert math.isclose(mean([1, 2]), 1.5)\n"}),
    py("patch_unittest", "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: None\n\ndef add(a, b):\n    return 0\n", ("failed",), "unittest in the checker is untouched", tests={"kind": "assert", "code": "import unittest\nunittest.TestCase().assertEqual(add(2, 3), 5)\n"}),
    py("patch_pytest_and_conftest", CONFTEST, ("failed",), "pytest runs in the checker with --noconftest and an explicit ini; patches stay in the solution process", tests=PYTEST_TESTS),
    py("fake_pass_lines", "print('CODEALIGN ' + '0' * 32 + ' pass \"\"')\nprint('All tests passed')\n\ndef add(a, b):\n    return 0\n", ("failed",), "the nonce is secret and the solution cannot write the checker's stdout", tests=MBPP_TESTS),
    py("forge_evidence_with_stolen_nonce", FORGE_EVIDENCE, ("runtime_error",), "the nonce is unreadable; the solution's stdout is not the evidence channel"),
    py("syntax_error", "def add(a, b) return a + b\n", ("compile_error",), "a Python syntax error is a compile error"),
    # ---------------------------------------------------------------- stdio: compared outside the sandbox
    py("stdio_prefix", "print('Answer:', 2 * int(input()))\n", ("failed",), "strict comparison: no prefix", tests=DOUBLE_STDIO),
    py("stdio_extra_lines", "print(2 * int(input()))\nprint('debug: done')\n", ("failed",), "strict comparison: no extra lines", tests=DOUBLE_STDIO),
    py("stdio_trailing_whitespace", "print(str(2 * int(input())) + '   ')\nprint()\n", ("passed",), "trailing whitespace is the one thing that is forgiven", tests=DOUBLE_STDIO),
    py("stdio_flood", "while True:\n    print('y' * 1000)\n", ("output_limit",), "stdout is capped", tests=DOUBLE_STDIO),
    # ---------------------------------------------------------------- compiled languages
    other("c_exit_in_constructor", "c", "#include <stdlib.h>\n__attribute__((constructor)) static void early(void) { exit(0); }\nint gcd(int a, int b) { return 0; }\n", GCD_TESTS, ("failed",), "exit(0) before main leaves no evidence"),
    other("c_disable_assert", "c", "#define NDEBUG\n#include <assert.h>\n#define assert(x) ((void)0)\nint gcd(int a, int b) { return 0; }\n", GCD_TESTS, ("failed",), "assert is re-enabled and the solution's macros used by the tests are undefined"),
    other("c_fork_bomb", "c", "#include <unistd.h>\nint main(void) { for (;;) fork(); }\n", DOUBLE_STDIO, ("timeout",), "pids limit; the copies' CPU time reaches the limit", cpu_time_s=3.0, timeout_s=60.0),
    other("c_memory_bomb", "c", "#include <stdlib.h>\n#include <string.h>\nint main(void) { for (;;) { char *p = malloc(1 << 24); if (p) memset(p, 1, 1 << 24); } }\n", DOUBLE_STDIO, ("memory_limit",), "memory cgroup"),
    other("js_memory_bomb", "javascript", "const a = [];\nfor (;;) a.push(new Array(1e6).fill(1));\n", DOUBLE_STDIO, ("memory_limit",), "V8's heap cap (sized from the memory limit) is reported as the memory limit"),
    other("java_memory_bomb", "java", "import java.util.*;\npublic class Main {\n    public static void main(String[] args) {\n        List<long[]> hog = new ArrayList<>();\n        for (;;) hog.add(new long[1 << 22]);\n    }\n}\n", DOUBLE_STDIO, ("memory_limit",), "the JVM's -Xmx (sized from the memory limit) is reported as the memory limit"),
    other("go_memory_bomb", "go", "package main\n\nfunc main() {\n\thog := [][]byte{}\n\tfor {\n\t\tb := make([]byte, 1<<24)\n\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\thog = append(hog, b)\n\t}\n}\n", DOUBLE_STDIO, ("memory_limit",), "memory cgroup"),
    other("js_silence_console_assert", "javascript", "Object.defineProperty(console, 'assert', { value: () => {}, writable: false, configurable: false });\nfunction add(a, b) { return 0; }\n", {"kind": "assert", "code": "console.assert(add(2, 3) === 5);\n"}, ("failed", "runtime_error"), "console.assert is made to throw before the tests; freezing a silent one first makes that fail"),
    other("js_busy_loop", "javascript", "for (;;) {}\n", DOUBLE_STDIO, ("timeout",), "CPU-time limit", cpu_time_s=3.0, timeout_s=60.0),
    other("java_thread_bomb", "java", "public class Main {\n    public static void main(String[] args) {\n        for (;;) new Thread(() -> { try { Thread.sleep(1000000); } catch (InterruptedException e) { } }).start();\n    }\n}\n", DOUBLE_STDIO, ("timeout", "runtime_error", "memory_limit"), "pids limit; the sleeping threads keep the JVM up until the wall-clock limit"),
    other("cpp_static_init_exit", "cpp", "#include <cstdlib>\nstruct Early { Early() { std::exit(0); } } early;\nint gcd(int a, int b) { return 0; }\n", GCD_TESTS, ("failed",), "a static constructor exiting early leaves no evidence"),
    other("java_static_init_exit", "java", "class Solution {\n    static { System.exit(0); }\n    long fib(int n) { return 0; }\n}\n", {"kind": "assert", "code": "public class Main {\n    public static void main(String[] args) {\n        if (new Solution().fib(10) != 55) throw new AssertionError();\n    }\n}"}, ("failed",), "System.exit in a static initializer"),
    other("js_process_exit", "javascript", "process.exit(0);\nfunction add(a, b) { return 0; }\n", {"kind": "assert", "code": "const assert = require('assert');\nassert.strictEqual(add(2, 3), 5);\n"}, ("failed",), "process.exit before the tests"),
    other("go_init_exit", "go", "package main\n\nimport \"os\"\n\nfunc init() { os.Exit(0) }\n\nfunc Add(a, b int) int { return 0 }\n", {"kind": "assert", "code": "package main\n\nfunc main() {\n\tif Add(2, 3) != 5 {\n\t\tpanic(\"Add\")\n\t}\n}"}, ("failed",), "os.Exit in init()"),
    other("rust_exit_in_candidate", "rust", "fn add(a: i64, b: i64) -> i64 { std::process::exit(0) }\n", {"kind": "assert", "code": "fn main() {\n    assert_eq!(add(2, 3), 5);\n}"}, ("failed",), "process::exit inside the function under test"),
    other("cpp_compile_error", "cpp", "int gcd(int a, int b) { return a +; }\n", GCD_TESTS, ("compile_error",), "compiler errors are compile errors"),
    other("java_compile_error", "java", "class Solution { long fib(int n) { return n } }\n", {"kind": "assert", "code": "public class Main { public static void main(String[] a) { new Solution().fib(1); } }"}, ("compile_error",), "javac errors are compile errors"),
]  # fmt: skip

ATTACKS += forgery_attacks(py, other, ADD_TESTS, GCD_TESTS)
