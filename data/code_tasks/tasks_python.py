"""Python tasks (assert with `check(candidate)`, MBPP-style assert lists, pytest modules, stdio)."""

from __future__ import annotations


def _assert(tid, prompt, solution, code, perturbed, entry_point=None):
    tests = {"kind": "assert", "code": code}
    if entry_point:
        tests["entry_point"] = entry_point
    return {
        "id": tid,
        "language": "python",
        "prompt": prompt,
        "solution": solution,
        "tests": tests,
        "perturbed": perturbed,
    }


def _stdio(tid, prompt, solution, cases, perturbed, language="python", checker=None):
    tests = {"kind": "stdio", "cases": [{"stdin": i, "stdout": o} for i, o in cases]}
    if checker:
        tests["checker"] = checker
    return {
        "id": tid,
        "language": language,
        "prompt": prompt,
        "solution": solution,
        "tests": tests,
        "perturbed": perturbed,
    }


def _pytest(tid, prompt, solution, code, perturbed):
    tests = {"kind": "pytest", "code": code}
    return {
        "id": tid,
        "language": "python",
        "prompt": prompt,
        "solution": solution,
        "tests": tests,
        "perturbed": perturbed,
    }


PYTHON_TASKS = [
    _assert(
        "py-assert-running-max",
        "Return the list of running maxima of a list of integers.",
        "def running_max(xs):\n    out, best = [], None\n    for x in xs:\n        best = x if best is None else max(best, x)\n        out.append(best)\n    return out",
        "def check(candidate):\n    assert candidate([]) == []\n    assert candidate([3, 1, 4, 1, 5]) == [3, 3, 4, 4, 5]\n    assert candidate([-2, -5, -1]) == [-2, -2, -1]\n",
        [
            "def running_max(xs):\n    return sorted(xs)",
            "def running_max(xs):\n    out = []\n    for i in range(len(xs)):\n        out.append(max(xs[:i] or [xs[0]]))\n    return out",
        ],
        entry_point="running_max",
    ),
    _assert(
        "py-assert-vowel-count",
        "Count the vowels (a, e, i, o, u, either case) in a string.",
        "def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')",
        "assert count_vowels('Hello World') == 3\nassert count_vowels('') == 0\nassert count_vowels('AEIOUxyz') == 5\n",
        [
            "def count_vowels(s):\n    return sum(1 for c in s if c in 'aeiou')",
            "def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiouy')",
        ],
    ),
    _assert(
        "py-assert-is-palindrome",
        "Is the string a palindrome when only letters and digits are kept, ignoring case?",
        "def is_palindrome(s):\n    kept = [c.lower() for c in s if c.isalnum()]\n    return kept == kept[::-1]",
        "def check(candidate):\n    assert candidate('A man, a plan, a canal: Panama') is True\n    assert candidate('race a car') is False\n    assert candidate('') is True\n",
        [
            "def is_palindrome(s):\n    return s == s[::-1]",
            "def is_palindrome(s):\n    kept = [c.lower() for c in s if c.isalnum()]\n    return 1 if kept == kept[::-1] else 0",
        ],
        entry_point="is_palindrome",
    ),
    _assert(
        "py-assert-mean",
        "Return the arithmetic mean of a non-empty list of numbers as a float.",
        "def mean(xs):\n    return sum(xs) / len(xs)",
        "import math\nassert math.isclose(mean([1, 2, 3, 4]), 2.5)\nassert math.isclose(mean([0.1, 0.2]), 0.15)\nassert abs(mean([7]) - 7.0) < 1e-9\n",
        ["def mean(xs):\n    return sum(xs) // len(xs)", "def mean(xs):\n    return sum(xs) / (len(xs) + 1)"],
    ),
    _assert(
        "py-assert-word-freq",
        "Return a dict mapping each lowercase word to its count.",
        "def word_freq(text):\n    counts = {}\n    for w in text.lower().split():\n        counts[w] = counts.get(w, 0) + 1\n    return counts",
        "def check(candidate):\n    assert candidate('a b A c b a') == {'a': 3, 'b': 2, 'c': 1}\n    assert candidate('') == {}\n",
        [
            "def word_freq(text):\n    counts = {}\n    for w in text.split():\n        counts[w] = counts.get(w, 0) + 1\n    return counts",
            "def word_freq(text):\n    return {w: 1 for w in text.lower().split()}",
        ],
        entry_point="word_freq",
    ),
    _assert(
        "py-assert-pair-sum",
        "Return the sorted tuple of indices (i, j), i < j, whose values sum to target, or None.",
        "def pair_sum(xs, target):\n    seen = {}\n    for j, x in enumerate(xs):\n        if target - x in seen:\n            return (seen[target - x], j)\n        seen.setdefault(x, j)\n    return None",
        "assert pair_sum([2, 7, 11, 15], 9) == (0, 1)\nassert pair_sum([3, 3], 6) == (0, 1)\nassert pair_sum([1, 2], 7) is None\n",
        [
            "def pair_sum(xs, target):\n    seen = {}\n    for j, x in enumerate(xs):\n        if target - x in seen:\n            return [seen[target - x], j]\n        seen[x] = j\n    return None",
            "def pair_sum(xs, target):\n    return (0, 1)",
        ],
    ),
    _assert(
        "py-assert-rle",
        "Run-length encode a string: 'aaab' -> 'a3b1'.",
        "def rle(s):\n    out = []\n    i = 0\n    while i < len(s):\n        j = i\n        while j < len(s) and s[j] == s[i]:\n            j += 1\n        out.append(f'{s[i]}{j - i}')\n        i = j\n    return ''.join(out)",
        "def check(candidate):\n    assert candidate('aaab') == 'a3b1'\n    assert candidate('') == ''\n    assert candidate('abcc') == 'a1b1c2'\n",
        [
            "def rle(s):\n    return ''.join(f'{c}1' for c in s)",
            "def rle(s):\n    from itertools import groupby\n    return ''.join(f'{k}{len(list(g))}' for k, g in groupby(s)) + ' '",
        ],
        entry_point="rle",
    ),
    _assert(
        "py-assert-primes-upto",
        "Return the list of primes <= n.",
        "def primes_upto(n):\n    sieve = [True] * (n + 1)\n    out = []\n    for i in range(2, n + 1):\n        if sieve[i]:\n            out.append(i)\n            for j in range(i * i, n + 1, i):\n                sieve[j] = False\n    return out",
        "assert primes_upto(1) == []\nassert primes_upto(10) == [2, 3, 5, 7]\nassert primes_upto(13)[-1] == 13\n",
        [
            "def primes_upto(n):\n    return [i for i in range(2, n) if all(i % d for d in range(2, i))]",
            "def primes_upto(n):\n    return [i for i in range(1, n + 1) if all(i % d for d in range(2, i))]",
        ],
    ),
    _assert(
        "py-assert-merge-intervals",
        "Merge overlapping closed intervals given as a list of (start, end) tuples.",
        "def merge(intervals):\n    out = []\n    for s, e in sorted(intervals):\n        if out and s <= out[-1][1]:\n            out[-1] = (out[-1][0], max(out[-1][1], e))\n        else:\n            out.append((s, e))\n    return out",
        "def check(candidate):\n    assert candidate([(1, 3), (2, 6), (8, 10)]) == [(1, 6), (8, 10)]\n    assert candidate([(1, 4), (4, 5)]) == [(1, 5)]\n    assert candidate([]) == []\n",
        [
            "def merge(intervals):\n    out = []\n    for s, e in sorted(intervals):\n        if out and s < out[-1][1]:\n            out[-1] = (out[-1][0], max(out[-1][1], e))\n        else:\n            out.append((s, e))\n    return out",
            "def merge(intervals):\n    return sorted(intervals)",
        ],
        entry_point="merge",
    ),
    _assert(
        "py-assert-raises",
        "Parse a non-negative integer from a string; raise ValueError for anything else.",
        "def parse_nat(s):\n    if not s.isdigit():\n        raise ValueError(s)\n    return int(s)",
        "assert parse_nat('42') == 42\ntry:\n    parse_nat('-1')\nexcept ValueError:\n    pass\nelse:\n    raise AssertionError('no ValueError')\n",
        [
            "def parse_nat(s):\n    return int(s)",
            "def parse_nat(s):\n    if not s.isdigit():\n        return None\n    return int(s)",
        ],
    ),
    _assert(
        "py-assert-class",
        "A Stack class with push, pop and size (MBPP-style: the tests build the object).",
        "class Stack:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n        self.items.append(x)\n    def pop(self):\n        return self.items.pop()\n    def size(self):\n        return len(self.items)",
        "s = Stack()\ns.push(1)\ns.push(2)\nassert s.pop() == 2\nassert s.size() == 1\n",
        [
            "class Stack:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n        self.items.insert(0, x)\n    def pop(self):\n        return self.items.pop()\n    def size(self):\n        return len(self.items)"
        ],
    ),
    _assert(
        "py-assert-set-result",
        "Return the set of characters that occur in both strings.",
        "def common_chars(a, b):\n    return set(a) & set(b)",
        "assert common_chars('hello', 'world') == {'l', 'o'}\nassert common_chars('abc', 'xyz') == set()\n",
        [
            "def common_chars(a, b):\n    return set(a) | set(b)",
            "def common_chars(a, b):\n    return sorted(set(a) & set(b))",
        ],
    ),
    _pytest(
        "py-pytest-fizzbuzz",
        "fizzbuzz(n): 'Fizz' for multiples of 3, 'Buzz' of 5, 'FizzBuzz' of both, else str(n).",
        "def fizzbuzz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n    if n % 3 == 0:\n        return 'Fizz'\n    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)",
        "import pytest\nfrom solution import fizzbuzz\n\n\n@pytest.mark.parametrize('n,expected', [(1, '1'), (3, 'Fizz'), (10, 'Buzz'), (30, 'FizzBuzz')])\ndef test_fizzbuzz(n, expected):\n    assert fizzbuzz(n) == expected\n",
        [
            "def fizzbuzz(n):\n    if n % 3 == 0:\n        return 'Fizz'\n    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)",
            "def fizzbuzz(n):\n    return n",
        ],
    ),
    _pytest(
        "py-pytest-matrix",
        "transpose(m): transpose a rectangular list-of-lists matrix.",
        "def transpose(m):\n    return [list(row) for row in zip(*m)]",
        "import solution\n\n\ndef test_square():\n    assert solution.transpose([[1, 2], [3, 4]]) == [[1, 3], [2, 4]]\n\n\ndef test_rect():\n    assert solution.transpose([[1, 2, 3]]) == [[1], [2], [3]]\n\n\ndef test_empty():\n    assert solution.transpose([]) == []\n",
        ["def transpose(m):\n    return m", "def transpose(m):\n    return [tuple(row) for row in zip(*m)]"],
    ),
    _pytest(
        "py-pytest-raises",
        "safe_div(a, b): a / b, raising ZeroDivisionError when b == 0.",
        "def safe_div(a, b):\n    return a / b",
        "import pytest\nfrom solution import safe_div\n\n\ndef test_div():\n    assert safe_div(6, 3) == 2.0\n\n\ndef test_zero():\n    with pytest.raises(ZeroDivisionError):\n        safe_div(1, 0)\n",
        [
            "def safe_div(a, b):\n    return a / b if b else 0",
            "def safe_div(a, b):\n    if b == 0:\n        raise ValueError('b must not be 0')\n    return a / b",
        ],
    ),
    _stdio(
        "py-stdio-sum-lines",
        "Read n then n integers (one per line); print their sum.",
        "n = int(input())\nprint(sum(int(input()) for _ in range(n)))",
        [("3\n1\n2\n3\n", "6\n"), ("1\n-5\n", "-5\n"), ("0\n", "0\n")],
        [
            "n = int(input())\nprint(sum(int(input()) for _ in range(n - 1)))",
            "n = int(input())\nprint('sum:', sum(int(input()) for _ in range(n)))",
        ],
    ),
    _stdio(
        "py-stdio-reverse-words",
        "Read one line; print its words in reverse order separated by single spaces.",
        "print(' '.join(reversed(input().split())))",
        [("hello big world\n", "world big hello\n"), ("one\n", "one\n")],
        ["print(' '.join(input().split()))", "print(input()[::-1])"],
    ),
    _stdio(
        "py-stdio-grid",
        "Read h and w; print an h x w grid of '#' characters.",
        "h, w = map(int, input().split())\nfor _ in range(h):\n    print('#' * w)",
        [("2 3\n", "###\n###\n"), ("1 1\n", "#\n")],
        [
            "h, w = map(int, input().split())\nfor _ in range(w):\n    print('#' * h)",
            "h, w = map(int, input().split())\nfor _ in range(h):\n    print('#' * w)\nprint()\nprint('done')",
        ],
    ),
    _assert(
        "py-assert-flatten",
        "Flatten an arbitrarily nested list of integers.",
        "def flatten(xs):\n    out = []\n    for x in xs:\n        if isinstance(x, list):\n            out.extend(flatten(x))\n        else:\n            out.append(x)\n    return out",
        "def check(candidate):\n    assert candidate([1, [2, [3, [4]]], 5]) == [1, 2, 3, 4, 5]\n    assert candidate([]) == []\n    assert candidate([[[]]]) == []\n",
        [
            "def flatten(xs):\n    out = []\n    for x in xs:\n        if isinstance(x, list):\n            out.extend(x)\n        else:\n            out.append(x)\n    return out"
        ],
        entry_point="flatten",
    ),
    _assert(
        "py-assert-roman",
        "Convert a positive integer below 4000 to a Roman numeral.",
        "def to_roman(n):\n    table = [(1000, 'M'), (900, 'CM'), (500, 'D'), (400, 'CD'), (100, 'C'), (90, 'XC'), (50, 'L'), (40, 'XL'), (10, 'X'), (9, 'IX'), (5, 'V'), (4, 'IV'), (1, 'I')]\n    out = ''\n    for value, sym in table:\n        while n >= value:\n            out += sym\n            n -= value\n    return out",
        "assert to_roman(1994) == 'MCMXCIV'\nassert to_roman(4) == 'IV'\nassert to_roman(3999) == 'MMMCMXCIX'\n",
        [
            "def to_roman(n):\n    table = [(1000, 'M'), (500, 'D'), (100, 'C'), (50, 'L'), (10, 'X'), (5, 'V'), (1, 'I')]\n    out = ''\n    for value, sym in table:\n        while n >= value:\n            out += sym\n            n -= value\n    return out"
        ],
    ),
    _assert(
        "py-assert-anagram-groups",
        "Group words that are anagrams; return a sorted list of sorted groups.",
        "def anagram_groups(words):\n    groups = {}\n    for w in words:\n        groups.setdefault(''.join(sorted(w)), []).append(w)\n    return sorted(sorted(g) for g in groups.values())",
        "def check(candidate):\n    assert candidate(['eat', 'tea', 'tan', 'ate', 'nat', 'bat']) == [['ate', 'eat', 'tea'], ['bat'], ['nat', 'tan']]\n    assert candidate([]) == []\n",
        [
            "def anagram_groups(words):\n    groups = {}\n    for w in words:\n        groups.setdefault(len(w), []).append(w)\n    return sorted(sorted(g) for g in groups.values())"
        ],
        entry_point="anagram_groups",
    ),
    _assert(
        "py-assert-float-round",
        "Return the area of a circle of radius r rounded to 2 decimals.",
        "import math\n\ndef circle_area(r):\n    return round(math.pi * r * r, 2)",
        "assert circle_area(1) == 3.14\nassert circle_area(2.5) == 19.63\nassert circle_area(0) == 0\n",
        [
            "def circle_area(r):\n    return round(3.14 * r * r, 2)",
            "import math\n\ndef circle_area(r):\n    return str(round(math.pi * r * r, 2))",
        ],
    ),
    _assert(
        "py-assert-generator",
        "Yield the first n Fibonacci numbers (a generator).",
        "def fib_gen(n):\n    a, b = 0, 1\n    for _ in range(n):\n        yield a\n        a, b = b, a + b",
        "assert list(fib_gen(7)) == [0, 1, 1, 2, 3, 5, 8]\nassert list(fib_gen(0)) == []\n",
        ["def fib_gen(n):\n    a, b = 1, 1\n    for _ in range(n):\n        yield a\n        a, b = b, a + b"],
    ),
    _pytest(
        "py-pytest-bank",
        "An Account class: deposit(x), withdraw(x) raising ValueError when overdrawn, balance.",
        "class Account:\n    def __init__(self):\n        self.balance = 0\n    def deposit(self, x):\n        self.balance += x\n    def withdraw(self, x):\n        if x > self.balance:\n            raise ValueError('insufficient funds')\n        self.balance -= x",
        "import pytest\nfrom solution import Account\n\n\ndef test_flow():\n    a = Account()\n    a.deposit(10)\n    a.withdraw(4)\n    assert a.balance == 6\n\n\ndef test_overdraw():\n    a = Account()\n    with pytest.raises(ValueError):\n        a.withdraw(1)\n",
        [
            "class Account:\n    def __init__(self):\n        self.balance = 0\n    def deposit(self, x):\n        self.balance += x\n    def withdraw(self, x):\n        self.balance -= x"
        ],
    ),
    _stdio(
        "py-stdio-fizz-count",
        "Read n; print how many numbers in 1..n are divisible by 3 or 5.",
        "n = int(input())\nprint(sum(1 for i in range(1, n + 1) if i % 3 == 0 or i % 5 == 0))",
        [("15\n", "7\n"), ("1\n", "0\n"), ("100\n", "47\n")],
        [
            "n = int(input())\nprint(sum(1 for i in range(1, n) if i % 3 == 0 or i % 5 == 0))",
            "n = int(input())\nprint(n // 3 + n // 5)",
        ],
    ),
    _stdio(
        "py-stdio-matrix-sum",
        "Read r and c, then r rows of c integers; print the row sums, one per line.",
        "r, c = map(int, input().split())\nfor _ in range(r):\n    print(sum(map(int, input().split())))",
        [("2 3\n1 2 3\n4 5 6\n", "6\n15\n"), ("1 1\n-7\n", "-7\n")],
        [
            "r, c = map(int, input().split())\nrows = [list(map(int, input().split())) for _ in range(r)]\nprint(' '.join(str(sum(x)) for x in rows))"
        ],
        checker="exact",  # "one per line" is the task: its wrong-format perturbation passes a token checker
    ),
]
