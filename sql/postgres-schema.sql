-- fetchrunner event store, PostgreSQL (pekko-persistence-jdbc 1.1.1 layout).
-- Idempotent. At start-up the service (store/PostgresSchema) creates the schema named by
-- fetchrunner.store.schema when missing and runs, inside it, the statements below whose
-- table, index or column is missing. Names are unqualified: the connection's currentSchema
-- (the setting) decides where they go; a schema-qualified name here is refused. To apply
-- it by hand: PGOPTIONS="-c search_path=<schema>" psql -v ON_ERROR_STOP=1 -f sql/postgres-schema.sql
-- Kept in step with h2-schema.sql (same tables, columns and indexes; each column added to an
-- existing table there is added here with ALTER TABLE ... ADD COLUMN IF NOT EXISTS). Not
-- here: H2's identity cache (SET CACHE 1000); a PostgreSQL sequence caches per session, so
-- a cache would hand concurrent writers far-apart orderings, each gap waited out by the read
-- side.

CREATE TABLE IF NOT EXISTS event_journal(
  ordering BIGSERIAL,
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  deleted BOOLEAN DEFAULT FALSE NOT NULL,
  writer VARCHAR(255) NOT NULL,
  write_timestamp BIGINT,
  adapter_manifest VARCHAR(255),
  event_ser_id INTEGER NOT NULL,
  event_ser_manifest VARCHAR(255) NOT NULL,
  event_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number)
);

CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal(ordering);

CREATE TABLE IF NOT EXISTS event_tag(
  event_id BIGINT,
  tag VARCHAR(256),
  PRIMARY KEY(event_id, tag),
  CONSTRAINT fk_event_journal
    FOREIGN KEY(event_id)
    REFERENCES event_journal(ordering)
    ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS snapshot (
  persistence_id VARCHAR(255) NOT NULL,
  sequence_number BIGINT NOT NULL,
  created BIGINT NOT NULL,
  snapshot_ser_id INTEGER NOT NULL,
  snapshot_ser_manifest VARCHAR(255) NOT NULL,
  snapshot_payload BYTEA NOT NULL,
  meta_ser_id INTEGER,
  meta_ser_manifest VARCHAR(255),
  meta_payload BYTEA,
  PRIMARY KEY(persistence_id, sequence_number)
);

-- ---- Read side (io.fetchrunner.history), same layout as in h2-schema.sql ----
-- timestamptz keeps microseconds (H2 keeps nanoseconds): jobs read their clock to the
-- microsecond (job/JobClock), so the read side holds their instants exactly on both.

CREATE TABLE IF NOT EXISTS job_run (
  job_id VARCHAR(64) NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  state VARCHAR(16) NOT NULL,
  total INTEGER NOT NULL,
  succeeded INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  cancelled INTEGER NOT NULL,
  concurrency INTEGER NOT NULL,
  timeout_ms BIGINT NOT NULL,
  submitted_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  wall_ms BIGINT NOT NULL,
  sum_latency_ms BIGINT NOT NULL,
  runs INTEGER NOT NULL,
  closed_wall_ms BIGINT NOT NULL,
  run_started_at TIMESTAMPTZ,
  last_result_at TIMESTAMPTZ,
  -- URLs fetched again because they were in flight when the service stopped
  refetched INT NOT NULL DEFAULT 0,
  -- the job this one re-runs (POST /jobs/{id}/rerun); null for others and in older rows
  rerun_of VARCHAR(64),
  -- the job's thresholds as JSON (null: none), and a completed job's verdict against them:
  -- PASSED or FAILED, with its checks as the JSON array GET /jobs/{id} shows
  thresholds TEXT,
  verdict VARCHAR(8),
  checks TEXT,
  -- the schedule that submitted the job (POST /schedules); null for others and older rows
  schedule_id VARCHAR(64)
);
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS rerun_of VARCHAR(64);
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS thresholds TEXT;
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS verdict VARCHAR(8);
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS checks TEXT;
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS schedule_id VARCHAR(64);
-- URLs whose requests waited for a host backed off (429, 503, failures in a row)
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS delayed INT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS job_run_schedule_idx ON job_run (schedule_id, submitted_at);

CREATE INDEX IF NOT EXISTS job_run_submitted_idx ON job_run (submitted_at, job_id);
CREATE INDEX IF NOT EXISTS job_run_state_submitted_idx ON job_run (state, submitted_at, job_id);

CREATE TABLE IF NOT EXISTS job_url_chunk (
  job_id VARCHAR(64) NOT NULL,
  chunk INTEGER NOT NULL,
  urls TEXT NOT NULL,
  PRIMARY KEY (job_id, chunk)
);

CREATE TABLE IF NOT EXISTS url_result (
  job_id VARCHAR(64) NOT NULL,
  idx INTEGER NOT NULL,
  url TEXT NOT NULL,
  host VARCHAR(300) NOT NULL,
  state VARCHAR(16) NOT NULL,
  http_status INTEGER,
  bytes BIGINT,
  latency_ms BIGINT,
  attempts INTEGER NOT NULL,
  error TEXT,
  recorded_at TIMESTAMPTZ,
  content_type VARCHAR,
  sha256 VARCHAR(64),
  -- JSON arrays, as in GET /jobs/{id}
  redirects VARCHAR,
  earlier_attempts VARCHAR,
  error_kind VARCHAR(32),
  PRIMARY KEY (job_id, idx)
);
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS error_kind VARCHAR(32);
-- the final response's ETag and Last-Modified (a conditional run sends them back), and
-- whether it was a 304 to a conditional request; null in rows of older versions
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS etag VARCHAR(512);
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS last_modified VARCHAR(64);
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS not_modified BOOLEAN;

CREATE TABLE IF NOT EXISTS read_side_offset (
  projection VARCHAR(64) NOT NULL PRIMARY KEY,
  last_ordering BIGINT NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL
);

-- Journal events the read side could not read back (they fail to deserialize) and stepped
-- over, so that one bad event cannot stop the history of every later job. Shown by
-- GET /admin/read-side; emptied by a rebuild (which meets and records them again).
CREATE TABLE IF NOT EXISTS read_side_skipped (
    ordering BIGINT NOT NULL PRIMARY KEY,
    persistence_id VARCHAR(255) NOT NULL,
    sequence_number BIGINT NOT NULL,
    error VARCHAR(2000) NOT NULL,
    skipped_at TIMESTAMPTZ NOT NULL
);

-- Orderings the read side has read past while they were missing from the journal (see
-- sql/h2-schema.sql): looked up again until their rows appear or no transaction that could
-- still write them is open.
CREATE TABLE IF NOT EXISTS read_side_gap (
    projection VARCHAR(64) NOT NULL,
    first_ordering BIGINT NOT NULL,
    last_ordering BIGINT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (projection, first_ordering)
);

-- The store's identity (see sql/h2-schema.sql): nodes of one cluster share one store.
CREATE TABLE IF NOT EXISTS store_identity (
    id INT NOT NULL PRIMARY KEY,
    store_id VARCHAR(64) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
