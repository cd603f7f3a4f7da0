-- A finalised invoice, its lines and the audit trail cannot be changed by
-- any client, not only by chorusbill's code: corrections are credit notes.

CREATE FUNCTION chorusbill_forbid() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chorusbill: % on % is forbidden: %', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE FUNCTION chorusbill_invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.kind, NEW.series, NEW.seq, NEW.number, NEW.year, NEW.establishment_id,
        NEW.issue_date, NEW.due_date, NEW.period_start, NEW.period_end,
        NEW.total_ht_cents, NEW.total_vat_cents, NEW.total_ttc_cents,
        NEW.original_invoice_id, NEW.finalised_at)
       IS DISTINCT FROM
       (OLD.kind, OLD.series, OLD.seq, OLD.number, OLD.year, OLD.establishment_id,
        OLD.issue_date, OLD.due_date, OLD.period_start, OLD.period_end,
        OLD.total_ht_cents, OLD.total_vat_cents, OLD.total_ttc_cents,
        OLD.original_invoice_id, OLD.finalised_at) THEN
        RAISE EXCEPTION 'chorusbill: invoice % is finalised and immutable', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER invoices_immutable BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION chorusbill_invoice_immutable();
CREATE TRIGGER invoices_no_delete BEFORE DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION chorusbill_forbid('a finalised invoice is corrected by a credit note');
CREATE TRIGGER invoice_lines_immutable BEFORE UPDATE OR DELETE ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION chorusbill_forbid('invoice lines are immutable');
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION chorusbill_forbid('the audit trail is append-only');
