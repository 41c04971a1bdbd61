package dev.strata.core;

import java.util.Arrays;
import java.util.List;

/**
 * An immutable tensor shape. In a {@link TensorSpec} a dimension of {@code -1} means "any size" (a
 * dynamic axis); a concrete tensor's shape has no negative dimensions.
 */
public final class Shape {
  private static final Shape SCALAR = new Shape(new long[0]);

  private final long[] dims;

  private Shape(long[] dims) {
    this.dims = dims;
  }

  /** A shape with the given dimensions; each must be {@code >= -1}. */
  public static Shape of(long... dims) {
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < -1) {
        throw StrataException.invalid(
            "shape: dimension %d is %d (expected: >= 0, or -1 for dynamic)", i, dims[i]);
      }
    }
    return dims.length == 0 ? SCALAR : new Shape(dims.clone());
  }

  public static Shape of(List<? extends Number> dims) {
    long[] d = new long[dims.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = dims.get(i).longValue();
    }
    return of(d);
  }

  public int rank() {
    return dims.length;
  }

  public long dim(int i) {
    return dims[i];
  }

  /** A copy of the dimensions. */
  public long[] toArray() {
    return dims.clone();
  }

  public boolean isDynamic() {
    for (long d : dims) {
      if (d < 0) {
        return true;
      }
    }
    return false;
  }

  /**
   * The number of elements, or -1 when a dimension is dynamic.
   *
   * @throws StrataException INVALID_ARGUMENT when the count overflows an int-sized tensor
   */
  public long numElements() {
    long n = 1;
    for (long d : dims) {
      if (d < 0) {
        return -1;
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** This shape with its first dimension replaced; rank must be at least 1. */
  public Shape withFirst(long first) {
    if (dims.length == 0) {
      throw StrataException.invalid("shape: a scalar has no batch dimension");
    }
    long[] d = dims.clone();
    d[0] = first;
    return new Shape(d);
  }

  /** This shape without its first dimension. */
  public Shape dropFirst() {
    if (dims.length == 0) {
      throw StrataException.invalid("shape: a scalar has no batch dimension");
    }
    return new Shape(Arrays.copyOfRange(dims, 1, dims.length));
  }

  /** This shape with {@code first} prepended. */
  public Shape prepend(long first) {
    long[] d = new long[dims.length + 1];
    d[0] = first;
    System.arraycopy(dims, 0, d, 1, dims.length);
    return new Shape(d);
  }

  /**
   * Whether a concrete shape fits this (possibly dynamic) spec shape: same rank and equal
   * dimensions wherever this one is not -1.
   */
  public boolean accepts(Shape concrete) {
    if (concrete.dims.length != dims.length) {
      return false;
    }
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] >= 0 && dims[i] != concrete.dims[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape s && Arrays.equals(dims, s.dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }

  @Override
  public String toString() {
    return Arrays.toString(dims);
  }
}
