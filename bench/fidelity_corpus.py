"""A labelled corpus of programs written the way real benchmark and contest solutions and tests are written, one
pattern per entry, each with correct programs (must pass) and wrong ones (must fail). Graded by
`python -m bench.fidelity` next to HumanEval.

Patterns follow the graders and formats of HumanEval (check(candidate)), MBPP (lists of asserts, builtin names),
LeetCode-derived sets (class Solution, ListNode/TreeNode helpers in the tests, in-place problems), APPS/TACO
(call-based `fn_name` and stdin/stdout), CodeContests (stdio, real-valued answers judged with 1e-6), LiveCodeBench
(functional and stdin), KodCode (pytest files), HumanEval-X (C++ `issame`, Java `Main`, JavaScript `console.assert`,
Go `testing` + testify, Rust `#[test]` with `fn main(){}` in the prompt), contest solutions (module-level tables,
big outputs, debug prints). The programs are this project's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Pattern:
    name: str
    language: str
    tests: dict[str, Any]
    correct: list[str]
    wrong: list[str] = field(default_factory=list)

    def rows(self) -> list[tuple[dict[str, Any], bool]]:
        base = {"language": self.language, "tests": self.tests}
        out = [({**base, "id": f"{self.name}#ok{i}", "solution": s}, True) for i, s in enumerate(self.correct)]
        return out + [
            ({**base, "id": f"{self.name}#wrong{i}", "solution": s}, False) for i, s in enumerate(self.wrong)
        ]


def _assert(code: str, entry_point: str | None = None, **extra) -> dict[str, Any]:
    tests: dict[str, Any] = {"kind": "assert", "code": code, **extra}
    if entry_point:
        tests["entry_point"] = entry_point
    return tests


def _stdio(cases: list[tuple[str, str]], **extra) -> dict[str, Any]:
    return {"kind": "stdio", "cases": [{"stdin": i, "stdout": o} for i, o in cases], **extra}


LEETCODE_HELPERS = """from typing import List, Optional


class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next


def list_node(values):
    head = None
    for v in reversed(values):
        head = ListNode(v, head)
    return head


def is_same_list(a, b):
    while a and b:
        if a.val != b.val:
            return False
        a, b = a.next, b.next
    return a is None and b is None


class TreeNode:
    def __init__(self, val=0, left=None, right=None):
        self.val, self.left, self.right = val, left, right


def tree_node(values):
    if not values:
        return None
    nodes = [None if v is None else TreeNode(v) for v in values]
    kids = nodes[::-1]
    root = kids.pop()
    for node in nodes:
        if node:
            if kids:
                node.left = kids.pop()
            if kids:
                node.right = kids.pop()
    return root


def is_same_tree(p, q):
    if not p or not q:
        return p is q
    return p.val == q.val and is_same_tree(p.left, q.left) and is_same_tree(p.right, q.right)
"""

PY = [
    Pattern("py/humaneval-check", "python",
            _assert("def check(candidate):\n    assert candidate([1.0, 2.8, 3.0], 0.3) == True\n    assert candidate([1.0, 2.0, 3.0], 0.5) == False\n    assert candidate([3.0, 1.0, 3.1], 0.2) == True\n", "close"),
            ["def close(xs, t):\n    xs = sorted(xs)\n    return any(b - a < t for a, b in zip(xs, xs[1:]))\n"],
            ["def close(xs, t):\n    return any(abs(b - a) < t for a, b in zip(xs, xs[1:]))\n"]),
    Pattern("py/mbpp-builtin-name", "python",
            _assert("assert sum(10, 15) == 6\nassert sum(100, 150) == 93\nassert sum(4, 6) == 3\n"),
            ["def sum(a, b):\n    total = 0\n    for i in range(1, min(a, b) + 1):\n        if a % i == 0 and b % i == 0:\n            total += i\n    return total\n"],
            ["def sum(a, b):\n    return a + b\n"]),
    Pattern("py/counter-vs-dict", "python",
            _assert("assert char_counts('hello') == {'h': 1, 'e': 1, 'l': 2, 'o': 1}\nassert char_counts('') == {}\nassert char_counts('aa')['a'] == 2\n"),
            ["from collections import Counter\n\ndef char_counts(s):\n    return Counter(s)\n",
             "def char_counts(s):\n    out = {}\n    for c in s:\n        out[c] = out.get(c, 0) + 1\n    return out\n"],
            ["from collections import Counter\n\ndef char_counts(s):\n    return Counter(set(s))\n"]),
    Pattern("py/inplace-leetcode", "python",
            _assert("nums = [0, 1, 0, 3, 12]\nSolution().moveZeroes(nums)\nassert nums == [1, 3, 12, 0, 0]\n"
                    "grid = [[1, 1, 1], [1, 0, 1], [1, 1, 1]]\nrow = grid[0]\nSolution().setZeroes(grid)\n"
                    "assert grid == [[1, 0, 1], [0, 0, 0], [1, 0, 1]]\nassert row is grid[0]\n"),
            ["from typing import List\n\nclass Solution:\n    def moveZeroes(self, nums: List[int]) -> None:\n        k = 0\n        for x in nums:\n            if x:\n                nums[k] = x\n                k += 1\n        for i in range(k, len(nums)):\n            nums[i] = 0\n\n"
             "    def setZeroes(self, m: List[List[int]]) -> None:\n        rows = {i for i, r in enumerate(m) for v in r if v == 0}\n        cols = {j for r in m for j, v in enumerate(r) if v == 0}\n        for i, r in enumerate(m):\n            for j in range(len(r)):\n                if i in rows or j in cols:\n                    r[j] = 0\n"],
            ["class Solution:\n    def moveZeroes(self, nums):\n        return [x for x in nums if x] + [0] * nums.count(0)\n\n    def setZeroes(self, m):\n        pass\n"]),
    Pattern("py/leetcode-listnode", "python",
            _assert(LEETCODE_HELPERS + "\n\ndef check(candidate):\n    assert is_same_list(candidate(head=list_node([1, 2, 3, 4, 5])), list_node([5, 4, 3, 2, 1]))\n    assert is_same_list(candidate(head=list_node([])), list_node([]))\n    assert candidate(head=list_node([7])).val == 7\n", "reverse"),
            ["class Solution:\n    def reverseList(self, head: Optional[ListNode]) -> Optional[ListNode]:\n        prev = None\n        while head:\n            head.next, prev, head = prev, head, head.next\n        return prev\n\n\ndef reverse(head):\n    return Solution().reverseList(head)\n",
             "def reverse(head):\n    values = []\n    while head:\n        values.append(head.val)\n        head = head.next\n    dummy = ListNode(0)\n    cur = dummy\n    for v in reversed(values):\n        cur.next = ListNode(v)\n        cur = cur.next\n    return dummy.next\n"],
            ["def reverse(head):\n    return head\n"]),
    Pattern("py/leetcode-treenode", "python",
            _assert(LEETCODE_HELPERS + "\n\ndef check(candidate):\n    assert is_same_tree(candidate(root=tree_node([4, 2, 7, 1, 3, 6, 9])), tree_node([4, 7, 2, 9, 6, 3, 1]))\n    assert candidate(root=None) is None\n", "invert"),
            ["def invert(root):\n    if root:\n        root.left, root.right = invert(root.right), invert(root.left)\n    return root\n"],
            ["def invert(root):\n    if root:\n        root.left, root.right = root.right, root.left\n    return root\n"]),
    Pattern("py/solution-classes", "python",
            _assert("p = midpoint(Point(0, 0), Point(2, 4))\nassert p == Point(1, 2)\nassert isinstance(p, Point)\nassert (p.x, p.y) == (1, 2)\nassert str(p) == 'Point(x=1, y=2)'\n"
                    "cache = LRU(2)\ncache.put(1, 1)\ncache.put(2, 2)\nassert cache.get(1) == 1\ncache.put(3, 3)\nassert cache.get(2) == -1\n"),
            ["from collections import OrderedDict\nfrom dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: int\n    y: int\n\ndef midpoint(a, b):\n    return Point((a.x + b.x) // 2, (a.y + b.y) // 2)\n\n"
             "class LRU:\n    def __init__(self, n):\n        self.n, self.d = n, OrderedDict()\n    def get(self, k):\n        if k not in self.d:\n            return -1\n        self.d.move_to_end(k)\n        return self.d[k]\n    def put(self, k, v):\n        self.d[k] = v\n        self.d.move_to_end(k)\n        if len(self.d) > self.n:\n            self.d.popitem(last=False)\n"],
            ["from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: int\n    y: int\n\ndef midpoint(a, b):\n    return Point(a.x + b.x, a.y + b.y)\n\nclass LRU:\n    def __init__(self, n):\n        self.d = {}\n    def get(self, k):\n        return self.d.get(k, -1)\n    def put(self, k, v):\n        self.d[k] = v\n"]),
    Pattern("py/module-state", "python",
            _assert("assert MOD == 10 ** 9 + 7\nassert fact(5) == 120\nassert FACT[10] == 3628800\nassert calls == 1\nfact(3)\nassert calls == 2\nassert sieve_size() == 1 << 26\n"),
            ["MOD = 10 ** 9 + 7\nFACT = [1] * 1001\nfor i in range(1, 1001):\n    FACT[i] = FACT[i - 1] * i % MOD\nSIEVE = bytearray(1 << 26)  # a 64 MiB module-level table, as contest code keeps\ncalls = 0\n\ndef fact(n):\n    global calls\n    calls += 1\n    return FACT[n]\n\ndef sieve_size():\n    return len(SIEVE)\n"],
            ["MOD = 10 ** 9 + 7\nFACT = [1] * 1001\nfor i in range(1, 1001):\n    FACT[i] = FACT[i - 1] * i % MOD\nSIEVE = bytearray(1 << 26)\ncalls = 0\n\ndef fact(n):\n    return FACT[n]\n\ndef sieve_size():\n    return len(SIEVE)\n"]),
    Pattern("py/apps-call-based", "python",
            _assert("inputs, outputs = [[[3, 1, 2]], [[5]], [[]]], [[1, 2, 3], [5], []]\nfor args, expected in zip(inputs, outputs):\n    assert sort_array(*args) == expected\n"),
            ["def sort_array(xs):\n    return sorted(xs)\n"],
            ["def sort_array(xs):\n    return sorted(xs)[::-1]\n"]),
    Pattern("py/livecodebench-functional", "python",
            _assert("import json\nfor raw_in, raw_out in [('[2, 7, 11, 15]\\n9', '[0, 1]'), ('[3, 3]\\n6', '[0, 1]')]:\n    args = [json.loads(x) for x in raw_in.split('\\n')]\n    assert Solution().twoSum(*args) == json.loads(raw_out)\n"),
            ["from typing import List\n\nclass Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i\n"],
            ["class Solution:\n    def twoSum(self, nums, target):\n        return [0, len(nums) - 1]\n"]),
    Pattern("py/rich-values", "python",
            _assert("import datetime\nfrom decimal import Decimal\nassert next_day(datetime.date(2024, 2, 28)) == datetime.date(2024, 2, 29)\nassert tally(['a', 'b', 'a']).most_common(1) == [('a', 2)]\n"
                    "assert sorted(keys({'b': 1, 'a': 2})) == ['a', 'b'] and keys({'x': 1}) == {'x'}\nassert list(evens(7)) == [0, 2, 4, 6]\nassert money('1.10') + money('2.20') == Decimal('3.30')\nassert apply(lambda v: v * 3, [1, 2]) == [3, 6]\n"
                    "try:\n    parse('x')\n    raise AssertionError('no error')\nexcept BadInput as exc:\n    assert 'x' in str(exc)\n"),
            ["import datetime\nfrom collections import Counter\nfrom decimal import Decimal\n\nclass BadInput(ValueError):\n    pass\n\ndef next_day(d):\n    return d + datetime.timedelta(days=1)\n\ndef tally(xs):\n    return Counter(xs)\n\ndef keys(d):\n    return d.keys()\n\n"
             "def evens(n):\n    return (i for i in range(n) if i % 2 == 0)\n\ndef money(s):\n    return Decimal(s)\n\ndef apply(f, xs):\n    return [f(x) for x in xs]\n\ndef parse(s):\n    if not s.isdigit():\n        raise BadInput(f'not a number: {s}')\n    return int(s)\n"],
            ["import datetime\nfrom collections import Counter\nfrom decimal import Decimal\n\nclass BadInput(ValueError):\n    pass\n\ndef next_day(d):\n    return d\n\ndef tally(xs):\n    return Counter(xs)\n\ndef keys(d):\n    return d.keys()\n\ndef evens(n):\n    return range(0, n, 2)\n\ndef money(s):\n    return Decimal(s)\n\ndef apply(f, xs):\n    return xs\n\ndef parse(s):\n    return int(s)\n"]),
    Pattern("py/debug-prints", "python",
            _assert("assert solve(10) == 55\n"),
            ["def solve(n):\n    a, b = 0, 1\n    for i in range(n):\n        print('debug', i, a, b, 'x' * 4000)  # 256 KiB of debug output before the answer\n        a, b = b, a + b\n    for _ in range(54):\n        print('y' * 4800)\n    return a\n"],
            ["def solve(n):\n    print('x' * 300000)\n    return n\n"]),
    Pattern("py/cpu-heavy-mbpp", "python",  # ~2.6 s of CPU: the case that hit a 10 s wall clock on a busy machine
            _assert("assert longest_collatz(400_000) == 230631\n"),
            ["def longest_collatz(limit):\n    best, best_len = 1, 1\n    for start in range(1, limit):\n        n, length = start, 1\n        while n != 1:\n            n = n // 2 if n % 2 == 0 else 3 * n + 1\n            length += 1\n        if length > best_len:\n            best, best_len = start, length\n    return best\n"],
            ["def longest_collatz(limit):\n    best, best_len = 1, 1\n    for start in range(1, limit):\n        n, length = start, 1\n        while n != 1:\n            n = n // 2 if n % 2 == 0 else 3 * n + 1\n            length += 1\n        if length > best_len:\n            best, best_len = start, length\n    return best_len\n"]),
    Pattern("py/kodcode-pytest", "python",
            {"kind": "pytest", "code": "import pytest\nfrom solution import merge_intervals, IntervalError\n\n\ndef test_overlapping():\n    assert merge_intervals([[1, 3], [2, 6], [8, 10]]) == [[1, 6], [8, 10]]\n\n\ndef test_touching():\n    assert merge_intervals([[1, 4], [4, 5]]) == [[1, 5]]\n\n\n@pytest.mark.parametrize('bad', [[[3, 1]], [[1]]])\ndef test_invalid(bad):\n    with pytest.raises(IntervalError):\n        merge_intervals(bad)\n"},
            ["class IntervalError(ValueError):\n    pass\n\ndef merge_intervals(xs):\n    if any(len(p) != 2 or p[0] > p[1] for p in xs):\n        raise IntervalError('bad interval')\n    out = []\n    for a, b in sorted(xs):\n        if out and a <= out[-1][1]:\n            out[-1][1] = max(out[-1][1], b)\n        else:\n            out.append([a, b])\n    return out\n"],
            ["class IntervalError(ValueError):\n    pass\n\ndef merge_intervals(xs):\n    return sorted(xs)\n"]),
]  # fmt: skip

STDIO = [
    Pattern("stdio/codecontests-float", "python",
            _stdio([("1 3\n", "0.333333333\n"), ("2 7\n", "0.285714286\n")]),
            ["a, b = map(int, input().split())\nprint(f'{a / b:.7f}')\n", "a, b = map(int, input().split())\nprint(a / b)\n"],
            ["a, b = map(int, input().split())\nprint(f'{a / b:.3f}')\n", "a, b = map(int, input().split())\nprint(b / a)\n"]),
    Pattern("stdio/integer-answers", "python",
            _stdio([("3\n1000000000 1000000000 7\n", "2000000007\n"), ("1\n5\n", "5\n")]),
            ["input()\nprint(sum(map(int, input().split())))\n"],
            ["input()\nprint(sum(map(int, input().split())) + 1)\n", "input()\nprint(sum(map(int, input().split())) + 0.5)\n"]),
    Pattern("stdio/big-output", "python",
            _stdio([("100000\n", "".join(f"{i} {i * i}\n" for i in range(100000)))]),
            ["import sys\nn = int(input())\nsys.stdout.write(''.join(f'{i} {i * i}\\n' for i in range(n)))\n"],
            ["n = int(input())\nfor i in range(n):\n    print(i, i * i + (i == n - 1))\n"]),
    Pattern("stdio/tokens-layout", "python",
            _stdio([("4\n4 3 2 1\n", "1 2 3 4\n")]),
            ["input()\nfor x in sorted(map(int, input().split())):\n    print(x)\n", "input()\nprint(*sorted(map(int, input().split())), end='  \\n\\n')\n"],
            ["input()\nprint(*map(int, input().split()))\n"]),
    Pattern("stdio/apps-exact-lines", "python",
            _stdio([("2\nab\ncd\n", "ba\ndc\n")], checker="exact"),
            ["for _ in range(int(input())):\n    print(input()[::-1])\n"],
            ["print(' '.join(input()[::-1] for _ in range(int(input()))))\n"]),
    Pattern("stdio/cpp-fast-io", "cpp",
            _stdio([("5\n5 1 4 2 3\n", "1 2 3 4 5\n"), ("1\n7\n", "7\n")], limits={"cpu_time_s": 2}),
            ["#include <bits/stdc++.h>\nusing namespace std;\nint main() {\n    ios::sync_with_stdio(false);\n    cin.tie(nullptr);\n    int n; cin >> n;\n    vector<long long> a(n);\n    for (auto &x : a) cin >> x;\n    sort(a.begin(), a.end());\n    for (int i = 0; i < n; i++) cout << a[i] << \" \\n\"[i + 1 == n];\n}\n"],
            ["#include <bits/stdc++.h>\nusing namespace std;\nint main() { int n; cin >> n; vector<int> a(n); for (auto &x : a) cin >> x; sort(a.rbegin(), a.rend()); for (int x : a) cout << x << ' '; }\n"]),
    Pattern("stdio/java-scanner", "java",
            _stdio([("3\n1 2 3\n", "6\n")]),
            ["import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        int n = in.nextInt();\n        long s = 0;\n        for (int i = 0; i < n; i++) s += in.nextLong();\n        System.out.println(s);\n    }\n}\n"],
            ["public class Main { public static void main(String[] a) { System.out.println(5); } }\n"]),
    Pattern("stdio/go-bufio", "go",
            _stdio([("2\n3 4\n", "7\n")]),
            ["package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tin := bufio.NewReader(os.Stdin)\n\tvar n, s int\n\tfmt.Fscan(in, &n)\n\tfor i := 0; i < n; i++ {\n\t\tvar x int\n\t\tfmt.Fscan(in, &x)\n\t\ts += x\n\t}\n\tfmt.Println(s)\n}\n"],
            ["package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(0) }\n"]),
    Pattern("stdio/rust-stdin", "rust",
            _stdio([("3\n1 2 3\n", "6\n")]),
            ["use std::io::Read;\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    println!(\"{}\", v[1..].iter().sum::<i64>());\n}\n"],
            ["fn main() { println!(\"1\"); }\n"]),
    Pattern("stdio/js-readline", "javascript",
            _stdio([("2 3\n", "5\n")]),
            ["const data = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\nconsole.log(data[0] + data[1]);\n"],
            ["console.log(4);\n"]),
]  # fmt: skip

CPP_TESTS = "#undef NDEBUG\n#include<assert.h>\nbool issame(vector<int> a, vector<int> b) {\n    if (a.size() != b.size()) return false;\n    for (int i = 0; i < a.size(); i++) if (a[i] != b[i]) return false;\n    return true;\n}\nint main() {\n    assert (issame(sort_third({1, 2, 3}), {1, 2, 3}));\n    assert (issame(sort_third({5, 6, 3, 4, 8, 9, 2}), {2, 6, 3, 4, 8, 9, 5}));\n}\n"
CPP_PROMPT = "#include<stdio.h>\n#include<vector>\n#include<algorithm>\nusing namespace std;\nvector<int> sort_third(vector<int> l){\n"
RUST_PROMPT = "fn main(){}\n\nuse std::{slice::Iter, cmp::{max, self}, mem::replace, collections::{HashSet, HashMap}, ops::Index, ascii::AsciiExt};\n\nfn below_zero(operations: Vec<i32>) -> bool {\n"
GO_TESTIFY = 'package main\n\nimport (\n    "testing"\n    "github.com/stretchr/testify/assert"\n)\n\nfunc TestBelowZero(t *testing.T) {\n    assert := assert.New(t)\n    assert.Equal(false, BelowZero([]int{}))\n    assert.Equal(true, BelowZero([]int{1, 2, -4, 5, 6}))\n}\n\nfunc TestBelowZeroMore(t *testing.T) {\n    assert.Equal(t, false, BelowZero([]int{1, -1, 2, -2}))\n}\n'
GO_PLAIN = 'package main\n\nimport "testing"\n\nfunc TestBelowZero(t *testing.T) {\n\tcases := []struct {\n\t\tin   []int\n\t\twant bool\n\t}{{[]int{}, false}, {[]int{1, 2, -4}, true}, {[]int{1, -1}, false}}\n\tfor _, c := range cases {\n\t\tif got := BelowZero(c.in); got != c.want {\n\t\t\tt.Errorf("BelowZero(%v) = %v", c.in, got)\n\t\t}\n\t}\n}\n'
GO_SOLUTION = "func BelowZero(operations []int) bool {\n    balance := 0\n    for _, op := range operations {\n        balance += op\n        if balance < 0 {\n            return true\n        }\n    }\n    return false\n}\n"

NATIVE = [
    Pattern("humaneval-x/cpp", "cpp", _assert(CPP_TESTS),
            [CPP_PROMPT + "    vector<int> third;\n    for (int i = 0; i * 3 < l.size(); i++) third.push_back(l[i * 3]);\n    sort(third.begin(), third.end());\n    vector<int> out;\n    for (int i = 0; i < l.size(); i++) out.push_back(i % 3 == 0 ? third[i / 3] : l[i]);\n    return out;\n}\n"],
            [CPP_PROMPT + "    sort(l.begin(), l.end());\n    return l;\n}\n"]),
    Pattern("humaneval-x/java", "java",
            _assert("public class Main {\n    public static void main(String[] args) {\n        Solution s = new Solution();\n        List<Boolean> correct = Arrays.asList(\n            s.belowZero(new ArrayList<>(Arrays.asList(1, 2, 3))) == false,\n            s.belowZero(new ArrayList<>(Arrays.asList(1, 2, -4, 5))) == true\n        );\n        if (correct.contains(false)) {\n            throw new AssertionError();\n        }\n    }\n}\n"),
            ["import java.util.*;\nimport java.lang.*;\n\nclass Solution {\n    public boolean belowZero(List<Integer> operations) {\n        int balance = 0;\n        for (int op : operations) {\n            balance += op;\n            if (balance < 0) {\n                return true;\n            }\n        }\n        return false;\n    }\n}\n"],
            ["import java.util.*;\n\nclass Solution {\n    public boolean belowZero(List<Integer> operations) {\n        return operations.get(0) < 0;\n    }\n}\n"]),
    Pattern("humaneval-x/javascript", "javascript",
            _assert("const testBelowZero = () => {\n  console.assert(belowZero([]) === false)\n  console.assert(belowZero([1, 2, -4, 5, 6]) === true)\n  console.assert(JSON.stringify(runningSum([1, 2, 3])) === JSON.stringify([1, 3, 6]))\n}\n\ntestBelowZero()\n"),
            ["const belowZero = (operations) => {\n  let balance = 0;\n  for (const op of operations) {\n    balance += op;\n    if (balance < 0) return true;\n  }\n  return false;\n}\n\nconst runningSum = (xs) => { let s = 0; return xs.map((x) => (s += x)); }\n"],
            ["const belowZero = (operations) => operations.some((op) => op < 0);\nconst runningSum = (xs) => xs;\n"]),
    Pattern("humaneval-x/go-testify", "go", _assert(GO_TESTIFY), ["import (\n    \"fmt\"\n)\n\nvar _ = fmt.Sprint\n\n" + GO_SOLUTION],
            ["func BelowZero(operations []int) bool {\n    return len(operations) > 0 && operations[0] > 0\n}\n"]),
    Pattern("go/testing-table", "go", _assert(GO_PLAIN), [GO_SOLUTION], ["func BelowZero(operations []int) bool { return false }\n"]),
    Pattern("humaneval-x/rust-test", "rust",
            _assert("#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn test_below_zero() {\n        assert_eq!(below_zero(vec![]), false);\n        assert_eq!(below_zero(vec![1, 2, -4, 5, 6]), true);\n    }\n\n    #[test]\n    #[should_panic]\n    fn test_index_panics() {\n        let v: Vec<i32> = vec![];\n        let _ = v[1];\n    }\n}\n"),
            [RUST_PROMPT + "    let mut balance: i32 = 0;\n    for op in operations {\n        balance = balance + op;\n        if balance < 0 {\n            return true;\n        }\n    }\n    return false;\n}\n"],
            [RUST_PROMPT + "    operations.iter().sum::<i32>() < 0\n}\n"]),
    Pattern("multipl-e/rust-main", "rust",
            _assert("fn main() {\n    let candidate = below_zero;\n    assert_eq!(candidate(vec![]), false);\n    assert_eq!(candidate(vec![1, -2]), true);\n}\n"),
            ["fn below_zero(operations: Vec<i32>) -> bool {\n    let mut s = 0;\n    operations.iter().any(|op| { s += op; s < 0 })\n}\n"],
            ["fn below_zero(operations: Vec<i32>) -> bool { false }\n"]),
    Pattern("c/main-asserts", "c",
            _assert("#include <assert.h>\nint main() {\n    assert(gcd(12, 18) == 6);\n    assert(gcd(7, 0) == 7);\n}\n"),
            ["int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }\n"], ["int gcd(int a, int b) { return a < b ? a : b; }\n"]),
]  # fmt: skip

PATTERNS: list[Pattern] = [*PY, *STDIO, *NATIVE]


def corpus_rows() -> list[tuple[str, dict[str, Any], bool]]:
    """(pattern, row, must_pass) for every program of the corpus."""
    return [(p.name, row, ok) for p in PATTERNS for row, ok in p.rows()]
