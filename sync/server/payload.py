"""Canonical JSON on the way in: what a device may store in `changes` (and what pull may send).

Python's JSON parser accepts things that cannot travel on: ``NaN``, ``Infinity`` and ``1e999``
(PostgreSQL's ``json`` type refuses them, SQLite turned them into null), lone UTF-16 surrogates
such as ``"\\ud800"`` (no UTF-8 encoding exists, so every later answer containing them fails) and
NUL characters (PostgreSQL text cannot hold them), and nesting deep enough to exceed the
response serialiser's depth limit (255 in pydantic-core). A stored value like that broke every
later pull of the tenant. So each mutation's `changes` is checked here before anything is stored,
and rejected on its own with a reason; the device's queue moves on.

The limits are documented in `sync.protocol` (:data:`MAX_CHANGES_DEPTH`): nesting far below
what the serialiser handles, numbers finite, strings valid Unicode without NUL.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sync.protocol import MAX_CHANGES_DEPTH


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored or sent as text, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    return None


def json_problem(value: Any, max_depth: int = MAX_CHANGES_DEPTH) -> str | None:
    """Why the JSON value cannot be stored canonically, or None.

    Iterative, so a hostile document never recurses; containers count one level each (the
    `changes` object itself is level 1).
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return f"a text value {problem}"
        elif isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "numbers must be finite (no NaN, Infinity or overflowing values)"
        elif isinstance(item, dict):
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels"
            for key, child in item.items():
                if not isinstance(key, str):
                    return "object keys must be text"
                problem = text_problem(key)
                if problem:
                    return f"a field name {problem}"
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            if depth > max_depth:
                return f"nested deeper than {max_depth} levels"
            stack.extend((child, depth + 1) for child in item)
        else:
            return f"unsupported value of type {type(item).__name__}"
    return None


def encoded_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON encoding (what the value costs on the wire)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
