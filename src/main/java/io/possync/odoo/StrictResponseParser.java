package io.possync.odoo;

import java.util.Map;
import org.apache.xmlrpc.common.TypeFactory;
import org.apache.xmlrpc.common.XmlRpcStreamRequestConfig;
import org.apache.xmlrpc.parser.XmlRpcResponseParser;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

/**
 * Apache's response parser with the fault checked before the library sees it. Apache 3.1.3
 * deserializes a fault's {@code faultCause} bytes with {@code ObjectInputStream} whether or not
 * extensions are enabled (CVE-2019-17570), and casts a string faultCode to Integer unchecked
 * (docs/odoo-backend.md §1.1, legacy routes). Odoo sends neither, so both are refused here.
 */
final class StrictResponseParser extends XmlRpcResponseParser {
  private boolean carriedFaultCause;

  StrictResponseParser(XmlRpcStreamRequestConfig config, TypeFactory types) {
    super(config, types);
  }

  @Override
  protected void addResult(Object result) throws SAXException {
    if (!isSuccess()) {
      if (!(result instanceof Map<?, ?> fault)) {
        throw new SAXParseException("the fault is not a struct", getDocumentLocator());
      }
      if (!(fault.get("faultCode") instanceof Integer)) {
        throw new SAXParseException("the faultCode is not an int (a legacy /xmlrpc/ path?)",
            getDocumentLocator());
      }
      if (!(fault.get("faultString") instanceof String)) {
        throw new SAXParseException("the faultString is not a string", getDocumentLocator());
      }
      if (fault.containsKey("faultCause")) {
        // Removed before super.addResult can hand the bytes to ObjectInputStream.
        fault.remove("faultCause");
        carriedFaultCause = true;
      }
    }
    super.addResult(result);
  }

  /** The fault had a {@code faultCause} member (now dropped, never deserialized). */
  boolean carriedFaultCause() {
    return carriedFaultCause;
  }
}
