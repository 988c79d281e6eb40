"""kgx.graph."""
