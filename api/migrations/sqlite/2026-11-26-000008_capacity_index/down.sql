DROP INDEX phone_numbers_tally;
