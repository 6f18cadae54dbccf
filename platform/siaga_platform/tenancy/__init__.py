"""Tenant isolation: the ORM wall (every database) and PostgreSQL row-level security."""
