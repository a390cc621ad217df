"""Small evaluators of what the API server and Dataplane V2 decide, for the isolation tests.

Each follows the documented semantics of one mechanism, narrowly enough to be read in full:
RBAC rule matching, ResourceQuota admission (with PriorityClass scopes), LimitRange defaulting
and validation, and CiliumClusterwideNetworkPolicy deny rules (selectors, entities, port
ranges, CIDRs with exceptions). Admission policies are evaluated with cel-python (tests/admission.py).
"""

from __future__ import annotations

import ipaddress
from typing import Any

# --- RBAC: https://kubernetes.io/docs/reference/access-authn-authz/rbac/ ------------------------


def rbac_allows(rules: list[dict], verb: str, group: str, resource: str) -> bool:
    """Whether any rule grants ``verb`` on ``resource`` (``pods/exec`` for a subresource) in ``group``."""
    return any((group in r.get("apiGroups", []) or "*" in r.get("apiGroups", []))
               and (resource in r.get("resources", []) or "*" in r.get("resources", []))
               and (verb in r.get("verbs", []) or "*" in r.get("verbs", []))
               for r in rules)


# --- ResourceQuota admission: https://kubernetes.io/docs/concepts/policy/resource-quotas/ -------

_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}


def quantity(value: str | int | float) -> float:
    text = str(value)
    for suffix, factor in _UNITS.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def _pod_requests(pod: dict) -> dict[str, float]:
    totals: dict[str, float] = {}
    for container in pod["spec"]["containers"]:
        resources = container.get("resources", {})
        requests = {**resources.get("limits", {}), **resources.get("requests", {})}  # limits default requests
        for name, value in requests.items():
            totals[f"requests.{name}"] = totals.get(f"requests.{name}", 0) + quantity(value)
    return totals


def _in_scope(quota: dict, pod: dict | None) -> bool:
    selector = quota["spec"].get("scopeSelector")
    if not selector:
        return True
    if pod is None:
        return False
    for expression in selector["matchExpressions"]:
        if expression["scopeName"] == "PriorityClass":
            value = pod["spec"].get("priorityClassName", "")
            if (expression["operator"] == "In") != (value in expression.get("values", [])):
                return False
    return True


def quota_refuses(quotas: list[dict], obj: dict) -> list[str]:
    """The quota keys an empty namespace's quotas would exceed by admitting ``obj``."""
    kind = obj["kind"]
    usage: dict[str, float] = {}
    if kind == "Pod":
        usage = {**_pod_requests(obj), "pods": 1}
    elif kind == "Service":
        usage = {"services": 1, **({"services.loadbalancers": 1} if obj["spec"].get("type") == "LoadBalancer" else {}),
                 **({"services.nodeports": 1} if obj["spec"].get("type") == "NodePort" else {})}
    elif kind == "PersistentVolumeClaim":
        size = quantity(obj["spec"]["resources"]["requests"]["storage"])
        storage_class = obj["spec"].get("storageClassName")
        usage = {"persistentvolumeclaims": 1, "requests.storage": size}
        if storage_class:
            usage[f"{storage_class}.storageclass.storage.k8s.io/requests.storage"] = size
            usage[f"{storage_class}.storageclass.storage.k8s.io/persistentvolumeclaims"] = 1
    elif kind == "Ingress":
        usage = {"count/ingresses.networking.k8s.io": 1}
    exceeded = []
    for quota in quotas:
        if not _in_scope(quota, obj if kind == "Pod" else None):
            continue
        for key, hard in quota["spec"]["hard"].items():
            if usage.get(key, 0) > quantity(hard):
                exceeded.append(f"{quota['metadata']['name']}: {key}")
    return exceeded


# --- LimitRange: https://kubernetes.io/docs/concepts/policy/limit-range/ -------------------------


def limit_range_admits(limit_range: dict, container: dict) -> tuple[bool, dict]:
    """Apply the Container defaults to ``container`` and validate it: (admitted, resources after defaulting)."""
    item = next(i for i in limit_range["spec"]["limits"] if i["type"] == "Container")
    resources = {k: dict(v) for k, v in container.get("resources", {}).items()}
    limits = resources.setdefault("limits", {})
    requests = resources.setdefault("requests", {})
    for name, value in item.get("default", {}).items():
        limits.setdefault(name, value)
    for name, value in item.get("defaultRequest", {}).items():
        requests.setdefault(name, limits.get(name, value))
    admitted = all(quantity(requests[n]) <= quantity(v) for n, v in limits.items() if n in requests)
    return admitted, resources


# --- CiliumClusterwideNetworkPolicy deny rules: https://docs.cilium.io/en/stable/security/policy/ --


def _selector_matches(selector: dict, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        present, value = e["key"] in labels, labels.get(e["key"])
        if e["operator"] == "Exists" and not present:
            return False
        if e["operator"] == "DoesNotExist" and present:
            return False
        if e["operator"] == "In" and value not in e["values"]:
            return False
        if e["operator"] == "NotIn" and present and value in e["values"]:
            return False
    return True


def _port_matches(rule: dict, port: int) -> bool:
    if "toPorts" not in rule:
        return True
    return any(int(p["port"]) <= port <= int(p.get("endPort", p["port"]))
               for entry in rule["toPorts"] for p in entry["ports"])


def cilium_denies_egress(spec: dict, source: dict[str, str], destination: dict[str, Any]) -> bool:
    """Whether the policy denies ``source`` (pod labels, Cilium keys) reaching ``destination``:
    ``{"labels": {...}}`` for a pod, ``{"entity": "host"}`` for a node or the API server, ``{"ip": "..."}``
    for an address outside the cluster; each with a ``port``."""
    if not _selector_matches(spec["endpointSelector"], source):
        return False
    port = destination["port"]
    for rule in spec.get("egressDeny", []):
        if not _port_matches(rule, port):
            continue
        if "labels" in destination and any(_selector_matches(s, destination["labels"]) for s in rule.get("toEndpoints", [])):
            return True
        if destination.get("entity") in rule.get("toEntities", []):
            return True
        if "ip" in destination:
            address = ipaddress.ip_address(destination["ip"])
            for cidr in rule.get("toCIDRSet", []):
                if address in ipaddress.ip_network(cidr["cidr"]) and not any(
                        address in ipaddress.ip_network(e) for e in cidr.get("except", [])):
                    return True
    return False


# --- NetworkPolicy: https://kubernetes.io/docs/concepts/services-networking/network-policies/ ----


def _peer_matches(peer: dict, policy_ns: str, other: dict[str, Any]) -> bool:
    """``other``: ``{"namespace", "labels", "namespace_labels"}`` for a pod, ``{"ip"}`` for an address."""
    if "ipBlock" in peer:
        if "ip" not in other:
            return False  # pod traffic inside the cluster is matched by selectors, not ipBlock
        address = ipaddress.ip_address(other["ip"])
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(e) for e in block.get("except", []))
    if "ip" in other:
        return False
    if "namespaceSelector" in peer:
        if not _selector_matches(peer["namespaceSelector"], other["namespace_labels"]):
            return False
    elif other["namespace"] != policy_ns:
        return False
    return _selector_matches(peer.get("podSelector", {}), other["labels"])


def _np_port(rule: dict, port: int) -> bool:
    # a named port matches a container port of that name: none of the peers here name theirs so
    return "ports" not in rule or any(
        isinstance(p["port"], int) and p["port"] <= port <= p.get("endPort", p["port"]) for p in rule["ports"])


def _side_allows(policies: list[dict], pod: dict[str, Any], other: dict[str, Any], port: int, direction: str) -> bool:
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [p for p in policies if p["metadata"]["namespace"] == pod["namespace"]
                 and _selector_matches(p["spec"]["podSelector"], pod["labels"])
                 and direction in p["spec"].get("policyTypes", ["Ingress"])]
    if not selecting:
        return True  # not isolated in this direction
    return any(_np_port(rule, port) and (peers_key not in rule or any(
        _peer_matches(peer, p["metadata"]["namespace"], other) for peer in rule[peers_key]))
        for p in selecting for rule in p["spec"].get(key, []))


def network_policies_allow(policies: list[dict], source: dict[str, Any], destination: dict[str, Any],
                           port: int) -> bool:
    """Whether NetworkPolicies let ``source`` open a connection to ``destination`` on ``port``: the
    source's egress and, for a pod, the destination's ingress must both allow it. Pods are
    ``{"namespace", "labels", "namespace_labels"}``; addresses outside the cluster ``{"ip"}``."""
    if "ip" not in source and not _side_allows(policies, source, destination, port, "Egress"):
        return False
    return "ip" in destination or _side_allows(policies, destination, source, port, "Ingress")
