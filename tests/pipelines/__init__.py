"""Pipelines: Cloud Build, the container, the deploy script, the pytest plugin, init, shards."""
