"""The policy pack `pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json` runs.

Only builds the pack: ``PolicyPack(...)`` starts the analyzer's gRPC server and blocks. The rules
are in policy/rules/ (imported by the review and the tests); docs/policy.md lists them.
"""

import sys
from pathlib import Path

# The analyzer runs this directory with runpy, policy/ first on sys.path: the project root goes first
# instead, so `config`, `plan` and `policy` are the project's packages, not modules of this directory.
ROOT = str(Path(__file__).resolve().parent.parent)
sys.path[:] = [ROOT, *(p for p in sys.path if p not in (ROOT, str(Path(__file__).resolve().parent)))]

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.pack import policies  # noqa: E402

PolicyPack("ai-platform", policies(), enforcement_level=EnforcementLevel.ADVISORY,
           description="The AI platform's guardrails: GKE, storage, IAM, keys, Cloud SQL, Kubernetes, cost.")
