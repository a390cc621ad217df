"""The model catalog (config/catalog/models.yaml): what each model is, for sizing and serving.

Sizing needs the facts that decide GPU memory: parameters and bytes per parameter (the
weights), layers x KV heads x head dimension (the KV cache per token), and how many sequences
one GPU serves at an acceptable time to first token (the throughput estimate, with its source).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.types import FieldError, Spec

Dtype = Literal["bf16", "fp8", "awq", "gptq"]
# Bytes per parameter of the weights. int4 methods keep scales, zeros and some layers in 16 bit:
# about 0.55 bytes per parameter overall (a 32B AWQ checkpoint is ~19 GB).
BYTES_PER_PARAMETER: dict[str, float] = {"bf16": 2.0, "fp8": 1.0, "awq": 0.55, "gptq": 0.55}


class ModelSource(Spec):
    """Where one variant's weights come from: a Hugging Face repository at a pinned commit, or a
    path in the platform's models bucket (``gs://`` objects under ``models/``)."""

    repo: str | None = Field(None, pattern=r"^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$")
    revision: str | None = Field(None, pattern=r"^[0-9a-f]{40}$", description="A commit SHA, never a branch.")
    path: str | None = Field(None, pattern=r"^models/[A-Za-z0-9._/-]+$", description="Inside the models bucket.")
    disk_gb: float = Field(gt=0, description="The checkpoint as stored (GB): what is copied and cached.")
    format: Literal["safetensors", "pytorch"] = Field("safetensors", description="pytorch: *.bin files only.")

    @model_validator(mode="after")
    def _one_source(self) -> ModelSource:
        if (self.repo is None) == (self.path is None):
            raise FieldError("repo", self.repo, "give exactly one of repo (with revision) and path")
        if self.repo is not None and self.revision is None:
            raise FieldError("revision", None, "is required with repo: pin the commit the weights come from")
        return self

    @property
    def disk_gib(self) -> float:
        return self.disk_gb * 1e9 / 2**30

    @property
    def cache_path(self) -> str:
        """Where the weights sit in the models bucket (the loader copies Hugging Face sources there once)."""
        return self.path if self.path else f"models/{self.repo}/{self.revision}"


class Throughput(Spec):
    sequences_per_gpu: int = Field(ge=1, description="Concurrent sequences one GPU serves at the target TTFT.")
    source: str


class Model(Spec):
    display_name: str
    kind: Literal["generation", "embedding"]
    gated: bool = Field(description="The license must be accepted: loading from Hugging Face needs a token.")
    params_b: float = Field(gt=0, description="Parameters, billions.")
    layers: int = Field(ge=1)
    attention_heads: int = Field(ge=1)
    kv_heads: int = Field(ge=1)
    head_dim: int = Field(ge=1)
    max_context: int = Field(ge=256)
    embedding_dim: int | None = Field(None, ge=1, description="Embedding models: the vector size.")
    variants: dict[Dtype, ModelSource] = Field(min_length=1, description="Dtype or quantization -> weights.")
    throughput: dict[str, Throughput] = Field(min_length=1, description="Accelerator -> estimate.")
    source: str = Field(description="Where the architecture facts were read (config.json).")

    @model_validator(mode="after")
    def _coherent(self) -> Model:
        if (self.kind == "embedding") != (self.embedding_dim is not None):
            raise FieldError("embedding_dim", self.embedding_dim, "is required for embedding models, and only for them")
        if self.attention_heads % self.kv_heads:
            raise FieldError("kv_heads", self.kv_heads, f"does not divide attention_heads ({self.attention_heads})")
        return self

    def weights_gib(self, dtype: str) -> float:
        return self.params_b * 1e9 * BYTES_PER_PARAMETER[dtype] / 2**30

    def kv_gib_per_token(self) -> float:
        """K and V, every layer, every KV head, 16-bit cache. Embedding (encoder) models keep no cache."""
        if self.kind == "embedding":
            return 0.0
        return 2 * self.layers * self.kv_heads * self.head_dim * 2 / 2**30


class ModelCatalog(Spec):
    source: str
    as_of: str
    models: dict[str, Model]
