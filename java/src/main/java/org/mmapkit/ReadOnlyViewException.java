package org.mmapkit;

import java.nio.ReadOnlyBufferException;

/**
 * A write refused by a read-only {@link MappedView} (or into a read-only destination buffer).
 * {@link ReadOnlyBufferException} has no message constructor, so its message is null; this
 * subclass says what was refused: the index and length of the write, the view's size and its
 * file. Callers catch it as the JDK's {@code ReadOnlyBufferException}; this class is not part of
 * the API.
 */
final class ReadOnlyViewException extends ReadOnlyBufferException {
  private static final long serialVersionUID = 1L;

  private final String message;

  ReadOnlyViewException(String message) {
    this.message = message;
  }

  @Override
  public String getMessage() {
    return message;
  }
}
