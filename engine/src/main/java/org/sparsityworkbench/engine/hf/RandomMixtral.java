package org.sparsityworkbench.engine.hf;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.sparsityworkbench.engine.tokenizer.ByteSymbols;

/**
 * Writes a random Mixtral checkpoint in Hugging Face layout (config.json, model.safetensors with
 * one tensor per expert, F32, and a byte-level BPE tokenizer.json of the configured vocabulary):
 * for benchmarks and for trying the workbench on an imported model without a download. Weights are
 * N(0, 0.02) (norms 1), deterministic for a seed; the file is streamed, never held in memory.
 *
 * @param hidden hidden_size
 * @param intermediate intermediate_size (each expert's width)
 */
public record RandomMixtral(
    int hidden,
    int intermediate,
    int layers,
    int heads,
    int kvHeads,
    int experts,
    int topK,
    int vocab,
    int context) {

  /** The benchmark shape of docs/benchmarks.md: about 139M parameters, 50M active per token. */
  public static final RandomMixtral BENCH =
      new RandomMixtral(512, 1024, 8, 8, 8, 8, 2, 32000, 2048);

  /** Writes the directory (created if needed). */
  public void write(Path dir, long seed) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.json"), config() + "\n", StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("tokenizer.json"), tokenizer(vocab), StandardCharsets.UTF_8);
    writeWeights(dir.resolve("model.safetensors"), seed);
  }

  private String config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("architectures", List.of("MixtralForCausalLM"));
    c.put("model_type", "mixtral");
    c.put("hidden_size", hidden);
    c.put("intermediate_size", intermediate);
    c.put("num_hidden_layers", layers);
    c.put("num_attention_heads", heads);
    c.put("num_key_value_heads", kvHeads);
    c.put("num_local_experts", experts);
    c.put("num_experts_per_tok", topK);
    c.put("vocab_size", vocab);
    c.put("max_position_embeddings", context);
    c.put("rms_norm_eps", 1e-5);
    c.put("rope_theta", 1_000_000.0);
    c.put("hidden_act", "silu");
    c.put("tie_word_embeddings", false);
    c.put("torch_dtype", "float32");
    return new GsonBuilder().setPrettyPrinting().create().toJson(c);
  }

  private record T(String name, long[] shape, boolean norm) {}

  private List<T> tensors() {
    int hd = hidden / heads;
    List<T> ts = new ArrayList<>();
    ts.add(new T("model.embed_tokens.weight", new long[] {vocab, hidden}, false));
    for (int i = 0; i < layers; i++) {
      String p = "model.layers." + i + ".";
      ts.add(new T(p + "input_layernorm.weight", new long[] {hidden}, true));
      ts.add(new T(p + "self_attn.q_proj.weight", new long[] {(long) heads * hd, hidden}, false));
      ts.add(new T(p + "self_attn.k_proj.weight", new long[] {(long) kvHeads * hd, hidden}, false));
      ts.add(new T(p + "self_attn.v_proj.weight", new long[] {(long) kvHeads * hd, hidden}, false));
      ts.add(new T(p + "self_attn.o_proj.weight", new long[] {hidden, (long) heads * hd}, false));
      ts.add(new T(p + "post_attention_layernorm.weight", new long[] {hidden}, true));
      ts.add(new T(p + "block_sparse_moe.gate.weight", new long[] {experts, hidden}, false));
      for (int e = 0; e < experts; e++) {
        String q = p + "block_sparse_moe.experts." + e + ".";
        ts.add(new T(q + "w1.weight", new long[] {intermediate, hidden}, false));
        ts.add(new T(q + "w2.weight", new long[] {hidden, intermediate}, false));
        ts.add(new T(q + "w3.weight", new long[] {intermediate, hidden}, false));
      }
    }
    ts.add(new T("model.norm.weight", new long[] {hidden}, true));
    ts.add(new T("lm_head.weight", new long[] {vocab, hidden}, false));
    return ts;
  }

  private void writeWeights(Path file, long seed) throws IOException {
    List<T> ts = tensors();
    JsonObject header = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("format", "pt");
    header.add("__metadata__", meta);
    long offset = 0;
    for (T t : ts) {
      long n = 1;
      for (long d : t.shape) {
        n *= d;
      }
      JsonObject e = new JsonObject();
      e.addProperty("dtype", "F32");
      JsonArray shape = new JsonArray();
      for (long d : t.shape) {
        shape.add(d);
      }
      e.add("shape", shape);
      JsonArray off = new JsonArray();
      off.add(offset);
      off.add(offset + 4 * n);
      e.add("data_offsets", off);
      header.add(t.name, e);
      offset += 4 * n;
    }
    byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
    int pad = (8 - h.length % 8) % 8; // keep the data 8-byte aligned
    byte[] hp = new byte[h.length + pad];
    System.arraycopy(h, 0, hp, 0, h.length);
    java.util.Arrays.fill(hp, h.length, hp.length, (byte) ' ');
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    SplittableRandom rng = new SplittableRandom(seed);
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hp.length);
      len.flip();
      ch.write(len);
      ch.write(ByteBuffer.wrap(hp));
      ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (T t : ts) {
        long n = 1;
        for (long d : t.shape) {
          n *= d;
        }
        for (long i = 0; i < n; i++) {
          if (!buf.hasRemaining()) {
            buf.flip();
            while (buf.hasRemaining()) {
              ch.write(buf);
            }
            buf.clear();
          }
          buf.putFloat(t.norm ? 1f : (float) (gaussian(rng) * 0.02));
        }
      }
      buf.flip();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static double gaussian(SplittableRandom r) {
    // Irwin-Hall approximation (sum of 4 uniforms, variance 1/3): fast, deterministic, bounded.
    return (r.nextDouble() + r.nextDouble() + r.nextDouble() + r.nextDouble() - 2.0) * Math.sqrt(3);
  }

  /**
   * A byte-level BPE tokenizer.json of exactly {@code size} ids: GPT-2's 256 byte symbols, merges
   * of letter and digit pairs, then triples, in a fixed order, and one special token, {@code
   * <|endoftext|>}, as the last id.
   */
  static String tokenizer(int size) {
    if (size < 257) {
      throw new IllegalArgumentException("vocabulary " + size + " < 257");
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    int next = 0;
    for (int b = 0; b < 256; b++) {
      vocab.put(ByteSymbols.symbolOf(b), next++);
    }
    String alnum = "etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLUCMFWYPVBGKJQXZ0123456789";
    List<String> merges = new ArrayList<>();
    List<String> pairs = new ArrayList<>();
    outer:
    for (char a : alnum.toCharArray()) {
      for (char b : alnum.toCharArray()) {
        if (next >= size - 1) {
          break outer;
        }
        String t = "" + a + b;
        merges.add(a + " " + b);
        vocab.put(t, next++);
        pairs.add(t);
      }
    }
    outer2:
    for (String p : pairs) {
      for (char c : alnum.toCharArray()) {
        if (next >= size - 1) {
          break outer2;
        }
        merges.add(p + " " + c);
        vocab.put(p + c, next++);
      }
    }
    int special = next;
    JsonObject o = new JsonObject();
    o.addProperty("version", "1.0");
    o.add("truncation", null);
    o.add("padding", null);
    JsonArray added = new JsonArray();
    JsonObject eos = new JsonObject();
    eos.addProperty("id", special);
    eos.addProperty("content", "<|endoftext|>");
    eos.addProperty("single_word", false);
    eos.addProperty("lstrip", false);
    eos.addProperty("rstrip", false);
    eos.addProperty("normalized", false);
    eos.addProperty("special", true);
    added.add(eos);
    o.add("added_tokens", added);
    o.add("normalizer", null);
    JsonObject pre = new JsonObject();
    pre.addProperty("type", "ByteLevel");
    pre.addProperty("add_prefix_space", false);
    pre.addProperty("trim_offsets", true);
    pre.addProperty("use_regex", true);
    o.add("pre_tokenizer", pre);
    o.add("post_processor", null);
    JsonObject dec = new JsonObject();
    dec.addProperty("type", "ByteLevel");
    dec.addProperty("add_prefix_space", true);
    dec.addProperty("trim_offsets", true);
    dec.addProperty("use_regex", true);
    o.add("decoder", dec);
    JsonObject model = new JsonObject();
    model.addProperty("type", "BPE");
    model.add("dropout", null);
    model.add("unk_token", null);
    model.add("continuing_subword_prefix", null);
    model.add("end_of_word_suffix", null);
    model.addProperty("fuse_unk", false);
    model.addProperty("byte_fallback", false);
    JsonObject v = new JsonObject();
    vocab.forEach(v::addProperty);
    model.add("vocab", v);
    JsonArray m = new JsonArray();
    merges.forEach(m::add);
    model.add("merges", m);
    o.add("model", model);
    return new GsonBuilder().serializeNulls().create().toJson(o);
  }
}
