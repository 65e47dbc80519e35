package io.possync.odoo;

import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParser;
import javax.xml.parsers.SAXParserFactory;
import org.apache.xmlrpc.XmlRpcException;
import org.apache.xmlrpc.util.SAXParsers;
import org.xml.sax.SAXException;
import org.xml.sax.XMLReader;
import org.xml.sax.helpers.DefaultHandler;

/**
 * The only XML parsers that read Odoo's answers: no DOCTYPE, no external entities, secure
 * processing on. Odoo's answers never carry a DOCTYPE (docs/odoo-backend.md §1.1: CPython's
 * marshaller writes none), so refusing one costs nothing and rules out XXE and entity expansion.
 */
final class HardenedSax {
  private static final String DISALLOW_DOCTYPE =
      "http://apache.org/xml/features/disallow-doctype-decl";
  private static final String EXTERNAL_GENERAL_ENTITIES =
      "http://xml.org/sax/features/external-general-entities";
  private static final String EXTERNAL_PARAMETER_ENTITIES =
      "http://xml.org/sax/features/external-parameter-entities";
  private static final String LOAD_EXTERNAL_DTD =
      "http://apache.org/xml/features/nonvalidating/load-external-dtd";

  private HardenedSax() {}

  /**
   * A factory with every hardening feature set. The JDK's own parser is asked for, not whatever
   * a jar on the class path registers, so the features are known to be honoured; a feature it
   * does not recognise is a hard error rather than a silently weaker parser.
   */
  static SAXParserFactory newFactory() {
    SAXParserFactory f = SAXParserFactory.newDefaultInstance();
    f.setNamespaceAware(true); // Apache's parsers match the extensions namespace by URI
    f.setValidating(false);
    f.setXIncludeAware(false);
    try {
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      f.setFeature(DISALLOW_DOCTYPE, true);
      f.setFeature(EXTERNAL_GENERAL_ENTITIES, false);
      f.setFeature(EXTERNAL_PARAMETER_ENTITIES, false);
      f.setFeature(LOAD_EXTERNAL_DTD, false);
    } catch (ParserConfigurationException | SAXException e) {
      throw new IllegalStateException("cannot harden the XML parser: " + e.getMessage(), e);
    }
    return f;
  }

  /** A reader for one answer; a factory per reader, since JAXP factories are not thread-safe. */
  static XMLReader newXMLReader() throws XmlRpcException {
    try {
      SAXParser parser = newFactory().newSAXParser();
      parser.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      parser.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      XMLReader reader = parser.getXMLReader();
      // Belt and braces: should any entity still be looked up, nothing is fetched.
      reader.setEntityResolver((publicId, systemId) -> {
        throw new SAXException("external entities are not allowed in an answer from Odoo");
      });
      // Without a handler the JDK's parser also prints each fatal error to stderr.
      reader.setErrorHandler(new DefaultHandler());
      return reader;
    } catch (ParserConfigurationException | SAXException e) {
      throw new XmlRpcException("cannot create a hardened XML parser: " + e.getMessage(), e);
    }
  }

  /**
   * Installs the hardened factory as the one Apache XML-RPC uses wherever it parses on its own
   * ({@link SAXParsers}), so no parse in this process falls back to the library's defaults.
   */
  static void installForLibrary() {
    SAXParsers.setSAXParserFactory(newFactory());
  }
}
