package org.mmapkit;

import java.util.Objects;

/**
 * Options of {@link MappedFile#map(long, long, MapOption...)}.
 *
 * <pre>{@code
 * f.map(0, 1 << 20, MapOption.POPULATE, MapOption.RESERVE(1L << 30));
 * }</pre>
 */
public final class MapOption {
  /** Prefault the pages at map time (MAP_POPULATE), so first accesses do not fault. */
  public static final MapOption POPULATE = new MapOption("POPULATE", 1, 0);
  /** Ask for transparent huge pages where the system has them (advice, never fails). */
  public static final MapOption HUGEPAGE = new MapOption("HUGEPAGE", 2, 0);
  /** Map read-only even if the file is writable. */
  public static final MapOption READ_ONLY = new MapOption("READ_ONLY", 4, 0);

  final String name;
  final int bits;
  final long reserve;

  private MapOption(String name, int bits, long reserve) {
    this.name = name;
    this.bits = bits;
    this.reserve = reserve;
  }

  /**
   * Reserves {@code bytes} of address space for the view, so that {@link MappedView#resize(long)}
   * can grow it in place up to that length without moving it (buffers handed out stay valid).
   *
   * @param bytes reservation in bytes, at least the mapped length
   * @return the option
   * @throws IllegalArgumentException if {@code bytes} is not positive
   */
  public static MapOption reserve(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("reserve must be positive: " + bytes);
    }
    return new MapOption("RESERVE", 0, bytes);
  }

  /**
   * Same as {@link #reserve(long)}, spelled like the constants ({@code MapOption.RESERVE(n)}).
   *
   * @param bytes reservation in bytes
   * @return the option
   */
  @SuppressWarnings("MethodName")
  public static MapOption RESERVE(long bytes) {
    return reserve(bytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MapOption
        && ((MapOption) o).bits == bits
        && ((MapOption) o).reserve == reserve;
  }

  @Override
  public int hashCode() {
    return Objects.hash(bits, reserve);
  }

  @Override
  public String toString() {
    return reserve != 0 ? name + "(" + reserve + ")" : name;
  }
}
