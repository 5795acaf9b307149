-- Export-control and sanctions lists (BIS Entity List, MEU, 1260H, NS-CMIC, UFLPA, FCC, MOFCOM…).
-- One row per list ENTRY (an entity listed under two countries has two entries).
CREATE TABLE entity_list (
    list                VARCHAR NOT NULL,   -- e.g. 'BIS Entity List', 'BIS MEU', 'DoW 1260H'
    list_id             VARCHAR NOT NULL,   -- stable id, e.g. bis-entity-list
    entry               INTEGER NOT NULL,   -- 1-based position in the source file
    name                VARCHAR NOT NULL,
    aliases             VARCHAR[],
    country             VARCHAR,            -- as printed (list heading / target country)
    country_iso3        VARCHAR,            -- NULL when the heading is not a country
    address             VARCHAR,
    citations           VARCHAR[],          -- Federal Register (or notice) citations, in order
    citation_dates      DATE[],             -- date of each citation (NULL when none printed)
    date_added          DATE,               -- see date_basis
    date_basis          VARCHAR,            -- 'earliest citation', 'effective date', 'listed on'
    first_citation      VARCHAR,            -- the citation carrying date_added
    license_requirement VARCHAR,
    license_policy      VARCHAR,
    notes               VARCHAR,
    snapshot            DATE,               -- date the list was extracted / published
    provenance_id       INTEGER NOT NULL
);

-- One row per entry: when it was (first) added and under which rule. Survivor basis: entries
-- removed before the snapshot are absent, so counts by year of addition are lower bounds.
CREATE VIEW entity_list_events AS
SELECT list, name, country, country_iso3, date_added, first_citation AS rule_citation,
       date_basis, snapshot, provenance_id
FROM entity_list;

-- One row per (entry, dated citation): additions and later revisions alike.
CREATE VIEW entity_list_citations AS
SELECT e.list, e.name, e.country, e.country_iso3, c.citation, c.citation_date,
       c.citation_date = e.date_added AS is_addition, e.provenance_id
FROM entity_list e,
     LATERAL (SELECT unnest(e.citations) AS citation,
                     unnest(e.citation_dates) AS citation_date) c;
