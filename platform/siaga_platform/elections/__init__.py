"""Election readiness: who would be turned away at the polling station, per regency."""
