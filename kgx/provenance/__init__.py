"""kgx.provenance."""
