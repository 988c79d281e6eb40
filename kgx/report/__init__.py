"""HTML reports with plots."""
