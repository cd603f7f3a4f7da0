-- The parties of an invoice as finalised: see
-- 0014_invoice_parties.postgres.sql. NULL for invoices finalised before.
ALTER TABLE invoices ADD COLUMN parties_json TEXT;

-- The snapshot is as immutable as the figures: the trigger of
-- 0002_immutable.sqlite.sql, with parties_json.
DROP TRIGGER invoices_immutable;
CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices
WHEN NEW.kind IS NOT OLD.kind OR NEW.series IS NOT OLD.series OR NEW.seq IS NOT OLD.seq
  OR NEW.number IS NOT OLD.number OR NEW.year IS NOT OLD.year
  OR NEW.establishment_id IS NOT OLD.establishment_id
  OR NEW.issue_date IS NOT OLD.issue_date OR NEW.due_date IS NOT OLD.due_date
  OR NEW.period_start IS NOT OLD.period_start OR NEW.period_end IS NOT OLD.period_end
  OR NEW.total_ht_cents IS NOT OLD.total_ht_cents OR NEW.total_vat_cents IS NOT OLD.total_vat_cents
  OR NEW.total_ttc_cents IS NOT OLD.total_ttc_cents
  OR NEW.original_invoice_id IS NOT OLD.original_invoice_id
  OR NEW.finalised_at IS NOT OLD.finalised_at
  OR NEW.parties_json IS NOT OLD.parties_json
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: invoice is finalised and immutable');
END;
