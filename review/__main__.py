"""python -m review <stack> | --all [--out DIR] [--diff OTHER_DIR]

Runs the real program under Pulumi's mocks and writes build/review/<stack>/. Exit status:
0 clean, 2 configuration error (one line, no traceback), 1 program error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import config
from config.loader import ROOT, project_stacks
from review import diff as review_diff
from review.bundle import write_bundle
from review.harness import run_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review", description=__doc__.splitlines()[0])
    parser.add_argument("stack", nargs="?", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--all", action="store_true", help="review every stack of the project")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "review", help="bundle root (default build/review)")
    parser.add_argument("--root", type=Path, default=ROOT, help="project tree to review (default: this one)")
    parser.add_argument("--diff", type=Path, metavar="OTHER", help="compare with another review dir of the same stack")
    args = parser.parse_args(argv)
    if bool(args.stack) == args.all:
        parser.error("name one stack or pass --all")
    if args.diff and args.all:
        parser.error("--diff compares one stack")

    root = args.root.resolve()
    for stack in project_stacks(root) if args.all else [args.stack]:
        try:
            run = run_stack(stack, root)
        except config.ConfigError as error:
            print(error, file=sys.stderr)
            return 2
        out = write_bundle(run, args.out / stack)
        custom = sum(1 for r in run.records if r.custom)
        print(f"{stack}: {custom} resources -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
        if args.diff:
            result = review_diff.diff(args.diff, out)
            print(review_diff.render(result, args.diff, out), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
