-- Core tables: provenance, trade flows, gravity datasets.
CREATE SEQUENCE provenance_id_seq START 1;

CREATE TABLE provenance (
    id               INTEGER PRIMARY KEY DEFAULT nextval('provenance_id_seq'),
    source           VARCHAR NOT NULL,      -- techties source name (census, comtrade, baci, gravity…)
    version          VARCHAR,               -- vintage / release / dataset name
    location         VARCHAR NOT NULL,      -- original path or URL
    sha256           VARCHAR NOT NULL,      -- of the input bytes
    bytes            BIGINT NOT NULL,
    target_table     VARCHAR NOT NULL,
    rows_written     BIGINT NOT NULL,
    ingested_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    techties_version VARCHAR NOT NULL,
    replaces         INTEGER,               -- id of the ingest this one superseded (--replace)
    details          VARCHAR                -- JSON: options, warnings with counts
);

CREATE TABLE trade_flows (
    source          VARCHAR NOT NULL,
    reporter        VARCHAR NOT NULL,       -- ISO3 (or group code such as EUN, WLD)
    partner         VARCHAR NOT NULL,       -- ISO3; WLD = world total
    flow            VARCHAR NOT NULL CHECK (flow IN ('import', 'export', 're-import', 're-export')),
    year            SMALLINT NOT NULL,
    month           TINYINT CHECK (month BETWEEN 1 AND 12),   -- NULL = annual
    classification  VARCHAR NOT NULL,       -- HS, HTS, NAICS, TOTAL
    vintage         VARCHAR,                -- HS2012, HS2017, HS2022, HTS2024, NAICS2017…
    product_code    VARCHAR NOT NULL,       -- string, leading zeros kept; TOTAL for all goods
    product_level   TINYINT NOT NULL,       -- digits (2/4/6/8/10; 3 for NAICS3); 0 = total
    value_usd       DOUBLE,
    quantity        DOUBLE,
    quantity_unit   VARCHAR,
    duties_usd      DOUBLE,                 -- calculated duties (Census); NULL when not reported
    value_basis     VARCHAR NOT NULL,       -- customs_consumption, customs_general, CIF, FOB
    provenance_id   INTEGER NOT NULL
);

CREATE TABLE gravity (
    dataset         VARCHAR NOT NULL,       -- e.g. agtpa_ch1_app1, gegravity_sample
    exporter        VARCHAR NOT NULL,
    importer        VARCHAR NOT NULL,
    year            SMALLINT NOT NULL,
    trade           DOUBLE,
    trade_unit      VARCHAR NOT NULL,       -- e.g. 'USD million'
    covariates      MAP(VARCHAR, DOUBLE),   -- dataset-specific regressors (DIST, RTA, pta…)
    provenance_id   INTEGER NOT NULL
);
