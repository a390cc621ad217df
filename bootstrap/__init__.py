"""The bootstrap project: a second Pulumi program, run once per organisation before the platform's first `pulumi up`."""
