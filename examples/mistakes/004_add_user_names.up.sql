-- Another branch picked the same number.
ALTER TABLE users ADD COLUMN full_name text;
