package io.possync.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import io.possync.config.SettingsException;
import io.possync.testing.RpcClient;
import io.possync.testing.TestCertificate;
import io.possync.testing.TestNode;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTPS listener (docs/tls.md) with the JDK's HTTPS client, as a POS browser would use it: the
 * long-poll protocol over HTTP/1.1 and HTTP/2 with certificates from keytool in both forms, the
 * client's checks in force, and start-up refusing a certificate it cannot serve.
 */
class TlsTest {
  private static final String CHANNEL = "[\\\"db\\\",\\\"pos.longpolling\\\",\\\"%d\\\"]";
  /** Every PING/poll round uses its own POS id, hence its own channel. */
  private static final AtomicInteger POS_IDS = new AtomicInteger(1);

  @TempDir
  static Path dir;
  /** RSA, for 127.0.0.1 and localhost. */
  private static TestCertificate rsa;
  /** EC (P-256), for 127.0.0.1 and localhost. */
  private static TestCertificate ec;
  /** EC, for a LAN name only: not for 127.0.0.1. */
  private static TestCertificate lanName;

  @BeforeAll
  static void generateCertificates() throws Exception {
    rsa = TestCertificate.generate(dir, "rsa", "RSA", "ip:127.0.0.1,dns:localhost");
    ec = TestCertificate.generate(dir, "ec", "EC", "ip:127.0.0.1,dns:localhost");
    lanName = TestCertificate.generate(dir, "lan", "EC", "dns:possync.shop.lan");
  }

  static Stream<Arguments> certificateForms() {
    return Stream.of(
        Arguments.of("PKCS12 RSA, password file", rsa, Map.of(
            "tls.keystore_file", rsa.p12().toString(),
            "tls.keystore_password_file", rsa.passwordFile().toString()), Map.of()),
        Arguments.of("PKCS12 EC, password variable", ec, Map.of(
            "tls.keystore_file", ec.p12().toString(),
            "tls.keystore_password_env", "BOX_P12_PASSWORD"),
            Map.of("BOX_P12_PASSWORD", ec.password())),
        Arguments.of("PEM RSA", rsa, pem(rsa), Map.of()),
        Arguments.of("PEM EC", ec, pem(ec), Map.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("certificateForms")
  void pingAndHeldPollWorkOverHttp1AndHttp2(String form, TestCertificate cert,
      Map<String, String> settings, Map<String, String> env) throws Exception {
    try (TestNode node = TestNode.startHttps(settings, env)) {
      assertThat(node.tlsPort()).isPositive().isNotEqualTo(node.port());
      SSLContext trusting = cert.trustingOnlyThis();

      for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_1_1,
          HttpClient.Version.HTTP_2)) {
        HttpClient client = HttpClient.newBuilder().version(version).sslContext(trusting)
            .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> poll = pingAndPoll(node, client, node.httpsUri("127.0.0.1"));
        assertThat(poll.version()).as("negotiated by ALPN").isEqualTo(version);
        assertThat(poll.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.3");
      }

      // The plain listener is still there, unchanged.
      HttpResponse<String> plain = pingAndPoll(node, HttpClient.newHttpClient(), node.baseUri());
      assertThat(plain.uri().getScheme()).isEqualTo("http");
      assertThat(plain.sslSession()).isEmpty();
    }
  }

  /**
   * Browsers offer h2 and http/1.1; curl --http1.1 and older clients offer only http/1.1, some
   * clients nothing. Each gets a protocol it speaks, and HTTP/1.1 exchanges work.
   */
  @ParameterizedTest(name = "offered [{0}] -> [{1}]")
  @CsvSource({"'', ''", "http/1.1, http/1.1", "'h2,http/1.1', h2", "h2, h2"})
  void everyAlpnOfferGetsAProtocolItSpeaks(String offered, String expected) throws Exception {
    try (TestNode node = TestNode.startHttps(pem(rsa), Map.of());
        Socket tcp = new Socket("127.0.0.1", node.tlsPort());
        SSLSocket tls = (SSLSocket) rsa.trustingOnlyThis().getSocketFactory()
            .createSocket(tcp, "127.0.0.1", node.tlsPort(), true)) {
      SSLParameters p = tls.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      p.setApplicationProtocols(offered.isEmpty() ? new String[0] : offered.split(","));
      tls.setSSLParameters(p);
      tls.startHandshake();

      assertThat(tls.getApplicationProtocol()).isEqualTo(expected);
      if (!expected.equals("h2")) {
        byte[] body = RpcClient.envelope(JsonParser.parseString(
            "{\"message\":\"PING\",\"pos_id\":1,\"db_name\":\"db\"}"))
            .getBytes(StandardCharsets.UTF_8);
        OutputStream out = tls.getOutputStream();
        out.write(("POST " + PosSyncServer.PING_PATH + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Content-Type: application/json\r\nContent-Length: " + body.length
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        String answer = new String(tls.getInputStream().readAllBytes(),
            StandardCharsets.UTF_8);
        assertThat(answer).startsWith("HTTP/1.1 200").endsWith("\"result\":1}");
      }
    }
  }

  /** TLS 1.2 still serves HTTP/2: the suites offered first are ones HTTP/2 accepts. */
  @Test
  void tls12ClientGetsHttp2Too() throws Exception {
    try (TestNode node = TestNode.startHttps(pem(ec), Map.of())) {
      SSLParameters tls12 = new SSLParameters();
      tls12.setProtocols(new String[] {"TLSv1.2"});
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2)
          .sslContext(ec.trustingOnlyThis()).sslParameters(tls12).build();

      HttpResponse<String> poll = pingAndPoll(node, client, node.httpsUri("127.0.0.1"));

      assertThat(poll.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(poll.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.2");
      assertThat(poll.sslSession().orElseThrow().getCipherSuite()).startsWith("TLS_ECDHE_");
    }
  }

  @Test
  void theHttpsPortIsKeptAcrossARestartAndAbsentWhenNotConfigured() throws Exception {
    try (TestNode node = TestNode.startHttps(pem(rsa), Map.of())) {
      int before = node.tlsPort();
      node.restart();
      assertThat(node.tlsPort()).isEqualTo(before);
      pingAndPoll(node, HttpClient.newBuilder().sslContext(rsa.trustingOnlyThis()).build(),
          node.httpsUri("127.0.0.1"));
    }
    try (TestNode plainOnly = TestNode.start()) {
      assertThat(plainOnly.tlsPort()).isZero();
    }
  }

  /** The certificate is trusted but names another host: the client must refuse it. */
  @Test
  void hostnameVerificationIsInForce() throws Exception {
    try (TestNode node = TestNode.startHttps(pem(lanName), Map.of())) {
      HttpClient client = HttpClient.newBuilder().sslContext(lanName.trustingOnlyThis())
          .connectTimeout(Duration.ofSeconds(5)).build();

      assertThatThrownBy(() -> client.send(ping(node.httpsUri("127.0.0.1"), 1),
          HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("No subject alternative names matching IP address 127.0.0.1");

      // The same trust and the same server, verified against the name in the certificate.
      try (Socket tcp = new Socket("127.0.0.1", node.tlsPort());
          SSLSocket tls = (SSLSocket) lanName.trustingOnlyThis().getSocketFactory()
              .createSocket(tcp, "possync.shop.lan", node.tlsPort(), true)) {
        SSLParameters p = tls.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(p);
        tls.startHandshake();
        assertThat(tls.getSession().getPeerCertificates()[0]).isEqualTo(lanName.certificate());
      }
    }
  }

  /** A tablet that has not installed the certificate: neither no trust nor the public CAs do. */
  @Test
  void aClientThatDoesNotTrustTheCertificateFailsTheHandshake() throws Exception {
    try (TestNode node = TestNode.startHttps(pem(rsa), Map.of())) {
      HttpClient trustsNothing = HttpClient.newBuilder()
          .sslContext(TestCertificate.trustingNothing()).build();
      HttpClient publicCas = HttpClient.newBuilder().build();

      for (HttpClient client : List.of(trustsNothing, publicCas)) {
        assertThatThrownBy(() -> client.send(ping(node.httpsUri("127.0.0.1"), 1),
            HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(SSLHandshakeException.class);
      }
      // The server is unharmed.
      pingAndPoll(node, HttpClient.newBuilder().sslContext(rsa.trustingOnlyThis()).build(),
          node.httpsUri("127.0.0.1"));
    }
  }

  @Test
  void wrongKeystorePasswordStopsTheStart() throws Exception {
    Path wrong = Files.writeString(dir.resolve("wrong.password"), "not-it\n");

    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.keystore_file", rsa.p12().toString(),
        "tls.keystore_password_file", wrong.toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("cannot open tls.keystore_file " + rsa.p12() + ": wrong password (read from"
            + " tls.keystore_password_file " + wrong + ")");
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.keystore_file", rsa.p12().toString(),
        "tls.keystore_password_env", "BOX_P12_PASSWORD"), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tls.keystore_password_env names BOX_P12_PASSWORD, which is not set in the"
            + " environment");
  }

  @Test
  void aKeyThatDoesNotBelongToTheCertificateStopsTheStart() throws Exception {
    // Same kind of key (EC P-256), another pair.
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.cert_file", ec.certPem().toString(),
        "tls.key_file", lanName.keyPem().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("the private key in tls.key_file " + lanName.keyPem() + " does not belong to"
            + " the certificate in tls.cert_file " + ec.certPem());
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.cert_file", rsa.certPem().toString(),
        "tls.key_file", ec.keyPem().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageEndingWith(" (an EC key for a certificate with an RSA key)");

    // The right certificate, but after another one: the server's must come first.
    Path chain = Files.writeString(dir.resolve("misordered.pem"),
        Files.readString(lanName.certPem()) + Files.readString(ec.certPem()));
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.cert_file", chain.toString(),
        "tls.key_file", ec.keyPem().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("the private key in tls.key_file " + ec.keyPem() + " belongs to certificate"
            + " 2 in tls.cert_file " + chain + "; list the server's certificate first, then its"
            + " CA certificates");
  }

  @Test
  void missingOrWrongFilesAreNamedWithTheirSetting() throws Exception {
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.cert_file", missing.toString(),
        "tls.key_file", rsa.keyPem().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("cannot read tls.cert_file " + missing + ": no such file");
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.keystore_file", missing.toString(),
        "tls.keystore_password_file", rsa.passwordFile().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("cannot read tls.keystore_file " + missing + ": no such file");

    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.cert_file", rsa.keyPem().toString(),
        "tls.key_file", rsa.certPem().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tls.cert_file " + rsa.keyPem() + " holds no -----BEGIN CERTIFICATE----- block"
            + " (it holds PRIVATE KEY; are tls.cert_file and tls.key_file swapped?)");
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.cert_file", rsa.certPem().toString(),
        "tls.key_file", rsa.p12().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("tls.key_file " + rsa.p12() + " holds no -----BEGIN PRIVATE"
            + " KEY----- block (it is not a PEM file");
    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.keystore_file", rsa.certPem().toString(),
        "tls.keystore_password_file", rsa.passwordFile().toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessageStartingWith("cannot open tls.keystore_file " + rsa.certPem()
            + ": not a PKCS12 keystore");
  }

  /** What openssl genrsa (1.x) and many guides produce: the error says how to convert it. */
  @Test
  void aPkcs1KeyIsRefusedWithTheConversionCommand() throws Exception {
    Path pkcs1 = Files.writeString(dir.resolve("legacy.pem"), TestCertificate.pem(
        "RSA PRIVATE KEY", new byte[] {48, 0}));

    assertThatThrownBy(() -> TestNode.startHttps(Map.of(
        "tls.cert_file", rsa.certPem().toString(),
        "tls.key_file", pkcs1.toString()), Map.of()))
        .isInstanceOf(SettingsException.class)
        .hasMessage("tls.key_file " + pkcs1 + " holds a PKCS#1 key (-----BEGIN RSA PRIVATE"
            + " KEY-----); PosSync reads unencrypted PKCS#8 (-----BEGIN PRIVATE KEY-----):"
            + " openssl pkcs8 -topk8 -nocrypt -in " + pkcs1 + " -out " + dir.resolve("legacy")
            + "-pkcs8.pem");
  }

  private static Map<String, String> pem(TestCertificate cert) {
    return Map.of("tls.cert_file", cert.certPem().toString(),
        "tls.key_file", cert.keyPem().toString());
  }

  /**
   * Parks a poll on a fresh channel, sends a PING that answers it with a PONG, and returns the
   * poll's response (the same client, so over the same protocol).
   */
  private static HttpResponse<String> pingAndPoll(TestNode node, HttpClient client, URI base)
      throws Exception {
    int pos = POS_IDS.getAndIncrement();
    int held = node.node().bus().heldPolls();
    CompletableFuture<HttpResponse<String>> poll = client.sendAsync(post(base,
        PosSyncServer.POLL_PATH, "{\"channels\":[\"" + CHANNEL.formatted(pos) + "\"],\"last\":0}"),
        HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(5)).until(() -> node.node().bus().heldPolls() == held + 1);

    HttpResponse<String> ping = client.send(ping(base, pos), HttpResponse.BodyHandlers.ofString());
    assertThat(ping.statusCode()).isEqualTo(200);
    assertThat(JsonParser.parseString(ping.body()).getAsJsonObject().get("result").getAsInt())
        .isEqualTo(1);

    HttpResponse<String> answer = poll.get();
    assertThat(answer.statusCode()).isEqualTo(200);
    JsonArray notifications = JsonParser.parseString(answer.body()).getAsJsonObject()
        .getAsJsonArray("result");
    assertThat(notifications).hasSize(1);
    assertThat(notifications.get(0).getAsJsonObject().get("message").getAsString())
        .isEqualTo("PONG");
    assertThat(answer.version()).isEqualTo(ping.version());
    return answer;
  }

  private static HttpRequest ping(URI base, int pos) {
    return post(base, PosSyncServer.PING_PATH,
        "{\"message\":\"PING\",\"pos_id\":" + pos + ",\"db_name\":\"db\"}");
  }

  private static HttpRequest post(URI base, String path, String params) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(RpcClient.envelope(JsonParser.parseString(
            params))))
        .build();
  }
}
