"""Layer 4: every Kubernetes object any stack renders validates strictly against Kubernetes 1.33."""

from __future__ import annotations

import kubernetes_validate
import pytest

from review.bundle import manifests
from tests.conftest import STACKS

K8S_VERSION = "1.33"



def test_every_manifest_validates_strictly(stack_run):
    failures = []
    for stack in STACKS:
        for manifest in manifests(stack_run(stack)):
            try:
                kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                failures.append(f"{stack}: {manifest['kind']}/{manifest['metadata'].get('name')}: {error.message}")
    assert not failures, "\n".join(failures)


def test_validator_rejects_a_misspelled_field():
    """Guards the test above: strict validation must fail on an unknown field."""
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespce": "y"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)
