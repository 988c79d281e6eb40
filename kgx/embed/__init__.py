"""kgx.embed."""
