package org.sparsityworkbench.app;

import org.sparsityworkbench.engine.config.Family;
import org.sparsityworkbench.engine.config.ModelConfig;
import picocli.CommandLine.Option;

/** The model hyper-parameters shared by {@code init-model} and {@code train} (a picocli mixin). */
final class ArchitectureOptions {
  @Option(
      names = "--family",
      required = true,
      description =
          "dense, switch, topk, sparse-ff, sparse-qkv, sparse-ffqkv or megabyte (then --d-model,"
              + " --layers, --heads, --d-ff and the family options are the global model's).")
  String family;

  @Option(names = "--d-model", defaultValue = "128", description = "Model width.")
  int dModel;

  @Option(names = "--layers", defaultValue = "4", description = "Transformer blocks.")
  int layers;

  @Option(names = "--heads", defaultValue = "4", description = "Attention heads.")
  int heads;

  @Option(names = "--d-ff", defaultValue = "512", description = "Feed-forward units.")
  int dFf;

  @Option(names = "--context", defaultValue = "256", description = "Context length (positions).")
  int context;

  @Option(names = "--experts", defaultValue = "8", description = "MoE: experts per layer.")
  int experts;

  @Option(names = "--top-k", description = "MoE: experts per token (switch: 1, topk: default 2).")
  Integer topK;

  @Option(
      names = "--capacity-factor",
      defaultValue = "1.25",
      description = "MoE: capacity per expert = factor x tokens x k / experts.")
  double capacityFactor;

  @Option(names = "--block-size", defaultValue = "16", description = "Sparse FF: units per block.")
  int blockSize;

  @Option(
      names = "--controller-rank",
      description = "Sparse FF: controller rank (default d_ff / block size).")
  Integer controllerRank;

  @Option(names = "--qkv-modules", defaultValue = "4", description = "Sparse QKV: modules S.")
  int qkvModules;

  @Option(names = "--conv-kernel", defaultValue = "3", description = "Sparse QKV: kernel length.")
  int convKernel;

  @Option(
      names = "--patch-size",
      defaultValue = "8",
      description = "Megabyte: bytes per patch (P); --context must be a multiple.")
  int patchSize;

  @Option(
      names = "--global-family",
      defaultValue = "dense",
      description = "Megabyte: the global model's family (any native one).")
  String globalFamily;

  @Option(
      names = "--local-d-model",
      defaultValue = "128",
      description = "Megabyte: the local model's width.")
  int localDModel;

  @Option(names = "--local-layers", defaultValue = "2", description = "Megabyte: local blocks.")
  int localLayers;

  @Option(names = "--local-heads", defaultValue = "2", description = "Megabyte: local heads.")
  int localHeads;

  @Option(
      names = "--local-d-ff",
      defaultValue = "512",
      description = "Megabyte: local feed-forward units.")
  int localDFf;

  /** Whether --family names Megabyte. */
  boolean megabyte() {
    return org.sparsityworkbench.engine.config.MegabyteConfig.FAMILY.equals(family);
  }

  /**
   * The Megabyte configuration: the global model of --global-family with --d-model (P x the byte
   * width), --layers, --heads, --d-ff over --context / P patches; the local one dense.
   *
   * @throws IllegalArgumentException naming the option at fault
   */
  org.sparsityworkbench.engine.config.MegabyteConfig toMegabyte() {
    if (patchSize < 1 || context % patchSize != 0) {
      throw new IllegalArgumentException(
          "--context " + context + " must be a multiple of --patch-size " + patchSize);
    }
    if (dModel % patchSize != 0) {
      throw new IllegalArgumentException(
          "--d-model "
              + dModel
              + " (the global width) must be a multiple of --patch-size "
              + patchSize
              + ": each byte of a patch gets d_model / P of it");
    }
    ArchitectureOptions global = new ArchitectureOptions();
    global.family = globalFamily;
    global.dModel = dModel;
    global.layers = layers;
    global.heads = heads;
    global.dFf = dFf;
    global.context = context / patchSize;
    global.experts = experts;
    global.topK = topK;
    global.capacityFactor = capacityFactor;
    global.blockSize = blockSize;
    global.controllerRank = controllerRank;
    global.qkvModules = qkvModules;
    global.convKernel = convKernel;
    return org.sparsityworkbench.engine.config.MegabyteConfig.of(
        context,
        patchSize,
        dModel / patchSize,
        global.toConfig(),
        localDModel,
        localLayers,
        localHeads,
        localDFf);
  }

  /**
   * The validated configuration.
   *
   * @throws IllegalArgumentException naming the option or field at fault
   */
  ModelConfig toConfig() {
    Family f = Family.parse(family);
    if (blockSize < 1) {
      throw new IllegalArgumentException("--block-size = " + blockSize + ": must be at least 1");
    }
    if (f.isMoe()) {
      int k = topK != null ? topK : f == Family.TOPK ? 2 : 1;
      return ModelConfig.moe(f, dModel, layers, heads, dFf, context, experts, k, capacityFactor);
    }
    if (f.hasSparseFf() || f.hasSparseQkv()) {
      int rank = controllerRank != null ? controllerRank : Math.max(1, dFf / blockSize);
      return ModelConfig.sparse(
          f, dModel, layers, heads, dFf, context, blockSize, rank, qkvModules, convKernel);
    }
    return ModelConfig.dense(dModel, layers, heads, dFf, context);
  }
}
