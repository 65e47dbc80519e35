package io.possync.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.e2e.PosSyncScript.Step;
import io.possync.testing.TestCluster;
import io.possync.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays the reference transcript ({@code golden/transcript.jsonl}, recorded from the original
 * Python sync server) against PosSync over real HTTP and checks every answer and every delivered
 * notification, as parsed JSON. Absolute notification ids may differ, their order may not. Where
 * PosSync deliberately differs (docs/protocol.md decisions D1–D13), {@link PosSyncScript} holds
 * PosSync's documented answer instead.
 */
class GoldenTranscriptTest {
  private static final String TRANSCRIPT = "/golden/transcript.jsonl";

  /** When the server restarts during the replay. */
  enum Restarts {
    NEVER,
    /** After every step: a restart must be invisible to terminals (state, ids, retained news). */
    BETWEEN_EVERY_TWO_STEPS
  }

  /**
   * Under {@code reject} the whole transcript. Under {@code merge} without restarts, up to S17,
   * which is merged (see {@link PosSyncScript#LAST_STEP_WHEN_MERGING}); with restarts the whole
   * transcript as under reject: one node keeps merge bases in memory only, so an update based on
   * a revision from before a restart is refused as the original refuses it (docs/conflicts.md).
   * On a 3-node cluster, every request to a node picked at random, without restarts: the answers
   * must be the same whichever node takes each request.
   */
  static Stream<Arguments> runs() {
    return Stream.of(Arguments.of(Restarts.NEVER, "reject", Shop.Topology.ONE_NODE),
        Arguments.of(Restarts.BETWEEN_EVERY_TWO_STEPS, "reject", Shop.Topology.ONE_NODE),
        Arguments.of(Restarts.NEVER, "merge", Shop.Topology.ONE_NODE),
        Arguments.of(Restarts.BETWEEN_EVERY_TWO_STEPS, "merge", Shop.Topology.ONE_NODE),
        Arguments.of(Restarts.NEVER, "reject", Shop.Topology.CLUSTER),
        Arguments.of(Restarts.NEVER, "merge", Shop.Topology.CLUSTER));
  }

  @ParameterizedTest(name = "{0}, sync.conflicts={1}, {2}")
  @MethodSource("runs")
  void posSyncAnswersTheReferenceTranscriptAsTheReferenceServerDid(Restarts restarts,
      String conflicts, Shop.Topology topology) throws Exception {
    List<GoldenExchange> transcript = GoldenExchange.load(TRANSCRIPT);
    boolean cutAtMerge = conflicts.equals("merge") && restarts == Restarts.NEVER;
    List<Step> steps = PosSyncScript.of(transcript, cutAtMerge);
    List<String> hookCalls = new ArrayList<>();

    // The S steps and the P steps (recorded on a server started with --auth public) each get a
    // fresh node or cluster; PosSync's only auth mode yet is `none`.
    Map<String, String> settings = Map.of("poll.timeout", "2", "sync.conflicts", conflicts);
    try (GoldenReplay replay = new GoldenReplay(
        server -> topology == Shop.Topology.ONE_NODE ? ReplayServer.of(TestNode.start(settings))
            : ReplayServer.of(TestCluster.start(Shop.CLUSTER_NODES, settings)),
        (done, next, r) -> {
          hookCalls.add(done.id() + ">" + next.id());
          if (restarts == Restarts.BETWEEN_EVERY_TWO_STEPS
              && done.exchange().server().equals(next.exchange().server())) {
            r.restartServer();
          }
        })) {
      replay.run(steps);
    }

    List<String> expectedSteps = transcript.stream().map(GoldenExchange::step)
        .filter(id -> !cutAtMerge || id.startsWith("P")
            || transcript.stream().map(GoldenExchange::step).toList().indexOf(id)
            <= transcript.stream().map(GoldenExchange::step).toList()
                .indexOf(PosSyncScript.LAST_STEP_WHEN_MERGING))
        .toList();
    assertThat(steps).extracting(Step::id)
        .as("every exchange of the transcript is replayed, in file order")
        .containsSubsequence(expectedSteps);
    List<String> pairs = new ArrayList<>();
    for (int i = 1; i < steps.size(); i++) {
      pairs.add(steps.get(i - 1).id() + ">" + steps.get(i).id());
    }
    assertThat(hookCalls).as("the between-steps hook runs between every two steps")
        .isEqualTo(pairs);
  }
}
