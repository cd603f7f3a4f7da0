-- invoices_year (year, kind) tempted the planner into the batch's "already
-- finalised?" lookup (year, kind and a list of establishments): with the
-- statistics of a table that had just started to fill, it estimated one row
-- and scanned the whole year per batch — 986 such lookups took 227 s of a
-- 100,000-establishment run (PostgreSQL's slow-statement log). Lookups by
-- establishment use invoices_establishment_year_kind; listings of a whole
-- year read most of the table, where a sequential scan is the right plan.
DROP INDEX IF EXISTS invoices_year;
