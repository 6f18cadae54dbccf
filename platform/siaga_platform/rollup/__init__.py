"""The province rollup and the national view: every regency side by side, read from the
summaries each domain maintains with its events (never a scan of the raw tables)."""
