"""kgx.jobs."""
