"""Helm post-renderer: make a chart's pods admissible under Pod Security `restricted` in a tenant namespace.

The endpoint picker chart (llm-d-router-gateway) sets no security context and offers no value
for one; its image runs as 65532 and writes nothing. Helm pipes the rendered manifests through
``helm-postrender`` (next to this file), which runs this module: every pod template gets a
fixed non-root user, RuntimeDefault seccomp, no privilege escalation, all capabilities
dropped, a read-only root filesystem with an emptyDir on /tmp, and the platform's router and
exposure labels (which only the platform may set: components/tenancy/admission.py).
"""

from __future__ import annotations

import sys

import yaml

USER = 65532
POD_LABELS = {"ai-platform/router": "true", "ai-platform/expose": "true"}
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


def harden(document: dict) -> dict:
    if document.get("kind") not in WORKLOADS:
        return document
    template = document["spec"]["template"]
    template.setdefault("metadata", {}).setdefault("labels", {}).update(POD_LABELS)
    pod = template["spec"]
    pod["securityContext"] = {**pod.get("securityContext", {}), "runAsNonRoot": True, "runAsUser": USER,
                              "runAsGroup": USER, "seccompProfile": {"type": "RuntimeDefault"}}
    for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
        container["securityContext"] = {**container.get("securityContext", {}), "allowPrivilegeEscalation": False,
                                        "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                                        "capabilities": {"drop": ["ALL"]}}
        mounts = container.setdefault("volumeMounts", [])
        if not any(m.get("mountPath") == "/tmp" for m in mounts):  # noqa: S108 (an emptyDir)
            mounts.append({"name": "tmp", "mountPath": "/tmp"})  # noqa: S108
    volumes = pod.setdefault("volumes", [])
    if not any(v.get("name") == "tmp" for v in volumes):
        volumes.append({"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}})
    return document


def render(text: str) -> str:
    documents = [harden(d) for d in yaml.safe_load_all(text) if d]
    return yaml.safe_dump_all(documents, sort_keys=False)


if __name__ == "__main__":
    sys.stdout.write(render(sys.stdin.read()))
