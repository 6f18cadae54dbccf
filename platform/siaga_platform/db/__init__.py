"""Database plumbing: the declarative base, engines and the request unit of work."""
