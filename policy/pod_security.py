"""Pod Security Standards, evaluated: what `pod-security.kubernetes.io/enforce` admits.

The rules of https://kubernetes.io/docs/concepts/security/pod-security-standards/ (v1.33) for
the `baseline` and `restricted` levels, over a pod spec (a Pod's, or a workload's template).
A created Deployment is not a running pod: a template that breaks its namespace's level is
accepted by the API server, and its pods are then refused one by one.
"""

from __future__ import annotations

from typing import Any

BASELINE_CAPABILITIES = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                         "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
                "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                "net.ipv4.tcp_keepalive_probes"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                      "projected", "secret"}
LEVELS = ("privileged", "baseline", "restricted")


def pod_spec_of(manifest: dict) -> dict | None:
    """The pod spec a manifest runs: a Pod's own, a workload's template, a CronJob's job template."""
    kind, spec = manifest.get("kind"), manifest.get("spec", {})
    if kind == "Pod":
        return spec
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return spec.get("template", {}).get("spec")
    if kind == "CronJob":
        return spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
    return None


def _containers(pod: dict) -> list[dict]:
    return [*pod.get("initContainers", []), *pod.get("containers", []), *pod.get("ephemeralContainers", [])]


def violations(pod: dict, level: str) -> list[str]:
    """Why ``pod`` is refused at ``level`` (empty: admitted)."""
    if level == "privileged":
        return []
    out: list[str] = []
    ctx: dict[str, Any] = pod.get("securityContext", {})
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            out.append(f"{field}")
    for volume in pod.get("volumes", []):
        if "hostPath" in volume:
            out.append(f"hostPath volume {volume['name']}")
    for sysctl in ctx.get("sysctls", []):
        if sysctl["name"] not in SAFE_SYSCTLS:
            out.append(f"sysctl {sysctl['name']}")
    if ctx.get("seccompProfile", {}).get("type") == "Unconfined":
        out.append("seccomp Unconfined")
    for c in _containers(pod):
        sc, name = c.get("securityContext", {}), c["name"]
        if sc.get("privileged"):
            out.append(f"{name}: privileged")
        if set(sc.get("capabilities", {}).get("add", [])) - BASELINE_CAPABILITIES:
            out.append(f"{name}: capabilities added beyond baseline")
        if any(p.get("hostPort") for p in c.get("ports", [])):
            out.append(f"{name}: hostPort")
        if sc.get("procMount", "Default") != "Default":
            out.append(f"{name}: procMount")
        if sc.get("seccompProfile", {}).get("type") == "Unconfined":
            out.append(f"{name}: seccomp Unconfined")
        if sc.get("windowsOptions", {}).get("hostProcess"):
            out.append(f"{name}: hostProcess")
    if level == "baseline":
        return out
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            out.append(f"volume {volume['name']}: {', '.join(sorted(kinds - RESTRICTED_VOLUMES))} not allowed")
    pod_non_root, pod_seccomp = ctx.get("runAsNonRoot"), ctx.get("seccompProfile", {}).get("type")
    if ctx.get("runAsUser") == 0:
        out.append("runAsUser 0")
    for c in _containers(pod):
        sc, name = c.get("securityContext", {}), c["name"]
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"{name}: allowPrivilegeEscalation is not false")
        if sc.get("runAsNonRoot", pod_non_root) is not True:
            out.append(f"{name}: runAsNonRoot is not true")
        if sc.get("runAsUser") == 0:
            out.append(f"{name}: runAsUser 0")
        if sc.get("seccompProfile", {}).get("type", pod_seccomp) not in ("RuntimeDefault", "Localhost"):
            out.append(f"{name}: seccompProfile is not RuntimeDefault or Localhost")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []):
            out.append(f"{name}: capabilities do not drop ALL")
        if set(caps.get("add", [])) - {"NET_BIND_SERVICE"}:
            out.append(f"{name}: capabilities added beyond NET_BIND_SERVICE")
    return out
