-- The parties of an invoice as finalised: the seller's and the buyer's
-- identities, addresses, bank account and the convention's reference, one
-- JSON text written by the finalising INSERT (store.Parties). Plain TEXT,
-- not JSONB: the bytes read back are the bytes written, so a document
-- rendered from them years later is the one rendered at finalisation.
-- Invoices finalised before this step have none (NULL): their documents are
-- rendered from the live establishment and issuer, as before.
ALTER TABLE invoices ADD COLUMN parties_json TEXT;

-- The snapshot is as immutable as the figures: the trigger of
-- 0002_immutable.postgres.sql, with parties_json.
CREATE OR REPLACE FUNCTION chorusbill_invoice_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.kind, NEW.series, NEW.seq, NEW.number, NEW.year, NEW.establishment_id,
        NEW.issue_date, NEW.due_date, NEW.period_start, NEW.period_end,
        NEW.total_ht_cents, NEW.total_vat_cents, NEW.total_ttc_cents,
        NEW.original_invoice_id, NEW.finalised_at, NEW.parties_json)
       IS DISTINCT FROM
       (OLD.kind, OLD.series, OLD.seq, OLD.number, OLD.year, OLD.establishment_id,
        OLD.issue_date, OLD.due_date, OLD.period_start, OLD.period_end,
        OLD.total_ht_cents, OLD.total_vat_cents, OLD.total_ttc_cents,
        OLD.original_invoice_id, OLD.finalised_at, OLD.parties_json) THEN
        RAISE EXCEPTION 'chorusbill: invoice % is finalised and immutable', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;
