"""C, C++, Java, JavaScript, Go and Rust tasks. `assert` tests hold the test `main` (HumanEval-X style)."""

from __future__ import annotations

from data.code_tasks.tasks_python import _stdio


def _assert(tid, language, prompt, solution, code, perturbed):
    tests = {"kind": "assert", "code": code}
    return {
        "id": tid,
        "language": language,
        "prompt": prompt,
        "solution": solution,
        "tests": tests,
        "perturbed": perturbed,
    }


GCD_C = "int gcd(int a, int b) {\n    while (b) { int t = a % b; a = b; b = t; }\n    return a;\n}"
SUM_STDIO = [("3\n1 2 3\n", "6\n"), ("2\n-1 1\n", "0\n"), ("1\n1000000000\n", "1000000000\n")]

C_TASKS = [
    _assert(
        "c-assert-gcd",
        "c",
        "int gcd(int a, int b): greatest common divisor of two non-negative ints.",
        GCD_C,
        "int main() {\n    assert(gcd(12, 18) == 6);\n    assert(gcd(7, 0) == 7);\n    assert(gcd(17, 5) == 1);\n}",
        ["int gcd(int a, int b) { return a < b ? a : b; }", "int gcd(int a, int b) { return a % (b ? b : 1); }"],
    ),
    _assert(
        "c-assert-reverse",
        "c",
        "void reverse(char *s): reverse a NUL-terminated string in place.",
        "#include <string.h>\nvoid reverse(char *s) {\n    size_t n = strlen(s);\n    for (size_t i = 0; i < n / 2; i++) { char t = s[i]; s[i] = s[n - 1 - i]; s[n - 1 - i] = t; }\n}",
        '#include <string.h>\nint main() {\n    char a[] = "abc";\n    reverse(a);\n    assert(strcmp(a, "cba") == 0);\n    char b[] = "";\n    reverse(b);\n    assert(strcmp(b, "") == 0);\n    return 0;\n}',
        [
            "#include <string.h>\nvoid reverse(char *s) {\n    size_t n = strlen(s);\n    for (size_t i = 0; i + 1 < n / 2; i++) { char t = s[i]; s[i] = s[n - 1 - i]; s[n - 1 - i] = t; }\n}"
        ],
    ),
    _stdio(
        "c-stdio-sum",
        "Read n then n integers; print their sum (64-bit).",
        '#include <stdio.h>\nint main(void) {\n    int n; long long s = 0, x;\n    scanf("%d", &n);\n    for (int i = 0; i < n; i++) { scanf("%lld", &x); s += x; }\n    printf("%lld\\n", s);\n    return 0;\n}',
        SUM_STDIO,
        [
            '#include <stdio.h>\nint main(void) {\n    int n; long long s = 0, x;\n    scanf("%d", &n);\n    for (int i = 1; i < n; i++) { scanf("%lld", &x); s += x; }\n    printf("%lld\\n", s);\n    return 0;\n}'
        ],
        language="c",
    ),
]

CPP_TASKS = [
    _assert(
        "cpp-assert-sort-desc",
        "cpp",
        "std::vector<int> sort_desc(std::vector<int> v): sort descending.",
        "#include <vector>\n#include <algorithm>\nstd::vector<int> sort_desc(std::vector<int> v) {\n    std::sort(v.begin(), v.end(), [](int a, int b) { return a > b; });\n    return v;\n}",
        "int main() {\n    assert((sort_desc({3, 1, 2}) == std::vector<int>{3, 2, 1}));\n    assert(sort_desc({}).empty());\n}",
        [
            "#include <vector>\n#include <algorithm>\nstd::vector<int> sort_desc(std::vector<int> v) {\n    std::sort(v.begin(), v.end());\n    return v;\n}"
        ],
    ),
    _assert(
        "cpp-assert-count-words",
        "cpp",
        "int count_words(const std::string& s): number of space-separated words.",
        "#include <string>\n#include <sstream>\nint count_words(const std::string& s) {\n    std::istringstream in(s);\n    std::string w; int n = 0;\n    while (in >> w) n++;\n    return n;\n}",
        'int main() {\n    assert(count_words("a bc  d") == 3);\n    assert(count_words("   ") == 0);\n}',
        [
            "#include <string>\n#include <algorithm>\nint count_words(const std::string& s) {\n    return std::count(s.begin(), s.end(), ' ') + 1;\n}"
        ],
    ),
    _stdio(
        "cpp-stdio-max",
        "Read n then n integers; print the maximum.",
        "#include <iostream>\n#include <climits>\nint main() {\n    int n; long long x, best = LLONG_MIN;\n    std::cin >> n;\n    while (n--) { std::cin >> x; if (x > best) best = x; }\n    std::cout << best << std::endl;\n}",
        [("3\n4 9 2\n", "9\n"), ("2\n-7 -3\n", "-3\n")],
        [
            "#include <iostream>\nint main() {\n    int n; long long x, best = 0;\n    std::cin >> n;\n    while (n--) { std::cin >> x; if (x > best) best = x; }\n    std::cout << best << std::endl;\n}"
        ],
        language="cpp",
    ),
]

JAVA_TASKS = [
    _assert(
        "java-assert-fib",
        "java",
        "class Solution { long fib(int n) }: the n-th Fibonacci number, fib(0) = 0.",
        "import java.util.*;\n\nclass Solution {\n    long fib(int n) {\n        long a = 0, b = 1;\n        for (int i = 0; i < n; i++) { long t = a + b; a = b; b = t; }\n        return a;\n    }\n}",
        'public class Main {\n    public static void main(String[] args) {\n        Solution s = new Solution();\n        if (s.fib(0) != 0 || s.fib(1) != 1 || s.fib(10) != 55 || s.fib(50) != 12586269025L) throw new AssertionError("fib");\n    }\n}',
        [
            "class Solution {\n    long fib(int n) {\n        long a = 0, b = 1;\n        for (int i = 0; i < n; i++) { int t = (int) (a + b); a = b; b = t; }\n        return a;\n    }\n}"
        ],
    ),
    _assert(
        "java-assert-statements",
        "java",
        "class Problem { static int digitSum(long n) }: the sum of the decimal digits of |n|.",
        "class Problem {\n    static int digitSum(long n) {\n        n = Math.abs(n);\n        int s = 0;\n        while (n > 0) { s += n % 10; n /= 10; }\n        return s;\n    }\n}",
        # MultiPL-E style: bare `assert` statements, which the JVM skips unless run with -ea
        "public class Main {\n    public static void main(String[] args) {\n        assert(Problem.digitSum(0) == 0);\n        assert(Problem.digitSum(-472) == 13);\n        assert(Problem.digitSum(1000000007L) == 8);\n    }\n}",
        [
            "class Problem {\n    static int digitSum(long n) {\n        int s = 0;\n        while (n > 0) { s += n % 10; n /= 10; }\n        return s;\n    }\n}"
        ],
    ),
    _stdio(
        "java-stdio-upper",
        "Read one line and print it in upper case.",
        "import java.util.Scanner;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        System.out.println(in.nextLine().toUpperCase());\n    }\n}",
        [("hello World\n", "HELLO WORLD\n"), ("abc1\n", "ABC1\n")],
        [
            "import java.util.Scanner;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        System.out.println(in.next().toUpperCase());\n    }\n}"
        ],
        language="java",
    ),
]

JS_TASKS = [
    _assert(
        "js-assert-chunk",
        "javascript",
        "chunk(arr, n): split an array into chunks of length n (last may be shorter).",
        "function chunk(arr, n) {\n  const out = [];\n  for (let i = 0; i < arr.length; i += n) out.push(arr.slice(i, i + n));\n  return out;\n}",
        "const assert = require('assert');\nassert.deepStrictEqual(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);\nassert.deepStrictEqual(chunk([], 3), []);\n",
        [
            "function chunk(arr, n) {\n  const out = [];\n  for (let i = 0; i + n <= arr.length; i += n) out.push(arr.slice(i, i + n));\n  return out;\n}"
        ],
    ),
    _assert(
        "js-assert-capitalize",
        "javascript",
        "capitalize(s): upper-case the first letter of every word.",
        "function capitalize(s) {\n  return s.split(' ').map(w => w ? w[0].toUpperCase() + w.slice(1) : w).join(' ');\n}",
        "const assert = require('assert');\nassert.strictEqual(capitalize('hello big world'), 'Hello Big World');\nassert.strictEqual(capitalize(''), '');\n",
        ["function capitalize(s) {\n  return s.toUpperCase();\n}"],
    ),
    _assert(
        "js-assert-console-assert",
        "javascript",
        "isPrime(n): true when n is a prime number.",
        "function isPrime(n) {\n  if (n < 2) return false;\n  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;\n  return true;\n}",
        # HumanEval-X style: console.assert only logs in Node; the harness makes it throw
        "const testIsPrime = () => {\n  console.assert(isPrime(2) === true);\n  console.assert(isPrime(9) === false);\n  console.assert(isPrime(97) === true);\n};\ntestIsPrime();\n",
        [
            "function isPrime(n) {\n  if (n < 2) return false;\n  for (let d = 2; d * d < n; d++) if (n % d === 0) return false;\n  return true;\n}"
        ],
    ),
    _stdio(
        "js-stdio-count-lines",
        "Read all of stdin; print the number of non-empty lines.",
        "const data = require('fs').readFileSync(0, 'utf8');\nconsole.log(data.split('\\n').filter(l => l.trim() !== '').length);",
        [("a\n\nb\nc\n", "3\n"), ("\n", "0\n")],
        ["const data = require('fs').readFileSync(0, 'utf8');\nconsole.log(data.split('\\n').length);"],
        language="javascript",
    ),
]

GO_TASKS = [
    _assert(
        "go-assert-abs-sum",
        "go",
        "func AbsSum(xs []int) int: sum of absolute values.",
        "package main\n\nfunc AbsSum(xs []int) int {\n\ts := 0\n\tfor _, x := range xs {\n\t\tif x < 0 {\n\t\t\tx = -x\n\t\t}\n\t\ts += x\n\t}\n\treturn s\n}",
        'package main\n\nfunc main() {\n\tif AbsSum([]int{1, -2, 3}) != 6 {\n\t\tpanic("AbsSum([1 -2 3]) != 6")\n\t}\n\tif AbsSum(nil) != 0 {\n\t\tpanic("AbsSum(nil) != 0")\n\t}\n}',
        [
            "package main\n\nfunc AbsSum(xs []int) int {\n\ts := 0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}"
        ],
    ),
    _stdio(
        "go-stdio-double",
        "Read an integer; print twice its value.",
        'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar n int64\n\tfmt.Scan(&n)\n\tfmt.Println(2 * n)\n}',
        [("21\n", "42\n"), ("-3\n", "-6\n")],
        ['package main\n\nimport "fmt"\n\nfunc main() {\n\tvar n int64\n\tfmt.Scan(&n)\n\tfmt.Println(n + 2)\n}'],
        language="go",
    ),
]

RUST_TASKS = [
    _assert(
        "rust-assert-digits",
        "rust",
        "fn digit_sum(n: u64) -> u64: sum of the decimal digits.",
        "fn digit_sum(mut n: u64) -> u64 {\n    let mut s = 0;\n    while n > 0 {\n        s += n % 10;\n        n /= 10;\n    }\n    s\n}",
        "fn main() {\n    assert_eq!(digit_sum(0), 0);\n    assert_eq!(digit_sum(1234), 10);\n    assert_eq!(digit_sum(9), 9);\n}",
        ["fn digit_sum(n: u64) -> u64 {\n    n % 10 + n / 10 % 10\n}"],
    ),
    _stdio(
        "rust-stdio-sum",
        "Read n then n integers; print their sum.",
        'use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    println!("{}", v[1..].iter().sum::<i64>());\n}',
        SUM_STDIO,
        [
            'use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    println!("{}", v.iter().sum::<i64>());\n}'
        ],
        language="rust",
    ),
]

COMPILED_TASKS = [*C_TASKS, *CPP_TASKS, *JAVA_TASKS, *JS_TASKS, *GO_TASKS, *RUST_TASKS]
