package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * The Scaling Transformers sparse feed-forward of one layer ("Sparse is Enough", arXiv 2111.12763,
 * section 3.1). d_ff units in d_ff / N blocks of N; a low-rank controller scores every unit, logits
 * = (x A) B + bias, read as (blocks, N); one unit per block is active.
 *
 * <p>Dimensions: n tokens, d model width, f = d_ff, N units per block, r controller rank.
 *
 * <ul>
 *   <li>Decode ({@link #decode}): the argmax unit of each block; only its rows of W1 and W2 (both
 *       stored (f, d)) are read: y = sum_j relu(W1[i_j] . x) W2[i_j]. One token (the decode step)
 *       runs in Java with the Vector API on the weights' own native memory ({@link SparseFfKernel})
 *       when the {@code jdk.incubator.vector} module is present; several tokens (the prefill), or
 *       no such module, gather the rows through DJL ({@link #gathered}).
 *   <li>Reference ({@link #masked}): relu(x W1^T) * onehot W2, the dense product times the mask.
 *   <li>Training ({@link #training}): Gumbel-perturbed argmax one-hot with a straight-through
 *       gradient through the per-block softmax, or the softmax itself, on the dense product.
 * </ul>
 */
public final class SparseFeedForward implements FeedForward {
  /**
   * Whether the one-token decode step runs in Java ({@link SparseFfKernel}): the JVM has the {@code
   * jdk.incubator.vector} module ({@code --add-modules jdk.incubator.vector}) and the system
   * property {@code workbench.sparse.java} is not {@code false}.
   */
  static final boolean VECTOR_API =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
          && !"false".equalsIgnoreCase(System.getProperty("workbench.sparse.java"));

  private final NDArray a;
  private final NDArray b;
  private final NDArray bias;
  private final NDArray w1;
  private final NDArray w2;
  private final NDArray offsets;
  private final int blockSize;
  private final int blocks;
  private final int dFf;
  private final SparseFfKernel kernel;
  private double gumbelTemperature;
  private double quantProb;

  /**
   * @param a controller (d, r)
   * @param b controller (r, f)
   * @param bias controller bias (f)
   * @param w1 input weights of the units (f, d)
   * @param w2 output weights of the units (f, d)
   * @param blockSize N
   */
  public SparseFeedForward(
      NDArray a, NDArray b, NDArray bias, NDArray w1, NDArray w2, int blockSize) {
    this.a = a;
    this.b = b;
    this.bias = bias;
    this.w1 = w1;
    this.w2 = w2;
    this.blockSize = blockSize;
    this.dFf = (int) w1.getShape().get(0);
    this.blocks = dFf / blockSize;
    // First unit of every block: 0, N, 2N, ...; lives as long as the weights.
    this.offsets = w1.getManager().arange(0, dFf, blockSize, DataType.INT64);
    this.kernel = VECTOR_API ? SparseFfKernel.bind(a, b, bias, w1, w2, blockSize) : null;
  }

  /** Whether a one-token decode step runs in Java on the weights' memory ({@link #VECTOR_API}). */
  public boolean javaDecode() {
    return kernel != null;
  }

  /** The training noise of {@link #forward} in training: Gumbel temperature and quant_prob. */
  SparseFeedForward withTraining(double gumbelTemperature, double quantProb) {
    this.gumbelTemperature = gumbelTemperature;
    this.quantProb = quantProb;
    return this;
  }

  /**
   * The layer over normalised input h (B, T, d): in training {@link #training}; otherwise the
   * controller's argmax unit per block and only those rows of W1 and W2 ({@link #gathered}), with
   * the chosen units and each one's softmax probability within its block as telemetry.
   */
  @Override
  public NDArray forward(int layer, NDArray h, Pass pass, LayerTrace trace) {
    Shape shape = h.getShape();
    int n = (int) (shape.get(0) * shape.get(1));
    NDArray flat = h.reshape(n, shape.get(2)); // (N, d)
    TransformerModel.ForwardOptions opt = pass.options();
    if (opt.training()) {
      Random r = opt.jitterRng() == null ? new Random(0) : opt.jitterRng();
      return training(flat, gumbelTemperature, quantProb, r).reshape(shape);
    }
    org.sparsityworkbench.engine.intervention.Interventions.Layer iv =
        opt.interventions().at(layer);
    if (iv != null && (iv.forcedUnits() != null || iv.blocksOff() != null)) {
      return intervened(flat, iv, trace).reshape(shape);
    }
    if (n == 1 && kernel != null) {
      return javaStep(flat, trace, shape);
    }
    long c0 = System.nanoTime();
    NDArray logits = controllerLogits(flat); // (N, blocks, N_b)
    NDArray chosen = logits.argMax(-1); // (N, blocks): argmax of logits = of log-softmax
    if (trace != null) {
      // The chosen units and each one's softmax probability within its block, from one copy of
      // the logits: the argmax again in Java, with PyTorch's rule (the first maximum; NaN counts as
      // the maximum), so the telemetry names the units the gather used, for two native calls fewer.
      float[] l = Floats.of(logits);
      int[] units = blockArgmax(l, blockSize);
      trace.controllerChosen = units;
      trace.controllerConfidence = trace.choicesOnly ? null : confidences(l, units, blockSize);
      trace.controllerNanos = System.nanoTime() - c0;
    }
    // Many tokens: one dense product, masked, costs less than gathering every token's rows
    // (measured with corpus analysis at 2,048 tokens a batch: 1.45x the whole pass).
    return (n >= MASKED_FROM ? masked(flat, chosen) : gathered(flat, chosen)).reshape(shape);
  }

  /**
   * The layer under interventions (forced units, blocks off): the controller's choice with every
   * forced unit put in, then relu(x W1^T) * mask W2, the mask one-hot of the choices with the
   * blocks turned off zeroed. The telemetry names the units used (forced ones included).
   */
  private NDArray intervened(
      NDArray flat,
      org.sparsityworkbench.engine.intervention.Interventions.Layer iv,
      LayerTrace trace) {
    long c0 = System.nanoTime();
    int n = (int) flat.getShape().get(0);
    float[] l = Floats.of(controllerLogits(flat));
    int[] units = blockArgmax(l, blockSize);
    float[] mask = new float[n * dFf];
    for (int t = 0; t < n; t++) {
      for (int g = 0; g < blocks; g++) {
        int forced = iv.forcedUnits() == null ? -1 : iv.forcedUnits()[g];
        if (forced >= 0) {
          units[t * blocks + g] = forced;
        }
        if (iv.blocksOff() == null || !iv.blocksOff()[g]) {
          mask[t * dFf + g * blockSize + units[t * blocks + g]] = 1f;
        }
      }
    }
    if (trace != null) {
      trace.controllerChosen = units;
      trace.controllerConfidence = trace.choicesOnly ? null : confidences(l, units, blockSize);
      trace.controllerNanos = System.nanoTime() - c0;
    }
    NDArray m = flat.getManager().create(mask, new Shape(n, dFf));
    return Ops.relu(flat.matMul(w1.transpose())).mul(m).matMul(w2);
  }

  /** Token counts from which a pass computes all units and masks them ({@link #masked}). */
  static final int MASKED_FROM = 256;

  /** The controller's choices only: the argmax unit of every block and its confidence. */
  @Override
  public void choose(int layer, NDArray h, Pass pass, LayerTrace trace) {
    Shape shape = h.getShape();
    int n = (int) (shape.get(0) * shape.get(1));
    long c0 = System.nanoTime();
    float[] l = Floats.of(controllerLogits(h.reshape(n, shape.get(2))));
    int[] units = blockArgmax(l, blockSize);
    trace.controllerChosen = units;
    trace.controllerConfidence = trace.choicesOnly ? null : confidences(l, units, blockSize);
    trace.controllerNanos = System.nanoTime() - c0;
  }

  /**
   * One token (1, d) -> (1, d) in Java on the weights' memory: the controller's logits, the argmax
   * per block, the chosen rows' dot products, relu and the weighted sum of the chosen W2 rows. The
   * same math as {@link #gathered}; the telemetry is the same too.
   */
  private NDArray javaStep(NDArray flat, LayerTrace trace, Shape shape) {
    long c0 = System.nanoTime();
    float[] x = Floats.of(flat);
    float[] logits = kernel.controller(x);
    int[] units = SparseFfKernel.blockArgmax(logits, blockSize);
    if (trace != null) {
      trace.controllerChosen = units;
      trace.controllerConfidence = confidences(logits, units, blockSize);
      trace.controllerNanos = System.nanoTime() - c0;
    }
    return flat.getManager().create(kernel.units(x, units), shape);
  }

  /** Telemetry: each chosen unit's softmax probability within its block of logits. */
  static float[] confidences(float[] l, int[] units, int nb) {
    float[] confidence = new float[units.length];
    for (int g = 0; g < units.length; g++) {
      int off = g * nb;
      float max = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < nb; i++) {
        max = Math.max(max, l[off + i]);
      }
      double sum = 0;
      for (int i = 0; i < nb; i++) {
        sum += Math.exp(l[off + i] - max);
      }
      confidence[g] = (float) (Math.exp(l[off + units[g]] - max) / sum);
    }
    return confidence;
  }

  /**
   * The Java decode step on one token's values: the chosen unit of every block ({@code chosen},
   * filled) and the output (d). For tests and the benchmark; needs {@link #javaDecode()}.
   */
  float[] javaDecode(float[] x, int[] chosen) {
    int[] units = SparseFfKernel.blockArgmax(kernel.controller(x), blockSize);
    System.arraycopy(units, 0, chosen, 0, units.length);
    return kernel.units(x, units);
  }

  /** The Java controller logits (f) of one token, for tests; needs {@link #javaDecode()}. */
  float[] javaControllerLogits(float[] x) {
    return kernel.controller(x);
  }

  /** The Java units step on one token with given chosen units, for tests. */
  float[] javaGathered(float[] x, int[] chosen) {
    return kernel.units(x, chosen);
  }

  /**
   * The index of the largest value in each block of {@code blockSize} consecutive values, by
   * PyTorch's {@code argmax} rule: the first maximum, and a NaN counts as the maximum.
   */
  static int[] blockArgmax(float[] values, int blockSize) {
    int[] out = new int[values.length / blockSize];
    for (int g = 0; g < out.length; g++) {
      int off = g * blockSize;
      int best = 0;
      for (int i = 1; i < blockSize && !Float.isNaN(values[off + best]); i++) {
        if (values[off + i] > values[off + best] || Float.isNaN(values[off + i])) {
          best = i;
        }
      }
      out[g] = best;
    }
    return out;
  }

  /** Controller logits (n, blocks, N) of flat input (n, d). */
  public NDArray controllerLogits(NDArray flat) {
    return flat.matMul(a) // (n, r)
        .matMul(b) // (n, f)
        .add(bias)
        .reshape(flat.getShape().get(0), blocks, blockSize);
  }

  /**
   * The decode path: argmax unit per block, the chosen rows only. (n, d) -> (n, d). One token runs
   * in Java when {@link #javaDecode()}, otherwise as {@link #decodeDjl}.
   */
  public NDArray decode(NDArray flat) {
    if (flat.getShape().get(0) == 1 && kernel != null) {
      return javaStep(flat, null, flat.getShape());
    }
    return decodeDjl(flat);
  }

  /** The decode path through DJL only (rows gathered natively), whatever the token count. */
  public NDArray decodeDjl(NDArray flat) {
    return gathered(flat, controllerLogits(flat).argMax(-1));
  }

  /**
   * y_t = sum_j relu(W1[i_tj] . x_t) W2[i_tj] for the chosen unit i_tj = j N + chosen[t, j].
   *
   * @param chosen (n, blocks) int64 unit within each block
   */
  public NDArray gathered(NDArray flat, NDArray chosen) {
    long n = flat.getShape().get(0);
    long d = flat.getShape().get(1);
    NDArray idx = chosen.add(offsets).reshape(-1); // (n * blocks)
    NDArray rows1 = Ops.gatherRows(w1, idx); // (n * blocks, d)
    NDArray rows2 = Ops.gatherRows(w2, idx);
    if (n == 1) {
      // Decode: plain matrix-vector products (batched 3-d products are 2x slower here).
      NDArray mid = Ops.relu(rows1.matMul(flat.reshape(d, 1))); // (blocks, 1)
      return mid.reshape(1, blocks).matMul(rows2); // (1, d)
    }
    NDArray mid = Ops.relu(rows1.reshape(n, blocks, d).matMul(flat.reshape(n, d, 1)));
    return mid.transpose(0, 2, 1).matMul(rows2.reshape(n, blocks, d)).reshape(n, d); // (n, d)
  }

  /**
   * relu(x W1^T) * onehot(chosen) W2: the evaluation reference, and the path of a pass over {@link
   * #MASKED_FROM} or more tokens (a long prompt, a corpus batch); never a decode step.
   */
  public NDArray masked(NDArray flat, NDArray chosen) {
    long n = flat.getShape().get(0);
    NDArray mask = chosen.oneHot(blockSize).reshape(n, dFf); // (n, f)
    return Ops.relu(flat.matMul(w1.transpose())).mul(mask).matMul(w2);
  }

  /**
   * The training path. With probability quantProb: mask = softmax + stop_gradient(onehot -
   * softmax), the one-hot of argmax(log_softmax + temperature * Gumbel noise), so the forward pass
   * uses the one-hot and the gradient flows through the softmax; otherwise mask = softmax.
   */
  public NDArray training(NDArray flat, double temperature, double quantProb, Random rng) {
    NDManager m = flat.getManager();
    long n = flat.getShape().get(0);
    NDArray logp = controllerLogits(flat).logSoftmax(-1); // (n, blocks, N)
    Shape s = logp.getShape();
    NDArray soft = logp.exp();
    NDArray mask = soft;
    if (rng.nextDouble() < quantProb) {
      float[] gumbel = new float[Math.toIntExact(s.size())];
      for (int i = 0; i < gumbel.length; i++) {
        double u = 1e-6 + (1 - 2e-6) * rng.nextDouble();
        gumbel[i] = (float) (-Math.log(-Math.log(u)) * temperature);
      }
      NDArray choice = logp.stopGradient().add(m.create(gumbel, s)).argMax(-1); // (n, blocks)
      NDArray hard = choice.oneHot(blockSize).toType(DataType.FLOAT32, false);
      mask = soft.add(hard.sub(soft).stopGradient());
    }
    NDArray mid = Ops.relu(flat.matMul(w1.transpose()).reshape(s).mul(mask)); // (n, blocks, N)
    return mid.reshape(n, dFf).matMul(w2);
  }

  /** Units per block (N). */
  public int blockSize() {
    return blockSize;
  }

  /** Number of blocks (f / N). */
  public int blocks() {
    return blocks;
  }
}
