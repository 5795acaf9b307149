-- Classification links: HS6 across HS vintages, HS6 -> BEC, HS6 -> US HTS8.
CREATE TABLE hs_concordance (
    from_vintage    VARCHAR NOT NULL,       -- HS2022, HS2017, HS2012, HS2007 …
    from_code       VARCHAR NOT NULL,       -- 6 digits, leading zeros kept
    to_vintage      VARCHAR NOT NULL,
    to_code         VARCHAR NOT NULL,
    relationship    VARCHAR NOT NULL,       -- 1:1, 1:n, n:1, n:n (as published)
    weight          DOUBLE NOT NULL,        -- share of from_code sent to to_code (sums to 1)
    weight_basis    VARCHAR NOT NULL,       -- 'equal' (1 / number of targets) unless stated
    provenance_id   INTEGER NOT NULL
);

CREATE TABLE hs_bec (
    hs_vintage      VARCHAR NOT NULL,
    hs_code         VARCHAR NOT NULL,
    bec_code        VARCHAR NOT NULL,       -- BEC Rev.4 code (e.g. 41 capital goods)
    relationship    VARCHAR,
    provenance_id   INTEGER NOT NULL
);

CREATE TABLE hs6_hts8 (
    vintage         VARCHAR NOT NULL,       -- HS vintage of the HS6 code (HS2012/HS2017/HS2022)
    hs6             VARCHAR NOT NULL,
    hts8            VARCHAR NOT NULL,
    provenance_id   INTEGER NOT NULL
);
