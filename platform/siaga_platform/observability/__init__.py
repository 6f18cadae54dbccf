"""Request ids, logging and error reports (Sentry) with personal data scrubbed."""
