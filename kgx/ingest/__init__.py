"""kgx.ingest."""
