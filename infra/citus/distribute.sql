-- Distribute a migrated Siaga database on a Citus cluster (issue 18). Run as a superuser on the
-- coordinator, in the Siaga database, after `alembic upgrade head` (data already there is moved).
--   psql -v ON_ERROR_STOP=1 -d siaga -f infra/citus/distribute.sql
-- The tenant registry and the regions (provinces, regencies, kecamatan) become reference tables (a copy on every node); every
-- table with a tenant_id column is distributed by tenant_id, all colocated, so one tenant's rows
-- of every table live on the same worker and joins on tenant_id stay on one node. Other tables
-- stay on the coordinator. Idempotent.
\set ON_ERROR_STOP on
-- The policies in the form Citus sends to the shards. Migrations 0026 and 0028 write them only
-- where the citus extension already exists; a database that got the extension after them still
-- has 0011's sub-select form (`tenant_id IN (SELECT unnest(...))`), which Citus does not
-- propagate (every insert refused on the shards). Rewritten here, before distribution, with the
-- same SQL as 0026 (writes) and 0028 (reads: a national read, `app.read_all_tenants`, is not
-- checked row by row against its 514 ids) - keep them in step; siaga_scope() is (re)created
-- and distributed to the workers.
CREATE OR REPLACE FUNCTION siaga_scope(setting text) RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(
    string_to_array(nullif(current_setting(setting, true), ''), ',')::uuid[], '{}'::uuid[]) $$;
SELECT create_distributed_function('siaga_scope(text)');
DO $$
DECLARE
  t text;
  scope text := 'tenant_id = ANY(siaga_scope(''app.%s_tenant_ids''))';
  read_scope text := 'current_setting(''app.read_all_tenants'', true) = ''on'' OR '
                     || format(scope, 'read');
BEGIN
  FOR t IN
    SELECT DISTINCT tablename FROM pg_policies
    WHERE schemaname = 'public' AND policyname = tablename || '_read'
      AND qual NOT LIKE '%read_all_tenants%'
    ORDER BY 1
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_read', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_insert', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_update', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON %I', t || '_delete', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (%s)', t || '_read', t,
                   read_scope);
    EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (%s)', t || '_insert', t,
                   format(scope, 'write'));
    EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (%s) WITH CHECK (%s)',
                   t || '_update', t, format(scope, 'write'), format(scope, 'write'));
    EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (%s)', t || '_delete', t,
                   format(scope, 'write'));
    RAISE NOTICE 'policies rewritten for Citus: %', t;
  END LOOP;
END $$;
DO $$
DECLARE
  t text;
  first text := NULL;
  fk text;
  definition text;
BEGIN
  -- Foreign keys between tenant tables: Citus accepts them only between colocated distributed
  -- tables, and a table cannot be distributed while a local table still references it. So they
  -- are set aside, every tenant table is distributed, and they are put back (and validated).
  CREATE TEMP TABLE siaga_fks ON COMMIT DROP AS
    SELECT f.conrelid::regclass::text AS child, f.conname AS name,
           pg_get_constraintdef(f.oid) AS definition
    FROM pg_constraint f
    WHERE f.contype = 'f' AND f.conrelid <> f.confrelid
      AND f.confrelid NOT IN (SELECT to_regclass(r) FROM unnest(ARRAY['provinces', 'regencies',
                              'kecamatan', 'tenants']) r WHERE to_regclass(r) IS NOT NULL)
      AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = f.confrelid
                  AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = f.conrelid
                  AND a.attname = 'tenant_id' AND NOT a.attisdropped)
      AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = f.conrelid AND c.relispartition)
      AND f.conparentid = 0;
  FOR t, fk IN SELECT child, name FROM siaga_fks LOOP
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, fk);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['provinces', 'regencies', 'kecamatan', 'tenants'] LOOP
    IF to_regclass(t) IS NOT NULL
       AND NOT EXISTS (
         SELECT FROM pg_dist_partition WHERE logicalrelid = to_regclass(t) AND repmodel = 't') THEN
      PERFORM create_reference_table(t);
    END IF;
  END LOOP;
  FOR t IN
    SELECT c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'tenants'
      AND NOT EXISTS (
        SELECT FROM pg_dist_partition WHERE logicalrelid = c.oid AND partmethod = 'h')
      -- A unique key without tenant_id (hardware_device_tokens.token_hash: the intake finds the
      -- tenant from the token) cannot be enforced across shards: such a table stays on the
      -- coordinator (reported below).
      AND NOT EXISTS (
        SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique
          AND NOT (a.attnum = ANY (i.indkey::int2[])))
    ORDER BY c.relname
  LOOP
    -- Tables linked to a reference table by a foreign key were made Citus local tables when it
    -- became one (partmethod 'n'); create_distributed_table takes them from there.
    IF first IS NULL THEN
      PERFORM create_distributed_table(t, 'tenant_id');
      first := t;
    ELSE
      PERFORM create_distributed_table(t, 'tenant_id', colocate_with => first);
    END IF;
  END LOOP;
  FOR t, fk, definition IN SELECT child, name, siaga_fks.definition FROM siaga_fks LOOP
    IF EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = t::regclass AND partmethod = 'h')
    THEN
      BEGIN
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', t, fk, definition);
      EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'foreign key % on % not restored: %', fk, t, SQLERRM;
      END;
    ELSE
      RAISE WARNING 'foreign key % on % not restored (the table is not distributed)', fk, t;
    END IF;
  END LOOP;
  -- What is left could not be distributed: say so.
  FOR t IN
    SELECT c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'tenants'
      AND NOT EXISTS (
        SELECT FROM pg_dist_partition WHERE logicalrelid = c.oid AND partmethod = 'h')
  LOOP
    RAISE WARNING 'not distributed, stays on the coordinator: % (a unique key without tenant_id)', t;
  END LOOP;
END $$;
