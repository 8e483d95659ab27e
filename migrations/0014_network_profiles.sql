-- Network profiles added and edited in the dashboard or the admin API, beside NETWORKS_FILE
-- (which wins where both name a network). `profile` is a NETWORKS_FILE entry without its
-- secrets, checked by the same code; the secrets have a column of their own, so nothing that
-- shows or audits a profile can show them.
-- Every write takes a new `version` from one sequence: each instance polls
-- (count, max(version)) and reloads its profiles when that changes.
CREATE SEQUENCE network_profiles_version;

CREATE TABLE network_profiles (
  name text PRIMARY KEY,
  profile jsonb NOT NULL CHECK (jsonb_typeof(profile) = 'object' AND NOT profile ? 'secrets'),
  secrets text[] NOT NULL DEFAULT '{}',
  version bigint NOT NULL DEFAULT nextval('network_profiles_version'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);
