package io.possync.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.possync.sync.MultiSessionKey;
import io.possync.testing.PostgresServer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A shared store commits decisions only as a chain from the revision it holds: each decision's
 * base must be what the one before it left. Revisions are random tokens, so an outcome decided on
 * a copy whose earlier decision was never committed names a base the store never had, and is
 * refused however many decisions other nodes committed meanwhile (with counters, a node's second
 * decision on a stale copy could land on the other node's number and be taken for current).
 */
class RevisionChainTest {
  private static final MultiSessionKey SHOP = new MultiSessionKey("shop", 1);
  private PostgresStore store;

  @BeforeEach
  void open() {
    PostgresServer pg = PostgresServer.shared();
    store = PostgresStore.open(pg.createDatabase("chain"), pg.user(), pg.password(), 2, "test");
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void decisionsCommitOnlyAsAChainFromTheStoredRevision() {
    commit(new RevisionStep(SHOP, 0, 11));
    assertThat(store.revisionOf(SHOP)).isEqualTo(11);
    commit(new RevisionStep(SHOP, 11, 22), new RevisionStep(SHOP, 22, 33));
    assertThat(store.revisionOf(SHOP)).isEqualTo(33);

    // Decided on a state another node moved past.
    assertThatThrownBy(() -> commit(new RevisionStep(SHOP, 22, 44)))
        .isInstanceOf(StaleRevisionException.class);
    // Decided on top of a decision that was never committed (its copy failed): its base is a
    // token the store never had, even though the first step of the batch is current.
    assertThatThrownBy(() -> commit(new RevisionStep(SHOP, 33, 55),
        new RevisionStep(SHOP, 66, 77))).isInstanceOf(StaleRevisionException.class);
    assertThat(store.revisionOf(SHOP)).as("nothing of a refused batch is written").isEqualTo(33);

    // A new multi-session starts from 0; a second node's first decision on it is stale.
    MultiSessionKey other = new MultiSessionKey("shop", 2);
    store.commitNumbered(List.of(new RevisionStep(other, 0, 5)), List.of(), List.of(), 1);
    assertThatThrownBy(() -> store.commitNumbered(List.of(new RevisionStep(other, 0, 6)),
        List.of(), List.of(), 1)).isInstanceOf(StaleRevisionException.class);
  }

  private void commit(RevisionStep... steps) {
    store.commitNumbered(List.of(steps), List.of(), List.of(), 1);
  }
}
