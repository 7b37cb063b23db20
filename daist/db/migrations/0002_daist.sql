-- Version 2: what the historical tables cannot hold. Every daist table hangs off daist_runs,
-- one row per daist run (results directory), identified by the manifest's start time, host
-- label and settings digest: uploading a directory again, or after the per-test upload of the
-- live run, finds the same row. Deleting a daist_runs row removes its daist rows (CASCADE);
-- the historical rows stay, as k6 rows do.

CREATE TABLE daist_runs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host_label text NOT NULL,
    start_time timestamptz NOT NULL,
    settings_digest text NOT NULL,
    end_time timestamptz,
    system text NOT NULL,
    master_url text NOT NULL DEFAULT '',
    daist_version text NOT NULL DEFAULT '',
    determined_client text NOT NULL DEFAULT '',
    determined_server text NOT NULL DEFAULT '',
    locust_version text NOT NULL DEFAULT '',
    python_version text NOT NULL DEFAULT '',
    git_commit text NOT NULL DEFAULT '',
    git_branch text NOT NULL DEFAULT '',
    command text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'running',
    interrupted boolean NOT NULL DEFAULT false,
    metadata jsonb NOT NULL DEFAULT '{}',
    uploaded_at timestamptz NOT NULL DEFAULT NOW(),
    UNIQUE (host_label, start_time, settings_digest)
);
CREATE INDEX daist_runs_start_time_idx ON daist_runs (start_time);
CREATE INDEX daist_runs_system_idx ON daist_runs (system);

-- One row per unittest test id of a run that had something to upload.
CREATE TABLE daist_tests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id bigint NOT NULL REFERENCES daist_runs (id) ON DELETE CASCADE,
    test_id text NOT NULL,
    status text NOT NULL,
    duration_s double precision,
    message text NOT NULL DEFAULT '',
    UNIQUE (run_id, test_id)
);

-- One row per LocustStatsList artifact: the load shape, its measured window and the load
-- generators. perf_test_run_id is the historical row written with it (none when no endpoint
-- saw a request).
CREATE TABLE daist_loads (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    test_ref bigint NOT NULL REFERENCES daist_tests (id) ON DELETE CASCADE,
    artifact text NOT NULL,
    perf_test_run_id integer REFERENCES perf_test_runs (id),
    shape text NOT NULL,
    users integer NOT NULL,
    rate double precision NOT NULL,
    spawn_rate double precision NOT NULL,
    steps integer[] NOT NULL,
    target text NOT NULL,
    user_class text NOT NULL,
    workers integer NOT NULL,
    window_start timestamptz,
    window_end timestamptz,
    window_s double precision NOT NULL,
    warmup_s double precision NOT NULL,
    run_time_s double precision NOT NULL,
    interrupted boolean NOT NULL,
    late_sends bigint NOT NULL,
    saturated boolean NOT NULL,
    generator jsonb NOT NULL,
    UNIQUE (test_ref, artifact)
);
CREATE INDEX daist_loads_perf_test_run_id_idx ON daist_loads (perf_test_run_id);

-- One row per endpoint (test_name, method) of a load: exact HDR figures in ms over the window,
-- and the encoded histogram itself so percentiles can be recomputed or merged later.
-- perf_test_id is the endpoint's historical row (none for an endpoint without requests).
CREATE TABLE daist_endpoints (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    load_id bigint NOT NULL REFERENCES daist_loads (id) ON DELETE CASCADE,
    perf_test_id integer REFERENCES perf_tests (id),
    test_name text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    endpoint_class text NOT NULL,
    num_requests bigint NOT NULL,
    num_failures bigint NOT NULL,
    rps double precision NOT NULL,
    hdr_count bigint NOT NULL,
    min_ms double precision NOT NULL,
    mean_ms double precision NOT NULL,
    p50_ms double precision NOT NULL,
    p90_ms double precision NOT NULL,
    p95_ms double precision NOT NULL,
    p99_ms double precision NOT NULL,
    p999_ms double precision NOT NULL,
    max_ms double precision NOT NULL,
    failures jsonb NOT NULL,
    hdr_encoded text NOT NULL,
    UNIQUE (load_id, test_name, method)
);
CREATE INDEX daist_endpoints_test_name_idx ON daist_endpoints (test_name);
CREATE INDEX daist_endpoints_perf_test_id_idx ON daist_endpoints (perf_test_id);

-- The points of a user sweep (shape 'steps'), in the order they ran.
CREATE TABLE daist_load_steps (
    load_id bigint NOT NULL REFERENCES daist_loads (id) ON DELETE CASCADE,
    position integer NOT NULL,
    users integer NOT NULL,
    rps double precision NOT NULL,
    p95_ms double precision NOT NULL,
    p99_ms double precision NOT NULL,
    fail_ratio double precision NOT NULL,
    num_requests bigint NOT NULL,
    knee boolean NOT NULL,
    PRIMARY KEY (load_id, position)
);

-- One row per metric-latency artifact (MetricLatencyOpHist: levels are concurrencies;
-- MetricPayloadOpHist: levels are metrics per report), with the parameters held constant.
CREATE TABLE daist_metric_sets (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    test_ref bigint NOT NULL REFERENCES daist_tests (id) ON DELETE CASCADE,
    artifact text NOT NULL,
    kind text NOT NULL,
    axis text NOT NULL,
    unit text NOT NULL,
    parameters jsonb NOT NULL,
    UNIQUE (test_ref, artifact)
);

-- One row per (operation, level): numpy's statistics of the samples (NULL when there are
-- none) and the samples themselves. concurrency and metric_count are both filled, from the
-- level or from the set's parameters.
CREATE TABLE daist_metric_latency (
    set_id bigint NOT NULL REFERENCES daist_metric_sets (id) ON DELETE CASCADE,
    operation text NOT NULL,
    level integer NOT NULL,
    concurrency integer,
    metric_count integer,
    count integer NOT NULL,
    min double precision,
    max double precision,
    mean double precision,
    std double precision,
    p50 double precision,
    p90 double precision,
    p95 double precision,
    p99 double precision,
    p99_9 double precision,
    samples double precision[] NOT NULL,
    PRIMARY KEY (set_id, operation, level)
);
CREATE INDEX daist_metric_latency_operation_idx ON daist_metric_latency (operation, concurrency);

-- Every historical endpoint row (k6, the original daist and daist) with what daist adds when
-- it wrote the row: the trend `python -m daist.db history` prints.
CREATE VIEW daist_endpoint_history AS
SELECT t.id AS perf_test_id, r.id AS perf_test_run_id, r.time, r.commit, r.branch,
       t.test_name, t.avg, t.min, t.med, t.max, t.p90, t.p95, t.passes, t.fails,
       e.method, e.p99_ms AS p99, e.p999_ms AS p999, e.rps, d.system, d.host_label,
       d.start_time AS run_start_time
FROM perf_tests t
JOIN perf_test_runs r ON r.id = t.run_id
LEFT JOIN daist_endpoints e ON e.perf_test_id = t.id
LEFT JOIN daist_loads l ON l.id = e.load_id
LEFT JOIN daist_tests dt ON dt.id = l.test_ref
LEFT JOIN daist_runs d ON d.id = dt.run_id;
