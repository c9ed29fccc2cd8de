package org.sparsityworkbench.engine.spec;

import java.nio.file.Path;

/** Where a model's tokenizer comes from. */
public sealed interface TokenizerSpec {
  /** One token per byte (the native families). */
  record Bytes() implements TokenizerSpec {}

  /** A Hugging Face {@code tokenizer.json}. */
  record HuggingFace(Path file) implements TokenizerSpec {}
}
