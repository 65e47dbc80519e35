package io.possync.odoo;

import static org.assertj.core.api.Assertions.assertThat;

import io.possync.odoo.OdooFailure.Kind;
import org.junit.jupiter.api.Test;

/** Reading Odoo's fault strings (docs/odoo-backend.md §1.5, §1.6, §5). */
class FaultClassifierTest {

  @Test
  void theTupleReprOfAnOdooExceptionIsReadBack() {
    assertThat(PythonRepr.unwrapMessageTuple("('Line one\\nIt\\'s \\xe9t\\xe9 \\u20ac', None)"))
        .isEqualTo("Line one\nIt's \u00e9t\u00e9 \u20ac");
    assertThat(PythonRepr.unwrapMessageTuple("(\"It's gone\\\\\", None)"))
        .isEqualTo("It's gone\\");
  }

  @Test
  void textThatIsNotSuchATupleIsLeftAsItIs() {
    for (String s : new String[] {"Access denied", "('a', 'b')", "('a', None) trailing",
        "('unterminated, None)", "('a' 'b', None)", "('bad \\x4', None)"}) {
      assertThat(PythonRepr.unwrapMessageTuple(s)).as(s).isEqualTo(s);
    }
  }

  @Test
  void theFinalExceptionSkipsFramesAndCaretsOfPython311() {
    String tb = """
        Traceback (most recent call last):
          File "/opt/odoo/odoo/http.py", line 138, in dispatch_rpc
            result = dispatch(method, params)
                     ^^^^^^^^^^^^^^^^^^^^^^^^
        ValueError: time data '2020-03-01T09:30:05Z' does not match format '%Y-%m-%d %H:%M:%S'
        """;

    FaultClassifier.Verdict v = FaultClassifier.classify(1, tb);

    assertThat(v.kind()).isEqualTo(Kind.ORDER_REJECTED);
    assertThat(v.message()).isEqualTo("ValueError: time data '2020-03-01T09:30:05Z' does not"
        + " match format '%Y-%m-%d %H:%M:%S'");
  }

  @Test
  void withoutATracebackTheLastNonEmptyLineCounts() {
    assertThat(FaultClassifier.finalException("first\n\nNameError: nope\n\n"))
        .isEqualTo("NameError: nope");
  }

  @Test
  void otherPostgresOperationalErrorsAreBusyButAMissingDatabaseIsNot() {
    assertThat(FaultClassifier.classify(1, "Traceback (most recent call last):\n  File \"x\"\n"
        + "psycopg2.OperationalError: server closed the connection unexpectedly\n").kind())
        .isEqualTo(Kind.BUSY);
    assertThat(FaultClassifier.classify(1, "psycopg2.OperationalError: FATAL:  database"
        + " \"shop\" does not exist").kind()).isEqualTo(Kind.MISCONFIGURED);
  }

  @Test
  void aFaultCodeOdooNeverSendsIsMisconfigured() {
    assertThat(FaultClassifier.classify(0, "whatever").kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(FaultClassifier.classify(42, "whatever").kind()).isEqualTo(Kind.MISCONFIGURED);
  }
}
