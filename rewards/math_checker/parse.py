"""A small, safe recursive-descent parser from normalised answer text to a tuple AST (no `eval`, no `sympify`).

Nodes are plain tuples of str/int/Fraction so they pickle cheaply to the sympy worker:
  ("num", Fraction, places)   places = digits after the decimal point of a decimal literal, None for an integer
  ("sym", name) ("const", "pi"|"e"|"i"|"oo") ("text", words)
  ("add", (a, b, ...)) ("mul", (a, b, ...)) ("neg", a) ("div", a, b) ("pow", a, b) ("pm", a, b)  a ± b
  ("fn", name, (args...)) ("call", name, (args...)) for unknown one-letter functions such as f(x), and for
  \\sum, \\prod and \\int, kept unevaluated as calls of (index, start, end, body)
  ("fact", a) ("pct", a) ("base", digits, base)
  ("rel", (ops...), (exprs...))  chained relation; ops among = < > ≤ ≥ ≠ in
  ("tuple", open, close, (items...))  (a, b), [a, b), a:b ratios use ":" brackets
  ("set", (items...)) ("list", (items...)) ("union", (parts...)) ("matrix", ((row...), ...))
Anything the grammar does not cover raises `ParseError`; the caller then falls back to string comparison.
"""

from __future__ import annotations

from fractions import Fraction

from rewards.math_checker.lex import GREEK, KNOWN_FUNCTIONS, RELOPS, ParseError, number_node, tokenize
from rewards.math_checker.normalize import PathologicalInput

__all__ = ["ParseError", "parse_answer", "KNOWN_FUNCTIONS"]

MAX_NESTING = 40  # deeper nesting is degenerate output, not an answer
_ONE_LETTER_FUNCS = frozenset("fgh")
_UNKNOWN_COMMAND_OK = frozenset(["ell", "hbar", "aleph", "partial", "nabla"])
# Commands with arguments or structure the grammar does not model: treating them as symbols would be wrong.
_STRUCTURE_COMMANDS = frozenset(
    [
        "sum",
        "prod",
        "int",
        "iint",
        "oint",
        "lim",
        "limsup",
        "liminf",
        "frac",
        "sqrt",
        "binom",
        "begin",
        "end",
        "left",
        "right",
        "mathbb",
        "mathcal",
        "overline",
        "underline",
        "overbrace",
        "underbrace",
        "stackrel",
        "overset",
        "underset",
        "substack",
        "cases",
        "text",
        "mbox",
        "ldots",
        "cdots",
        "dots",
        "vdots",
        "ddots",
    ]
)
_NON_ATOM_COMMANDS = frozenset(["\\cup", "\\pm", "\\mp", "\\cdot", "\\times", "\\div", "\\}", "\\|"])


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("eof", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def accept(self, value: str) -> bool:
        if self.peek()[1] == value and self.peek()[0] in ("op", "cmd"):
            self.pos += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.accept(value):
            raise ParseError(f"expected {value!r} but found {self.peek()[1]!r}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise PathologicalInput(f"expression nested deeper than {MAX_NESTING} levels")

    # --- lists, unions, relations --------------------------------------------------------------------------
    def parse_items(self, stops: frozenset[str]) -> list:
        items = [self.parse_union()]
        self.separators: list[str] = []
        while self.peek()[1] in (",", ";") and self.peek()[0] == "op":
            separator = self.take()[1]
            if self.peek()[1] in stops or self.peek()[0] == "eof":
                break  # trailing separator
            self.separators.append(separator)
            items.append(self.parse_union())
        return items

    def parse_union(self) -> tuple:
        parts = [self.parse_relation()]
        while self.accept("\\cup") or self.accept("∪"):
            parts.append(self.parse_relation())
        return parts[0] if len(parts) == 1 else ("union", tuple(parts))

    def parse_relation(self) -> tuple:
        exprs, ops = [self.parse_ratio()], []
        while True:
            kind, value = self.peek()
            op = RELOPS.get(value) if kind in ("op", "cmd") else None
            if op is None:
                break
            self.take()
            ops.append(op)
            exprs.append(self.parse_ratio())
        return exprs[0] if not ops else ("rel", tuple(ops), tuple(exprs))

    def parse_ratio(self) -> tuple:
        parts = [self.parse_expr()]
        while self.peek() == ("op", ":"):
            self.take()
            parts.append(self.parse_expr())
        return parts[0] if len(parts) == 1 else ("tuple", ":", ":", tuple(parts))

    # --- arithmetic --------------------------------------------------------------------------------------
    def parse_expr(self) -> tuple:
        self.enter()
        node = self.parse_term()
        while True:
            if self.accept("+"):
                node = _add(node, self.parse_term())
            elif self.accept("-"):
                node = _add(node, ("neg", self.parse_term()))
            elif self.accept("±") or self.accept("\\pm"):
                node = ("pm", node, self.parse_term())
            elif self.accept("∓") or self.accept("\\mp"):
                node = ("pm", node, ("neg", self.parse_term()))
            else:
                break
        self.depth -= 1
        return node

    def parse_term(self) -> tuple:
        node = self.parse_unary()
        while True:
            if self.accept("*") or self.accept("\\cdot") or self.accept("\\times"):
                node = _mul(node, self.parse_unary())
            elif self.accept("/") or self.accept("\\div"):
                node = ("div", node, self.parse_unary())
            elif self._starts_atom():
                last = node[1][-1] if node[0] == "mul" else node
                last = last[1] if last[0] == "neg" else last
                if self.peek()[0] == "num" and last[0] == "num":
                    raise ParseError("two numerals side by side")  # "11 6/6" is no product, "2 3" no 6 (2^6 3^5 is)
                node = _mul(node, self.parse_power())
            else:
                return node

    def parse_unary(self) -> tuple:
        if self.accept("-"):
            return ("neg", self.parse_unary())
        if self.accept("+"):
            return self.parse_unary()
        if self.accept("±") or self.accept("\\pm"):
            return ("pm", ("num", Fraction(0), None), self.parse_unary())
        return self.parse_power()

    def parse_power(self) -> tuple:
        node = self.parse_atom()
        while True:
            if self.accept("^"):
                self.enter()
                node = ("pow", node, self.parse_exponent())
                self.depth -= 1
            elif self.accept("!"):
                node = ("fact", node)
            elif self.accept("%"):
                node = ("pct", node)
            elif self.accept("'"):
                node = ("sym", _name(node) + "'")
            else:
                return node

    def parse_exponent(self) -> tuple:
        if self.accept("{"):
            node = self.parse_union()
            self.expect("}")
            return node
        if self.accept("-"):
            return ("neg", self.parse_exponent())
        return self.parse_atom()

    def _starts_atom(self) -> bool:
        kind, value = self.peek()
        if kind in ("num", "word", "text"):
            return True
        if kind == "cmd":
            return value not in RELOPS and value not in _NON_ATOM_COMMANDS
        return kind == "op" and value in ("(", "{", "⟦")

    # --- atoms ------------------------------------------------------------------------------------------
    def parse_atom(self) -> tuple:
        kind, value = self.take()
        if kind == "num":
            return self._subscript_base(number_node(value), value)
        if kind == "word":
            return self._symbol(value)
        if kind == "text":
            return ("text", value)
        if kind == "cmd":
            return self._command(value)
        if kind == "op":
            return self._bracket(value)
        raise ParseError("unexpected end of answer")

    def _subscript_base(self, node: tuple, digits: str) -> tuple:
        if self.peek() != ("op", "_"):
            return node
        self.take()
        base = self._group_text()
        if not base.isdigit() or not 2 <= int(base) <= 36:
            raise ParseError(f"bad base subscript {base!r}")
        return ("base", digits, int(base))

    def _group_text(self) -> str:
        if self.accept("{"):
            parts = []
            while not self.accept("}"):
                if self.peek()[0] == "eof":
                    raise ParseError("unclosed subscript")
                parts.append(self.take()[1])
            return "".join(parts)
        return self.take()[1]

    def _symbol(self, name: str) -> tuple:
        if self.peek() == ("op", "_"):
            self.take()
            name = f"{name}_{self._group_text()}"
        if name in _ONE_LETTER_FUNCS and self._inverse_marker():
            name += "^-1"  # f^{-1}(x), the inverse function, is its own unknown function
        if name in _ONE_LETTER_FUNCS and self.peek() == ("op", "("):
            self.take()
            args = self.parse_items(frozenset(")"))
            self.expect(")")
            return ("call", name, tuple(args))
        if name in ("e", "i"):
            return ("const", name)
        return ("sym", name)

    def _inverse_marker(self) -> bool:
        """Consume `^{-1}` / `^-1` when a parenthesised argument follows it."""
        ahead = [self.peek(k)[1] for k in range(6)]
        for marker in (["^", "{", "-", "1", "}", "("], ["^", "-", "1", "("]):
            if ahead[: len(marker)] == marker:
                self.pos += len(marker) - 1
                return True
        return False

    def _group(self) -> tuple:
        if self.accept("{"):
            node = self.parse_union()
            self.expect("}")
            return node
        return self.parse_atom()

    def _command(self, name: str) -> tuple:
        word = name[1:]
        if word == "frac":
            return ("div", self._group(), self._group())
        if word == "binom":
            return ("fn", "binom", (self._group(), self._group()))
        if word == "sqrt":
            if self.accept("["):
                index = self.parse_expr()
                self.expect("]")
                return ("pow", self._group(), ("div", ("num", Fraction(1), None), index))
            return ("fn", "sqrt", (self._group(),))
        if word in ("infty", "inf"):
            return ("const", "oo")
        if word in ("emptyset", "varnothing", "empty"):
            return ("set", ())
        if word == "pi":
            return ("const", "pi")
        if word in ("{", "lbrace"):
            return self._bracket("\\{")
        if word == "|":
            return self._bracket("|")
        if word in KNOWN_FUNCTIONS:
            return self._function(word)
        if word in ("sum", "prod", "int"):
            return self._big_operator(word)
        if word in GREEK or word in _UNKNOWN_COMMAND_OK:
            return self._symbol(word)
        if word in _STRUCTURE_COMMANDS:
            raise ParseError(f"unsupported command {name!r}")
        return ("sym", word)  # an unknown command names something (\\ell, \\hbar): compare it as a symbol

    def _big_operator(self, name: str) -> tuple:
        """`\\sum_{k=0}^{n-1} F_k F_{n-k-1}` as an opaque call of its bounds and body: two sums are equal when
        their bounds are and their bodies agree as expressions in the index (so factors may be reordered)."""
        lower = upper = ("const", "oo")
        for _ in range(2):
            if self.accept("_"):
                lower = self._group()
            elif self.accept("^"):
                upper = self._group()
        bounds = lower[2] if lower[0] == "rel" and lower[1] == ("=",) else (lower,)  # k=0: the index and its start
        return ("call", "\\" + name, (*bounds, upper, self.parse_term()))

    def _function(self, name: str) -> tuple:
        power = None
        if self.accept("_"):
            base = self._group()
            if name != "log":
                raise ParseError(f"subscript on {name}")
            arg = self._function_argument()
            return ("div", ("fn", "ln", (arg,)), ("fn", "ln", (base,)))
        if self.accept("^"):
            power = self.parse_exponent()
        arg_nodes = self._function_arguments()
        node = ("fn", name, arg_nodes)
        if power is not None:
            if power == ("neg", ("num", Fraction(1), None)):
                return ("fn", "a" + name, arg_nodes)  # \sin^{-1} x is arcsin x
            node = ("pow", node, power)
        return node

    def _function_arguments(self) -> tuple:
        if self.accept("("):
            args = self.parse_items(frozenset(")"))
            self.expect(")")
            return tuple(args)
        return (self._function_argument(),)

    def _function_argument(self) -> tuple:
        """`\\sin 2x` means sin(2x): juxtaposed numbers and symbols bind to the function."""
        if self.accept("("):
            node = self.parse_union()
            self.expect(")")
            return node
        node = self.parse_power()
        while self.peek()[0] in ("num", "word") or (self.peek()[0] == "cmd" and self.peek()[1][1:] in GREEK):
            node = _mul(node, self.parse_power())
        return node

    def _bracket(self, opener: str) -> tuple:
        closers = {"(": ")]", "[": ")]", "{": "}", "\\{": "\\}", "|": "|", "⟦": "⟧"}
        if opener not in closers:
            raise ParseError(f"unexpected {opener!r}")
        self.enter()
        if opener == "⟦":
            node = self._matrix()
        elif opener == "|":
            node = ("fn", "abs", (self.parse_expr(),))
            self.expect("|")
        elif opener in ("{", "\\{") and self.accept(closers[opener]):
            node = ("set", ())  # "\\{\\}", the empty set
        else:
            items = self.parse_items(frozenset(closers[opener]))
            closer = self.take()[1]
            if closer not in closers[opener] or not closer:
                raise ParseError(f"{opener!r} closed by {closer!r}")
            node = _bracket_node(opener, closer, items)
        self.depth -= 1
        return node

    def _matrix(self) -> tuple:
        rows, row = [], [self.parse_union()]
        while True:
            if self.accept("∥"):
                row.append(self.parse_union())
            elif self.accept("⏎"):
                rows.append(tuple(row))
                if self.accept("⟧"):
                    return ("matrix", tuple(rows))
                row = [self.parse_union()]
            elif self.accept("⟧"):
                rows.append(tuple(row))
                return ("matrix", tuple(rows))
            else:
                raise ParseError(f"unexpected {self.peek()[1]!r} in matrix")


def _bracket_node(opener: str, closer: str, items: list) -> tuple:
    if opener in ("\\{",):
        return ("set", tuple(items))
    if opener == "{":
        return items[0] if len(items) == 1 else ("set", tuple(items))
    if len(items) == 1 and closer == {"(": ")", "[": "]"}[opener]:
        return items[0]
    if len(items) == 1:
        raise ParseError(f"half-open bracket around a single item: {opener}...{closer}")
    return ("tuple", opener, closer, tuple(items))


def _name(node: tuple) -> str:
    if node[0] in ("sym", "const"):
        return node[1]
    raise ParseError("prime on a non-symbol")


def _add(a: tuple, b: tuple) -> tuple:
    return ("add", (a[1] if a[0] == "add" else (a,)) + (b,))


def _mul(a: tuple, b: tuple) -> tuple:
    return ("mul", (a[1] if a[0] == "mul" else (a,)) + (b,))


def parse_answer(text: str) -> tuple:
    """Parse normalised answer text into the tuple AST described in the module docstring."""
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("empty answer")
    texts = [t for t in tokens if t[0] == "text"]
    if texts and len(texts) < len(tokens):
        tokens = [t for t in tokens if t[0] != "text"]  # words next to maths are units or filler
    elif texts:
        return ("text", " ".join(t[1] for t in texts).lower())
    parser = _Parser(tokens)
    items = parser.parse_items(frozenset())
    if parser.peek()[0] != "eof":
        raise ParseError(f"unexpected {parser.peek()[1]!r} after the answer")
    if {",", ";"} <= set(parser.separators):
        return _semicolon_groups(items, parser.separators)
    return items[0] if len(items) == 1 else ("list", tuple(items))


def _semicolon_groups(items: list, separators: list[str]) -> tuple:
    """`p=5, q=2; p=7, q=2` is two solutions: a list of the tuples (5, 2) and (7, 2)."""
    groups: list[list] = [[items[0]]]
    for separator, item in zip(separators, items[1:]):
        if separator == ";":
            groups.append([])
        groups[-1].append(item)
    tuples = []
    for group in groups:
        values = [i[2][1] if i[0] == "rel" and i[1] == ("=",) else i for i in group]
        tuples.append(values[0] if len(values) == 1 else ("tuple", "(", ")", tuple(values)))
    return ("list", tuple(tuples))
