-- An enrollment token may name the one node it is for (CreateEnrollmentTokenRequest.node): only
-- such a token re-enrolls an existing node; a token for no node in particular enrolls new ones.
ALTER TABLE enrollment_tokens ADD COLUMN node_name TEXT;
