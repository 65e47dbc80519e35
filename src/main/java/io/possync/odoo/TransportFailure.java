package io.possync.odoo;

import org.apache.xmlrpc.XmlRpcException;

/**
 * A call that failed below XML-RPC (connecting, the HTTP status, reading or parsing the answer),
 * already classified by the transport, which alone knows how far the call got.
 */
final class TransportFailure extends XmlRpcException {
  private final OdooFailure.Kind kind;

  TransportFailure(OdooFailure.Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  OdooFailure.Kind kind() {
    return kind;
  }
}
