package io.possync.odoo;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingXPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.List;

/**
 * A stand-in Odoo on a loopback port answering XML-RPC the way Odoo 12/13 does (CPython
 * marshaller: one element per line, faults as HTTP 200). Only for the outbox's tests.
 */
final class OdooStub implements AutoCloseable {
  static final String DB = "odoo";
  static final String LOGIN = "possync";
  static final String PASSWORD = "s3cret-pw";
  static final int UID = 7;

  private final WireMockServer server;

  OdooStub() {
    this(0);
  }

  /** On a given port (0: any), e.g. to come back on the port an outage left. */
  OdooStub(int port) {
    server = new WireMockServer(options().bindAddress("127.0.0.1").port(port));
    server.start();
  }

  int port() {
    return server.port();
  }

  String url() {
    return "http://127.0.0.1:" + server.port();
  }

  WireMockServer server() {
    return server;
  }

  /** A healthy Odoo of that series with our user able to log in. */
  OdooStub healthy(int series) {
    server.stubFor(common("version").willReturn(xml(response(version(series)))));
    server.stubFor(common("authenticate")
        .withRequestBody(matchingXPath("/methodCall/params/param[3]/value[.='" + PASSWORD + "']"))
        .willReturn(xml(response("<value><int>" + UID + "</int></value>"))));
    server.stubFor(common("authenticate").atPriority(9)
        .willReturn(xml(response("<value><boolean>0</boolean></value>"))));
    // Nothing found by name unless a test says otherwise.
    server.stubFor(object("pos.order", "search_read").atPriority(9)
        .willReturn(xml(response("<value><array><data>\n</data></array></value>"))));
    return this;
  }

  /** create_from_ui for the order named {@code name} creates Odoo order {@code id}. */
  void creates(String name, int id, int series) {
    server.stubFor(createFromUi(name).willReturn(xml(response(series == 13
        ? "<value><array><data>\n<value><struct>\n<member>\n<name>id</name>\n<value><int>" + id
            + "</int></value>\n</member>\n<member>\n<name>pos_reference</name>\n<value><string>"
            + escape(name) + "</string></value>\n</member>\n</struct></value>\n</data></array></value>"
        : "<value><array><data>\n<value><int>" + id + "</int></value>\n</data></array></value>"))));
  }

  /** create_from_ui for that order answers a fault. */
  void faults(String name, int code, String text) {
    server.stubFor(createFromUi(name).willReturn(xml(fault(code, text))));
  }

  MappingBuilder createFromUi(String name) {
    return object("pos.order", "create_from_ui").withRequestBody(matchingXPath(
        "//member[name='data']/value/struct/member[name='name']/value[.='" + name + "']"));
  }

  /** search_read by that name finds an order. */
  void finds(String name, int id, int sessionId, String sessionName, double total) {
    server.stubFor(findByName(name).willReturn(xml(response(
        "<value><array><data>\n<value><struct>\n"
            + member("id", "<int>" + id + "</int>")
            + member("pos_reference", "<string>" + escape(name) + "</string>")
            + member("state", "<string>paid</string>")
            + member("session_id", "<array><data>\n<value><int>" + sessionId
                + "</int></value>\n<value><string>" + escape(sessionName)
                + "</string></value>\n</data></array>")
            + member("amount_total", "<double>" + total + "</double>")
            + "</struct></value>\n</data></array></value>"))));
  }

  MappingBuilder findByName(String name) {
    return object("pos.order", "search_read").withRequestBody(matchingXPath(
        "/methodCall/params/param[6]/value/array/data/value[1]/array/data/value[1]/array/data"
            + "[value[1]='pos_reference' and value[2]='=' and value[3]='" + name + "']"));
  }

  /** The create_from_ui calls received, oldest first. */
  List<LoggedRequest> createCalls() {
    return server.findAll(objectCalls("create_from_ui"));
  }

  List<LoggedRequest> createCalls(String name) {
    return server.findAll(objectCalls("create_from_ui").withRequestBody(matchingXPath(
        "//member[name='data']/value/struct/member[name='name']/value[.='" + name + "']")));
  }

  int authenticateCalls() {
    return server.findAll(postRequestedFor(urlEqualTo("/xmlrpc/2/common")).withRequestBody(
        matchingXPath("/methodCall/methodName[.='authenticate']"))).size();
  }

  private static RequestPatternBuilder objectCalls(String method) {
    return postRequestedFor(urlEqualTo("/xmlrpc/2/object"))
        .withRequestBody(matchingXPath("/methodCall/params/param[5]/value[.='" + method + "']"));
  }

  static MappingBuilder common(String method) {
    return post(urlEqualTo("/xmlrpc/2/common"))
        .withRequestBody(matchingXPath("/methodCall/methodName[.='" + method + "']"));
  }

  static MappingBuilder object(String model, String method) {
    return post(urlEqualTo("/xmlrpc/2/object"))
        .withRequestBody(matchingXPath("/methodCall/params/param[4]/value[.='" + model + "']"))
        .withRequestBody(matchingXPath("/methodCall/params/param[5]/value[.='" + method + "']"));
  }

  static ResponseDefinitionBuilder xml(String body) {
    return aResponse().withStatus(200).withHeader("Content-Type", "text/xml; charset=utf-8")
        .withBody(body);
  }

  static String response(String value) {
    return "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n" + value
        + "\n</param>\n</params>\n</methodResponse>\n";
  }

  static String fault(int code, String text) {
    return "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n"
        + member("faultCode", "<int>" + code + "</int>")
        + member("faultString", "<string>" + escape(text) + "</string>")
        + "</struct></value>\n</fault>\n</methodResponse>\n";
  }

  static String version(int series) {
    return "<value><struct>\n"
        + member("server_version", "<string>" + series + ".0</string>")
        + member("server_version_info", "<array><data>\n<value><int>" + series
            + "</int></value>\n<value><int>0</int></value>\n<value><int>0</int></value>\n"
            + "<value><string>final</string></value>\n<value><int>0</int></value>\n"
            + "<value><string></string></value>\n</data></array>")
        + member("server_serie", "<string>" + series + ".0</string>")
        + member("protocol_version", "<int>1</int>")
        + "</struct></value>";
  }

  private static String member(String name, String value) {
    return "<member>\n<name>" + name + "</name>\n<value>" + value + "</value>\n</member>\n";
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  @Override
  public void close() {
    server.stop();
  }
}
