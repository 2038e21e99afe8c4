package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Mapped memory faulted during a bulk copy or an atomic operation: typically the file was
 * truncated by someone else, the device reported an I/O error, or a sparse page could not be
 * allocated. The calling thread gets this exception instead of the process dying; the view stays
 * usable for the part that is still backed.
 */
public class FaultException extends UncheckedIOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; the cause is an {@link IOException} with the same message.
   *
   * @param message operation, path and reason
   */
  public FaultException(String message) {
    super(message, new IOException(message));
  }

  /**
   * Creates the exception with an explicit cause.
   *
   * @param message operation, path and reason
   * @param cause the I/O error
   */
  public FaultException(String message, IOException cause) {
    super(message, cause);
  }
}
