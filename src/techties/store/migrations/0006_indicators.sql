-- Science, innovation and development indicators in one long table (WDI, NCSES, OpenAlex).
CREATE TABLE indicators (
    source          VARCHAR NOT NULL,       -- wdi, ncses, openalex
    indicator       VARCHAR NOT NULL,       -- e.g. TX.VAL.TECH.CD, ncses:SPBS-35:coauthored
    name            VARCHAR NOT NULL,
    unit            VARCHAR NOT NULL,       -- e.g. 'current US$', 'articles (whole count)'
    country         VARCHAR,                -- ISO3 (or WB aggregate code: WLD, EAS…); NULL if none
    country_label   VARCHAR NOT NULL,       -- label as printed in the source
    partner         VARCHAR,                -- ISO3 of the partner for pair indicators, else NULL
    partner_label   VARCHAR,
    year            SMALLINT NOT NULL,
    value           DOUBLE,                 -- NULL when suppressed / not available (see flag)
    flag            VARCHAR,                -- source flag: na, D (suppressed), i (imputed)…
    provenance_id   INTEGER NOT NULL
);
