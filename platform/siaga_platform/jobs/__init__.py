"""Background work: periodic tasks and jobs, run by `siaga worker` on a PostgreSQL-backed queue
(procrastinate), or inside the web process on the SQLite development default.

- ``tasks``: what runs (each periodic task once per cluster, whatever the number of workers);
- ``queue``: the queue for a database (PostgreSQL tables, or in memory for SQLite) and running
  a worker over it.
"""
