-- An establishment's own payment term, in days from the invoice date; NULL:
-- the deliberation's. The bounds are the law's (CCP R2192-10 and R2192-11:
-- 30 days for public buyers, 50 for public health establishments, 60 at
-- most); that a term other than 30 needs the procurement regime is checked
-- on import (invoice.CheckPaymentTerm).
ALTER TABLE establishments ADD COLUMN payment_term_days INTEGER CHECK (payment_term_days BETWEEN 1 AND 60);
