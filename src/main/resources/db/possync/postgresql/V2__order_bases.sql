-- Cluster: the merge bases of each draft order (docs/conflicts.md), the earlier revisions a late
-- update is merged against. One node keeps them in memory (OrderRecord's history); in a cluster
-- the node that takes a late update is often not the one that took the revisions it is based
-- on, and it reloads the order from here, so the bases must be here too.
--
-- Kept by a trigger, so every write of an order keeps its previous revision whatever node writes
-- it: the bases of the last 32 revisions (OrderUpdates.KEPT_REVISIONS), none once the order is
-- removed or paid (nothing merges into it), gone with the order when it is purged.
CREATE TABLE order_bases (
  dbname text NOT NULL,
  ms_id bigint NOT NULL,
  uid text NOT NULL,
  revision bigint NOT NULL,
  message text NOT NULL,
  PRIMARY KEY (dbname, ms_id, uid, revision),
  FOREIGN KEY (dbname, ms_id, uid) REFERENCES orders ON DELETE CASCADE
);

CREATE FUNCTION keep_order_base() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> 'draft' THEN
    DELETE FROM order_bases
      WHERE dbname = OLD.dbname AND ms_id = OLD.ms_id AND uid = OLD.uid;
  ELSIF OLD.state = 'draft' AND NEW.revision > OLD.revision THEN
    INSERT INTO order_bases VALUES (OLD.dbname, OLD.ms_id, OLD.uid, OLD.revision, OLD.message)
      ON CONFLICT DO NOTHING;
    DELETE FROM order_bases
      WHERE dbname = OLD.dbname AND ms_id = OLD.ms_id AND uid = OLD.uid
        AND revision < NEW.revision - 32;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER orders_keep_base BEFORE UPDATE ON orders
  FOR EACH ROW EXECUTE FUNCTION keep_order_base();
