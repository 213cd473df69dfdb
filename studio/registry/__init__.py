"""The model registry: versions of tracked runs' models, aliases, approval and lineage."""
