package io.possync.odoo;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns the POS's paid-order wrapper, as the terminal sent it, into the XML-RPC values
 * {@code create_from_ui} takes (docs/odoo-backend.md §1.4, §2.3–2.5). Only types Odoo's
 * marshaller reads come out: Integer, Double, Boolean, String, Map, List; never a date, null or
 * extension type.
 */
final class PaidOrderEncoder {
  /** Deeper than any order the POS builds; bounds the recursion. */
  static final int MAX_DEPTH = 64;

  private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");
  /** What {@code JSON.stringify(new Date())} produces, with or without millis and zone. */
  private static final Pattern ISO_DATE_TIME = Pattern.compile(
      "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?"
          + "(Z|[+-][0-9]{2}:?[0-9]{2})?");
  private static final DateTimeFormatter ODOO_DATE_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss");

  private PaidOrderEncoder() {}

  /**
   * The wrapper as one element of {@code create_from_ui}'s {@code orders}.
   *
   * @throws OdooFailure ORDER_REJECTED (nothing sent) when it has no {@code data.name}, which is
   *                     Odoo's dedup key, or holds a value XML-RPC cannot carry
   */
  static Map<String, Object> encode(JsonObject paidOrder, OdooVersion version)
      throws OdooFailure {
    JsonElement data = paidOrder.get("data");
    if (data == null || !data.isJsonObject()) {
      throw rejected("the paid order has no \"data\" object; it was not sent to Odoo");
    }
    JsonElement name = data.getAsJsonObject().get("name");
    if (name == null || !name.isJsonPrimitive() || !name.getAsJsonPrimitive().isString()
        || name.getAsString().isEmpty()) {
      throw rejected("the paid order has no \"data.name\" (Odoo's receipt reference, its"
          + " duplicate check); it was not sent to Odoo");
    }
    Map<String, Object> wrapper = object(paidOrder, 0);
    @SuppressWarnings("unchecked")
    Map<String, Object> order = (Map<String, Object>) wrapper.get("data");
    if (order.get("creation_date") instanceof String date) {
      order.put("creation_date", odooDateTime(date));
    }
    if (order.get("statement_ids") instanceof List<?> payments) {
      // Each payment is a [0, 0, {...}] command; its name is parsed as an Odoo datetime (§2.4).
      for (Object command : payments) {
        if (command instanceof List<?> c && c.size() == 3 && c.get(2) instanceof Map<?, ?> m
            && m.get("name") instanceof String date) {
          @SuppressWarnings("unchecked")
          Map<String, Object> payment = (Map<String, Object>) m;
          payment.put("name", odooDateTime(date));
        }
      }
    }
    if (version == OdooVersion.V13) {
      // Without the key 13.0 skips its duplicate lookup and books the order twice (§2.7).
      order.putIfAbsent("server_id", Boolean.FALSE);
    } else {
      // 12.0 reads the wrapper's to_invoice with [] and faults on a missing key (§2.3).
      wrapper.putIfAbsent("to_invoice", Boolean.FALSE);
    }
    return wrapper;
  }

  /** A JSON value as XML-RPC sees it; JSON null has no XML-RPC form without extensions. */
  private static Object value(JsonElement e, int depth) throws OdooFailure {
    if (depth > MAX_DEPTH) {
      throw rejected("the paid order is nested deeper than " + MAX_DEPTH + " levels");
    }
    if (e.isJsonObject()) {
      return object(e.getAsJsonObject(), depth);
    }
    if (e.isJsonArray()) {
      return array(e.getAsJsonArray(), depth);
    }
    if (e.isJsonNull()) {
      return Boolean.FALSE; // only reached inside arrays: false is Odoo's "empty"
    }
    JsonPrimitive p = e.getAsJsonPrimitive();
    if (p.isBoolean()) {
      return p.getAsBoolean();
    }
    if (p.isNumber()) {
      return number(p.getAsString());
    }
    return xmlSafe(p.getAsString());
  }

  private static Map<String, Object> object(JsonObject o, int depth) throws OdooFailure {
    Map<String, Object> m = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> member : o.entrySet()) {
      if (!member.getValue().isJsonNull()) { // a null member is omitted: Odoo reads .get() as None
        m.put(xmlSafe(member.getKey()), value(member.getValue(), depth + 1));
      }
    }
    return m;
  }

  private static List<Object> array(JsonArray a, int depth) throws OdooFailure {
    List<Object> l = new ArrayList<>(a.size());
    for (JsonElement e : a) {
      l.add(value(e, depth + 1));
    }
    return l;
  }

  /**
   * Integral numbers within int range become {@code <i4>} (ids, commands); every other number a
   * {@code <double>}: XML-RPC has no wider integer and Odoo refuses extensions (§1.4). The JSON
   * text decides, so {@code 2} is an int and {@code 2.0} a double, as Python reads them.
   */
  static Object number(String text) throws OdooFailure {
    if (INTEGER.matcher(text).matches() && text.length() <= 11) {
      long v = Long.parseLong(text);
      if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
        return (int) v;
      }
    }
    double d;
    try {
      d = new BigDecimal(text).doubleValue();
    } catch (NumberFormatException e) {
      throw rejected("the paid order holds a number XML-RPC cannot carry: " + text);
    }
    if (Double.isInfinite(d)) {
      throw rejected("the paid order holds a number XML-RPC cannot carry: " + text);
    }
    return d;
  }

  /**
   * A JavaScript ISO timestamp ({@code 2020-03-01T09:30:05.123Z}) as Odoo's UTC
   * {@code 2020-03-01 09:30:05}, which both 12.0 and 13.0 accept (§2.4); fractions are cut, as
   * 13.0 itself does. Anything else is left for Odoo to judge.
   */
  static String odooDateTime(String s) {
    if (!ISO_DATE_TIME.matcher(s).matches()) {
      return s;
    }
    try {
      LocalDateTime utc;
      if (s.endsWith("Z") || s.indexOf('+', 10) > 0 || s.lastIndexOf('-') > 10) {
        utc = OffsetDateTime.parse(s.replaceFirst("([+-][0-9]{2})([0-9]{2})$", "$1:$2"))
            .withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
      } else {
        utc = LocalDateTime.parse(s); // no zone: taken as UTC, as 13.0 does
      }
      return utc.truncatedTo(ChronoUnit.SECONDS).format(ODOO_DATE_TIME);
    } catch (DateTimeParseException e) {
      return s;
    }
  }

  /**
   * XML 1.0 has no way to write most control characters or a lone surrogate, and Odoo's parser
   * refuses the whole call over one; each becomes U+FFFD so the rest of the order gets through.
   */
  static String xmlSafe(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok;
      if (Character.isHighSurrogate(c)) {
        ok = i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        if (ok) {
          if (sb != null) {
            sb.append(c).append(s.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else {
        ok = c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0xFFFD
            && !Character.isLowSurrogate(c));
      }
      if (!ok && sb == null) {
        sb = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (sb != null) {
        sb.append(ok ? c : '\uFFFD');
      }
    }
    return sb == null ? s : sb.toString();
  }

  private static OdooFailure rejected(String message) {
    return new OdooFailure(OdooFailure.Kind.ORDER_REJECTED, 0, message, null);
  }
}
