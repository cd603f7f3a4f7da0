-- Who is depositing an invoice on Chorus Pro now. A delivery claims its
-- invoice before the call and lets go after recording the answer; another
-- delivery of the same invoice (its task rebuilt after Redis lost the queue
-- while the first still ran) finds the claim and does not deposit it too.
-- A claim outlives a worker killed mid-call only until it expires. One file
-- serves both engines.
CREATE TABLE deposit_claims (
    invoice_id  BIGINT PRIMARY KEY REFERENCES invoices (id),
    owner       TEXT NOT NULL,
    until       {{TIMESTAMP}} NOT NULL
);
