CREATE TRIGGER invoice_statement_rows_immutable BEFORE UPDATE OR DELETE ON invoice_statement_rows
    FOR EACH ROW EXECUTE FUNCTION chorusbill_forbid('an invoice statement is immutable');
