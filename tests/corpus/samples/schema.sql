-- Sample schema.
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL
);

CREATE VIEW admins AS SELECT id, name FROM users WHERE name LIKE 'a%';

INSERT INTO users (id, name) VALUES (1, 'ada');
