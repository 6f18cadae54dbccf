"""How personal data looks where the full value is not needed."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """``Siti Aminah`` → ``S**i A****h``: enough to recognise, not enough to identify."""
    masked = []
    for word in name.split():
        if len(word) <= 2:
            masked.append(word[0] + "*" * (len(word) - 1))
        else:
            masked.append(word[0] + "*" * (len(word) - 2) + word[-1])
    return " ".join(masked)
