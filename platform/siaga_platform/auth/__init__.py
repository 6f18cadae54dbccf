"""Who is acting (the principal) and what each role may do (one permission table)."""
