package io.possync.cluster;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingXPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A stand-in Odoo 13 for the cluster's outbox tests that remembers what it was sent: once a
 * create_from_ui for an order name has <em>arrived</em> (not once it was answered: Odoo commits
 * even when the caller died waiting), a search by that name finds the order, and a further create
 * of it answers an empty list, as Odoo's own check by name does. Every create is answered only
 * after {@code createDelay} ms, so a node can be killed while its create is under way.
 *
 * <p>Each node is given its own path prefix ({@code url(node)}, as behind a reverse proxy), so
 * that the requests received tell which node sent them.
 */
final class StatefulOdooStub implements AutoCloseable {
  static final String DB = "odoo";
  static final String LOGIN = "possync";
  static final String PASSWORD = "s3cret-pw";
  static final int UID = 7;
  private static final String CREATED = "created";
  private static final String NAME_OF_ORDER =
      "//member[name='data']/value/struct/member[name='name']/value";
  private static final String BY_NAME =
      "/methodCall/params/param[6]/value/array/data/value[1]/array/data/value[1]/array/data";
  private static final String EMPTY = "<value><array><data>\n</data></array></value>";
  private static final String VERSION_13 = "<value><struct>\n"
      + member("server_version", "<string>13.0</string>")
      + member("server_version_info", "<array><data>\n<value><int>13</int></value>\n"
          + "<value><int>0</int></value>\n<value><int>0</int></value>\n"
          + "<value><string>final</string></value>\n<value><int>0</int></value>\n"
          + "<value><string></string></value>\n</data></array>")
      + member("server_serie", "<string>13.0</string>")
      + member("protocol_version", "<int>1</int>")
      + "</struct></value>";

  private final WireMockServer server;
  private final int createDelay;

  StatefulOdooStub(int createDelay) {
    this.createDelay = createDelay;
    server = new WireMockServer(options().bindAddress("127.0.0.1").port(0));
    server.start();
    server.stubFor(common("version").willReturn(xml(response(VERSION_13))));
    server.stubFor(common("authenticate")
        .withRequestBody(matchingXPath("/methodCall/params/param[3]/value[.='" + PASSWORD + "']"))
        .willReturn(xml(response("<value><int>" + UID + "</int></value>"))));
    server.stubFor(object("search_read").atPriority(9).willReturn(xml(response(EMPTY))));
  }

  /** The address node {@code node} is configured with: the stub under its own prefix. */
  String url(String node) {
    return "http://127.0.0.1:" + server.port() + "/" + node;
  }

  /**
   * The settings by which node {@code node} delivers its database's outbox ({@link #DB}) here,
   * retrying after a second; {@code passwordFile} holds {@link #PASSWORD}.
   */
  Map<String, String> settings(String node, Path passwordFile) {
    return Map.of(
        "odoo.shop.url", url(node),
        "odoo.shop.database", DB,
        "odoo.shop.login", LOGIN,
        "odoo.shop.password_file", passwordFile.toString(),
        "outbox.retry_min", "1",
        "outbox.retry_max", "1",
        "odoo.connect_timeout", "1");
  }

  /**
   * Makes Odoo know how to take the paid order named {@code name}: its first create makes order
   * {@code id} (in session {@code sessionId}, total {@code total}), found by name from then on.
   */
  void accepts(String name, int id, int sessionId, double total) {
    server.stubFor(create(name).inScenario(name).whenScenarioStateIs(Scenario.STARTED)
        .willSetStateTo(CREATED).willReturn(xml(response("<value><array><data>\n<value><struct>\n"
            + member("id", "<int>" + id + "</int>")
            + member("pos_reference", "<string>" + name + "</string>")
            + "</struct></value>\n</data></array></value>")).withFixedDelay(createDelay)));
    server.stubFor(create(name).inScenario(name).whenScenarioStateIs(CREATED)
        .willReturn(xml(response(EMPTY)).withFixedDelay(createDelay)));
    server.stubFor(search(name).inScenario(name).whenScenarioStateIs(CREATED)
        .willReturn(xml(response("<value><array><data>\n<value><struct>\n"
            + member("id", "<int>" + id + "</int>")
            + member("pos_reference", "<string>" + name + "</string>")
            + member("state", "<string>paid</string>")
            + member("session_id", "<array><data>\n<value><int>" + sessionId
                + "</int></value>\n<value><string>POS/" + sessionId
                + "</string></value>\n</data></array>")
            + member("amount_total", "<double>" + total + "</double>")
            + "</struct></value>\n</data></array></value>"))));
  }

  /** The create_from_ui calls received for that order name, oldest first. */
  List<LoggedRequest> creates(String name) {
    return server.findAll(calls("create_from_ui").withRequestBody(matchingXPath(NAME_OF_ORDER
        + "[.='" + name + "']")));
  }

  /** Every create_from_ui call received, oldest first. */
  List<LoggedRequest> creates() {
    return server.findAll(calls("create_from_ui"));
  }

  /** Every call on {@code pos.order} (creates and searches), oldest first. */
  List<LoggedRequest> orderCalls() {
    return server.findAll(postRequestedFor(urlMatching("/[^/]+/xmlrpc/2/object")));
  }

  /** The searches by that order name received, oldest first. */
  List<LoggedRequest> searches(String name) {
    return server.findAll(calls("search_read").withRequestBody(matchingXPath(BY_NAME
        + "[value[1]='pos_reference' and value[2]='=' and value[3]='" + name + "']")));
  }

  /** The node that sent a request: the first segment of its path. */
  static String sender(LoggedRequest request) {
    String url = request.getUrl();
    return url.substring(1, url.indexOf('/', 1));
  }

  private static MappingBuilder create(String name) {
    return object("create_from_ui").withRequestBody(matchingXPath(NAME_OF_ORDER
        + "[.='" + name + "']"));
  }

  private static MappingBuilder search(String name) {
    return object("search_read").withRequestBody(matchingXPath(BY_NAME
        + "[value[1]='pos_reference' and value[2]='=' and value[3]='" + name + "']"));
  }

  private static RequestPatternBuilder calls(String method) {
    return postRequestedFor(urlMatching("/[^/]+/xmlrpc/2/object"))
        .withRequestBody(matchingXPath("/methodCall/params/param[5]/value[.='" + method + "']"));
  }

  private static MappingBuilder common(String method) {
    return post(urlMatching("/[^/]+/xmlrpc/2/common"))
        .withRequestBody(matchingXPath("/methodCall/methodName[.='" + method + "']"));
  }

  private static MappingBuilder object(String method) {
    return post(urlMatching("/[^/]+/xmlrpc/2/object"))
        .withRequestBody(matchingXPath("/methodCall/params/param[4]/value[.='pos.order']"))
        .withRequestBody(matchingXPath("/methodCall/params/param[5]/value[.='" + method + "']"));
  }

  private static ResponseDefinitionBuilder xml(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "text/xml; charset=utf-8")
        .withBody(body);
  }

  private static String response(String value) {
    return "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n" + value
        + "\n</param>\n</params>\n</methodResponse>\n";
  }

  private static String member(String name, String value) {
    return "<member>\n<name>" + name + "</name>\n<value>" + value + "</value>\n</member>\n";
  }

  @Override
  public void close() {
    server.stop();
  }
}
