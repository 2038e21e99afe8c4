package org.mmapkit;

/** How a {@link MappedFile} is opened and how its views may be used. */
public enum MapMode {
  /** Read-only, shared: views see the file, writes are refused. */
  READ_ONLY(0),
  /** Read-write, shared: writes reach the file and other processes. */
  READ_WRITE(1),
  /** Copy-on-write: writes stay in this process and never reach the file. */
  PRIVATE(2);

  final int code;

  MapMode(int code) {
    this.code = code;
  }

  static MapMode of(int code) {
    for (MapMode m : values()) {
      if (m.code == code) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown map mode " + code);
  }
}
