-- Finalise looks for an establishment's invoice of a year and kind with a
-- prepared statement; its generic plan cannot use the partial unique index
-- (its predicate names kinds and a state the plan does not know), and fell
-- back to the (year, kind) index: a scan of the whole year per invoice, which
-- made a 100,000-establishment run grow quadratically.
CREATE INDEX invoices_establishment_year_kind ON invoices (establishment_id, year, kind);
