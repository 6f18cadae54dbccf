"""``python -m siaga_web.cli``: the same command as ``siaga``."""

from siaga_web.cli import app

app()
