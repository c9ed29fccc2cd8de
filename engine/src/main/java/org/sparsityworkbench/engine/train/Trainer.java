package org.sparsityworkbench.engine.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.sparsityworkbench.engine.config.ModelConfig;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.io.SafeTensors;
import org.sparsityworkbench.engine.model.Floats;
import org.sparsityworkbench.engine.model.LayerTrace;
import org.sparsityworkbench.engine.model.Router;
import org.sparsityworkbench.engine.model.TransformerModel;

/**
 * Trains a model of any family on a byte corpus: next-byte cross-entropy plus the routers'
 * auxiliary losses, AdamW (beta 0.9 / 0.95, eps 1e-8) with warm-up and cosine decay, global-norm
 * clipping. Deterministic for a seed: the batch of step s and all training noise come from a
 * generator seeded with (seed, s), so a resumed run repeats an uninterrupted one exactly.
 *
 * <p>Checkpoints hold the weights, the optimiser's moments and {@code training.csv}; they are
 * written to {@code checkpoint.tmp/} and swapped in by renames, so a run killed at any moment
 * leaves the previous complete checkpoint (or, mid-swap, {@code checkpoint.old/}) loadable.
 */
public final class Trainer {
  /** Progress of a run, reported after every step. */
  public record Progress(
      int step, int steps, double loss, double valBitsPerByte, double tokensPerS, double lr) {}

  /** Names of the files of a run directory. */
  public static final String CHECKPOINT = "checkpoint";

  static final String CHECKPOINT_TMP = "checkpoint.tmp";
  static final String CHECKPOINT_OLD = "checkpoint.old";
  static final String OPTIMIZER_FILE = "optimizer.safetensors";
  static final String STATE_FILE = "state.json";
  public static final String CSV_FILE = "training.csv";

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.95;
  private static final double EPS = 1e-8;

  /** What the trainer needs of a model being trained. */
  private interface Learner {
    Map<String, NDArray> params();

    /** Logits (B, T, 256) whose row t scores the target of position t. */
    NDArray logits(NDArray x, TransformerModel.ForwardOptions opt, List<LayerTrace> traces);

    void save(Path dir, Map<String, String> meta, SafeTensors.DType dtype) throws IOException;
  }

  /**
   * A family as training sees it: its context, how targets follow inputs (shift 1: the next byte,
   * as a transformer predicts; 0: the byte itself, as Megabyte's shifted inputs predict), the
   * configuration of the layers whose routing the CSV records, and how to make or read one.
   */
  private interface Subject {
    int contextLength();

    int shift();

    /** The routed layers' configuration (the model's, or Megabyte's global one); null if none. */
    ModelConfig traced();

    boolean sameAs(Path configFile) throws ModelFormatException;

    Learner random(long seed, NDManager root);

    Learner load(Path dir, NDManager root) throws ModelFormatException;
  }

  private record Transformer(TransformerModel model) implements Learner {
    @Override
    public Map<String, NDArray> params() {
      return model.params();
    }

    @Override
    public NDArray logits(NDArray x, TransformerModel.ForwardOptions opt, List<LayerTrace> t) {
      return model.forward(x, null, opt, t);
    }

    @Override
    public void save(Path dir, Map<String, String> meta, SafeTensors.DType dtype)
        throws IOException {
      model.save(dir, meta, dtype);
    }
  }

  private record Megabyte(org.sparsityworkbench.engine.model.MegabyteModel model)
      implements Learner {
    @Override
    public Map<String, NDArray> params() {
      return model.params();
    }

    @Override
    public NDArray logits(NDArray x, TransformerModel.ForwardOptions opt, List<LayerTrace> t) {
      return model.forward(x, opt, t);
    }

    @Override
    public void save(Path dir, Map<String, String> meta, SafeTensors.DType dtype)
        throws IOException {
      if (dtype != SafeTensors.DType.F32) {
        throw new IllegalArgumentException("megabyte models are saved as float32 only");
      }
      model.save(dir, meta);
    }
  }

  private static Subject subject(ModelConfig c) {
    return new Subject() {
      @Override
      public int contextLength() {
        return c.contextLength();
      }

      @Override
      public int shift() {
        return 1;
      }

      @Override
      public ModelConfig traced() {
        return c.family().isMoe() ? c : null;
      }

      @Override
      public boolean sameAs(Path configFile) throws ModelFormatException {
        return !org.sparsityworkbench.engine.config.MegabyteConfig.isMegabyte(configFile)
            && ModelConfig.read(configFile).equals(c);
      }

      @Override
      public Learner random(long seed, NDManager root) {
        return new Transformer(TransformerModel.random(c, seed, root));
      }

      @Override
      public Learner load(Path dir, NDManager root) throws ModelFormatException {
        return new Transformer(TransformerModel.load(dir, root));
      }
    };
  }

  private static Subject subject(org.sparsityworkbench.engine.config.MegabyteConfig c) {
    return new Subject() {
      @Override
      public int contextLength() {
        return c.contextLength();
      }

      @Override
      public int shift() {
        return 0;
      }

      @Override
      public ModelConfig traced() {
        return c.global().family().isMoe() ? c.global() : null;
      }

      @Override
      public boolean sameAs(Path configFile) throws ModelFormatException {
        return org.sparsityworkbench.engine.config.MegabyteConfig.isMegabyte(configFile)
            && org.sparsityworkbench.engine.config.MegabyteConfig.read(configFile).equals(c);
      }

      @Override
      public Learner random(long seed, NDManager root) {
        return new Megabyte(org.sparsityworkbench.engine.model.MegabyteModel.random(c, seed, root));
      }

      @Override
      public Learner load(Path dir, NDManager root) throws ModelFormatException {
        return new Megabyte(org.sparsityworkbench.engine.model.MegabyteModel.load(dir, root));
      }
    };
  }

  private final Subject subject;
  private final TrainOptions options;
  private final Corpus corpus;
  private final Path out;
  private final NDManager root;
  private Learner model;
  private final Map<String, NDArray> m1 = new LinkedHashMap<>();
  private final Map<String, NDArray> m2 = new LinkedHashMap<>();
  private final List<String> csv = new ArrayList<>();
  private int step;
  private int skipped;
  private double lastVal = Double.NaN;

  private Trainer(Subject subject, TrainOptions options, Corpus corpus, Path out, NDManager root) {
    this.subject = subject;
    this.options = options;
    this.corpus = corpus;
    this.out = out;
    this.root = root;
  }

  /**
   * Starts a new run in {@code out}, or resumes the one there.
   *
   * @throws IOException when {@code out} holds a different model or a run that cannot be resumed
   */
  public static Trainer open(
      ModelConfig config,
      TrainOptions options,
      Corpus corpus,
      Path out,
      boolean resume,
      NDManager root)
      throws IOException, ModelFormatException {
    return open(subject(config), options, corpus, out, resume, root);
  }

  /**
   * A Megabyte run: the same as a transformer's, except that the target of position t is byte t
   * itself (Megabyte's inputs are shifted inside the model) and the CSV's routing columns are the
   * global model's.
   */
  public static Trainer open(
      org.sparsityworkbench.engine.config.MegabyteConfig config,
      TrainOptions options,
      Corpus corpus,
      Path out,
      boolean resume,
      NDManager root)
      throws IOException, ModelFormatException {
    return open(subject(config), options, corpus, out, resume, root);
  }

  private static Trainer open(
      Subject subject,
      TrainOptions options,
      Corpus corpus,
      Path out,
      boolean resume,
      NDManager root)
      throws IOException, ModelFormatException {
    if (options.sequenceLength() > subject.contextLength()) {
      throw new IllegalArgumentException(
          "sequence length "
              + options.sequenceLength()
              + " exceeds the model's context_length "
              + subject.contextLength());
    }
    Trainer t = new Trainer(subject, options, corpus, out, root);
    Path existing = out.resolve(TransformerModel.CONFIG_FILE);
    Path ckpt = checkpointDir(out);
    if (resume) {
      if (ckpt == null) {
        throw new IOException(out + ": no checkpoint to resume from");
      }
      t.load(ckpt);
    } else {
      if (Files.exists(existing) || ckpt != null) {
        throw new IOException(
            out + " already holds a model or a run; use --resume to continue it, or another --out");
      }
      t.model = subject.random(options.seed(), root);
      t.csv.add(t.csvHeader());
    }
    t.prepareOptimizer();
    return t;
  }

  /** The checkpoint to resume from: checkpoint/, else checkpoint.old/ (a kill mid-swap). */
  static Path checkpointDir(Path out) {
    for (String name : new String[] {CHECKPOINT, CHECKPOINT_OLD}) {
      Path p = out.resolve(name);
      if (Files.isRegularFile(p.resolve(STATE_FILE))) {
        return p;
      }
    }
    return null;
  }

  private void load(Path ckpt) throws IOException, ModelFormatException {
    JsonObject state =
        JsonParser.parseString(Files.readString(ckpt.resolve(STATE_FILE))).getAsJsonObject();
    if (!subject.sameAs(ckpt.resolve(TransformerModel.CONFIG_FILE))) {
      throw new IOException(
          ckpt
              + ": the checkpoint's model differs from the requested one; resume with the same"
              + " hyper-parameters");
    }
    String savedOptions = state.get("options").toString();
    String wanted = new Gson().toJsonTree(options).toString();
    if (!savedOptions.equals(wanted)) {
      throw new IOException(
          ckpt + ": the checkpoint was trained with other options " + savedOptions);
    }
    step = state.get("step").getAsInt();
    lastVal = state.has("val_bpb") ? state.get("val_bpb").getAsDouble() : Double.NaN;
    model = subject.load(ckpt, root);
    SafeTensors.Contents opt = SafeTensors.read(ckpt.resolve(OPTIMIZER_FILE));
    for (String name : model.params().keySet()) {
      NDArray p = model.params().get(name);
      m1.put(name, root.create(opt.tensors().get("m." + name).toFloats(), p.getShape()));
      m2.put(name, root.create(opt.tensors().get("v." + name).toFloats(), p.getShape()));
    }
    csv.addAll(Files.readAllLines(ckpt.resolve(CSV_FILE)));
  }

  private void prepareOptimizer() {
    for (Map.Entry<String, NDArray> e : model.params().entrySet()) {
      e.getValue().setRequiresGradient(true);
      m1.computeIfAbsent(e.getKey(), k -> root.zeros(e.getValue().getShape()));
      m2.computeIfAbsent(e.getKey(), k -> root.zeros(e.getValue().getShape()));
    }
  }

  /** The model being trained (a transformer run). */
  public TransformerModel model() {
    if (!(model instanceof Transformer t)) {
      throw new IllegalStateException("a megabyte run: see megabyte()");
    }
    return t.model();
  }

  /** The model being trained (a megabyte run). */
  public org.sparsityworkbench.engine.model.MegabyteModel megabyte() {
    if (!(model instanceof Megabyte m)) {
      throw new IllegalStateException("a transformer run: see model()");
    }
    return m.model();
  }

  /** Updates skipped because the gradient was not finite. */
  public int skippedUpdates() {
    return skipped;
  }

  /** Steps done so far. */
  public int step() {
    return step;
  }

  /** Latest validation bits per byte (NaN before the first validation). */
  public double lastValidation() {
    return lastVal;
  }

  /**
   * Trains until {@code options.steps()} or until {@code stopAfter} steps of this call (for tests
   * that simulate a kill), checkpointing on the way and at the end.
   */
  public void run(java.util.function.Consumer<Progress> progress, int stopAfter)
      throws IOException {
    long t0 = System.nanoTime();
    int done = 0;
    int seq = options.sequenceLength();
    while (step < options.steps() && done < stopAfter) {
      step++;
      done++;
      boolean log = step % options.evalEvery() == 0 || step == options.steps();
      double lr = options.learningRateAt(step);
      List<LayerTrace> traces = log && subject.traced() != null ? new ArrayList<>() : null;
      double loss = trainStep(lr, traces);
      if (log) {
        lastVal = validate();
        csv.add(csvRow(loss, lr, traces));
      }
      double tps = (double) done * options.batch() * seq / ((System.nanoTime() - t0) / 1e9);
      progress.accept(new Progress(step, options.steps(), loss, lastVal, tps, lr));
      if (step % options.checkpointEvery() == 0 || step == options.steps()) {
        checkpoint();
      }
    }
  }

  private double trainStep(double lr, List<LayerTrace> traces) {
    Random rng = stepRandom(step);
    int b = options.batch();
    int t = options.sequenceLength();
    long[][] batch = sample(corpus.train(), rng, b, t, subject.shift());
    try (NDScope scope = new NDScope()) {
      scope.suppressNotUsedWarning();
      NDArray x = root.create(batch[0], new Shape(b, t));
      NDArray y = root.create(batch[1], new Shape(b, t));
      List<NDArray> aux = new ArrayList<>();
      double lossValue;
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        var opt = new TransformerModel.ForwardOptions(true, true, false, true, rng, aux);
        NDArray logits = model.logits(x, opt, traces); // (B, T, V)
        NDArray nll = crossEntropy(logits, y);
        NDArray loss = nll;
        for (NDArray a : aux) {
          loss = loss.add(a);
        }
        gc.backward(loss);
        lossValue = nll.getFloat();
      }
      adamw(lr);
      return lossValue;
    }
  }

  static NDArray crossEntropy(NDArray logits, NDArray targets) {
    return logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).neg().mean();
  }

  /**
   * AdamW with bias correction and global-norm clipping; gradients are zeroed afterwards.
   *
   * @return false when the update was skipped because the gradient was not finite
   */
  private boolean adamw(double lr) {
    Map<String, NDArray> grads = new LinkedHashMap<>();
    double sq = 0;
    for (Map.Entry<String, NDArray> e : model.params().entrySet()) {
      NDArray g = e.getValue().getGradient();
      grads.put(e.getKey(), g);
      sq += g.square().sum().getFloat();
    }
    double norm = Math.sqrt(sq);
    if (!Double.isFinite(norm)) {
      // A non-finite gradient would poison every weight through Adam's moments: skip the update
      // (as mixed-precision trainers do), count it, and report the count in the model card.
      skipped++;
      for (NDArray g : grads.values()) {
        g.set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
      }
      return false;
    }
    float scale = (float) (norm > options.clip() ? options.clip() / norm : 1.0);
    double c1 = 1 - Math.pow(BETA1, step);
    double c2 = 1 - Math.pow(BETA2, step);
    for (Map.Entry<String, NDArray> e : model.params().entrySet()) {
      String name = e.getKey();
      NDArray p = e.getValue();
      NDArray g = grads.get(name).mul(scale);
      NDArray m = m1.get(name);
      NDArray v = m2.get(name);
      m.muli((float) BETA1).addi(g.mul((float) (1 - BETA1)));
      v.muli((float) BETA2).addi(g.square().mul((float) (1 - BETA2)));
      NDArray update = m.div((float) c1).div(v.div((float) c2).sqrt().add((float) EPS));
      if (decays(name)) {
        update = update.add(p.mul((float) options.weightDecay()));
      }
      p.subi(update.mul((float) lr));
      grads.get(name).subi(grads.get(name)); // zero the accumulated gradient in place
    }
    return true;
  }

  /**
   * Matrices decay; norms, biases, embeddings and position tables do not (Megabyte's too: its byte
   * tables, the local byte table and the pads).
   */
  static boolean decays(String name) {
    return !(name.endsWith("norm.weight")
        || name.endsWith("_bias")
        || name.startsWith("embed.")
        || name.startsWith("pos_embed.")
        || name.endsWith(".embed.weight")
        || name.startsWith("megabyte.byte_")
        || name.endsWith("_pad"));
  }

  /** Mean bits per byte on the first valBatches x batch windows of the held-out split. */
  public double validate() {
    int b = options.batch();
    int t = options.sequenceLength();
    byte[] val = corpus.validation();
    int windows = Math.max(1, (val.length - 1) / t);
    double sum = 0;
    int count = 0;
    for (int i = 0; i < options.valBatches(); i++) {
      long[][] batch = new long[2][b * t];
      for (int r = 0; r < b; r++) {
        int start = (int) ((long) ((i * b + r) % windows) * t);
        start = Math.min(start, val.length - t - 1);
        for (int j = 0; j < t; j++) {
          batch[0][r * t + j] = val[start + j] & 0xff;
          batch[1][r * t + j] = val[start + j + subject.shift()] & 0xff;
        }
      }
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        var opt = new TransformerModel.ForwardOptions(false, false, false, true, null);
        NDArray logits = model.logits(root.create(batch[0], new Shape(b, t)), opt, null);
        sum += crossEntropy(logits, root.create(batch[1], new Shape(b, t))).getFloat();
        count++;
      }
    }
    return sum / count / Math.log(2);
  }

  /** Random windows (inputs, targets) of the train split for one step. */
  static long[][] sample(byte[] data, Random rng, int b, int t) {
    return sample(data, rng, b, t, 1);
  }

  /**
   * Random windows of the train split: inputs, and targets {@code shift} bytes on (1: the next
   * byte; 0: the input byte itself). The windows' starts are the same for either shift.
   */
  static long[][] sample(byte[] data, Random rng, int b, int t, int shift) {
    long[][] out = new long[2][b * t];
    for (int r = 0; r < b; r++) {
      int start = rng.nextInt(data.length - t - 1);
      for (int j = 0; j < t; j++) {
        out[0][r * t + j] = data[start + j] & 0xff;
        out[1][r * t + j] = data[start + j + shift] & 0xff;
      }
    }
    return out;
  }

  private Random stepRandom(int s) {
    return new Random(options.seed() * 1_000_003L + s * 7_919L + 17);
  }

  private String csvHeader() {
    StringBuilder h = new StringBuilder("step,loss,val_bits_per_byte,learning_rate");
    ModelConfig routed = subject.traced();
    if (routed != null) {
      for (int l = 0; l < routed.nLayers(); l++) {
        for (int e = 0; e < routed.numExperts(); e++) {
          h.append(",load_l").append(l).append("_e").append(e);
        }
        h.append(",router_entropy_l").append(l);
      }
    }
    return h.toString();
  }

  private String csvRow(double loss, double lr, List<LayerTrace> traces) {
    StringBuilder r =
        new StringBuilder(String.format(Locale.ROOT, "%d,%.5f,%.5f,%.6g", step, loss, lastVal, lr));
    if (traces != null) {
      int e = subject.traced().numExperts();
      for (LayerTrace tr : traces) {
        Router.Routing routing = tr.routing;
        int total = 0;
        int[] counts = new int[e];
        for (int[] ex : routing.experts()) {
          for (int x : ex) {
            counts[x]++;
            total++;
          }
        }
        for (int c : counts) {
          r.append(String.format(Locale.ROOT, ",%.4f", (double) c / total));
        }
        int n = tr.routerProbs.length / e;
        double h = 0;
        for (int t = 0; t < n; t++) {
          h += Router.entropy(tr.routerProbs, t * e, e);
        }
        r.append(String.format(Locale.ROOT, ",%.4f", h / n));
      }
    }
    return r.toString();
  }

  /** Writes a complete checkpoint next to the previous one, then swaps it in by renames. */
  public void checkpoint() throws IOException {
    Path tmp = out.resolve(CHECKPOINT_TMP);
    deleteTree(tmp);
    Files.createDirectories(tmp);
    Map<String, String> meta = Map.of("step", Integer.toString(step));
    model.save(tmp, meta, SafeTensors.DType.F32);
    List<SafeTensors.Tensor> opt = new ArrayList<>();
    for (String name : model.params().keySet()) {
      opt.add(tensor("m." + name, m1.get(name)));
      opt.add(tensor("v." + name, m2.get(name)));
    }
    SafeTensors.write(tmp.resolve(OPTIMIZER_FILE), opt, meta);
    Files.write(tmp.resolve(CSV_FILE), csv, StandardCharsets.UTF_8);
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("step", step);
    state.put("val_bpb", Double.isNaN(lastVal) ? null : lastVal);
    state.put("options", options);
    state.put("corpus", corpus.source());
    Files.writeString(
        tmp.resolve(STATE_FILE),
        new GsonBuilder().setPrettyPrinting().create().toJson(state),
        StandardCharsets.UTF_8);
    // The state file is written last: a checkpoint without it is incomplete and never used.
    Path current = out.resolve(CHECKPOINT);
    Path old = out.resolve(CHECKPOINT_OLD);
    deleteTree(old);
    if (Files.exists(current)) {
      Files.move(current, old, StandardCopyOption.ATOMIC_MOVE);
    }
    Files.move(tmp, current, StandardCopyOption.ATOMIC_MOVE);
    deleteTree(old);
    // The exported model next to the run: config.json + model.safetensors, each atomically.
    Files.write(out.resolve(CSV_FILE + ".tmp"), csv, StandardCharsets.UTF_8);
    Files.move(
        out.resolve(CSV_FILE + ".tmp"),
        out.resolve(CSV_FILE),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** Exports the trained model (weights stored as dtype) into {@code out}. */
  public void export(SafeTensors.DType dtype, Map<String, String> metadata) throws IOException {
    model.save(out, metadata, dtype);
  }

  private static SafeTensors.Tensor tensor(String name, NDArray a) {
    float[] v = Floats.of(a);
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return new SafeTensors.Tensor(name, SafeTensors.DType.F32, a.getShape().getShape(), b);
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }

  /** The csv rows so far (header first). */
  public List<String> csv() {
    return List.copyOf(csv);
  }
}
