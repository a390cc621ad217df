"""python -m review <stack> | --all [--out DIR] [--diff OTHER_DIR]

Runs the real program under Pulumi's mocks and writes build/review/<stack>/. Exit status:
0 clean, 2 configuration error (one line, no traceback), 1 program error.

A stack whose review fails has no bundle afterwards: the previous one is removed, so nothing
stale can be read (or posted by CI) as the review of the current tree. ``--all`` reviews every
stack even when one fails: the ones that pass get a fresh bundle, each failing one's directory
is removed, and the exit status is the worst (1 before 2).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

import config
from config.loader import ROOT, project_stacks
from review import diff as review_diff
from review.bundle import discard_bundle, write_bundle
from review.harness import run_stack


def review(stack: str, root: Path, out: Path, other: Path | None) -> None:
    """Review one stack into ``out``; raises as the run does."""
    run = run_stack(stack, root)
    write_bundle(run, out)
    custom = sum(1 for r in run.records if r.custom)
    print(f"{stack}: {custom} resources -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if other:
        print(review_diff.render(review_diff.diff(other, out), other, out), end="")


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
    if args.diff and not (args.diff / "resources.json").is_file():
        parser.error(f"--diff {args.diff}: not a review bundle (no resources.json)")

    root = args.root.resolve()
    config_error = program_error = False
    for stack in project_stacks(root) if args.all else [args.stack]:
        out = args.out / stack
        try:
            review(stack, root, out, args.diff)
        except config.ConfigError as error:
            discard_bundle(out)
            print(error, file=sys.stderr)
            config_error = True
        except Exception:
            discard_bundle(out)
            traceback.print_exc()
            program_error = True
        except BaseException:  # interrupted: no half-written bundle either
            discard_bundle(out)
            raise
    return 1 if program_error else 2 if config_error else 0


if __name__ == "__main__":
    sys.exit(main())
