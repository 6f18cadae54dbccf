"""The SQL of taking heartbeats in on PostgreSQL (plain strings, no imports: the benchmark's
bare endpoint sends the very same statements).

A request's beats take four round trips, one beat or five hundred: ``TOKENS`` (which regency
and device each token names), one pipeline of the scope (``rls.scope_statement_list``), a
``LOCK`` per regency and ``STORE``, one ``FOLD`` per regency of the devices' kept state, and
the commit. Every statement takes whole arrays.

Why per regency, and why the tokens first (issue 18): on Citus the scope must be set with
``SET LOCAL`` (``set_config`` does not reach the workers), which takes no parameter, so the
tenants are read before it; and Citus takes ``FOR UPDATE`` only in a statement that runs on one
shard, which a statement naming one ``tenant_id`` does. A request almost always carries one
regency's devices: one ``LOCK`` and one ``FOLD``.
"""

#: The (unrevoked) tokens' regencies and devices. The token table has no row policy: a token
#: is the credential, looked up before there is a scope; an unknown or revoked one is absent.
TOKENS = (
    "SELECT token_hash, tenant_id, device_id FROM hardware_device_tokens"
    " WHERE token_hash = ANY(%(hashes)s::text[]) AND revoked_at IS NULL"
)

#: One regency's devices, locked in one global order (tenant, then id; the caller goes through
#: the regencies in order): concurrent requests never deadlock, and each device folds its beats
#: one request at a time. NO KEY UPDATE: the keys never change, and it leaves foreign-key checks
#: (which share-lock the key) unblocked.
LOCK = (
    "SELECT tenant_id, id, expected_interval_seconds, last_beat_at, last_status, good_streak,"
    " recovering, silent_after, logged_state FROM hardware_devices"
    " WHERE tenant_id = %(tenant)s AND id = ANY(%(ids)s::uuid[])"
    " ORDER BY id FOR NO KEY UPDATE"
)

#: Each beat stored once (the key is tenant, device, time): a beat sent twice returns no row,
#: and a time sent twice in one batch is stored once, with the status the fold then uses.
STORE = (
    "INSERT INTO hardware_heartbeats"
    " (tenant_id, device_id, taken_at, status, readings, received_at)"
    " SELECT b.tenant_id, b.device_id, b.taken_at, b.status, b.readings::json, %(now)s"
    " FROM unnest(%(tenants)s::uuid[], %(devices)s::uuid[], %(times)s::timestamptz[],"
    " %(statuses)s::text[], %(readings)s::text[])"
    " AS b(tenant_id, device_id, taken_at, status, readings)"
    " ON CONFLICT DO NOTHING RETURNING device_id, taken_at, status"
)

#: One regency's devices' kept state after folding their new beats (``state.apply_beat``).
FOLD = (
    "UPDATE hardware_devices AS d SET last_beat_at = f.last_beat_at,"
    " last_status = f.last_status, good_streak = f.good_streak, recovering = f.recovering,"
    " silent_after = f.silent_after"
    " FROM unnest(%(ids)s::uuid[], %(last_beat_at)s::timestamptz[],"
    " %(last_status)s::text[], %(good_streak)s::int[], %(recovering)s::bool[],"
    " %(silent_after)s::timestamptz[])"
    " AS f(id, last_beat_at, last_status, good_streak, recovering, silent_after)"
    " WHERE d.tenant_id = %(tenant)s AND d.id = f.id"
)
