-- fetchrunner event store, H2 2.x (pekko-persistence-jdbc 1.1.1 layout).
-- Idempotent: the service runs this file at every start (fetchrunner.store.create-schema).
-- Differs from the schema shipped inside pekko-persistence-jdbc only in IF NOT EXISTS on
-- the ordering index, whose absence makes the shipped file fail on the second start.

CREATE TABLE IF NOT EXISTS PUBLIC."event_journal" (
    "ordering" BIGINT UNIQUE NOT NULL AUTO_INCREMENT,
    "deleted" BOOLEAN DEFAULT false NOT NULL,
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "writer" VARCHAR NOT NULL,
    "write_timestamp" BIGINT NOT NULL,
    "adapter_manifest" VARCHAR NOT NULL,
    "event_payload" BLOB NOT NULL,
    "event_ser_id" INTEGER NOT NULL,
    "event_ser_manifest" VARCHAR NOT NULL,
    "meta_payload" BLOB,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    PRIMARY KEY("persistence_id","sequence_number")
);

CREATE UNIQUE INDEX IF NOT EXISTS "event_journal_ordering_idx" ON PUBLIC."event_journal" ("ordering");

-- The ordering's identity sequence hands out values 1,000 at a time (H2's default is 32). H2
-- records how far a sequence has reserved with a commit of its own, and with WRITE_DELAY=0
-- every commit writes to the file: with 32 that was one extra file write per 32 events, 12 %
-- of the service's CPU under load (docs/BENCHMARKS.md). A crash skips at most 1,000 values,
-- a gap the read side passes like any other; a clean stop skips none.
ALTER TABLE PUBLIC."event_journal" ALTER COLUMN "ordering" SET CACHE 1000;

CREATE TABLE IF NOT EXISTS PUBLIC."event_tag" (
    "event_id" BIGINT NOT NULL,
    "tag" VARCHAR NOT NULL,
    PRIMARY KEY("event_id", "tag"),
    CONSTRAINT fk_event_journal
      FOREIGN KEY("event_id")
      REFERENCES "event_journal"("ordering")
      ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS PUBLIC."snapshot" (
    "persistence_id" VARCHAR(255) NOT NULL,
    "sequence_number" BIGINT NOT NULL,
    "created" BIGINT NOT NULL,
    "snapshot_ser_id" INTEGER NOT NULL,
    "snapshot_ser_manifest" VARCHAR NOT NULL,
    "snapshot_payload" BLOB NOT NULL,
    "meta_ser_id" INTEGER,
    "meta_ser_manifest" VARCHAR,
    "meta_payload" BLOB,
    PRIMARY KEY("persistence_id","sequence_number")
);

-- ---- Read side (io.fetchrunner.history) ----
-- Fed from the journal's job events (known by persistence id) by the JobHistoryProjection.
-- Each batch of events and the offset it reached are written in one transaction. Rebuilt by
-- deleting the rows and setting the offset to 0 (POST /admin/read-side/rebuild). Unquoted
-- names: JOB_RUN etc.

-- One row per job: its summary figures, as GET /jobs/{id} derives them from the events.
CREATE TABLE IF NOT EXISTS job_run (
    job_id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR NOT NULL,
    state VARCHAR(16) NOT NULL,
    total INT NOT NULL,
    succeeded INT NOT NULL,
    failed INT NOT NULL,
    cancelled INT NOT NULL,
    concurrency INT NOT NULL,
    timeout_ms BIGINT NOT NULL,
    submitted_at TIMESTAMP(9) WITH TIME ZONE NOT NULL,
    finished_at TIMESTAMP(9) WITH TIME ZONE,
    -- wall_ms = closed_wall_ms + (last_result_at - run_started_at) of the current run
    wall_ms BIGINT NOT NULL,
    sum_latency_ms BIGINT NOT NULL,
    runs INT NOT NULL,
    closed_wall_ms BIGINT NOT NULL,
    run_started_at TIMESTAMP(9) WITH TIME ZONE,
    last_result_at TIMESTAMP(9) WITH TIME ZONE,
    -- URLs fetched again because they were in flight when the service stopped
    refetched INT NOT NULL DEFAULT 0,
    -- the job this one re-runs (POST /jobs/{id}/rerun); null for others and in older rows
    rerun_of VARCHAR(64),
    -- the job's thresholds as JSON (null: none), and a completed job's verdict against them:
    -- PASSED or FAILED, with its checks as the JSON array GET /jobs/{id} shows
    thresholds VARCHAR,
    verdict VARCHAR(8),
    checks VARCHAR,
    -- the schedule that submitted the job (POST /schedules); null for others and older rows
    schedule_id VARCHAR(64)
);
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS rerun_of VARCHAR(64);
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS thresholds VARCHAR;
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS verdict VARCHAR(8);
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS checks VARCHAR;
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS schedule_id VARCHAR(64);
-- URLs whose requests waited for a host backed off (429, 503, failures in a row)
ALTER TABLE job_run ADD COLUMN IF NOT EXISTS delayed INT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS job_run_schedule_idx ON job_run (schedule_id, submitted_at);

-- GET /jobs pages newest first by (submitted_at, job_id); /stats windows on submitted_at.
CREATE INDEX IF NOT EXISTS job_run_submitted_idx ON job_run (submitted_at, job_id);
CREATE INDEX IF NOT EXISTS job_run_state_submitted_idx ON job_run (state, submitted_at, job_id);

-- The URLs of every job, in index order, in chunks of 1,000 (chunk n holds URLs 1000n to
-- 1000n + 999), one per line (a URL never contains a line break).
CREATE TABLE IF NOT EXISTS job_url_chunk (
    job_id VARCHAR(64) NOT NULL,
    chunk INT NOT NULL,
    urls CLOB NOT NULL,
    PRIMARY KEY (job_id, chunk)
);

-- One row per URL result. A URL of a job without a row is pending, or cancelled when its
-- job was cancelled. (Before job_url_chunk existed every URL had a row from the start, PENDING
-- until its result came; the service rebuilds such a read side from the journal once.)
CREATE TABLE IF NOT EXISTS url_result (
    job_id VARCHAR(64) NOT NULL,
    idx INT NOT NULL,
    url VARCHAR NOT NULL,
    -- host[:port] of the URL, for the slowest-hosts figures of /stats
    host VARCHAR(300) NOT NULL,
    state VARCHAR(16) NOT NULL,
    http_status INT,
    bytes BIGINT,
    latency_ms BIGINT,
    attempts INT NOT NULL,
    error VARCHAR,
    recorded_at TIMESTAMP(9) WITH TIME ZONE,
    content_type VARCHAR,
    sha256 VARCHAR(64),
    -- JSON arrays, as in GET /jobs/{id}
    redirects VARCHAR,
    earlier_attempts VARCHAR,
    -- the result's errorKind (io.fetchrunner.fetch.ErrorKind); null in rows of older versions
    error_kind VARCHAR(32),
    PRIMARY KEY (job_id, idx)
);
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS error_kind VARCHAR(32);
-- the final response's ETag and Last-Modified (a conditional run sends them back), and
-- whether it was a 304 to a conditional request; null in rows of older versions
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS etag VARCHAR(512);
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS last_modified VARCHAR(64);
ALTER TABLE url_result ADD COLUMN IF NOT EXISTS not_modified BOOLEAN;

-- Where the read side is in the journal: the ordering of the last event it applied.
CREATE TABLE IF NOT EXISTS read_side_offset (
    projection VARCHAR(64) NOT NULL PRIMARY KEY,
    last_ordering BIGINT NOT NULL,
    updated_at TIMESTAMP(9) WITH TIME ZONE NOT NULL
);

-- Journal events the read side could not read back (they fail to deserialize) and stepped
-- over, so that one bad event cannot stop the history of every later job. Shown by
-- GET /admin/read-side; emptied by a rebuild (which meets and records them again).
CREATE TABLE IF NOT EXISTS read_side_skipped (
    ordering BIGINT NOT NULL PRIMARY KEY,
    persistence_id VARCHAR(255) NOT NULL,
    sequence_number BIGINT NOT NULL,
    error VARCHAR(2000) NOT NULL,
    skipped_at TIMESTAMP(9) WITH TIME ZONE NOT NULL
);

-- Orderings the read side has read past while they were missing from the journal: a write
-- still open then (it may yet commit: its events are applied when they appear), or one that
-- never will commit (rolled back, or values a crash lost). Each range is looked up again at
-- every poll until its rows appear or no transaction that could still write them is open
-- (JournalReader). Written with the offset, in the same transaction; emptied by a rebuild.
CREATE TABLE IF NOT EXISTS read_side_gap (
    projection VARCHAR(64) NOT NULL,
    first_ordering BIGINT NOT NULL,
    last_ordering BIGINT NOT NULL,
    -- when the read side first saw these orderings missing (the store's clock)
    seen_at TIMESTAMP(9) WITH TIME ZONE NOT NULL,
    PRIMARY KEY (projection, first_ordering)
);

-- The store's identity: one row, made when the store is first used. Nodes of one cluster
-- must share one store; a node whose store has another identity is refused when it joins.
CREATE TABLE IF NOT EXISTS store_identity (
    id INT NOT NULL PRIMARY KEY,
    store_id VARCHAR(64) NOT NULL,
    created_at TIMESTAMP(9) WITH TIME ZONE NOT NULL
);
