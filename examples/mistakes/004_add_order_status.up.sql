-- 003 was lost in a merge: this leaves a gap.
ALTER TABLE orders ADD COLUMN status text;
