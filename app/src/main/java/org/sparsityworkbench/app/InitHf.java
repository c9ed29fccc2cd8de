package org.sparsityworkbench.app;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.sparsityworkbench.engine.hf.RandomMixtral;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./workbench init-hf}: a random Mixtral in Hugging Face layout, to open like a real one.
 */
@Command(
    name = "init-hf",
    mixinStandardHelpOptions = true,
    description =
        "Writes a random Mixtral checkpoint in Hugging Face layout (config.json,"
            + " model.safetensors, tokenizer.json).")
final class InitHf implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "Directory to write.")
  Path out;

  @Option(
      names = "--hidden",
      defaultValue = "512",
      description = "hidden_size (default: ${DEFAULT-VALUE}).")
  int hidden;

  @Option(
      names = "--intermediate",
      defaultValue = "1024",
      description = "intermediate_size (default: ${DEFAULT-VALUE}).")
  int intermediate;

  @Option(
      names = "--layers",
      defaultValue = "8",
      description = "num_hidden_layers (default: ${DEFAULT-VALUE}).")
  int layers;

  @Option(
      names = "--heads",
      defaultValue = "8",
      description = "num_attention_heads (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(
      names = "--kv-heads",
      defaultValue = "8",
      description = "num_key_value_heads (default: ${DEFAULT-VALUE}).")
  int kvHeads;

  @Option(
      names = "--experts",
      defaultValue = "8",
      description = "num_local_experts (default: ${DEFAULT-VALUE}).")
  int experts;

  @Option(
      names = "--top-k",
      defaultValue = "2",
      description = "num_experts_per_tok (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--vocab",
      defaultValue = "32000",
      description = "vocab_size (default: ${DEFAULT-VALUE}).")
  int vocab;

  @Option(
      names = "--context",
      defaultValue = "2048",
      description = "max_position_embeddings (default: ${DEFAULT-VALUE}).")
  int context;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (hidden % heads != 0 || heads % kvHeads != 0 || topK > experts || vocab < 257) {
      throw new IllegalArgumentException(
          "need hidden % heads == 0, heads % kv-heads == 0, top-k <= experts, vocab >= 257");
    }
    new RandomMixtral(hidden, intermediate, layers, heads, kvHeads, experts, topK, vocab, context)
        .write(out, seed);
    System.out.println(out);
    return 0;
  }
}
