package io.possync.odoo;

import org.apache.ws.commons.serialize.XMLWriter;
import org.apache.ws.commons.serialize.XMLWriterImpl;
import org.apache.xmlrpc.serializer.BaseXmlWriterFactory;

/**
 * Writes requests as plain UTF-8. The library's writer turns every non-ASCII character into a
 * character reference, and a character outside the BMP (an emoji in a customer note) into two
 * references to surrogates, which no XML parser accepts: Odoo would refuse the whole call.
 * Characters XML cannot carry at all were already replaced by {@link PaidOrderEncoder#xmlSafe}.
 */
final class Utf8XmlWriterFactory extends BaseXmlWriterFactory {
  @Override
  protected XMLWriter newXmlWriter() {
    return new XMLWriterImpl() {
      @Override
      public boolean canEncode(char c) {
        return true; // the request encoding is always UTF-8, which encodes every character
      }
    };
  }
}
