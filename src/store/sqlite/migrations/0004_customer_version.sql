-- 0004_customer_version: an optimistic version on customer rows.
-- Twin: src/store/postgres/migrations/0004_customer_version.sql (same column).
-- A customer's row and contact payload are derived from all its interactions and surveys, read before the commit.
-- Two processes (`tajo serve`'s inbox processor and `tajo connectors sync`) deriving one customer at once would each
-- miss the other's interaction, and the later commit would win. Every write of the row bumps `version`; a commit
-- whose row was derived from an older version is refused as a whole, and the engine re-derives that customer.
-- Rows written before this migration start at 0.

ALTER TABLE customers ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
