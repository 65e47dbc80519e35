-- Cluster: the last accepted messages of each draft order, the bases a late update is merged
-- against (sync.conflicts=merge). One node keeps them in memory; in a cluster the node that
-- merges may not be the one that accepted them, so every accepted message is written here too,
-- and a node that loads a multi-session reads the last 32 of each draft order back.
CREATE TABLE order_versions (
  dbname text NOT NULL,
  ms_id bigint NOT NULL,
  uid text NOT NULL,
  revision bigint NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (dbname, ms_id, uid, revision)
);
