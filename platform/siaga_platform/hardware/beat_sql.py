"""The SQL of taking heartbeats in on PostgreSQL (plain strings, no imports: the benchmark's
bare endpoint sends the very same statements).

A request's beats take four round trips, one beat or five hundred: ``TOKENS`` (which regency
and device each token names), one pipeline of the scope (``rls.scope_statement_list``),
``LOCK`` and ``STORE``, ``FOLD`` of the devices' kept state, and the commit. Every statement
takes whole arrays.

Why the tokens first, and why ``LOCK`` and ``FOLD`` name their regencies (issue 18): on Citus
the scope must be set with ``SET LOCAL`` (``set_config`` does not reach the workers), which
takes no parameter, so the regencies are read before it; and Citus takes ``FOR UPDATE`` only in
a statement that runs on one shard. So on Citus (``TOKENS`` says whether it is there) ``LOCK``
and ``FOLD`` are sent once per regency, in one pipeline; on plain PostgreSQL once for all (a
batch spanning 50 regencies would otherwise cost 100 statements). A request almost always
carries one regency's devices: then both are the same.
"""

#: The (unrevoked) tokens' regencies and devices, and whether this is a Citus node. The token
#: table has no row policy: a token is the credential, looked up before there is a scope; an
#: unknown or revoked one is absent.
TOKENS = (
    "SELECT token_hash, tenant_id, device_id,"
    " current_setting('citus.version', true) IS NOT NULL AS on_citus"
    " FROM hardware_device_tokens"
    " WHERE token_hash = ANY(%(hashes)s::text[]) AND revoked_at IS NULL"
)

#: The devices of the regencies ``tenants``, locked in one global order (tenant, id; the
#: caller takes the regencies in that order): concurrent requests never deadlock, and each
#: device folds its beats one request at a time. NO KEY UPDATE: the keys never change, and it
#: leaves foreign-key checks (which share-lock the key) unblocked.
LOCK = (
    "SELECT tenant_id, id, expected_interval_seconds, last_beat_at, last_status, good_streak,"
    " recovering, silent_after, logged_state FROM hardware_devices"
    " WHERE tenant_id = ANY(%(tenants)s::uuid[]) AND id = ANY(%(ids)s::uuid[])"
    " ORDER BY tenant_id, id FOR NO KEY UPDATE"
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

#: The devices' kept state after folding their new beats (``state.apply_beat``), for the
#: regencies ``tenants``.
FOLD = (
    "UPDATE hardware_devices AS d SET last_beat_at = f.last_beat_at,"
    " last_status = f.last_status, good_streak = f.good_streak, recovering = f.recovering,"
    " silent_after = f.silent_after"
    " FROM unnest(%(device_tenants)s::uuid[], %(ids)s::uuid[], %(last_beat_at)s::timestamptz[],"
    " %(last_status)s::text[], %(good_streak)s::int[], %(recovering)s::bool[],"
    " %(silent_after)s::timestamptz[])"
    " AS f(tenant_id, id, last_beat_at, last_status, good_streak, recovering, silent_after)"
    " WHERE d.tenant_id = ANY(%(tenants)s::uuid[]) AND d.tenant_id = f.tenant_id"
    " AND d.id = f.id"
)
