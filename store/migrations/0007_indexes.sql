-- A run's progress and the reconciler read invoices by run and by state and
-- age; without these, each read scans every invoice of every year.
CREATE INDEX invoices_run_state ON invoices (run_id, state);
CREATE INDEX invoices_state_updated ON invoices (state, updated_at);
CREATE INDEX payments_invoice ON payments (invoice_id);
CREATE INDEX run_items_run_outcome ON run_items (run_id, outcome);
