"""Monitoring schemes (监测方案): 地域词 × 主体词 × 事件词 with AND / OR / NOT.

A scheme is either the industry's three word groups (every non-empty group must match,
any word within a group; exclusion words veto) or a boolean expression over words:
``(河口镇|沙湾村) & (自来水|水厂) & (发黄|异味) & !演练`` — ``|`` or, ``&``/``+``/space
and, ``!``/``-`` not, parentheses. A word matches as a phrase of title or text, in process
and in Elasticsearch alike (``detection.phrase``): every Chinese character counts,
punctuation and spaces do not, Latin runs are whole words in any case and width, and a
traditional character matches its simplified form (河口镇 finds 河口鎮).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .phrase import has, joined, word_query


class SchemeError(ValueError):
    """An expression that cannot be parsed; the message says where."""


@dataclass(frozen=True)
class Word:
    text: str


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class All:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Any_:
    nodes: tuple[Node, ...]


Node = Word | Not | All | Any_

_TOKEN = re.compile(r"\s*(\(|\)|\||&|\+|!|-(?=\S)|[^\s()|&+!]+)")


def parse(expr: str) -> Node:
    tokens = [t for t in _TOKEN.findall(expr) if t.strip()]
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def p_or() -> Node:
        nodes = [p_and()]
        while peek() == "|":
            take()
            nodes.append(p_and())
        return nodes[0] if len(nodes) == 1 else Any_(tuple(nodes))

    def p_and() -> Node:
        nodes = [p_not()]
        while peek() not in (None, "|", ")"):
            if peek() in ("&", "+"):
                take()
            nodes.append(p_not())
        return nodes[0] if len(nodes) == 1 else All(tuple(nodes))

    def p_not() -> Node:
        if peek() in ("!", "-"):
            take()
            return Not(p_not())
        return p_atom()

    def p_atom() -> Node:
        tok = peek()
        if tok is None:
            raise SchemeError(f"expression {expr!r} ends where a word or '(' was expected")
        if tok == "(":
            take()
            node = p_or()
            if peek() != ")":
                raise SchemeError(f"expression {expr!r}: missing ')'")
            take()
            return node
        if tok in (")", "|", "&", "+"):
            raise SchemeError(f"expression {expr!r}: unexpected {tok!r}")
        return Word(take())

    node = p_or()
    if pos != len(tokens):
        raise SchemeError(f"expression {expr!r}: unexpected {tokens[pos]!r}")
    return node


def from_groups(regions: list[str], subjects: list[str], events: list[str],
                exclude: list[str]) -> Node:
    parts: list[Node] = [Any_(tuple(Word(w) for w in group))
                         for group in (regions, subjects, events) if group]
    parts += [Not(Word(w)) for w in exclude]
    if not any(not isinstance(p, Not) for p in parts):
        raise SchemeError("a scheme needs at least one word that must match")
    return All(tuple(parts))


def matches(node: Node, text: str | tuple[str, ...]) -> bool:
    """``text``: one text, or the fields (title, text) a phrase must fall within."""
    fields = tuple(joined(t) for t in ((text,) if isinstance(text, str) else text))
    return _matches(node, fields)


def _matches(node: Node, fields: tuple[str, ...]) -> bool:
    if isinstance(node, Word):
        return has(node.text, fields)
    if isinstance(node, Not):
        return not _matches(node.node, fields)
    if isinstance(node, All):
        return all(_matches(n, fields) for n in node.nodes)
    return any(_matches(n, fields) for n in node.nodes)


def to_query(node: Node) -> dict[str, Any]:
    """The Elasticsearch query: a word is a phrase of title or text (``phrase``)."""
    if isinstance(node, Word):
        return word_query(node.text)
    if isinstance(node, Not):
        return {"bool": {"must_not": [to_query(node.node)]}}
    if isinstance(node, All):
        return {"bool": {"filter": [to_query(n) for n in node.nodes]}}
    return {"bool": {"should": [to_query(n) for n in node.nodes], "minimum_should_match": 1}}


def words(node: Node) -> list[str]:
    """The positive words of a scheme, as written (for explanations; a traditional hit
    spells them otherwise: find them in raw text with ``phrase.has`` or the query)."""
    if isinstance(node, Word):
        return [node.text]
    if isinstance(node, Not):
        return []
    return [w for n in node.nodes for w in words(n)]


@dataclass(frozen=True)
class CompiledScheme:
    name: str
    node: Node

    def match(self, title: str, text: str) -> bool:
        return matches(self.node, (title, text))

    def query(self) -> dict[str, Any]:
        return to_query(self.node)
