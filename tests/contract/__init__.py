"""One contract suite, run against every connector (Ibis-backends style)."""
