-- The capacity report counts an account's numbers by block, country, location and status. With
-- the columns in this order the counts are read in index order, not sorted on every request.
CREATE INDEX phone_numbers_tally ON phone_numbers (account_id, block_id, country, location, status);
