package dev.strata.edge;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough multipart/form-data parsing for the fake cloud's sample endpoint. */
final class Multipart {
  private static final Pattern NAME = Pattern.compile("name=\"([^\"]+)\"");

  private Multipart() {}

  static Map<String, byte[]> parse(byte[] body, String boundary) {
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.US_ASCII);
    Map<String, byte[]> parts = new HashMap<>();
    int at = indexOf(body, delimiter, 0);
    while (at >= 0) {
      int start = at + delimiter.length;
      if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
        break;
      }
      start += 2; // CRLF after the delimiter
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), start);
      String headers = new String(body, start, headersEnd - start, StandardCharsets.US_ASCII);
      int next = indexOf(body, delimiter, headersEnd + 4);
      int contentEnd = next - 2; // CRLF before the next delimiter
      Matcher m = NAME.matcher(headers);
      if (m.find()) {
        byte[] content = new byte[contentEnd - (headersEnd + 4)];
        System.arraycopy(body, headersEnd + 4, content, 0, content.length);
        parts.put(m.group(1), content);
      }
      at = next;
    }
    return parts;
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
