-- Model inputs (GE baselines, input-output tables, tariff cubes) as named arrays, and the
-- derived artefacts (fitted coefficients, solved baselines) cached inside the store.
--
-- model_inputs: one row per element of an n-dimensional array, flattened in C order (pos);
-- numeric arrays fill value, label arrays (country and sector lists) fill text. Every row
-- keeps the provenance id of the file it came from, like any canonical table.
CREATE TABLE model_inputs (
    dataset         VARCHAR NOT NULL,       -- cp2015, eora2017, icio2017, wiod2014, ...
    item            VARCHAR NOT NULL,       -- array name within the dataset (xbilat1993, pi …)
    shape           INTEGER[] NOT NULL,     -- dimensions of the array
    pos             BIGINT NOT NULL,        -- position in C order (0-based)
    value           DOUBLE,                 -- numeric element (NULL for label arrays)
    text            VARCHAR,                -- label element (NULL for numeric arrays)
    unit            VARCHAR,                -- unit of value as the source states it
    provenance_id   INTEGER NOT NULL
);

-- derived: a result computed from store rows, kept until its inputs or code change.
-- key = hash of (name, inputs' provenance ids, code version); payload = Parquet bytes.
CREATE TABLE derived (
    name            VARCHAR NOT NULL,       -- e.g. incidence-specs, ge-verdict-draws
    key             VARCHAR NOT NULL,
    inputs          INTEGER[] NOT NULL,     -- provenance ids of every input row
    code_version    VARCHAR NOT NULL,       -- hash of the computing modules' source
    created_at      TIMESTAMPTZ DEFAULT now(),
    rows            BIGINT NOT NULL,
    payload         BLOB NOT NULL,
    PRIMARY KEY (name, key)
);
