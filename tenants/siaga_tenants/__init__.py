"""The tenant registry: regions (Kemendagri codes), tenants, memberships, demo data."""
