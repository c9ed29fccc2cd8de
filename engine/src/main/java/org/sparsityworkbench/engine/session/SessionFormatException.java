package org.sparsityworkbench.engine.session;

import java.io.IOException;

/** A file that is not a session this program can read; the message names the file and line. */
public final class SessionFormatException extends IOException {
  public SessionFormatException(String message) {
    super(message);
  }
}
