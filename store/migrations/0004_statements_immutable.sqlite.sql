CREATE TRIGGER invoice_statement_rows_no_update BEFORE UPDATE ON invoice_statement_rows
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: UPDATE on invoice_statement_rows is forbidden: an invoice statement is immutable');
END;

CREATE TRIGGER invoice_statement_rows_no_delete BEFORE DELETE ON invoice_statement_rows
BEGIN
    SELECT RAISE(ABORT, 'chorusbill: DELETE on invoice_statement_rows is forbidden: an invoice statement is immutable');
END;
