package io.possync.odoo;

import org.apache.xmlrpc.XmlRpcException;

/**
 * Odoo answered with an XML-RPC fault: an int faultCode and its faultString
 * (docs/odoo-backend.md §1.6).
 */
final class OdooFault extends XmlRpcException {
  private final String faultString;

  OdooFault(int faultCode, String faultString) {
    super(faultCode, faultString);
    this.faultString = faultString;
  }

  String faultString() {
    return faultString;
  }
}
