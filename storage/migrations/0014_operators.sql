-- Instance operators: users allowed the `/api/v1/admin/*` routes (jobs,
-- and the operator tier of issue 18). Granted only from the command line
-- (`corkboard admin grant EMAIL`), never through the public API.
ALTER TABLE users ADD COLUMN operator boolean NOT NULL DEFAULT false;
