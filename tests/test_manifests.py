"""Layer 4: every Kubernetes object any stack renders validates strictly.

Built-in kinds against the Kubernetes 1.33 schema; custom resources against the schema of
their CRD kept in tests/schemas/. A kind in neither fails the test.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest

from review.harness import manifests
from tests.conftest import STACKS
from tests.crd_rules import violations

K8S_VERSION = "1.33"
CRD_SCHEMAS = {("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass"): "secretproviderclass.json",
               ("cilium.io/v2", "CiliumClusterwideNetworkPolicy"): "ciliumclusterwidenetworkpolicy.json",
               ("keda.sh/v1alpha1", "ScaledObject"): "scaledobject.json",
               ("keda.sh/v1alpha1", "ClusterTriggerAuthentication"): "clustertriggerauthentication.json",
               ("monitoring.googleapis.com/v1", "PodMonitoring"): "podmonitoring.json",
               ("monitoring.googleapis.com/v1", "Rules"): "rules.json",
               ("monitoring.googleapis.com/v1", "ClusterRules"): "clusterrules.json",
               ("gateway.networking.k8s.io/v1", "Gateway"): "gateway.json",
               ("gateway.networking.k8s.io/v1", "HTTPRoute"): "httproute.json",
               ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"): "referencegrant.json",
               ("networking.gke.io/v1", "GCPBackendPolicy"): "gcpbackendpolicy.json",
               ("networking.gke.io/v1", "GCPGatewayPolicy"): "gcpgatewaypolicy.json",
               ("networking.gke.io/v1", "HealthCheckPolicy"): "healthcheckpolicy.json",
               ("inference.networking.k8s.io/v1", "InferencePool"): "inferencepool.json"}
SCHEMAS = Path(__file__).parent / "schemas"


def validate(manifest: dict) -> None:
    if manifest.get("kind") == "Secret":  # a secret property is one `[secret]` in the review: shape unknown
        manifest = {k: ({} if v == "[secret]" and k in ("data", "stringData") else v) for k, v in manifest.items()}
    crd = CRD_SCHEMAS.get((manifest["apiVersion"], manifest["kind"]))
    if crd:
        schema = json.loads((SCHEMAS / crd).read_text())
        jsonschema.validate(manifest, schema)
        broken, _ = violations(schema, manifest)
        if broken:
            raise jsonschema.ValidationError("CEL: " + "; ".join(broken))
    else:
        kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


def test_every_manifest_validates_strictly(stack_run):
    failures, count = [], 0
    for stack in STACKS:
        for manifest in manifests(stack_run(stack)):
            count += 1
            try:
                validate(manifest)
            except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as error:
                failures.append(f"{stack}: {manifest['kind']}/{manifest['metadata'].get('name')}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError:
                failures.append(f"{stack}: {manifest['apiVersion']}/{manifest['kind']}: no schema (add its CRD's)")
    assert count > 100
    assert not failures, "\n".join(failures)


def test_validator_rejects_a_misspelled_field():
    """Guards the test above: strict validation must fail on an unknown field."""
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespce": "y"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(bad)


def test_cilium_schema_rejects_a_misspelled_rule_and_a_namespace():
    base = {"apiVersion": "cilium.io/v2", "kind": "CiliumClusterwideNetworkPolicy", "metadata": {"name": "x"},
            "spec": {"endpointSelector": {}, "egressDeny": [{"toEntities": ["host"]}]}}
    validate(base)
    with pytest.raises(jsonschema.ValidationError):
        validate({**base, "spec": {"endpointSelector": {}, "egresDeny": [{"toEntities": ["host"]}]}})
    with pytest.raises(jsonschema.ValidationError):
        validate({**base, "metadata": {"name": "x", "namespace": "y"}})
    with pytest.raises(jsonschema.ValidationError):
        validate({**base, "spec": {"endpointSelector": {}, "egressDeny": [{"toEntities": ["nodes"]}]}})


def test_crd_schema_rejects_a_misspelled_field():
    bad = {"apiVersion": "secrets-store.csi.x-k8s.io/v1", "kind": "SecretProviderClass",
           "metadata": {"name": "x", "namespace": "y"}, "spec": {"provider": "gke", "paramters": {}}}
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


def test_crd_cel_rules_are_evaluated():
    """Guards validate(): a ScaledObject whose minimum is above its maximum breaks the CRD's CEL rule,
    a PodMonitoring whose timeout exceeds its interval breaks the operator's."""
    scaled = {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x", "namespace": "y"},
              "spec": {"scaleTargetRef": {"name": "d"}, "minReplicaCount": 3, "maxReplicaCount": 2,
                       "triggers": [{"type": "cron", "metadata": {}}]}}
    with pytest.raises(jsonschema.ValidationError, match="CEL"):
        validate(scaled)
    validate({**scaled, "spec": {**scaled["spec"], "maxReplicaCount": 3}})
    monitor = {"apiVersion": "monitoring.googleapis.com/v1", "kind": "PodMonitoring",
               "metadata": {"name": "x", "namespace": "y"},
               "spec": {"selector": {}, "endpoints": [{"port": "http", "interval": "15s", "timeout": "20s"}]}}
    with pytest.raises(jsonschema.ValidationError, match="CEL"):
        validate(monitor)
