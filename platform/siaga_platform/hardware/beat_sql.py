"""The SQL of taking heartbeats in on PostgreSQL (plain strings, no imports: the benchmark's
bare endpoint sends the very same statements).

A request's beats take three round trips: one pipeline of ``SCOPE``, ``LOCK`` and ``STORE``
(the token names the tenant, so the scope is read from the tokens themselves and set before
the device rows are touched), one ``FOLD`` of the devices' kept state, and the commit.
Every statement takes whole arrays: one beat or a batch of 500 costs the same round trips.
"""

#: The transaction may read and write the tenants of the (unrevoked) tokens, nothing else;
#: an unknown or revoked token adds no tenant, and ``''`` means no tenant at all.
SCOPE = (
    "SELECT set_config('app.read_tenant_ids', s.ids, true),"
    " set_config('app.write_tenant_ids', s.ids, true)"
    " FROM (SELECT coalesce(string_agg(DISTINCT tenant_id::text, ','), '') AS ids"
    " FROM hardware_device_tokens"
    " WHERE token_hash = ANY(%(hashes)s::text[]) AND revoked_at IS NULL) AS s"
)

#: The devices of the tokens, locked in one global order (tenant, id): concurrent requests
#: never deadlock, and each device folds its beats one request at a time. NO KEY UPDATE: the
#: keys never change, and it leaves foreign-key checks (which share-lock the key) unblocked.
LOCK = (
    "SELECT t.token_hash, d.tenant_id, d.id, d.expected_interval_seconds, d.last_beat_at,"
    " d.last_status, d.good_streak, d.recovering, d.silent_after, d.logged_state"
    " FROM hardware_device_tokens AS t"
    " JOIN hardware_devices AS d ON d.tenant_id = t.tenant_id AND d.id = t.device_id"
    " WHERE t.token_hash = ANY(%(hashes)s::text[]) AND t.revoked_at IS NULL"
    " ORDER BY d.tenant_id, d.id FOR NO KEY UPDATE OF d"
)

#: Each beat stored once (the key is tenant, device, time): a beat sent twice returns no row,
#: and a time sent twice in one batch is stored once, with the status the fold then uses.
STORE = (
    "INSERT INTO hardware_heartbeats"
    " (tenant_id, device_id, taken_at, status, readings, received_at)"
    " SELECT t.tenant_id, t.device_id, b.taken_at, b.status, b.readings::json, %(now)s"
    " FROM unnest(%(beat_hashes)s::text[], %(times)s::timestamptz[], %(statuses)s::text[],"
    " %(readings)s::text[]) AS b(token_hash, taken_at, status, readings)"
    " JOIN hardware_device_tokens AS t"
    " ON t.token_hash = b.token_hash AND t.revoked_at IS NULL"
    " ON CONFLICT DO NOTHING RETURNING device_id, taken_at, status"
)

#: The devices' kept state after folding their new beats (computed by ``state.apply_beat``).
FOLD = (
    "UPDATE hardware_devices AS d SET last_beat_at = f.last_beat_at,"
    " last_status = f.last_status, good_streak = f.good_streak, recovering = f.recovering,"
    " silent_after = f.silent_after"
    " FROM unnest(%(tenants)s::uuid[], %(ids)s::uuid[], %(last_beat_at)s::timestamptz[],"
    " %(last_status)s::text[], %(good_streak)s::int[], %(recovering)s::bool[],"
    " %(silent_after)s::timestamptz[])"
    " AS f(tenant_id, id, last_beat_at, last_status, good_streak, recovering, silent_after)"
    " WHERE d.tenant_id = f.tenant_id AND d.id = f.id"
)
