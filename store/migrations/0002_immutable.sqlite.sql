-- A finalised invoice, its lines and the audit trail cannot be changed by
-- any client, not only by chorusbill's code: corrections are credit notes.

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
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: invoice is finalised and immutable');
END;

CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: DELETE on invoices is forbidden: a finalised invoice is corrected by a credit note');
END;

CREATE TRIGGER invoice_lines_no_update BEFORE UPDATE ON invoice_lines
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: UPDATE on invoice_lines is forbidden: invoice lines are immutable');
END;

CREATE TRIGGER invoice_lines_no_delete BEFORE DELETE ON invoice_lines
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: DELETE on invoice_lines is forbidden: invoice lines are immutable');
END;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: UPDATE on audit_events is forbidden: the audit trail is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: DELETE on audit_events is forbidden: the audit trail is append-only');
END;
