package io.possync.store;

import static io.possync.testing.Pos.syncAll;
import static io.possync.testing.Pos.update;
import static io.possync.testing.Pos.updateOrder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.possync.sync.MultiSessionKey;
import io.possync.testing.RpcClient;
import io.possync.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backup taken while the server runs restores to a server that carries on where it was. */
class BackupTest {
  @TempDir
  Path tmp;

  @Test
  void aBackupOfARunningServerRestoresItsState() throws Exception {
    Path copy = tmp.resolve("possync-backup.db");
    try (TestNode node = TestNode.start(Map.of("store.data_dir", tmp.resolve("live").toString()))) {
      RpcClient rpc = new RpcClient(node.baseUri());
      rpc.call("/pos_multi_session_sync/update", update("db", 1, 1, syncAll(1, 1, false)));
      rpc.call("/pos_multi_session_sync/update", update("db", 1, 1,
          updateOrder(1, "00001-001-0001", 1, 1, 1, "b1", 2)));

      Backup.write(node.dataDir(), copy);

      assertThatThrownBy(() -> Backup.write(node.dataDir(), copy))
          .isInstanceOf(StoreException.class).hasMessageContaining("exists already");
    }
    Path restored = Files.createDirectories(tmp.resolve("restored"));
    Files.copy(copy, restored.resolve("possync.db"));
    try (TestNode node = TestNode.start(Map.of("store.data_dir", restored.toString()))) {
      new RpcClient(node.baseUri()).call("/pos_multi_session_sync/update",
          update("db", 1, 1, syncAll(1, 1, true)));
      assertThat(node.node().pipeline().status(new MultiSessionKey("db", 1)).orElseThrow().drafts())
          .isEqualTo(1);
    }
  }
}
