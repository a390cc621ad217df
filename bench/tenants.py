"""make bench: how the review scales with tenants, as ratios measured in one run.

For N synthetic tenants, copy the tree to a temporary directory, add N tenant files, review
the prod stack under mocks and time it; then register the same number of trivial resources
(random.RandomId) under the same mocks as a baseline. Reports resources, seconds, resources
per second, the ratio to the baseline and the growth from the smallest to the largest N.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pulumi_random as random
import yaml

from review.harness import run_program, run_stack
from tests.conftest import copy_tree, edit_yaml

MAX_BASELINE_RATIO = 2.5
MAX_GROWTH = 12.0


def synthetic_tree(target: Path, tenants: int) -> Path:
    root = copy_tree(target)
    for i in range(tenants):
        name = f"bench-{i:04d}"
        (root / "config/tenants" / f"{name}.yaml").write_text(yaml.safe_dump({
            "name": name, "display_name": f"Benchmark {i}", "tier": "basic", "stacks": ["prod"],
            "owners": [f"{name}@example.com"], "sla": 99.0, "budget": {"monthly": 100},
            "workloads": [{"kind": "genbi", "name": "bi"}]}))
    # Room for the synthetic tenants: the benchmark measures the program, not the capacity check.
    edit_yaml(root / "config/environments/prod.yaml", lambda d: d["tenancy"].update(
        cpu_overcommit=10, memory_overcommit=10))
    return root


def measure(tenants: int) -> tuple[int, float, float]:
    """(resources, seconds for the review, seconds for the same number of trivial resources)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = synthetic_tree(Path(tmp), tenants)
        start = time.perf_counter()
        run = run_stack("prod", root)
        review = time.perf_counter() - start
    count = sum(1 for r in run.records if r.custom)
    start = time.perf_counter()
    run_program(lambda: [random.RandomId(f"r{i}", byte_length=4) for i in range(count)], "prod")
    baseline = time.perf_counter() - start
    return count, review, baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tenants", description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[20, 200])
    args = parser.parse_args(argv)
    measure(2)  # warm imports and caches so the first size is not charged for them
    rows = [(n, *measure(n)) for n in args.sizes]
    print(f"{'tenants':>8} {'resources':>10} {'seconds':>8} {'res/s':>8} {'baseline s':>10} {'ratio':>6}")
    for n, count, review, baseline in rows:
        print(f"{n:>8} {count:>10} {review:>8.2f} {count / review:>8.0f} {baseline:>10.2f} {review / baseline:>6.2f}")
    worst = max(review / baseline for _, _, review, baseline in rows)
    growth = rows[-1][2] / rows[0][2]
    print(f"growth {rows[0][0]} -> {rows[-1][0]} tenants: {growth:.2f}x time for "
          f"{rows[-1][1] / rows[0][1]:.2f}x resources")
    ok = worst <= MAX_BASELINE_RATIO and growth <= MAX_GROWTH
    print(f"{'PASS' if ok else 'FAIL'}: ratio to baseline {worst:.2f} (limit {MAX_BASELINE_RATIO}), "
          f"growth {growth:.2f} (limit {MAX_GROWTH})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
