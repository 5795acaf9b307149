-- Dated product-level tariff measures: MFN schedules, US Section 301/232 actions, China's
-- retaliation, Global Trade Alert-coded actions. One row = one measure on one product code
-- from one imposer toward one target over one period.
--
-- In force on day d  <=>  status = 'in_force' AND start_date <= d AND (end_date IS NULL OR d <= end_date)
-- (end_date is the LAST day in force, inclusive; NULL = still in force / open).
-- Applied tariff on d = the latest MFN row in force (kind 'mfn') + the sum of every 'additional'
-- row in force, unless an 'exclusion' row of the same program is in force for that product.
CREATE TABLE tariff_measures (
    dataset          VARCHAR NOT NULL,      -- file family: usitc_tariff_database, usitc_hts,
                                            -- usitc_china_tariffs, ustr_301_lists, gta, bjz_2019 …
    imposer          VARCHAR NOT NULL,      -- ISO3 of the country levying the tariff
    target           VARCHAR NOT NULL,      -- ISO3 of the partner, or 'ALL' (MFN, erga omnes)
    product_code     VARCHAR NOT NULL,      -- string, leading zeros kept, no dots
    vintage          VARCHAR NOT NULL,      -- HTS2017, HTS2018, HS2017, CN2018 …
    product_level    TINYINT NOT NULL,      -- digits: 6, 8 or 10
    measure          VARCHAR NOT NULL,      -- MFN, 301_list1 … 301_list4b, 232_steel, 232_aluminum,
                                            -- retaliation_232, retaliation_301_34b …, gta_<program>
    kind             VARCHAR NOT NULL CHECK (kind IN ('mfn', 'additional', 'exclusion')),
    program          VARCHAR,               -- section_301, section_232, retaliation, mfn, ieepa …
    rate_pct         DOUBLE,                -- ad valorem percent (additional pp for 'additional');
                                            -- ad valorem part only when specific_rate is true
    specific_rate    BOOLEAN NOT NULL DEFAULT false,   -- a non-ad-valorem (specific/compound) part exists
    rate_text        VARCHAR,               -- the rate as published ("4.4¢/kg", "+25%")
    start_date       DATE,                  -- first day in force (NULL only for never-applied rows)
    end_date         DATE,                  -- last day in force; NULL = open
    status           VARCHAR NOT NULL DEFAULT 'in_force'
                     CHECK (status IN ('in_force', 'suspended')),
    legal_reference  VARCHAR,               -- chapter-99 heading, FR notice, State Council/MOF notice
    provenance_id    INTEGER NOT NULL
);

-- One row per dated action: who, on whom, what, from when, how many products, mean rate.
CREATE VIEW tariff_events AS
SELECT imposer,
       target,
       measure,
       program,
       dataset,
       start_date,
       end_date,
       status,
       any_value(legal_reference)              AS legal_reference,
       count(DISTINCT product_code)            AS products,
       min(product_level)                      AS product_level,
       avg(rate_pct)                           AS mean_rate_pct,
       min(rate_pct)                           AS min_rate_pct,
       max(rate_pct)                           AS max_rate_pct,
       list(DISTINCT provenance_id)            AS provenance_ids
FROM tariff_measures
WHERE kind <> 'mfn'
GROUP BY ALL
ORDER BY start_date NULLS LAST, imposer, target, measure;

-- MFN schedules only (one row per product and period).
CREATE VIEW tariff_mfn AS
SELECT imposer, product_code, vintage, product_level, rate_pct, specific_rate, rate_text,
       start_date, end_date, dataset, legal_reference, provenance_id
FROM tariff_measures
WHERE kind = 'mfn';
