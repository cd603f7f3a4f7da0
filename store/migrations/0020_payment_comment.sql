-- What the person who entered a payment by hand said of it (a cheque
-- received by post, a transfer seen on the statement): shown with the
-- payment and in the audit trail. Imported and Chorus Pro payments have none.
ALTER TABLE payments ADD COLUMN comment TEXT NOT NULL DEFAULT '';
