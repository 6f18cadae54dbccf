"""Siaga's web front: the HTMX UI, the composition root and the `siaga` command line."""
