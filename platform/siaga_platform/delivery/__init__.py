"""Who is told of an alert, and how: the in-app inbox, each person's channels, the delivery log.

- ``models``: ``NotifyPreference`` (a person's channels, keyed by SSO subject, not a tenant
  table), ``InboxItem`` and ``AlertDelivery`` (tenant tables of the alert's regency);
- ``recipients``: who is told at which escalation step (the tenant registry answers, passed in);
- ``service``: the fan-out of the evaluator's changes, the profile's preferences, the inbox;
- ``send``: one delivery through its channel (the ``alerts.deliver`` job's body).
"""
