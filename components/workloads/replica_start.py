"""The small Python scripts a vLLM replica runs around its start, rendered per endpoint (docs/cold-start.md).

They run with the serving image's own interpreter (no extra image, nothing to install), as the pod's non-root user
under Pod Security `restricted`, and use the standard library only:

- ``wait_for_weights``: an init container waits for the loader's completion marker in the model's folder;
- ``restore_compile_cache``: an init container copies the endpoint's saved compile cache (torch.compile, Inductor,
  Triton, FlashInfer) into the replica's cache emptyDir, if a replica saved one for this vLLM version, GPU, TP and
  model revision; a failure only means this replica compiles;
- ``save_compile_cache``: a container waits until vLLM answers ``/health`` (compilation and CUDA graphs done) and,
  if no cache is saved for the key yet, copies the replica's caches to a folder of its own, then names that folder
  in the key's marker (one object write: a reader sees a whole cache or none);
- ``warm_up``: the startup probe's command, a one-token request (an embedding for embedding models), so a replica
  reports ready only after it answered once.
"""

from __future__ import annotations

import json

from plan.endpoints import EndpointPlan

READY_MARKER = ".ai-platform-complete"  # the model loader writes it after the last weight file
# The marker holds the revision, then "<bytes> <path>" for every file the loader copied: a copy of the folder filled
# object by object (the DR region's bucket twin, where the small marker can land before the large shards) is
# complete when every listed file is there at its size. A marker without the list (an operator's upload, an older
# loader's) is taken as it is.
COMPLETE = f"""def complete(root, revision=None):
    try:
        lines = open(os.path.join(root, {READY_MARKER!r})).read().split("\\n")
    except OSError:
        return False
    if revision is not None and lines[0].strip() != revision:
        return False
    for line in filter(None, (entry.strip() for entry in lines[1:])):
        size, name = line.split(" ", 1)
        try:
            if os.path.getsize(os.path.join(root, name)) != int(size):
                return False
        except OSError:
            return False
    return True
"""
CACHE_MARKER = ".complete"  # names the folder of a key's saved compile cache
CACHE_ROOT = "/cache"  # the replica's cache emptyDir (HOME-independent cache variables point below it)
SAVED_ROOT = "/compile-cache"  # the endpoint's compile cache folder of the models bucket (GCS FUSE)
# What is cached under CACHE_ROOT, as the container's environment places it: vLLM's torch.compile artifacts
# (VLLM_CACHE_ROOT), Inductor's and Triton's kernels, FlashInfer's JIT modules.
CACHE_PARTS = ("vllm/torch_compile_cache", "inductor", "triton", "flashinfer")
WAIT_FOR_WEIGHTS_HOURS = 7  # the loader's deadline (6 h) and an hour: then the pod fails, visibly
WARM_UP_TIMEOUT_SECONDS = 60  # the first request after start compiles nothing, but allocates and samples once


def wait_for_weights(plan: EndpointPlan, where: str, *, copied: bool = False) -> str:
    """Wait for the loader's marker under /models, at most WAIT_FOR_WEIGHTS_HOURS, then fail naming ``where``.
    ``copied``: the folder is a replicated copy, so wait for every file the marker lists as well."""
    ready = "not complete('/models')" if copied else f"not os.path.exists('/models/{READY_MARKER}')"
    return (f"import os, sys, time\n{COMPLETE if copied else ''}deadline = time.time() + {WAIT_FOR_WEIGHTS_HOURS * 3600}\n"
            f"while {ready}:\n"
            f"    if time.time() > deadline:\n"
            f"        sys.exit('{plan.model_path} has no weights after {WAIT_FOR_WEIGHTS_HOURS} h: see {where}')\n"
            "    print('waiting for weights', flush=True); time.sleep(15)")


def restore_compile_cache(plan: EndpointPlan) -> str:
    return f"""import os, shutil
key = os.path.join({SAVED_ROOT!r}, {plan.cache_key!r})
marker = os.path.join(key, {CACHE_MARKER!r})
try:
    if not os.path.exists(marker):
        print('no compile cache saved yet for', key, '- this replica compiles and saves it', flush=True)
    else:
        saved = os.path.join(key, open(marker).read().strip())
        for part in {CACHE_PARTS!r}:
            if os.path.isdir(os.path.join(saved, part)):
                shutil.copytree(os.path.join(saved, part), os.path.join({CACHE_ROOT!r}, part), dirs_exist_ok=True)
        print('restored the compile cache from', saved, flush=True)
except OSError as error:
    print('compile cache not restored, this replica compiles:', error, flush=True)
"""


def save_compile_cache(plan: EndpointPlan, port: int) -> str:
    return f"""import os, shutil, time, urllib.request
key = os.path.join({SAVED_ROOT!r}, {plan.cache_key!r})
marker = os.path.join(key, {CACHE_MARKER!r})
while True:
    try:
        if urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=5).status == 200:
            break
    except OSError:
        pass
    time.sleep(15)
try:
    if os.path.exists(marker):
        print('a compile cache is saved for', key, flush=True)
    else:
        own = os.environ['POD_NAME']
        for part in {CACHE_PARTS!r}:
            if os.path.isdir(os.path.join({CACHE_ROOT!r}, part)):
                shutil.copytree(os.path.join({CACHE_ROOT!r}, part), os.path.join(key, own, part), dirs_exist_ok=True)
        with open(marker, 'w') as out:
            out.write(own + '\\n')
        print('saved the compile cache to', os.path.join(key, own), flush=True)
except OSError as error:
    print('compile cache not saved:', error, flush=True)
while True:
    time.sleep(3600)
"""


def warm_up(plan: EndpointPlan, port: int) -> str:
    """One request the way clients send them: a token of completion, or one embedding."""
    if plan.kind == "embedding":
        path, body = "/v1/embeddings", {"model": plan.served_model_name, "input": "warm-up"}
    else:
        path, body = "/v1/completions", {"model": plan.served_model_name, "prompt": "warm-up", "max_tokens": 1}
    return (f"import urllib.request\n"
            f"request = urllib.request.Request('http://127.0.0.1:{port}{path}', data={json.dumps(body).encode()!r}, "
            "headers={'Content-Type': 'application/json'})\n"
            f"urllib.request.urlopen(request, timeout={WARM_UP_TIMEOUT_SECONDS}).read()")
