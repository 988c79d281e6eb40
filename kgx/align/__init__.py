"""kgx.align."""
