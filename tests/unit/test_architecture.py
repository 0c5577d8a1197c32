"""The layering of docs/architecture.md, read from the source: a lower layer never imports
a higher one at module level, and the standard's home imports nothing but itself.

Each rule names the module and the import that break it, so a failure says what to move.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "procdeck"

# The layers, lowest first (docs/architecture.md draws the same).
LAYERS: dict[str, int] = {
    "procdeck": 0,  # the package itself: __version__ and lazy names only
    "procdeck._util": 0,
    "procdeck.ogc": 1,
    "procdeck.models": 1,  # another name of procdeck.ogc.models
    "procdeck.schema_extensions": 1,  # another name of procdeck.ogc.extensions
    "procdeck.client": 2,
    "procdeck.forms": 2,
    "procdeck.server": 2,
    "procdeck.results": 2,  # opening job results; beside the client, whose errors it uses
    "procdeck.demo": 3,
    "procdeck.gui": 3,
    "procdeck.cli": 4,
    "procdeck.__main__": 4,
}
# What the package itself may load at ``import procdeck``: standard-library-only helpers and
# the display hooks it fills in as the composition root (it names the GUI's provider).
PACKAGE_IMPORTS = frozenset({"procdeck._util.lazy", "procdeck.ogc.display"})
# Libraries each part must not import at all (not even inside a function).
FORBIDDEN_LIBRARIES: dict[str, tuple[str, ...]] = {
    "procdeck.ogc": ("httpx", "fastapi", "starlette", "uvicorn", "panel", "bokeh", "param",
                     "ipywidgets", "IPython"),
    "procdeck.forms": ("panel", "bokeh", "ipywidgets", "fastapi", "httpx"),
    "procdeck.client": ("panel", "bokeh", "fastapi", "starlette", "uvicorn"),
    "procdeck.server": ("panel", "bokeh", "ipywidgets"),
    "procdeck.results": ("httpx", "panel", "bokeh", "ipywidgets", "fastapi", "starlette",
                         "uvicorn"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """The longest entry of LAYERS that ``module`` is or is inside of."""
    best = ""
    for name in LAYERS:
        if (module == name or module.startswith(name + ".")) and len(name) > len(best):
            best = name
    assert best, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return best


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against the importing module's package
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    # ``from package import module`` imports that module
    return [f"{target}.{alias.name}" if _is_module(f"{target}.{alias.name}") else target
            for alias in node.names]


def _is_module(name: str) -> bool:
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def module_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports that run when the module is imported (``if TYPE_CHECKING:`` blocks do not)."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            stack.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody)
            for handler in node.handlers:
                stack.extend(handler.body)
        elif isinstance(node, ast.With):
            stack.extend(node.body)


def all_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def sources() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path, ast.parse(path.read_text(encoding="utf-8"))


def test_every_module_has_a_layer() -> None:
    for module, _path, _tree in sources():
        layer_of(module)


def test_no_module_imports_a_higher_layer_at_module_level() -> None:
    broken = []
    for module, path, tree in sources():
        if module == "procdeck":
            continue  # the composition root: its own rule below
        own = LAYERS[layer_of(module)]
        for node in module_level_imports(tree):
            for target in _imported(node, module, path.name == "__init__.py"):
                if target.split(".")[0] != "procdeck" or target == "procdeck":
                    continue
                if LAYERS[layer_of(target)] > own:
                    broken.append(f"{module} (line {node.lineno}) imports {target}")
    assert broken == [], "lower layers import higher ones:\n" + "\n".join(broken)


def test_the_package_itself_loads_no_part_at_module_level() -> None:
    # ``import procdeck`` stays light: every part is loaded on first use
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    parts = [target for node in module_level_imports(tree)
             for target in _imported(node, "procdeck", True) if target.startswith("procdeck.")]
    assert set(parts) <= PACKAGE_IMPORTS, parts
    for light in PACKAGE_IMPORTS:  # and what it loads imports nothing of procdeck
        path = SRC.joinpath(*light.split(".")).with_suffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert [t for node in all_imports(tree) for t in _imported(node, light, False)
                if t.startswith("procdeck")] == [], light


@pytest.mark.parametrize("part", sorted(FORBIDDEN_LIBRARIES))
def test_a_part_imports_none_of_the_libraries_it_must_not(part: str) -> None:
    forbidden = FORBIDDEN_LIBRARIES[part]
    broken = []
    for module, path, tree in sources():
        if layer_of(module) != part:
            continue
        for node in all_imports(tree):
            for target in _imported(node, module, path.name == "__init__.py"):
                if target.split(".")[0] in forbidden:
                    broken.append(f"{module} (line {node.lineno}) imports {target}")
    assert broken == []


def test_the_standard_imports_nothing_of_procdeck_but_itself() -> None:
    # not even inside a function: the client, the server and the forms build on it
    broken = []
    for module, path, tree in sources():
        if layer_of(module) != "procdeck.ogc":
            continue
        for node in all_imports(tree):
            for target in _imported(node, module, path.name == "__init__.py"):
                if target.startswith("procdeck") and layer_of(target) not in (
                        "procdeck.ogc", "procdeck._util"):
                    broken.append(f"{module} (line {node.lineno}) imports {target}")
    assert broken == []


def test_route_modules_do_not_import_each_other() -> None:
    # what two routers share lives beside them (``_responses``), not in one of them
    routes = "procdeck.server.routes"
    broken = []
    for module, path, tree in sources():
        if not module.startswith(routes + ".") or path.name == "__init__.py":
            continue
        for node in all_imports(tree):
            for target in _imported(node, module, False):
                if (target.startswith(routes + ".") and target != module
                        and not target.rsplit(".", 1)[1].startswith("_")):
                    broken.append(f"{module} (line {node.lineno}) imports {target}")
    assert broken == []


def test_the_rules_catch_a_break(tmp_path: Path) -> None:
    # the walker sees imports inside try/if blocks and skips TYPE_CHECKING ones
    tree = ast.parse("from typing import TYPE_CHECKING\n"
                     "try:\n    import procdeck.gui\nexcept ImportError:\n    pass\n"
                     "if TYPE_CHECKING:\n    import procdeck.cli\n")
    seen = [t for node in module_level_imports(tree) for t in _imported(node, "x", False)]
    assert "procdeck.gui" in seen and "procdeck.cli" not in seen
    assert LAYERS[layer_of("procdeck.gui.app")] > LAYERS[layer_of("procdeck.client._core")]
