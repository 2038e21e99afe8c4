package org.mmapkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.mmapkit.internal.NativeCore;
import org.mmapkit.internal.NativeCoreConstants;

/**
 * Mapped memory faulted during a bulk copy or an atomic operation: typically the file was
 * truncated by someone else, the device reported an I/O error, or a sparse page could not be
 * allocated. The calling thread gets this exception instead of the process dying; the view stays
 * usable for the part that is still backed.
 */
public class FaultException extends UncheckedIOException {
  private static final long serialVersionUID = 2L;

  /** The core's status (a negative mmapkit error code). */
  private final int status;

  /**
   * Creates the exception for the core's MMK_EIO; the cause is an {@link IOException} with the
   * same message.
   *
   * @param message operation, path and reason
   */
  public FaultException(String message) {
    this(message, NativeCoreConstants.MMK_EIO);
  }

  /**
   * Creates the exception with an explicit cause, for the core's MMK_EIO.
   *
   * @param message operation, path and reason
   * @param cause the I/O error
   */
  public FaultException(String message, IOException cause) {
    super(message, cause);
    this.status = NativeCoreConstants.MMK_EIO;
  }

  /**
   * Creates the exception for a core status (how the binding reports it).
   *
   * @param message operation, path and reason
   * @param status the core's status, a negative mmapkit error code
   */
  public FaultException(String message, int status) {
    super(message, new IOException(message));
    this.status = status;
  }

  /**
   * The core's status for the fault, as {@code mmapkit.h} numbers it (MMK_EIO, -5, for a fault in
   * mapped memory).
   *
   * @return a negative mmapkit error code
   */
  public int status() {
    return status;
  }

  /**
   * The core's name of {@link #status()}.
   *
   * @return for instance {@code "MMK_EIO"}
   */
  public String statusName() {
    return NativeCore.mmk_err_name(status);
  }
}
