-- Bulk sources as Parquet parts (see techties.store.parts): the native rows move to
-- trade_flows_rows and trade_flows becomes a view over those rows plus one Parquet file per
-- bulk ingest, registered in store_parts. The view is rebuilt whenever parts change.
ALTER TABLE trade_flows RENAME TO trade_flows_rows;

CREATE TABLE store_parts (
    provenance_id   INTEGER PRIMARY KEY,    -- the ingest that wrote the part
    table_name      VARCHAR NOT NULL,       -- logical table (trade_flows)
    file            VARCHAR NOT NULL,       -- path relative to <store>.parts/
    rows            BIGINT NOT NULL,
    columns         VARCHAR NOT NULL,       -- JSON: part column -> canonical SQL type
    constants       VARCHAR NOT NULL        -- JSON: canonical column -> SQL literal for every row
);

CREATE TABLE store_meta (
    key             VARCHAR PRIMARY KEY,
    value           VARCHAR
);

CREATE VIEW trade_flows AS SELECT * FROM trade_flows_rows;
