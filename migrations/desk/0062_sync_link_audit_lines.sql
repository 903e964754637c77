-- The most audit lines the branch takes with one push, as it said (GET /health's
-- max_audit_lines; 500 for a branch that did not say). NULL until the desk asks.
ALTER TABLE sync_link ADD COLUMN branch_audit_lines INTEGER;
