"""HOW to build it: one ComponentResource per concern, a file each."""
