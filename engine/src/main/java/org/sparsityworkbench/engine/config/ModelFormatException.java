package org.sparsityworkbench.engine.config;

/**
 * A model directory, configuration or weight file that cannot be used. The message always names the
 * file and, where there is one, the field or tensor at fault.
 */
public class ModelFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelFormatException(String message) {
    super(message);
  }

  public ModelFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
