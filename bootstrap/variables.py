"""The GitHub repository variables the workflows read (.github/workflows/pulumi.yml), from the bootstrap's outputs.

Variables, not secrets: none of these is sensitive (an identity provider's name and an account's email grant
nothing without a token from this repository's workflows). docs/deploying.md sets them with `gh variable set`.
"""

from __future__ import annotations

import json

import pulumi

# Variable -> what it holds. tests/test_ci.py checks every `vars.X` the workflows read is one of these.
VARIABLES = {
    "PULUMI_BACKEND_URL": "gs://<state bucket>: where `pulumi login` finds the stacks",
    "GCP_WORKLOAD_IDENTITY_PROVIDER": "the GitHub provider's full name in the CI project's pool",
    "GCP_DEPLOYERS": "JSON: stack -> the deployer's email (pulumi up, in the stack's GitHub environment)",
    "GCP_READERS": "JSON: stack -> the reader's email (previews and the drift check)",
}


def github_variables(backend_url: pulumi.Input[str], provider: pulumi.Input[str],
                     deployers: dict[str, pulumi.Output[str]], readers: dict[str, pulumi.Output[str]]
                     ) -> pulumi.Output[dict[str, str]]:
    def as_json(values: dict[str, str]) -> str:
        return json.dumps(dict(sorted(values.items())), separators=(",", ":"))

    return pulumi.Output.all(backend_url, provider, pulumi.Output.all(**deployers),
                             pulumi.Output.all(**readers)).apply(lambda v: {
                                 "PULUMI_BACKEND_URL": v[0], "GCP_WORKLOAD_IDENTITY_PROVIDER": v[1],
                                 "GCP_DEPLOYERS": as_json(v[2]), "GCP_READERS": as_json(v[3])})
