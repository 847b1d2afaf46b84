"""Every command-line entry point: run (the gate), plan, init, kinds and merge."""
