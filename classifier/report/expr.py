"""A small, safe expression language for report templates: parsed to a tree, never ``eval``-ed.

Grammar (lowest precedence first)::

    expr   := and ("or" and)*
    and    := not ("and" not)*
    not    := "not" not | cmp
    cmp    := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum    := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := "-" unary | atom
    atom   := NUMBER | STRING | "true" | "false" | NAME | "[" CODE "]" | NAME "(" args ")" | "(" expr ")"

``NAME`` is a variable of the per-household (or per-member) frame; ``[CODE]`` is another column of
the same table row (``[3] / [1] * 100``). Functions: ``if(c, a, b)``, ``min``, ``max``,
``round(x, n)``, ``pct(a, b)`` (``a / b * 100``, empty when ``b`` is 0), ``known(x)`` (true unless
``x`` is unknown). An unknown value (None)
propagates through arithmetic and comparisons; a division by zero gives None (an empty cell), never
an exception or an infinity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from classifier.errors import InputError

__all__ = ["Call", "ColumnRef", "Const", "Name", "Node", "Op", "evaluate", "names", "parse", "refs"]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<str>\"[^\"]*\"|'[^']*')|(?P<ref>\[\s*[\w.]+\s*\])"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>==|!=|<=|>=|[-+*/(),<>]))"
)
_KEYWORDS = {"and", "or", "not", "true", "false"}
_CMP = {"==", "!=", "<", "<=", ">", ">="}


@attrs.frozen
class Const:
    value: Any


@attrs.frozen
class Name:
    name: str


@attrs.frozen
class ColumnRef:
    code: str


@attrs.frozen
class Op:
    op: str
    args: tuple[Node, ...]


@attrs.frozen
class Call:
    func: str
    args: tuple[Node, ...]


Node = Const | Name | ColumnRef | Op | Call


class ExpressionError(InputError):
    """A template formula that does not parse or names something unknown."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ExpressionError(
                f"formula {text!r}: unexpected character at position {pos + 1}: {text[pos : pos + 10]!r}"
            )
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise ExpressionError(f"formula {self.text!r}: ends too early")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        _, got = self.take()
        if got != value:
            raise ExpressionError(f"formula {self.text!r}: expected {value!r}, got {got!r}")

    def parse(self) -> Node:
        node = self.or_()
        if self.i != len(self.toks):
            raise ExpressionError(f"formula {self.text!r}: unexpected {self.toks[self.i][1]!r}")
        return node

    def _chain(self, ops: tuple[str, ...], operand: Callable[[], Node]) -> Node:
        """``operand (op operand)*`` for the operators ``ops``, grouped from the left."""
        node = operand()
        while self.peek() in ops:
            op = self.take()[1]
            node = Op(op, (node, operand()))
        return node

    def or_(self) -> Node:
        return self._chain(("or",), self.and_)

    def and_(self) -> Node:
        return self._chain(("and",), self.not_)

    def not_(self) -> Node:
        if self.peek() == "not":
            self.take()
            return Op("not", (self.not_(),))
        return self.cmp()

    def cmp(self) -> Node:
        node = self.sum()
        if self.peek() in _CMP:
            op = self.take()[1]
            node = Op(op, (node, self.sum()))
        return node

    def sum(self) -> Node:
        return self._chain(("+", "-"), self.term)

    def term(self) -> Node:
        return self._chain(("*", "/"), self.unary)

    def unary(self) -> Node:
        if self.peek() == "-":
            self.take()
            return Op("neg", (self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Const(float(value) if "." in value else int(value))
        if kind == "str":
            return Const(value[1:-1])
        if kind == "ref":
            return ColumnRef(value[1:-1].strip())
        if kind == "name":
            if value in ("true", "false"):
                return Const(value == "true")
            if value in _KEYWORDS:
                raise ExpressionError(f"formula {self.text!r}: unexpected {value!r}")
            if self.peek() == "(":
                self.take()
                args: list[Node] = []
                if self.peek() != ")":
                    args.append(self.or_())
                    while self.peek() == ",":
                        self.take()
                        args.append(self.or_())
                self.expect(")")
                if value not in _ARITY:
                    raise ExpressionError(
                        f"formula {self.text!r}: unknown function {value!r} "
                        f"(known: {', '.join(sorted(_ARITY))})"
                    )
                arity = _ARITY[value]
                if arity is not None and len(args) != arity:
                    raise ExpressionError(f"formula {self.text!r}: {value}() takes {arity} arguments")
                return Call(value, tuple(args))
            return Name(value)
        if value == "(":
            node = self.or_()
            self.expect(")")
            return node
        raise ExpressionError(f"formula {self.text!r}: unexpected {value!r}")


def parse(text: str) -> Node:
    """The tree of ``text`` (ExpressionError, naming the formula, if it does not parse)."""
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        raise ExpressionError(f"formula {text!r}: expected a text or a number")
    return _Parser(str(text)).parse()


def _walk(node: Node) -> list[Node]:
    out: list[Node] = [node]
    if isinstance(node, Op | Call):
        for arg in node.args:
            out.extend(_walk(arg))
    return out


def names(node: Node) -> set[str]:
    """The frame variables a tree reads."""
    return {n.name for n in _walk(node) if isinstance(n, Name)}


def refs(node: Node) -> set[str]:
    """The column codes a tree reads."""
    return {n.code for n in _walk(node) if isinstance(n, ColumnRef)}


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _div(a: Any, b: Any) -> Any:
    return None if b == 0 else a / b


def _pct(a: Any, b: Any) -> Any:
    if a is None or b is None or b == 0:
        return None
    return _num(a) / _num(b) * 100


def _round(x: Any, n: Any) -> Any:
    return None if x is None else round(x, int(n))


_ARITH: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_FUNCS: dict[str, Callable[..., Any]] = {
    "min": lambda *a: None if any(x is None for x in a) else min(a),
    "max": lambda *a: None if any(x is None for x in a) else max(a),
    "round": _round,
    "pct": _pct,
    "known": lambda x: x is not None,
}
_ARITY: dict[str, int | None] = {"if": 3, "min": None, "max": None, "round": 2, "pct": 2, "known": 1}


def evaluate(node: Node, env: Mapping[str, Any], columns: Mapping[str, Any] | None = None) -> Any:
    """The value of ``node`` with variables from ``env`` and column codes from ``columns``.

    A variable missing from ``env`` is an error (the template names something the frame lacks);
    a variable present with value None is unknown and propagates.
    """
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Name):
        try:
            return env[node.name]
        except KeyError:
            raise ExpressionError(f"unknown variable {node.name!r}") from None
    if isinstance(node, ColumnRef):
        if columns is None or node.code not in columns:
            raise ExpressionError(f"unknown column [{node.code}]")
        return columns[node.code]
    if isinstance(node, Call):
        return _call(node, env, columns)
    return _operation(node, env, columns)


def _call(node: Call, env: Mapping[str, Any], columns: Mapping[str, Any] | None) -> Any:
    """A function call; ``if`` evaluates only the branch its (known) condition picks."""
    if node.func == "if":
        cond = evaluate(node.args[0], env, columns)
        if cond is None:
            return None
        return evaluate(node.args[1] if cond else node.args[2], env, columns)
    return _FUNCS[node.func](*(evaluate(a, env, columns) for a in node.args))


def _operation(node: Op, env: Mapping[str, Any], columns: Mapping[str, Any] | None) -> Any:
    """An operator: ``not`` and ``neg`` on one operand, ``and``/``or`` three-valued, the others on two
    known operands (None when either is unknown)."""
    op = node.op
    if op == "not":
        value = evaluate(node.args[0], env, columns)
        return None if value is None else not value
    if op == "neg":
        value = evaluate(node.args[0], env, columns)
        return None if value is None else -_num(value)
    if op in ("and", "or"):
        return _logical(node, env, columns)
    a = evaluate(node.args[0], env, columns)
    b = evaluate(node.args[1], env, columns)
    if a is None or b is None:
        return None
    return _ARITH[op](_num(a), _num(b))


def _logical(node: Op, env: Mapping[str, Any], columns: Mapping[str, Any] | None) -> Any:
    """``and``/``or`` three-valued (None is unknown); the right operand is not evaluated when the left
    one decides."""
    op = node.op
    left = evaluate(node.args[0], env, columns)
    if op == "and" and left is not None and not left:
        return False
    if op == "or" and left:
        return True
    right = evaluate(node.args[1], env, columns)
    if op == "and":
        return None if (left is None or right is None) and right is not False else bool(right)
    if right:
        return True
    return None if left is None or right is None else False
