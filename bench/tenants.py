"""make bench: how the review scales with tenants, as ratios measured in one run.

For N synthetic tenants, copy the tree to a temporary directory, add N tenant files and time
the review of the prod stack under mocks. Then, in the same process and under the same mocks,
time two floors:

- same work: the run's own registrations replayed as raw ``pulumi.CustomResource`` /
  ``ComponentResource`` / ``ProviderResource`` with the same types, names, parents, providers,
  dependencies and inputs (the SDK modules are already imported by the review);
- trivial: the same number of ``random.RandomId`` resources.

The ratio review / same-work floor is what this program adds on top of Pulumi's own cost per
registration (loading config, checks, typed resource classes, Output plumbing). Each figure is
the fastest of ``--repeat`` interleaved repetitions (timings on a shared 2-core machine vary by
±15 %; the minimum is the least disturbed). Exit 1 if the ratio at the largest size exceeds 1.5.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pulumi
import pulumi_random as random
import yaml

from review.harness import Record, run_program, run_stack
from tests.conftest import copy_tree, edit_yaml

MAX_SAME_WORK_RATIO = 1.5


def synthetic_tree(target: Path, tenants: int) -> Path:
    root = copy_tree(target)
    for i in range(tenants):
        name = f"bench-{i:04d}"
        (root / "config/tenants" / f"{name}.yaml").write_text(yaml.safe_dump({
            "name": name, "display_name": f"Benchmark {i}", "tier": "basic", "stacks": ["prod"],
            "owners": [f"{name}@example.com"], "sla": 99.0, "budget": {"monthly": 100},
            "alerts": {"emails": [f"{name}-oncall@example.com"]},
            "workloads": [{"kind": "genbi", "name": "bi"}]}))
    # Room for the synthetic tenants: the benchmark measures the program, not the capacity check.
    edit_yaml(root / "config/environments/prod.yaml", lambda d: d["tenancy"].update(
        cpu_overcommit=10, memory_overcommit=10))
    return root


def replay(records: list[Record]) -> None:
    """Register ``records`` again, in their order, as raw resources with the same graph and inputs."""
    made: dict[str, pulumi.Resource] = {}
    for r in records:
        opts = pulumi.ResourceOptions(
            parent=made.get(r.parent), provider=made.get(r.provider) if r.provider else None, protect=r.protect,
            depends_on=[made[d] for d in r.dependencies if d in made], ignore_changes=r.ignore_changes or None)
        if r.type.startswith("pulumi:providers:"):
            made[r.key] = pulumi.ProviderResource(r.type.split(":")[-1], r.name, r.inputs, opts)
        elif r.custom:
            made[r.key] = pulumi.CustomResource(r.type, r.name, r.inputs, opts)
        else:
            made[r.key] = pulumi.ComponentResource(r.type, r.name, None, opts)


def timed(func) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def measure(tenants: int, repeat: int = 1) -> dict[str, float]:
    times: dict[str, list[float]] = {"review": [], "same_work": [], "trivial": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic_tree(Path(tmp), tenants)
        for _ in range(repeat):
            review, run = timed(lambda: run_stack("prod", root, ordered=True))
            count = sum(1 for r in run.records if r.custom)
            records = run.records
            same_work, (replayed, _) = timed(lambda r=records: run_program(lambda: replay(r), "prod", ordered=True))
            assert sorted(r.key for r in replayed) == sorted(r.key for r in records)
            trivial, _ = timed(lambda n=count: run_program(
                lambda: [random.RandomId(f"r{i}", byte_length=4) for i in range(n)], "prod"))
            for key, value in (("review", review), ("same_work", same_work), ("trivial", trivial)):
                times[key].append(value)
    return {"tenants": tenants, "resources": count, **{k: min(v) for k, v in times.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tenants", description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20, 200])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions per size; the fastest counts")
    args = parser.parse_args(argv)
    measure(2)  # warm imports and caches so the first size is not charged for them
    rows = [measure(n, args.repeat) for n in args.sizes]
    print(f"{'tenants':>8} {'resources':>10} {'review s':>9} {'same-work s':>12} {'trivial s':>10} "
          f"{'x same-work':>12} {'x trivial':>10}")
    for m in rows:
        print(f"{m['tenants']:>8} {m['resources']:>10} {m['review']:>9.2f} {m['same_work']:>12.2f} "
              f"{m['trivial']:>10.2f} {m['review'] / m['same_work']:>12.2f} {m['review'] / m['trivial']:>10.2f}")
    first, last = rows[0], rows[-1]
    print(f"growth {first['tenants']} -> {last['tenants']} tenants: {last['review'] / first['review']:.2f}x time "
          f"for {last['resources'] / first['resources']:.2f}x resources")
    ratio = last["review"] / last["same_work"]
    ok = ratio <= MAX_SAME_WORK_RATIO
    print(f"{'PASS' if ok else 'FAIL'}: review / same-work floor at {last['tenants']} tenants {ratio:.2f} "
          f"(limit {MAX_SAME_WORK_RATIO})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
