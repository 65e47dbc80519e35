package io.possync.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.e2e.PosSyncScript.Step;
import io.possync.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replays the reference transcript ({@code golden/transcript.jsonl}, recorded from the original
 * Python sync server) against PosSync over real HTTP and checks every answer and every delivered
 * notification, as parsed JSON. Absolute notification ids may differ, their order may not. Where
 * PosSync deliberately differs (PROTOCOL.md decisions D1–D13), {@link PosSyncScript} holds
 * PosSync's documented answer instead.
 */
class GoldenTranscriptTest {
  private static final String TRANSCRIPT = "/golden/transcript.jsonl";

  @Test
  void posSyncAnswersTheReferenceTranscriptAsTheReferenceServerDid() throws Exception {
    List<GoldenExchange> transcript = GoldenExchange.load(TRANSCRIPT);
    List<Step> steps = PosSyncScript.of(transcript);
    List<String> hookCalls = new ArrayList<>();

    // The S steps and the P steps (recorded on a server started with --auth public) each get a
    // fresh node; PosSync's only auth mode yet is `none`. The hook is where a later test can
    // restart the server between two steps.
    try (GoldenReplay replay = new GoldenReplay(
        server -> TestNode.start(Map.of("poll.timeout", "2")),
        (done, next, r) -> hookCalls.add(done.id() + ">" + next.id()))) {
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
