-- Built while the table is locked for writes.
CREATE INDEX orders_user_id_idx ON orders (user_id);
