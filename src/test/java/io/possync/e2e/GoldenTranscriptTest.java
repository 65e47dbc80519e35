package io.possync.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.e2e.PosSyncScript.Step;
import io.possync.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Replays the reference transcript ({@code golden/transcript.jsonl}, recorded from the original
 * Python sync server) against PosSync over real HTTP and checks every answer and every delivered
 * notification, as parsed JSON. Absolute notification ids may differ, their order may not. Where
 * PosSync deliberately differs (PROTOCOL.md decisions D1–D13), {@link PosSyncScript} holds
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

  @ParameterizedTest
  @EnumSource(Restarts.class)
  void posSyncAnswersTheReferenceTranscriptAsTheReferenceServerDid(Restarts restarts)
      throws Exception {
    List<GoldenExchange> transcript = GoldenExchange.load(TRANSCRIPT);
    List<Step> steps = PosSyncScript.of(transcript);
    List<String> hookCalls = new ArrayList<>();

    // The S steps and the P steps (recorded on a server started with --auth public) each get a
    // fresh node; PosSync's only auth mode yet is `none`.
    try (GoldenReplay replay = new GoldenReplay(
        server -> TestNode.start(Map.of("poll.timeout", "2")),
        (done, next, r) -> {
          hookCalls.add(done.id() + ">" + next.id());
          if (restarts == Restarts.BETWEEN_EVERY_TWO_STEPS
              && done.exchange().server().equals(next.exchange().server())) {
            r.restartServer();
          }
        })) {
      replay.run(steps);
    }

    assertThat(steps).extracting(Step::id)
        .as("every exchange of the transcript is replayed, in file order")
        .containsSubsequence(transcript.stream().map(GoldenExchange::step).toList());
    List<String> pairs = new ArrayList<>();
    for (int i = 1; i < steps.size(); i++) {
      pairs.add(steps.get(i - 1).id() + ">" + steps.get(i).id());
    }
    assertThat(hookCalls).as("the between-steps hook runs between every two steps")
        .isEqualTo(pairs);
  }
}
