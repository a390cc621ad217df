"""The code's shape: no import circles, and each package imports only what sits below it.

config/ holds what users write (schemas, the loader and its checks), plan/ what follows from it,
components/ how it is built (by layer), review/ the offline review. The import graph is read
from the source (every import statement, function-level ones included), not from what happens
to be loaded.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from config.loader import ROOT

PACKAGES = ("config", "plan", "components", "layers", "policy", "review")
# Component layers, lowest first: a layer imports conventions and the layers below it, never one above.
LAYERS = ("platform", "data", "tenancy", "workloads", "entry", "operations", "recovery")


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports: ``from a.b import c`` is a.b.c if that is a module, else a.b."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if target in known:
                    out.add(target)
                elif node.module in known:
                    out.add(node.module)
    return out


def with_packages(module: str, targets: set[str], known: set[str]) -> set[str]:
    """Importing a.b.c first runs a/__init__ and a/b/__init__: those are imported too, unless they are
    packages the importer lives in (already being imported when it runs)."""
    out = set(targets)
    own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
    for target in targets:
        parts = target.split(".")
        out |= {p for p in (".".join(parts[:i]) for i in range(1, len(parts))) if p in known and p not in own}
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: with_packages(name, imports(path, known), known) - {name} for name, path in found.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return out


def test_no_import_circles():
    assert circles(graph()) == []


def test_the_circle_check_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_a_package_init_counts_as_imported():
    """plan importing config.spec runs config/__init__: a circle through it is a circle."""
    known = {"config", "config.spec", "config.loader", "plan"}
    assert with_packages("plan", {"config.spec"}, known) == {"config.spec", "config"}
    assert with_packages("config.loader", {"config.spec"}, known) == {"config.spec"}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(edges: dict[str, set[str]]) -> list[str]:
    """Imports that go the wrong way between packages and layers."""
    out = []
    for module, targets in edges.items():
        for target in targets:
            wrong = (
                # what users write never depends on what is derived from it (the checks and loader may)
                (_within(module, "config") and not _within(module, "config.checks")
                 and module != "config.loader" and _within(target, "plan"))
                # derivations never load files, run checks or build resources
                or (_within(module, "plan") and (target == "config.loader" or _within(target, "config.checks")
                                                 or _within(target, "components") or _within(target, "layers")))
                # WHAT never imports HOW; nothing imports the review but the review
                or (_within(module, "config") and _within(target, "components"))
                or (not _within(module, "review") and _within(target, "review"))
                # the policy pack runs beside a real preview: it reads config and plan, never the program
                or (_within(module, "policy") and any(_within(target, p) for p in ("components", "layers")))
                # a component reads its args, never the loader, the checks or the assembly
                or (_within(module, "components") and (target == "config.loader"
                                                       or _within(target, "config.checks") or _within(target, "layers")))
            )
            if not wrong and _within(module, "components") and _within(target, "components"):
                source, dest = module.split(".")[1:2], target.split(".")[1:2]
                if source and dest and source[0] in LAYERS and dest[0] in LAYERS:
                    wrong = LAYERS.index(dest[0]) > LAYERS.index(source[0])
            if wrong:
                out.append(f"{module} -> {target}")
    return sorted(out)


def test_packages_and_layers_import_downwards():
    assert violations(graph()) == []


@pytest.mark.parametrize("edge, expected", [
    (("config.spec", "plan.endpoints"), ["config.spec -> plan.endpoints"]),
    (("plan.capacity", "config.loader"), ["plan.capacity -> config.loader"]),
    (("components.tenancy.tenant", "components.workloads.inference"),
     ["components.tenancy.tenant -> components.workloads.inference"]),
    (("config.checks.capacity", "plan.capacity"), []),
])
def test_the_direction_check_finds_wrong_edges(edge, expected):
    assert violations({edge[0]: {edge[1]}}) == expected


def component_classes() -> list[tuple[str, ast.ClassDef]]:
    out = []
    for name, path in modules().items():
        if not name.startswith("components."):
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and any(
                    isinstance(b, ast.Attribute) and b.attr == "ComponentResource" for b in node.bases):
                out.append((name, node))
    return out


def outputs_and_registered(cls: ast.ClassDef) -> tuple[set[str], set[str]]:
    """Public attributes the class sets on self, and the keys it passes to register_outputs."""
    attributes, registered = set(), set()
    for node in ast.walk(cls):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        targets = [t for target in targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
        for target in targets:
            if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
                    and not target.attr.startswith("_")):
                attributes.add(target.attr)
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register_outputs"
                and node.args and isinstance(node.args[0], ast.Dict)):
            registered |= {k.value for k in node.args[0].keys if isinstance(k, ast.Constant)}
    return attributes, registered


def test_components_register_exactly_their_outputs():
    """What another component reads is a public attribute; each is registered under its own name."""
    classes = component_classes()
    assert len(classes) >= 20
    for module, cls in classes:
        attributes, registered = outputs_and_registered(cls)
        assert attributes == registered, f"{module}.{cls.name}: attributes {sorted(attributes)}, registered {sorted(registered)}"


def test_component_types_name_their_layer(run):
    """Every component's type token is ai-platform:<layer>:<Type>, the layer being its folder."""
    layers = {cls.name: module.split(".")[1] for module, cls in component_classes()}
    components = [r for r in run.records if not r.custom and r.type.startswith("ai-platform:")]
    assert components
    for record in components:
        _, layer, name = record.type.split(":")
        assert layers.get(name) == layer, record.type
