"""kgx.enrich."""
