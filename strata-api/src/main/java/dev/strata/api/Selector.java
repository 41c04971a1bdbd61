package dev.strata.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.strata.core.StrataException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A node label selector in the Kubernetes syntax, requirements joined by commas (all must hold):
 * {@code k=v}, {@code k!=v}, {@code k in (a,b)}, {@code k notin (a,b)}, {@code k} (has the label),
 * {@code !k} (lacks it). {@code k==v} is refused rather than read as {@code k=v}, and a set must
 * name at least one value, so that what is stored is what was written. The empty selector matches
 * every node. A missing label fails {@code =} and {@code in} and satisfies {@code !=} and {@code
 * notin}, as in Kubernetes.
 */
public record Selector(List<Requirement> requirements) {
  public static final Selector ALL = new Selector(List.of());

  private static final String KEY = "[A-Za-z0-9][A-Za-z0-9._/-]{0,62}";
  private static final String VALUE = "[A-Za-z0-9._-]{0,63}";
  private static final Pattern EQ = Pattern.compile("(" + KEY + ")\\s*(=|!=)\\s*(" + VALUE + ")");
  private static final Pattern SET =
      Pattern.compile("(" + KEY + ")\\s+(in|notin)\\s*\\(([^()]*)\\)");
  private static final Pattern EXISTS = Pattern.compile("(!?)\\s*(" + KEY + ")");
  private static final Pattern VALUE_ONLY = Pattern.compile(VALUE);

  /** How a requirement compares a label. */
  public enum Operator {
    EQUALS,
    NOT_EQUALS,
    IN,
    NOT_IN,
    EXISTS,
    DOES_NOT_EXIST
  }

  /** One requirement on one label key. */
  public record Requirement(String key, Operator operator, Set<String> values) {
    public Requirement {
      requireNonNull(key, "key");
      requireNonNull(operator, "operator");
      values = Set.copyOf(values);
    }

    boolean matches(Map<String, String> labels) {
      String v = labels.get(key);
      return switch (operator) {
        case EQUALS, IN -> v != null && values.contains(v);
        case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
        case EXISTS -> v != null;
        case DOES_NOT_EXIST -> v == null;
      };
    }

    @Override
    public String toString() {
      String sorted = String.join(",", new TreeSet<>(values));
      return switch (operator) {
        case EQUALS -> key + "=" + sorted;
        case NOT_EQUALS -> key + "!=" + sorted;
        case IN -> key + " in (" + sorted + ")";
        case NOT_IN -> key + " notin (" + sorted + ")";
        case EXISTS -> key;
        case DOES_NOT_EXIST -> "!" + key;
      };
    }
  }

  public Selector {
    requirements = List.copyOf(requirements);
  }

  /** Parses a selector; INVALID_ARGUMENT naming the bad requirement. */
  @JsonCreator
  public static Selector parse(String text) {
    requireNonNull(text, "selector");
    List<Requirement> out = new ArrayList<>();
    for (String part : split(text)) {
      String p = part.trim();
      if (p.isEmpty()) {
        if (text.isBlank()) {
          continue;
        }
        throw StrataException.invalid("selector: '%s' (empty requirement)", text);
      }
      out.add(parseRequirement(p, text));
    }
    return new Selector(out);
  }

  private static Requirement parseRequirement(String p, String text) {
    Matcher m = SET.matcher(p);
    if (m.matches()) {
      Set<String> values = new TreeSet<>();
      for (String v : m.group(3).split(",", -1)) {
        String t = v.trim();
        if (t.isEmpty()) {
          throw StrataException.invalid(
              "selector '%s': '%s' has an empty value (expected: %s %s (a,b), at least one value)",
              text, p, m.group(1), m.group(2));
        }
        if (!VALUE_ONLY.matcher(t).matches()) {
          throw StrataException.invalid("selector '%s': value '%s' is not a label value", text, t);
        }
        values.add(t);
      }
      return new Requirement(
          m.group(1), m.group(2).equals("in") ? Operator.IN : Operator.NOT_IN, values);
    }
    if (p.contains("==")) {
      throw StrataException.invalid(
          "selector '%s': '%s' uses == (expected: k=v, k!=v, k in (a,b), k notin (a,b), k, !k)",
          text, p);
    }
    m = EQ.matcher(p);
    if (m.matches()) {
      Operator op = m.group(2).equals("!=") ? Operator.NOT_EQUALS : Operator.EQUALS;
      return new Requirement(m.group(1), op, Set.of(m.group(3)));
    }
    m = EXISTS.matcher(p);
    if (m.matches()) {
      return new Requirement(
          m.group(2), m.group(1).isEmpty() ? Operator.EXISTS : Operator.DOES_NOT_EXIST, Set.of());
    }
    throw StrataException.invalid(
        "selector '%s': cannot parse '%s' (expected: k=v, k!=v, k in (a,b), k notin (a,b), k, !k)",
        text, p);
  }

  private static List<String> split(String text) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == '(') {
        depth++;
      } else if (ch == ')') {
        depth--;
      } else if (ch == ',' && depth == 0) {
        parts.add(text.substring(start, i));
        start = i + 1;
      }
    }
    parts.add(text.substring(start));
    return parts;
  }

  public boolean matches(Map<String, String> labels) {
    for (Requirement r : requirements) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether some set of labels satisfies both this selector and {@code other}: whether one node
   * could be selected by both, whatever nodes exist now. Exact for this syntax: per key, the values
   * both allow must leave one that neither excludes, and a key one requires must not be one the
   * other requires absent.
   */
  public boolean overlaps(Selector other) {
    Map<String, List<Requirement>> byKey = new java.util.HashMap<>();
    for (Requirement r : requirements) {
      byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
    }
    for (Requirement r : other.requirements) {
      byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
    }
    for (List<Requirement> rs : byKey.values()) {
      if (!satisfiable(rs)) {
        return false;
      }
    }
    return true;
  }

  /** Whether one label (present or absent) meets every requirement on its key. */
  private static boolean satisfiable(List<Requirement> onOneKey) {
    boolean mustExist = false;
    boolean mustBeAbsent = false;
    Set<String> allowed = null; // null: any value
    Set<String> excluded = new java.util.HashSet<>();
    for (Requirement r : onOneKey) {
      switch (r.operator()) {
        case EQUALS, IN -> {
          mustExist = true;
          if (allowed == null) {
            allowed = new java.util.HashSet<>(r.values());
          } else {
            allowed.retainAll(r.values());
          }
        }
        case NOT_EQUALS, NOT_IN -> excluded.addAll(r.values());
        case EXISTS -> mustExist = true;
        case DOES_NOT_EXIST -> mustBeAbsent = true;
      }
    }
    if (mustBeAbsent) {
      return !mustExist; // an absent label satisfies != and notin
    }
    if (allowed == null) {
      return true; // there is always a value no requirement names
    }
    allowed.removeAll(excluded);
    return !allowed.isEmpty();
  }

  /** The canonical text: what {@link #parse} reads back to an equal selector. */
  @JsonValue
  @Override
  public String toString() {
    return requirements.stream().map(Requirement::toString).collect(Collectors.joining(","));
  }
}
