-- Boards can be archived (read-only until restored).
ALTER TABLE boards ADD COLUMN archived boolean NOT NULL DEFAULT false;
