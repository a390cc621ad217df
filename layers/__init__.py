"""How the stack is assembled: one function per layer, each taking the spec, the plan and the previous
layers' results, building that layer's components and returning a small typed result.

    project()            the project's APIs, its number, the nodes' identity
    regional_platform()  network, keys, image caches, cluster and pools, storage, secrets, database
                         (called once per region: the DR region is the same code with another region)
    tenancy()            the guardrails, then a Tenant per tenant file
    workloads()          KEDA, the shared inference namespace, model weights, every endpoint, GenBI
    entry()              the gateway and each exposing tenant's routes

``__main__.py`` calls them in that order. Components never see the spec; layers build their args.
"""
