SELECT hive_tokens.verify_reason(:token);
