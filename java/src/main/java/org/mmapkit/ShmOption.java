package org.mmapkit;

/** Options of the shared-memory factories of {@link MappedFile}. */
public enum ShmOption {
  /**
   * Accept an existing object owned by another user or readable or writable by group or others.
   * Without it such an object is refused with {@link java.nio.file.AccessDeniedException} (its
   * message names the owner uid and the mode): another user may have created the name first to
   * read what this process writes. Pass it only to share memory between users on purpose.
   */
  ALLOW_FOREIGN
}
