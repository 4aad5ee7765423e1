SELECT * FROM hive_tokens.verify(:token);
