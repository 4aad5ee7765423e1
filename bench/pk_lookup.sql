SELECT first_characters FROM hive_tokens.access_tokens WHERE id = :id;
