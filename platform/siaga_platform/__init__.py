"""Siaga's core: configuration, database and tenancy walls, identity, audit and the domains."""
