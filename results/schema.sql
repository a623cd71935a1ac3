-- evalbench results database.
--
-- One file holds any number of evaluation runs.  Reading guide:
--   runs        one row per `evalbench run` (model, engine, parameters)
--   datasets    every dataset file a run read, with its sha256
--   items       the benchmark questions/problems, keyed by suite + id + dataset hash
--   responses   what the engine answered, keyed by a hash of the exact request
--               (so an identical request is never sent twice: the response cache),
--               with the run that sent it (and paid for it)
--   scores      one row per (run, item, repetition): the extracted answer and the verdict
--   test_results per-test verdicts of code execution (HumanEval, HumanEval+, LiveCodeBench)
--   engine_state key/value state an engine needs to resume (e.g. provider batch ids)
--
-- Example: accuracy per run and suite
--   SELECT r.run_id, r.model, i.suite, AVG(s.correct)
--   FROM scores s JOIN runs r USING(run_id) JOIN items i USING(item_pk)
--   GROUP BY r.run_id, i.suite;

PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS runs (
    run_id         INTEGER PRIMARY KEY,
    config_hash    TEXT NOT NULL,          -- sha256 of the canonical run configuration
    model          TEXT NOT NULL,
    engine         TEXT NOT NULL,
    engine_version TEXT,
    quantization   TEXT,
    suites         TEXT NOT NULL,          -- comma-separated suite names
    n_runs         INTEGER NOT NULL,       -- repetitions per item (default 3)
    temperature    REAL NOT NULL,
    params_json    TEXT NOT NULL,          -- every parameter of the run, as JSON
    host           TEXT,
    started_at     TEXT NOT NULL,          -- UTC ISO-8601
    finished_at    TEXT,                   -- NULL while running or interrupted
    status         TEXT NOT NULL DEFAULT 'running'  -- running | finished | failed
);
CREATE INDEX IF NOT EXISTS runs_config ON runs(config_hash);

CREATE TABLE IF NOT EXISTS datasets (
    dataset_id INTEGER PRIMARY KEY,
    suite      TEXT NOT NULL,
    path       TEXT NOT NULL,             -- relative to the data directory
    sha256     TEXT NOT NULL,
    n_items    INTEGER NOT NULL,
    UNIQUE (suite, path, sha256)
);

CREATE TABLE IF NOT EXISTS run_datasets (
    run_id     INTEGER NOT NULL REFERENCES runs(run_id),
    dataset_id INTEGER NOT NULL REFERENCES datasets(dataset_id),
    PRIMARY KEY (run_id, dataset_id)
);

-- A suite fingerprint is the sha256 over all of a suite's dataset files for a
-- run; reports never average across different fingerprints.
CREATE TABLE IF NOT EXISTS run_suites (
    run_id      INTEGER NOT NULL REFERENCES runs(run_id),
    suite       TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    n_items     INTEGER NOT NULL,
    options     TEXT,                      -- e.g. "mode=generate", "set=math500"
    PRIMARY KEY (run_id, suite)
);

CREATE TABLE IF NOT EXISTS items (
    item_pk        INTEGER PRIMARY KEY,
    suite          TEXT NOT NULL,
    item_id        TEXT NOT NULL,
    dataset_sha256 TEXT NOT NULL,
    subject        TEXT,                   -- MMLU subject / MATH subject / LCB platform
    category       TEXT,                   -- MMLU category group / MATH level / LCB difficulty
    gold           TEXT,                   -- gold answer where there is one
    UNIQUE (suite, item_id, dataset_sha256)
);

CREATE TABLE IF NOT EXISTS responses (
    response_id     INTEGER PRIMARY KEY,
    request_hash    TEXT NOT NULL UNIQUE,  -- sha256 of engine, model, prompt, parameters, repetition
    engine          TEXT NOT NULL,
    model           TEXT NOT NULL,
    system_prompt   TEXT,
    prompt          TEXT NOT NULL,         -- the exact rendered prompt
    params_json     TEXT NOT NULL,
    raw_text        TEXT,                  -- the full response, reasoning included
    logprobs_json   TEXT,                  -- log-likelihood requests: one value per continuation
    finish_reason   TEXT,
    tokens_in       INTEGER,
    tokens_out      INTEGER,
    tokens_cached   INTEGER,
    latency_ms      REAL,
    cost_usd        REAL,
    model_version   TEXT,
    provider_request_id TEXT,
    system_fingerprint  TEXT,
    created_at      TEXT NOT NULL,
    run_id          INTEGER REFERENCES runs(run_id)  -- the run that sent the request and paid for it
);

CREATE TABLE IF NOT EXISTS scores (
    run_id       INTEGER NOT NULL REFERENCES runs(run_id),
    item_pk      INTEGER NOT NULL REFERENCES items(item_pk),
    run_index    INTEGER NOT NULL,         -- repetition 0..n_runs-1
    response_id  INTEGER NOT NULL REFERENCES responses(response_id),
    extracted    TEXT,                     -- answer/code as extracted from the response
    normalized   TEXT,                     -- after normalization (MATH, MMLU)
    correct      INTEGER NOT NULL,         -- 1/0: the official score
    correct_plus INTEGER,                  -- HumanEval+ (plus tests) when applicable
    verdict      TEXT NOT NULL,            -- correct, wrong, no_answer, passed, failed, timeout, ...
    details_json TEXT,
    scored_at    TEXT NOT NULL,
    PRIMARY KEY (run_id, item_pk, run_index)
);
CREATE INDEX IF NOT EXISTS scores_item ON scores(item_pk, run_id);

CREATE TABLE IF NOT EXISTS test_results (
    run_id      INTEGER NOT NULL,
    item_pk     INTEGER NOT NULL,
    run_index   INTEGER NOT NULL,
    test_set    TEXT NOT NULL,             -- base | plus | public | private
    test_index  INTEGER NOT NULL,
    verdict     TEXT NOT NULL,             -- passed, failed, runtime_error, timeout, memory_limit, ...
    cpu_ms      REAL,
    wall_ms     REAL,
    peak_kb     INTEGER,
    detail      TEXT,
    PRIMARY KEY (run_id, item_pk, run_index, test_set, test_index),
    FOREIGN KEY (run_id, item_pk, run_index) REFERENCES scores(run_id, item_pk, run_index)
);

CREATE TABLE IF NOT EXISTS engine_state (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    key    TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);

CREATE VIEW IF NOT EXISTS v_scores AS
SELECT s.run_id, r.model, r.engine, r.quantization, i.suite, i.item_id, i.subject, i.category,
       s.run_index, s.correct, s.correct_plus, s.verdict, s.extracted, i.gold,
       p.tokens_in, p.tokens_out, p.cost_usd, p.latency_ms
FROM scores s
JOIN runs r USING (run_id)
JOIN items i USING (item_pk)
JOIN responses p USING (response_id);
