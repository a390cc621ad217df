"""python -m review <stack> | --all [--out DIR] [--diff BASE [--comment FILE] [--fail-on GATES]]

Runs the real program under Pulumi's mocks and writes build/review/<stack>/, with the policy pack
(policy/) evaluated offline. Exit status: 0 clean, 1 program error or a policy violation the
environment makes mandatory (the bundle is kept: it says which), 2 configuration error (one line,
no traceback).

A stack whose review fails has no bundle afterwards: the previous one is removed, so nothing
stale can be read (or posted by CI) as the review of the current tree. ``--all`` reviews every
stack even when one fails: the ones that pass get a fresh bundle, each failing one's directory
is removed, and the exit status is the worst (1 before 2).

``--diff BASE --out HEAD`` (no stack) compares bundles already written: every stack bundled under
both roots (e.g. the base branch's review and the pull request's). With a stack or ``--all`` it
reviews first, then compares BASE with what it wrote. The Markdown goes to stdout and ``--comment
FILE``; ``--fail-on replace,protected-delete,policy`` exits 1 when the change trips one of them.
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
from review.diff_markdown import render
from review.harness import run_stack
from review.policy import mandatory
from review.recovery import switch_files, switched


def review(stack: str, root: Path, out: Path) -> bool:
    """Review one stack into ``out``; raises as the run does. False: a mandatory policy violation."""
    run = run_stack(stack, root)
    # the stack switched the other way: what the switch changes, each way (review/recovery.py)
    files = switch_files(run, switched(run, root)) if run.spec.env.dr.standby_cluster else {}
    write_bundle(run, out, files)
    custom = sum(1 for r in run.records if r.custom)
    print(f"{stack}: {custom} resources -> {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if mandatory(run):
        print(f"{stack}: mandatory policy violations (the Policy section of {out / 'summary.md'})", file=sys.stderr)
        return False
    return True


def _gates(text: str) -> list[str]:
    gates = [g.strip() for g in text.split(",") if g.strip()]
    unknown = [g for g in gates if g not in review_diff.GATES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown gate {unknown[0]!r} (choose from {', '.join(review_diff.GATES)})")
    return gates


def compare(base: Path, head: Path, comment: Path | None, fail_on: list[str]) -> int:
    diffs, only_base, only_head = review_diff.compare_roots(base, head)
    text = render(diffs, str(base), str(head), only_base, only_head)
    print(text, end="")
    if comment:
        comment.parent.mkdir(parents=True, exist_ok=True)
        comment.write_text(text, encoding="utf-8")
    failed = review_diff.failed_gates(diffs, fail_on)
    for gate in failed:
        print(f"--fail-on {gate}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review", description=__doc__.splitlines()[0])
    parser.add_argument("stack", nargs="?", help="stack name (Pulumi.<stack>.yaml)")
    parser.add_argument("--all", action="store_true", help="review every stack of the project")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "review", help="bundle root (default build/review)")
    parser.add_argument("--root", type=Path, default=ROOT, help="project tree to review (default: this one)")
    parser.add_argument("--diff", type=Path, metavar="BASE",
                        help="compare with base bundles: a bundle root (or, with a stack, that stack's bundle)")
    parser.add_argument("--comment", type=Path, metavar="FILE", help="also write the diff's Markdown here")
    parser.add_argument("--fail-on", type=_gates, default=[], metavar="GATES",
                        help=f"exit 1 if the diff shows any of: {','.join(review_diff.GATES)}")
    args = parser.parse_args(argv)
    if (args.comment or args.fail_on) and not args.diff:
        parser.error("--comment and --fail-on need --diff")
    if args.stack and args.diff and not review_diff.is_bundle(args.diff):
        parser.error(f"--diff {args.diff}: not a review bundle (no resources.json)")
    if args.diff and not args.diff.is_dir():
        parser.error(f"--diff {args.diff}: no such directory")
    if not args.stack and not args.all:
        if not args.diff:
            parser.error("name one stack or pass --all (or compare bundles: --diff BASE --out HEAD)")
        return compare(args.diff, args.out, args.comment, args.fail_on)
    if args.stack and args.all:
        parser.error("name one stack or pass --all")

    root = args.root.resolve()
    config_error = program_error = violation = False
    for stack in project_stacks(root) if args.all else [args.stack]:
        out = args.out / stack
        try:
            violation |= not review(stack, root, out)
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
    status = 1 if program_error else 2 if config_error else 1 if violation else 0
    if args.diff and not (program_error or config_error):
        head = args.out / args.stack if args.stack else args.out
        status = max(status, compare(args.diff, head, args.comment, args.fail_on))
    return status


if __name__ == "__main__":
    sys.exit(main())
