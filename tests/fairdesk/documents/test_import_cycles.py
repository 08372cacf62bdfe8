"""No module of ``fairdesk.documents`` imports, however indirectly, a module that imports it.

Import-linter's contracts look between packages, not inside one, so this guards the package's
own order (rows and templates below context, context below render, render below the writers,
the service on top). Function-level imports count too: a late import that only hides a cycle
still makes one.
"""

from __future__ import annotations

import grimp

PACKAGE = "fairdesk.documents"


def _first_cycle(imports: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (a chain of modules ending where it started), or None (depth-first)."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(imports[module]):
            found = visit(imported, [*path, module])
            if found is not None:
                return found
        done.add(module)
        return None

    for module in sorted(imports):
        found = visit(module, [])
        if found is not None:
            return found
    return None


def test_the_documents_package_has_no_internal_import_cycle() -> None:
    graph = grimp.build_graph("fairdesk", cache_dir=None)
    inside = {m for m in graph.modules if m.startswith(PACKAGE + ".")}
    assert {f"{PACKAGE}.service", f"{PACKAGE}.context", f"{PACKAGE}.render"} <= inside
    imports = {m: graph.find_modules_directly_imported_by(m) & inside for m in inside}
    cycle = _first_cycle(imports)
    assert cycle is None, "import cycle: " + " → ".join(cycle or ())


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: a made-up three-module cycle is reported in order."""
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _first_cycle(imports) == ["a", "b", "c", "a"]
    assert _first_cycle({"a": {"b"}, "b": set()}) is None
