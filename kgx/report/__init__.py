"""HTML reports with plots: `kgx report` (:mod:`kgx.report.html`)."""
