"""What the platform's domains read from the tenant registry, one module per domain.

The registry (``siaga_tenants.registry``) knows tenants, their settings and their local day,
and nothing of the domains; these modules turn its rows into the domains' own inputs (a
letter policy, the rollup's regencies, a regency's office hours). An import-linter contract
(``registry-knows-no-domain``, pyproject.toml) keeps it that way.
"""
