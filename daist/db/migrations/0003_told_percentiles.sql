-- Version 3: a percentile is stored only where the samples tell it (p90 from 10, p95 from 20,
-- p99 from 100, p99.9 from 1,000; daist.models.percentiles): NULL otherwise, as in every
-- report. The columns of version 2 required a value.

ALTER TABLE daist_endpoints ALTER COLUMN p90_ms DROP NOT NULL;
ALTER TABLE daist_endpoints ALTER COLUMN p95_ms DROP NOT NULL;
ALTER TABLE daist_endpoints ALTER COLUMN p99_ms DROP NOT NULL;
ALTER TABLE daist_endpoints ALTER COLUMN p999_ms DROP NOT NULL;
ALTER TABLE daist_load_steps ALTER COLUMN p95_ms DROP NOT NULL;
ALTER TABLE daist_load_steps ALTER COLUMN p99_ms DROP NOT NULL;
