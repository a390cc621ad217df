"""python -m review.docs [--check]: rewrite the README's generated blocks, and the generated files, from the
review of every stack.

A generated block sits between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` on lines of their own; its
text comes from ``BLOCKS[NAME]``, a function of every stack's run, and takes the start marker's indentation
(so a block can sit inside a list item). A block is added by writing its function and naming it in
``BLOCKS``. ``--check`` rewrites nothing and exits 1 when a block differs from what it would write
(tests/test_deployer_roles.py runs the same comparison). Exit status 2 for a configuration error.

Generated files (``FILES``: path relative to the tree -> text from every stack's run) are written whole:
policy/config/<stack>.json, what `pulumi preview --policy-pack policy --policy-pack-config` reads, and
bootstrap/deployers.yaml, what the bootstrap grants each stack's deployer.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import config
from config.loader import ROOT, project_stacks
from policy.context import context_of
from policy.pack import pack_config
from policy.rules import RULES
from review.deployer import bootstrap_deployers, readme_roles
from review.harness import StackRun, run_stack
from review.markdown import table
from review.summary import readme_costs, readme_environments

# Block name -> its text from every stack's run (in stack order).
BLOCKS: dict[str, Callable[[list[StackRun]], str]] = {
    "deployer-roles": readme_roles,
    "costs": readme_costs,
    "environments": readme_environments,
}


def policy_configs(runs: list[StackRun]) -> dict[str, str]:
    """policy/config/<stack>.json: the environment's enforcement for every policy, and the stack's name (the
    pack learns which stack it checks from this file only)."""
    return {f"policy/config/{run.stack}.json": json.dumps(pack_config(context_of(run.spec)), indent=2) + "\n"
            for run in runs}


def policy_rules(runs: list[StackRun]) -> str:
    """docs/policy.md's table of rules, from the rules themselves (policy/rules/)."""
    rows = [[f"`{r.id}`", r.severity, "stack" if r.stack else ", ".join(f"`{t.split(':')[-1]}`" for t in r.types[:3])
             + (" …" if len(r.types) > 3 else ""), r.description, r.remediation] for r in RULES]
    return table(["rule", "severity", "checks", "what it asks", "fix"], rows)


# Blocks in other documents: file -> {block name -> its text from every stack's run}.
DOC_BLOCKS: dict[str, dict[str, Callable[[list[StackRun]], str]]] = {"docs/policy.md": {"policy-rules": policy_rules}}


def stale_docs(root: Path, runs: list[StackRun]) -> list[str]:
    """``file: block`` for every block of DOC_BLOCKS that differs from what ``runs`` generate."""
    out = []
    for path, blocks in DOC_BLOCKS.items():
        if not (root / path).is_file():  # a tree with config and program only (a test's copy)
            continue
        text = (root / path).read_text(encoding="utf-8")
        out += [f"{path}: {name}" for name, produce in blocks.items() if rewrite(text, {name: produce(runs)}) != text]
    return out


# Generators of whole files: relative path -> text.
def bootstrap_files(runs: list[StackRun]) -> dict[str, str]:
    """bootstrap/deployers.yaml: each stack's project, deployer and the roles the bootstrap grants it."""
    return {"bootstrap/deployers.yaml": bootstrap_deployers(runs)}


FILES: list[Callable[[list[StackRun]], dict[str, str]]] = [policy_configs, bootstrap_files]


def generated_files(runs: list[StackRun]) -> dict[str, str]:
    return {path: text for produce in FILES for path, text in produce(runs).items()}


def _block(name: str) -> re.Pattern[str]:
    return re.compile(rf"^(?P<indent>[ \t]*)<!-- {re.escape(name)}:start -->\n(?P<body>.*?)"
                      rf"^(?P=indent)<!-- {re.escape(name)}:end -->$", re.M | re.S)


def _replace(text: str, name: str, body: str) -> str:
    pattern = _block(name)
    if len(pattern.findall(text)) != 1:
        raise ValueError(f"needs exactly one <!-- {name}:start --> ... <!-- {name}:end --> block")

    def replace(match: re.Match[str]) -> str:
        indent = match["indent"]
        lines = "".join(f"{indent}{line}\n" if line else "\n" for line in body.rstrip("\n").split("\n"))
        return f"{indent}<!-- {name}:start -->\n{lines}{indent}<!-- {name}:end -->"

    return pattern.sub(replace, text)


def rewrite(text: str, generated: dict[str, str]) -> str:
    """``text`` with each named block's body replaced by its generated text; a missing block is an error."""
    for name, body in generated.items():
        text = _replace(text, name, body)
    return text


def generate(runs: list[StackRun]) -> dict[str, str]:
    return {name: produce(runs) for name, produce in BLOCKS.items()}


def stale(text: str, runs: list[StackRun]) -> list[str]:
    """The blocks of ``text`` that differ from what ``runs`` generate."""
    generated = generate(runs)
    return [name for name, body in generated.items() if rewrite(text, {name: body}) != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review.docs", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a block is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="project tree (default: this one)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    readme = root / "README.md"
    try:
        runs = [run_stack(stack, root) for stack in project_stacks(root)]
    except config.ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    text = readme.read_text(encoding="utf-8")
    files = generated_files(runs)
    old_files = {path: (root / path).read_text(encoding="utf-8") if (root / path).is_file() else None
                 for path in files}
    if args.check:
        names = stale(text, runs)
        for name in names:
            print(f"README.md: the {name} block is out of date (make docs)", file=sys.stderr)
        outdated = [path for path, body in files.items() if old_files[path] != body]
        for path in outdated:
            print(f"{path}: out of date (make docs)", file=sys.stderr)
        blocks = stale_docs(root, runs)
        for block in blocks:
            print(f"{block} block is out of date (make docs)", file=sys.stderr)
        return 1 if names or outdated or blocks else 0
    new = rewrite(text, generate(runs))
    if new != text:
        readme.write_text(new, encoding="utf-8")
        print("README.md: generated blocks rewritten")
    for path, blocks in DOC_BLOCKS.items():
        if not (root / path).is_file():
            continue
        old = (root / path).read_text(encoding="utf-8")
        doc = rewrite(old, {name: produce(runs) for name, produce in blocks.items()})
        if doc != old:
            (root / path).write_text(doc, encoding="utf-8")
            print(f"{path}: generated blocks rewritten")
    for path, body in files.items():
        if old_files[path] != body:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(body, encoding="utf-8")
            print(f"{path}: written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
