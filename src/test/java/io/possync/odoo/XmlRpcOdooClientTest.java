package io.possync.odoo;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingXPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.ConsoleNotifier;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.possync.odoo.OdooFailure.Kind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;

/**
 * The XML-RPC client against a WireMock Odoo answering the byte-exact bodies of
 * docs/odoo-backend.md §1.5, stubbed as §6 describes; every failure is also checked for the
 * password.
 */
class XmlRpcOdooClientTest {
  private static final String PASSWORD = "s3cret-Pa55word";
  private static final String ORDER_NAME = "Order 00005-001-0001";
  private static final String CREATE_FROM_UI = "/methodCall/params/param[5]/value[.='create_from_ui']";

  private static WireMockServer odoo;

  @BeforeAll
  static void startOdoo() {
    odoo = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
        .usingFilesUnderClasspath("odoo").notifier(new ConsoleNotifier(false)));
    odoo.start();
  }

  @AfterAll
  static void stopOdoo() {
    odoo.stop();
  }

  @BeforeEach
  void reset() {
    odoo.resetAll();
    Tripwire.READ.set(false);
  }

  // ---------------------------------------------------------------- version and authenticate

  @ParameterizedTest
  @ValueSource(strings = {"version-12.xml:V12", "version-13.xml:V13", "version-13e.xml:V13"})
  void versionTellsTheSeries(String bodyAndVersion) throws OdooFailure {
    String[] parts = bodyAndVersion.split(":");
    odoo.stubFor(common("version").willReturn(xml(parts[0])));

    assertThat(client().version()).isEqualTo(OdooVersion.valueOf(parts[1]));

    LoggedRequest sent = onlyRequest("/xmlrpc/2/common");
    assertThat(sent.getBodyAsString()).isEqualTo("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        + "<methodCall><methodName>version</methodName><params/></methodCall>");
  }

  @Test
  void aSeriesOtherThan12Or13IsMisconfigured() {
    odoo.stubFor(common("version").willReturn(xml("version-14.xml")));

    OdooFailure f = failure(() -> client().version());

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(f.getMessage()).contains("'14.0'", "12.0 and 13.0");
  }

  @Test
  void authenticateAnswersTheUidAndSendsAnEmptyUserAgentEnv() throws Exception {
    odoo.stubFor(common("authenticate")
        .withRequestBody(matchingXPath("/methodCall/params/param[1]/value[.='odoo']"))
        .withRequestBody(matchingXPath("/methodCall/params/param[2]/value[.='bridge']"))
        .withRequestBody(matchingXPath("/methodCall/params/param[3]/value[.='" + PASSWORD + "']"))
        .willReturn(xml("authenticate-uid-7.xml")));

    assertThat(client().authenticate()).isEqualTo(7);

    Document sent = dom(onlyRequest("/xmlrpc/2/common"));
    assertThat(xpath(sent, "count(/methodCall/params/param)")).isEqualTo("4");
    assertThat(xpath(sent, "count(/methodCall/params/param[4]/value/struct)")).isEqualTo("1");
    assertThat(xpath(sent, "count(/methodCall/params/param[4]/value/struct/*)")).isEqualTo("0");
  }

  @Test
  void authenticateAnsweringFalseIsAnAuthenticationFailure() {
    odoo.stubFor(common("authenticate").willReturn(xml("authenticate-false.xml")));

    OdooFailure f = failure(() -> client().authenticate());

    assertThat(f.kind()).isEqualTo(Kind.AUTHENTICATION);
    assertThat(f.faultCode()).isZero();
    assertThat(f.getMessage()).contains("'bridge'", "'odoo'", "wrong login or password");
  }

  // ---------------------------------------------------------------- create_from_ui

  /** §2.5's paid order as a 13.0 POS sends it, with what pos_multi_session and others add. */
  private static final String PAID_ORDER_13 = """
      {
        "id": "00005-001-0001",
        "data": {
          "name": "Order 00005-001-0001",
          "amount_paid": 8.05,
          "amount_total": 8.05,
          "amount_tax": 1.05,
          "amount_return": 1.95,
          "lines": [[0, 0, {
            "qty": 2, "price_unit": 3.5, "price_subtotal": 7, "price_subtotal_incl": 8.05,
            "discount": 0, "product_id": 7, "tax_ids": [[6, false, [1]]], "id": 1,
            "pack_lot_ids": [], "note": "no ice \\ud83c\\udf7a\\u0001", "uid": null
          }]],
          "statement_ids": [[0, 0, {
            "name": "2020-03-01T09:30:07.900Z", "payment_method_id": 1, "amount": 10,
            "payment_status": "", "ticket": "", "card_type": "", "transaction_id": ""
          }]],
          "pos_session_id": 5,
          "pricelist_id": 1,
          "partner_id": false,
          "user_id": 2,
          "employee_id": null,
          "uid": "00005-001-0001",
          "sequence_number": 1,
          "creation_date": "2020-03-01T09:30:05.123Z",
          "fiscal_position_id": false,
          "to_invoice": false,
          "ms_info": {"created": {"user": {"id": 2, "name": "Anna"}, "pos": {"id": 1, "name": "Bar"}}},
          "revision_ID": 3,
          "run_ID": 1,
          "x_loyalty": {"points": 12.5, "history": [1, null, "bonus"], "big": 3000000000}
        },
        "to_invoice": false
      }
      """;

  /** The 12.0 shape: payments on a statement, no server_id, and no wrapper to_invoice here. */
  private static final String PAID_ORDER_12 = """
      {
        "id": "00005-001-0001",
        "data": {
          "name": "Order 00005-001-0001",
          "amount_paid": 8.05, "amount_total": 8.05, "amount_tax": 1.05, "amount_return": 1.95,
          "lines": [[0, 0, {"qty": 2, "price_unit": 3.5, "price_subtotal": 7,
            "price_subtotal_incl": 8.05, "discount": 0, "product_id": 7,
            "tax_ids": [[6, false, [1]]], "id": 1, "pack_lot_ids": []}]],
          "statement_ids": [[0, 0, {"name": "2020-03-01 09:30:05", "statement_id": 11,
            "account_id": 22, "journal_id": 6, "amount": 10}]],
          "pos_session_id": 5, "pricelist_id": 1, "partner_id": false, "user_id": 2,
          "uid": "00005-001-0001", "sequence_number": 1,
          "creation_date": "2020-03-01T09:30:05.123Z", "fiscal_position_id": false
        }
      }
      """;

  private static final String ORDER_13 =
      "/methodCall/params/param[6]/value/array/data/value[1]/array/data/value[1]/struct";
  private static final String DATA_13 = ORDER_13 + "/member[name='data']/value/struct";

  @Test
  void createFromUiOn13SendsOrdersAndDraftFalseAndAnswersTheNewId() throws Exception {
    odoo.stubFor(post(urlEqualTo("/xmlrpc/2/object")).atPriority(3)
        .withRequestBody(matchingXPath("/methodCall/params/param[4]/value[.='pos.order']"))
        .withRequestBody(matchingXPath(CREATE_FROM_UI))
        .withRequestBody(matchingXPath("//member[name='data']/value/struct/member[name='name']"
            + "/value[.='" + ORDER_NAME + "']"))
        .withRequestBody(matchingXPath(
            "/methodCall/params/param[6]/value/array/data/value[2]/boolean[.='0']"))
        .willReturn(xml("create-from-ui-13.xml")));

    assertThat(client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13))).containsExactly(42);

    LoggedRequest request = onlyRequest("/xmlrpc/2/object");
    String body = request.getBodyAsString();
    assertThat(request.getHeader("Content-Type")).isEqualTo("text/xml");
    assertThat(request.getHeader("Content-Length")).isEqualTo(
        String.valueOf(body.getBytes(StandardCharsets.UTF_8).length));
    // Types Odoo cannot read, or would misread, are never sent (§1.4).
    assertThat(body).doesNotContain("dateTime.iso8601", "<nil", "ex:", "<i8", "<i2", "<i1",
        "<float", "&#5"); // the last: a surrogate written as a character reference
    Document sent = dom(request);
    assertThat(xpath(sent, "/methodCall/methodName")).isEqualTo("execute_kw");
    assertThat(xpath(sent, "/methodCall/params/param[1]/value")).isEqualTo("odoo");
    assertThat(xpath(sent, "/methodCall/params/param[2]/value/i4")).isEqualTo("7");
    assertThat(xpath(sent, "/methodCall/params/param[3]/value")).isEqualTo(PASSWORD);
    assertThat(xpath(sent, "count(/methodCall/params/param[6]/value/array/data/value)"))
        .isEqualTo("2");
    assertThat(xpath(sent, "count(/methodCall/params/param[6]/value/array/data/value[1]"
        + "/array/data/value)")).isEqualTo("1");
    // kwargs: an empty struct, no context and nothing secret in it
    assertThat(xpath(sent, "count(/methodCall/params/param[7]/value/struct/*)")).isEqualTo("0");

    // The wrapper keeps its keys; data gains server_id=false, which turns on 13.0's dedup.
    assertThat(xpath(sent, ORDER_13 + "/member[name='id']/value")).isEqualTo("00005-001-0001");
    assertThat(xpath(sent, ORDER_13 + "/member[name='to_invoice']/value/boolean")).isEqualTo("0");
    assertThat(xpath(sent, DATA_13 + "/member[name='server_id']/value/boolean")).isEqualTo("0");
    // Dates in Odoo's UTC format, cut (not rounded) to the second.
    assertThat(xpath(sent, DATA_13 + "/member[name='creation_date']/value"))
        .isEqualTo("2020-03-01 09:30:05");
    assertThat(xpath(sent, DATA_13 + "/member[name='statement_ids']/value/array/data/value[1]"
        + "/array/data/value[3]/struct/member[name='name']/value"))
        .isEqualTo("2020-03-01 09:30:07");
    // null members are left out; false stays false
    assertThat(xpath(sent, "count(" + DATA_13 + "/member[name='employee_id'])")).isEqualTo("0");
    assertThat(xpath(sent, DATA_13 + "/member[name='partner_id']/value/boolean")).isEqualTo("0");
    // numbers: integral ones in int range as <i4>, every other as <double>
    assertThat(xpath(sent, DATA_13 + "/member[name='amount_total']/value/double"))
        .isEqualTo("8.05");
    assertThat(xpath(sent, DATA_13 + "/member[name='pos_session_id']/value/i4")).isEqualTo("5");
    String line = DATA_13 + "/member[name='lines']/value/array/data/value[1]/array/data";
    assertThat(xpath(sent, line + "/value[1]/i4")).isEqualTo("0");
    assertThat(xpath(sent, line + "/value[3]/struct/member[name='qty']/value/i4")).isEqualTo("2");
    assertThat(xpath(sent, line + "/value[3]/struct/member[name='price_unit']/value/double"))
        .isEqualTo("3.5");
    assertThat(xpath(sent, line + "/value[3]/struct/member[name='tax_ids']/value/array/data"
        + "/value[1]/array/data/value[2]/boolean")).isEqualTo("0");
    assertThat(xpath(sent, "count(" + line + "/value[3]/struct/member[name='uid'])"))
        .isEqualTo("0");
    // Text goes as UTF-8; what XML cannot carry at all becomes U+FFFD.
    assertThat(xpath(sent, line + "/value[3]/struct/member[name='note']/value"))
        .isEqualTo("no ice \uD83C\uDF7A\uFFFD");
    // Keys PosSync does not know are carried as they came, null in an array as false.
    assertThat(xpath(sent, DATA_13 + "/member[name='ms_info']/value/struct/member[name='created']"
        + "/value/struct/member[name='pos']/value/struct/member[name='name']/value"))
        .isEqualTo("Bar");
    assertThat(xpath(sent, DATA_13 + "/member[name='revision_ID']/value/i4")).isEqualTo("3");
    String loyalty = DATA_13 + "/member[name='x_loyalty']/value/struct";
    assertThat(xpath(sent, loyalty + "/member[name='points']/value/double")).isEqualTo("12.5");
    assertThat(xpath(sent, loyalty + "/member[name='big']/value/double")).isEqualTo("3.0E9");
    assertThat(xpath(sent, loyalty + "/member[name='history']/value/array/data/value[2]/boolean"))
        .isEqualTo("0");
    assertThat(xpath(sent, loyalty + "/member[name='history']/value/array/data/value[3]"))
        .isEqualTo("bonus");
  }

  @Test
  void createFromUiOn12SendsOnlyOrdersWithTheWrapperToInvoice() throws Exception {
    odoo.stubFor(post(urlEqualTo("/xmlrpc/2/object"))
        .withRequestBody(matchingXPath(CREATE_FROM_UI))
        .withRequestBody(matchingXPath("/methodCall/params/param[6]/value/array/data[count(value)=1]"))
        .withRequestBody(matchingXPath("//member[name='data']/value/struct/member[name='name']"
            + "/value[.='" + ORDER_NAME + "']"))
        .willReturn(xml("create-from-ui-12.xml")));

    assertThat(client().createFromUi(7, OdooVersion.V12, order(PAID_ORDER_12))).containsExactly(42);

    Document sent = dom(onlyRequest("/xmlrpc/2/object"));
    assertThat(xpath(sent, "count(/methodCall/params/param[6]/value/array/data/value)"))
        .isEqualTo("1");
    // 12.0 reads wrapper['to_invoice'] with [] (§2.3): present although the POS left it out.
    assertThat(xpath(sent, ORDER_13 + "/member[name='to_invoice']/value/boolean")).isEqualTo("0");
    assertThat(xpath(sent, "count(" + DATA_13 + "/member[name='server_id'])")).isEqualTo("0");
    assertThat(xpath(sent, DATA_13 + "/member[name='creation_date']/value"))
        .isEqualTo("2020-03-01 09:30:05");
    assertThat(xpath(sent, DATA_13 + "/member[name='statement_ids']/value/array/data/value[1]"
        + "/array/data/value[3]/struct/member[name='journal_id']/value/i4")).isEqualTo("6");
  }

  @Test
  void anOrderOdooAlreadyHasAnswersNoIds() throws OdooFailure {
    odoo.stubFor(createFromUi().willReturn(xml("empty-list.xml")));

    assertThat(client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13))).isEmpty();
  }

  @Test
  void anOrderWithoutNameIsRejectedWithoutCallingOdoo() {
    JsonObject noName = order(PAID_ORDER_13);
    noName.getAsJsonObject("data").remove("name");

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, noName));

    assertThat(f.kind()).isEqualTo(Kind.ORDER_REJECTED);
    assertThat(f.getMessage()).contains("data.name");
    odoo.verify(0, anyRequestedFor(anyUrl()));
  }

  // ---------------------------------------------------------------- faults

  /** One fault body of §1.5 / §5 and what it must become. */
  record FaultCase(String body, Kind kind, int faultCode, String message) {
    @Override
    public String toString() {
      return body + " -> " + kind;
    }
  }

  static Stream<FaultCase> faults() {
    return Stream.of(
        new FaultCase("fault-user-error.xml", Kind.ORDER_REJECTED, 2,
            "No cash statement found for this session. Unable to record returned cash."),
        // chained traceback: the NotNullViolation before "During handling" is not the verdict
        new FaultCase("fault-validation-error.xml", Kind.ORDER_REJECTED, 1,
            "odoo.exceptions.ValidationError: The operation cannot be completed:\n"
                + "- Create/update: a mandatory field is not set.\n"
                + "- Delete: another model requires the record being deleted. If possible,"
                + " archive it instead.\n\n"
                + "Model: Point of Sale Orders (pos.order), Field: Pricelist (pricelist_id)"),
        // AccessError and MissingError: str() of a (message, None) tuple, read back
        new FaultCase("fault-access-error.xml", Kind.ORDER_REJECTED, 4,
            "Sorry, you are not allowed to create this kind of document. Only users with the"
                + " following access level are currently allowed to do that:\n"
                + "- Point of Sale/User\n\n(Document model: pos.order) - (Operation: create,"
                + " User: 7)"),
        new FaultCase("fault-missing-error.xml", Kind.ORDER_REJECTED, 2,
            "Record does not exist or has been deleted.\n\n(Records: [999], User: 7)"),
        new FaultCase("fault-key-error.xml", Kind.ORDER_REJECTED, 1, "KeyError: 'to_invoice'"),
        new FaultCase("fault-access-denied.xml", Kind.AUTHENTICATION, 3,
            "Odoo refused login 'bridge' on database 'odoo': Access denied"),
        new FaultCase("fault-cooldown.xml", Kind.AUTHENTICATION, 3,
            "Odoo refused login 'bridge' on database 'odoo': Too many login failures, please"
                + " wait a bit before trying again."),
        new FaultCase("fault-not-fully-loaded.xml", Kind.BUSY, 2,
            "the Odoo database is still loading: Currently, this database is not fully loaded"
                + " and can not be used."),
        new FaultCase("fault-serialization-failure.xml", Kind.BUSY, 1,
            "the Odoo database is busy: psycopg2.extensions.TransactionRollbackError: could not"
                + " serialize access due to concurrent update"),
        // the exception's message goes on over DETAIL and HINT lines
        new FaultCase("fault-deadlock.xml", Kind.BUSY, 1,
            "the Odoo database is busy: psycopg2.errors.DeadlockDetected: deadlock detected\n"
                + "DETAIL:  Process 4242 waits for ShareLock on transaction 1001; blocked by"
                + " process 4243.\nProcess 4243 waits for ShareLock on transaction 1000; blocked"
                + " by process 4242.\nHINT:  See server log for query details."),
        new FaultCase("fault-lock-not-available.xml", Kind.BUSY, 1,
            "the Odoo database is busy: psycopg2.errors.LockNotAvailable: could not obtain lock"
                + " on row in relation \"pos_session\""),
        new FaultCase("fault-database-missing.xml", Kind.MISCONFIGURED, 1,
            "the configured database does not exist on this Odoo: psycopg2.OperationalError:"
                + " FATAL:  database \"odoo_missing\" does not exist"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("faults")
  void faultsAreClassifiedWithOdoosMessage(FaultCase c) {
    odoo.stubFor(createFromUi().willReturn(xml(c.body())));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(c.kind());
    assertThat(f.faultCode()).isEqualTo(c.faultCode());
    assertThat(f.getMessage()).isEqualTo(c.message());
  }

  @Test
  void aStringFaultCodeFromALegacyRouteIsMisconfiguredNotAClassCastException() {
    odoo.stubFor(createFromUi().willReturn(xml("fault-legacy-string-code.xml")));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(f.getMessage()).contains("faultCode is not an int");
  }

  @Test
  void aFaultEchoingThePasswordHasItScrubbed() {
    odoo.stubFor(createFromUi().willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "text/xml; charset=utf-8")
        .withBody(faultBody(2, "Wrong password '" + PASSWORD + "' for bridge"))));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.ORDER_REJECTED);
    assertThat(f.getMessage()).isEqualTo("Wrong password '********' for bridge");
  }

  // ---------------------------------------------------------------- transport failures

  @Test
  void noAnswerWithinTheReplyTimeoutIsAmbiguous() {
    odoo.stubFor(createFromUi().willReturn(xml("create-from-ui-13.xml")
        .withFixedDelay(1_500)));
    XmlRpcOdooClient impatient = new XmlRpcOdooClient(connection(baseUrl()),
        Duration.ofSeconds(1), Duration.ofMillis(250));

    OdooFailure f = failure(() -> impatient.createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(f.getMessage()).contains("reply timeout of 250 ms", "may still commit");
  }

  @Test
  void aConnectionResetIsAmbiguous() {
    odoo.stubFor(createFromUi().willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.AMBIGUOUS);
    // The JDK resends a POST once on its own after a failed read unless it streams the body;
    // the outbox decides about retries, after looking the order up (§2.7).
    odoo.verify(1, postRequestedFor(urlEqualTo("/xmlrpc/2/object")));
  }

  @Test
  void anAnswerCutOffAfterTheStatusIsAmbiguousNotMalformed() {
    odoo.stubFor(createFromUi().willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.AMBIGUOUS);
    odoo.verify(1, postRequestedFor(urlEqualTo("/xmlrpc/2/object")));
  }

  @ParameterizedTest
  @ValueSource(ints = {502, 503})
  void aProxyWithOdooDownIsUnreachable(int status) {
    odoo.stubFor(createFromUi().willReturn(aResponse().withStatus(status)
        .withHeader("Content-Type", "text/html").withBodyFile("nginx-502.html")));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.UNREACHABLE);
    assertThat(f.getMessage()).contains("HTTP " + status);
  }

  @ParameterizedTest
  @ValueSource(ints = {401, 403, 404, 407})
  void aProxyRefusingOrNotFindingTheRouteIsMisconfigured(int status) {
    odoo.stubFor(createFromUi().willReturn(aResponse().withStatus(status)
        .withHeader("WWW-Authenticate", "Basic realm=\"odoo\"")
        .withHeader("Proxy-Authenticate", "Basic realm=\"proxy\"")
        .withHeader("Content-Type", "text/html").withBody("<html>no</html>")));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(f.getMessage()).contains("HTTP " + status);
  }

  @Test
  void aGatewayTimeoutIsAmbiguous() {
    odoo.stubFor(createFromUi().willReturn(aResponse().withStatus(504)
        .withHeader("Content-Type", "text/html").withBody("<html>504</html>")));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.AMBIGUOUS);
    assertThat(f.getMessage()).contains("HTTP 504");
  }

  @Test
  void nothingListeningIsUnreachable() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    XmlRpcOdooClient client = new XmlRpcOdooClient(connection("http://127.0.0.1:" + port),
        Duration.ofSeconds(1), Duration.ofSeconds(1));

    OdooFailure f = failure(() -> client.createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.UNREACHABLE);
    assertThat(f.getMessage()).contains("cannot connect", "Connection refused");
  }

  @ParameterizedTest
  @ValueSource(ints = {301, 302, 307, 308})
  void aRedirectIsMisconfiguredAndNotFollowed(int status) {
    odoo.stubFor(post(urlEqualTo("/xmlrpc/2/common")).willReturn(aResponse().withStatus(status)
        .withHeader("Location", baseUrl() + "/moved/xmlrpc/2/common")));
    odoo.stubFor(post(urlPathMatching("/moved/.*")).willReturn(xml("version-13.xml")));

    OdooFailure f = failure(() -> client().version());

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(f.getMessage()).contains(String.valueOf(status), "/moved/xmlrpc/2/common",
        "configure the final URL");
    odoo.verify(0, anyRequestedFor(urlPathMatching("/moved/.*")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"login-page.html", "nginx-502.html"})
  void anHtmlPageWithStatus200IsMisconfigured(String page) {
    odoo.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "text/html; charset=utf-8").withBodyFile(page)));

    OdooFailure f = failure(() -> client().version());

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(f.getMessage()).contains("not Odoo XML-RPC");
  }

  @Test
  void malformedXmlIsMisconfigured() {
    odoo.stubFor(createFromUi().willReturn(xml("malformed.xml")));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(f.getMessage()).contains("not Odoo XML-RPC");
  }

  @Test
  void aCertificateTheJdkDoesNotTrustIsMisconfigured() throws OdooFailure {
    WireMockServer tls = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
        .dynamicHttpsPort().usingFilesUnderClasspath("odoo").notifier(new ConsoleNotifier(false)));
    tls.start();
    try {
      tls.stubFor(common("version").willReturn(xml("version-13.xml")));
      XmlRpcOdooClient client = new XmlRpcOdooClient(
          connection("https://127.0.0.1:" + tls.httpsPort()), Duration.ofSeconds(2),
          Duration.ofSeconds(2));

      OdooFailure f = failure(client::version);

      assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
      assertThat(f.getMessage()).contains("certificate");
      tls.verify(0, anyRequestedFor(anyUrl()));
    } finally {
      tls.stop();
    }
  }

  // ---------------------------------------------------------------- hostile answers

  /** Deserializing one flips the flag: the proof that Java deserialization ran. */
  static final class Tripwire extends Exception {
    private static final long serialVersionUID = 1L;
    static final AtomicBoolean READ = new AtomicBoolean();

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      READ.set(true);
    }
  }

  private static String serializedTripwire() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(new Tripwire());
    }
    // The flag works: reading it back here does flip it.
    try (ObjectInputStream in = new ObjectInputStream(
        new ByteArrayInputStream(bytes.toByteArray()))) {
      in.readObject();
    } catch (ClassNotFoundException e) {
      throw new AssertionError(e);
    }
    assertThat(Tripwire.READ.getAndSet(false)).isTrue();
    return Base64.getEncoder().encodeToString(bytes.toByteArray());
  }

  static Stream<String> answersCarryingAJavaObject() throws IOException {
    String object = serializedTripwire();
    String ex = "xmlns:ex=\"http://ws.apache.org/xmlrpc/namespaces/extensions\"";
    return Stream.of(
        // a result that is an ex:serializable
        "<?xml version='1.0'?>\n<methodResponse " + ex + ">\n<params>\n<param>\n"
            + "<value><ex:serializable>" + object + "</ex:serializable></value>\n"
            + "</param>\n</params>\n</methodResponse>\n",
        // a fault with an ex:serializable member
        "<?xml version='1.0'?>\n<methodResponse " + ex + ">\n<fault>\n<value><struct>\n"
            + "<member>\n<name>faultCode</name>\n<value><int>1</int></value>\n</member>\n"
            + "<member>\n<name>faultString</name>\n<value><string>boom</string></value>\n"
            + "</member>\n<member>\n<name>detail</name>\n<value><ex:serializable>" + object
            + "</ex:serializable></value>\n</member>\n</struct></value>\n</fault>\n"
            + "</methodResponse>\n",
        // a fault with a plain base64 faultCause, which Apache 3.1.3 deserializes whatever
        // the extensions setting (CVE-2019-17570)
        "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n"
            + "<member>\n<name>faultCode</name>\n<value><int>1</int></value>\n</member>\n"
            + "<member>\n<name>faultString</name>\n<value><string>boom</string></value>\n"
            + "</member>\n<member>\n<name>faultCause</name>\n<value><base64>" + object
            + "</base64></value>\n</member>\n</struct></value>\n</fault>\n"
            + "</methodResponse>\n");
  }

  @ParameterizedTest
  @MethodSource("answersCarryingAJavaObject")
  void aJavaObjectInAnAnswerIsRefusedUnread(String answer) {
    odoo.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "text/xml; charset=utf-8").withBody(answer)));

    OdooFailure f = failure(() -> client().createFromUi(7, OdooVersion.V13, order(PAID_ORDER_13)));

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(Tripwire.READ).isFalse();
  }

  static Stream<String> doctypes() {
    return Stream.of(
        // general entities: a local file and a URL
        """
            <!DOCTYPE methodResponse [
            <!ENTITY file SYSTEM "FILE_URL">
            <!ENTITY remote SYSTEM "BASE/xxe/general">
            ]>
            <methodResponse><params><param><value><string>&file;&remote;</string></value>\
            </param></params></methodResponse>
            """,
        // a local file alone: an unhardened parser would hand its content back as the result
        """
            <!DOCTYPE methodResponse [<!ENTITY file SYSTEM "FILE_URL">]>
            <methodResponse><params><param><value><string>&file;</string></value>\
            </param></params></methodResponse>
            """,
        // a parameter entity pulling an external DTD
        """
            <!DOCTYPE methodResponse [
            <!ENTITY % dtd SYSTEM "BASE/xxe/parameter">
            %dtd;
            ]>
            <methodResponse><params><param><value><string>FILE_URL</string></value>\
            </param></params></methodResponse>
            """,
        // an external DTD subset
        """
            <!DOCTYPE methodResponse SYSTEM "BASE/xxe/dtd">
            <methodResponse><params><param><value><string>x</string></value>\
            </param></params></methodResponse>
            """);
  }

  @ParameterizedTest
  @MethodSource("doctypes")
  void aDoctypeIsMisconfiguredAndNoEntityIsResolved(String doctype, @TempDir Path dir)
      throws IOException {
    Path secret = Files.writeString(dir.resolve("secret.txt"), "TOP-SECRET-4711");
    String answer = "<?xml version='1.0'?>\n" + doctype
        .replace("FILE_URL", secret.toUri().toString()).replace("BASE", baseUrl());
    odoo.stubFor(common("version").willReturn(aResponse().withStatus(200)
        .withHeader("Content-Type", "text/xml; charset=utf-8").withBody(answer)));
    odoo.stubFor(post(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(404)));

    OdooFailure f = failure(() -> client().version());

    assertThat(f.kind()).isEqualTo(Kind.MISCONFIGURED);
    assertThat(f.getMessage()).contains("DOCTYPE");
    assertThat(everythingIn(f)).doesNotContain("TOP-SECRET-4711");
    odoo.verify(0, anyRequestedFor(urlPathMatching("/xxe/.*")));
  }

  // ---------------------------------------------------------------- findByReference

  private static MappingBuilder searchRead(String reference) {
    return post(urlEqualTo("/xmlrpc/2/object"))
        .withRequestBody(matchingXPath("/methodCall/params/param[4]/value[.='pos.order']"))
        .withRequestBody(matchingXPath("/methodCall/params/param[5]/value[.='search_read']"))
        .withRequestBody(matchingXPath("/methodCall/params/param[6]/value/array/data/value[1]"
            + "/array/data/value[1]/array/data[value[1]='pos_reference' and value[2]='='"
            + " and value[3]='" + reference + "']"));
  }

  @Test
  void findByReferenceReadsTheOrderAndItsSession() throws Exception {
    odoo.stubFor(searchRead("Order 00005-001-0002").willReturn(xml("pos-order-found.xml")));

    assertThat(client().findByReference(7, "Order 00005-001-0002")).containsExactly(
        new FoundOrder(42, "Order 00005-001-0002", "paid", 5, "POS/00005", 8.05));

    Document sent = dom(onlyRequest("/xmlrpc/2/object"));
    String fields = "/methodCall/params/param[7]/value/struct/member[name='fields']/value/array/data";
    assertThat(xpath(sent, "count(" + fields + "/value)")).isEqualTo("5");
    assertThat(xpath(sent, fields + "/value[1]")).isEqualTo("id");
    assertThat(xpath(sent, fields + "/value[4]")).isEqualTo("session_id");
    assertThat(xpath(sent, "count(/methodCall/params/param[6]/value/array/data/value)"))
        .isEqualTo("1");
  }

  @Test
  void findByReferenceShowsARescueSession() throws OdooFailure {
    odoo.stubFor(searchRead("Order 00005-001-0003").willReturn(xml("pos-order-found-rescue.xml")));

    assertThat(client().findByReference(7, "Order 00005-001-0003")).containsExactly(
        new FoundOrder(43, "Order 00005-001-0003", "paid", 9, "POS/00009 (RESCUE FOR POS/00005)",
            12.5));
  }

  @Test
  void findByReferenceReadsFalseAndMissingFieldsAsNull() throws OdooFailure {
    odoo.stubFor(searchRead("Order 00005-001-0004").willReturn(
        xml("pos-order-found-no-session.xml")));

    assertThat(client().findByReference(7, "Order 00005-001-0004")).containsExactly(
        new FoundOrder(44, "Order 00005-001-0004", "draft", null, null, null));
  }

  @Test
  void findByReferenceFindsNothing() throws OdooFailure {
    odoo.stubFor(searchRead("Order 00005-001-0009").willReturn(xml("empty-list.xml")));

    assertThat(client().findByReference(7, "Order 00005-001-0009")).isEmpty();
  }

  // ---------------------------------------------------------------- URLs

  @Test
  void onlyTheVersion2RoutesUnderTheBasePathAreCalled() throws OdooFailure {
    odoo.stubFor(post(urlEqualTo("/odoo/xmlrpc/2/common")).willReturn(xml("version-12.xml")));
    odoo.stubFor(post(urlEqualTo("/odoo/xmlrpc/2/object")).willReturn(xml("empty-list.xml")));
    XmlRpcOdooClient client = new XmlRpcOdooClient(connection(baseUrl() + "/odoo/"),
        Duration.ofSeconds(1), Duration.ofSeconds(5));

    assertThat(client.version()).isEqualTo(OdooVersion.V12);
    assertThat(client.findByReference(7, ORDER_NAME)).isEmpty();

    odoo.verify(1, postRequestedFor(urlEqualTo("/odoo/xmlrpc/2/common")));
    odoo.verify(1, postRequestedFor(urlEqualTo("/odoo/xmlrpc/2/object")));
    odoo.verify(0, anyRequestedFor(urlMatching(".*/xmlrpc/(common|object|db).*")));
  }

  @Test
  void aUrlWithCredentialsIsRefusedWithoutShowingThem() {
    assertThatThrownBy(() -> new XmlRpcOdooClient(connection("https://bridge:" + PASSWORD
        + "@odoo.example.com")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining(PASSWORD);
  }

  // ---------------------------------------------------------------- helpers

  private static String baseUrl() {
    return "http://127.0.0.1:" + odoo.port();
  }

  private static OdooConnection connection(String url) {
    return new OdooConnection("main", URI.create(url), "odoo", "bridge", PASSWORD, "odoo");
  }

  private static XmlRpcOdooClient client() {
    return new XmlRpcOdooClient(connection(baseUrl()), Duration.ofSeconds(1),
        Duration.ofSeconds(5));
  }

  private static JsonObject order(String json) {
    return JsonParser.parseString(json).getAsJsonObject();
  }

  private static MappingBuilder common(String method) {
    return post(urlEqualTo("/xmlrpc/2/common"))
        .withRequestBody(matchingXPath("/methodCall/methodName[.='" + method + "']"));
  }

  private static MappingBuilder createFromUi() {
    return post(urlEqualTo("/xmlrpc/2/object"))
        .withRequestBody(matchingXPath("/methodCall/methodName[.='execute_kw']"))
        .withRequestBody(matchingXPath(CREATE_FROM_UI));
  }

  private static ResponseDefinitionBuilder xml(String bodyFile) {
    return aResponse().withStatus(200).withHeader("Content-Type", "text/xml; charset=utf-8")
        .withBodyFile(bodyFile);
  }

  /** A fault as CPython's marshaller writes it (§1.5), for texts no file holds. */
  private static String faultBody(int code, String text) {
    return "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n"
        + "<name>faultCode</name>\n<value><int>" + code + "</int></value>\n</member>\n<member>\n"
        + "<name>faultString</name>\n<value><string>" + text + "</string></value>\n</member>\n"
        + "</struct></value>\n</fault>\n</methodResponse>\n";
  }

  private static LoggedRequest onlyRequest(String url) {
    List<LoggedRequest> requests = odoo.findAll(postRequestedFor(urlEqualTo(url)));
    assertThat(requests).hasSize(1);
    return requests.get(0);
  }

  /** Our own request, parsed to assert on it; no DOCTYPE is expected in it either. */
  private static Document dom(LoggedRequest request) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newDefaultInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(request.getBody()));
  }

  private static String xpath(Document d, String expression) throws Exception {
    return (String) XPathFactory.newDefaultInstance().newXPath()
        .evaluate(expression, d, XPathConstants.STRING);
  }

  /**
   * Runs a call that must fail, and checks that neither the failure nor anything in its chain
   * shows the password, in a message or a printed stack trace.
   */
  private static OdooFailure failure(ThrowingCallable call) {
    OdooFailure f = catchThrowableOfType(OdooFailure.class, call);
    assertThat(f).as("the call must fail with an OdooFailure").isNotNull();
    for (Throwable t = f; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain(PASSWORD);
    }
    assertThat(everythingIn(f)).doesNotContain(PASSWORD);
    return f;
  }

  private static String everythingIn(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    return w.toString();
  }
}
