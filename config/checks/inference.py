"""Checks of the stack's inference endpoints: the shared ones size here, and gated weights can be fetched."""

from __future__ import annotations

from config.checks.common import env_file, fail, tenant_file, unknown_accelerator
from config.data import HF_TOKEN_SECRET
from config.data import MODEL_LOADER as LOADER
from config.spec import PlatformSpec
from plan import Plan
from plan.endpoints import SizingError


def _path(field: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in field.split("."))


def shared_endpoints(spec: PlatformSpec) -> None:
    """Shared endpoints have names of their own, GPU types the catalog knows and a size in this stack."""
    file = env_file(spec)
    services = spec.env.tenancy.shared_endpoints
    for i, endpoint in enumerate(spec.env.inference.endpoints):
        if endpoint.name in services:
            raise fail(file, ("inference", "endpoints", i, "name"), endpoint.name,
                       "is already a name in tenancy.shared_endpoints: choose another")
        for j, accelerator in enumerate(endpoint.accelerators or []):
            unknown = unknown_accelerator(spec, accelerator)
            if unknown:
                raise fail(file, ("inference", "endpoints", i, "accelerators", j), accelerator, unknown)
        try:
            Plan.of(spec).shared_sizing(endpoint)
        except SizingError as error:
            raise fail(file, ("inference", "endpoints", i, *_path(error.field)), error.value, error.message) from None


def gated_weights(spec: PlatformSpec) -> None:
    """A gated Hugging Face model needs the token secret, readable by the model loader."""
    from config.tenancy import InferenceWorkload

    reader = f"{spec.env.inference.namespace}/{LOADER}"
    token = next((s for s in spec.env.data.secrets.external if s.name == HF_TOKEN_SECRET), None)
    declared = [(env_file(spec), ("inference", "endpoints", i, "model"), e)
                for i, e in enumerate(spec.env.inference.endpoints)]
    declared += [(tenant_file(t.name), ("workloads", i, "model"), w)
                 for t in spec.tenants for i, w in enumerate(t.workloads) if isinstance(w, InferenceWorkload)]
    for file, path, endpoint in declared:
        model = spec.catalog.models.models[endpoint.model]
        if model.gated and model.variants[endpoint.dtype].repo and (token is None or reader not in token.readers):
            raise fail(file, path, endpoint.model,
                       f"({endpoint.dtype}) is gated on Hugging Face: declare data.secrets.external "
                       f"'{HF_TOKEN_SECRET}' with readers [{reader}] in {env_file(spec)}, then "
                       "`pulumi config set --secret ai-platform:hfToken hf_...`")
