package org.sparsityworkbench.engine.analysis;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An analysis as files: one CSV per table and {@code summary.json}. The tables are the ones the
 * Analyse view shows; docs/models.md ("Corpus analysis") defines every column.
 */
public final class AnalysisFiles {
  private AnalysisFiles() {}

  /** Tokens listed per expert, and frequent tokens listed, in the tables. */
  public static final int TOP = 20;

  /** The files {@link #write} writes, in order. */
  public static final List<String> NAMES =
      List.of(
          "expert_use.csv",
          "expert_tokens.csv",
          "token_experts.csv",
          "coactivation.csv",
          "next_layer.csv",
          "layers.csv",
          "unit_use.csv",
          "saturation.csv",
          "examples.csv",
          "summary.json");

  /** Writes every table into a folder (created when missing); returns the files written. */
  public static List<Path> write(AnalysisResult r, Path dir) throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IOException(dir + ": is a file; give a folder for the analysis tables");
    }
    Files.createDirectories(dir);
    List<Path> out = new ArrayList<>();
    out.add(write(dir, "expert_use.csv", expertUse(r)));
    out.add(write(dir, "expert_tokens.csv", expertTokens(r)));
    out.add(write(dir, "token_experts.csv", tokenExperts(r)));
    out.add(write(dir, "coactivation.csv", coactivation(r)));
    out.add(write(dir, "next_layer.csv", nextLayer(r)));
    out.add(write(dir, "layers.csv", layers(r)));
    out.add(write(dir, "unit_use.csv", unitUse(r)));
    out.add(write(dir, "saturation.csv", saturation(r)));
    out.add(write(dir, "examples.csv", examples(r)));
    out.add(write(dir, "summary.json", summary(r)));
    return out;
  }

  private static Path write(Path dir, String name, String text) throws IOException {
    Path f = dir.resolve(name);
    Path tmp = org.sparsityworkbench.engine.io.TempFiles.create(dir, name);
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(
        tmp,
        f,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return f;
  }

  /** layer,domain,expert,count,share,share_vs_uniform (rows for every domain, then "all"). */
  public static String expertUse(AnalysisResult r) {
    StringBuilder b = new StringBuilder("layer,domain,expert,count,share,share_vs_uniform\n");
    for (LayerKind k : r.routedLayers()) {
      int l = k.layer();
      for (int d = 0; d <= r.domains().size(); d++) {
        boolean all = d == r.domains().size();
        for (int e = 0; e < k.experts(); e++) {
          double share = all ? r.share(l, e) : r.share(l, d, e);
          long count = all ? r.use(l, e) : r.use(l, d, e);
          row(
              b,
              l,
              csv(all ? "all" : r.domains().get(d)),
              e,
              count,
              num(share),
              num(share * k.experts()));
        }
      }
    }
    return b.toString();
  }

  /** layer,expert,rank,token_id,token,count,exclusivity. */
  public static String expertTokens(AnalysisResult r) {
    StringBuilder b = new StringBuilder("layer,expert,rank,token_id,token,count,exclusivity\n");
    for (LayerKind k : r.routedLayers()) {
      for (int e = 0; e < k.experts(); e++) {
        int rank = 1;
        for (AnalysisResult.TokenShare t : r.topTokens(k.layer(), e, TOP)) {
          row(b, k.layer(), e, rank++, t.id(), csv(t.label()), t.count(), num(t.exclusivity()));
        }
      }
    }
    return b.toString();
  }

  /** layer,token_id,token,occurrences,expert,count,share for the most frequent tokens. */
  public static String tokenExperts(AnalysisResult r) {
    StringBuilder b = new StringBuilder("layer,token_id,token,occurrences,expert,count,share\n");
    for (LayerKind k : r.routedLayers()) {
      for (AnalysisResult.TokenRouting t : r.tokenRouting(k.layer(), TOP)) {
        for (AnalysisResult.ExpertShare e : t.experts()) {
          row(
              b,
              k.layer(),
              t.id(),
              csv(t.label()),
              t.count(),
              e.expert(),
              e.count(),
              num(e.share()));
        }
      }
    }
    return b.toString();
  }

  /** layer,expert_a,expert_b,tokens (a < b; top-k layers with k > 1). */
  public static String coactivation(AnalysisResult r) {
    StringBuilder b = new StringBuilder("layer,expert_a,expert_b,tokens\n");
    for (LayerKind k : r.routedLayers()) {
      if (k.topK() < 2) {
        continue;
      }
      for (int e = 0; e < k.experts(); e++) {
        for (int f = e + 1; f < k.experts(); f++) {
          row(b, k.layer(), e, f, r.together(k.layer(), e, f));
        }
      }
    }
    return b.toString();
  }

  /** layer,expert,next_layer_expert,tokens,share_of_expert. */
  public static String nextLayer(AnalysisResult r) {
    StringBuilder b = new StringBuilder("layer,expert,next_layer_expert,tokens,share_of_expert\n");
    for (LayerKind k : r.routedLayers()) {
      long[][] n = r.nextLayer(k.layer());
      if (n == null) {
        continue;
      }
      for (int e = 0; e < n.length; e++) {
        long sum = 0;
        for (long c : n[e]) {
          sum += c;
        }
        for (int f = 0; f < n[e].length; f++) {
          row(b, k.layer(), e, f, n[e][f], num(sum == 0 ? Double.NaN : (double) n[e][f] / sum));
        }
      }
    }
    return b.toString();
  }

  /** One row per routed or sparse layer. */
  public static String layers(AnalysisResult r) {
    StringBuilder b =
        new StringBuilder(
            "layer,kind,experts,top_k,tokens,mean_router_entropy,max_router_entropy,load_entropy,"
                + "load_balance,token_consistency,dead_experts,rare_experts,units,unused_units,"
                + "unit_entropy\n");
    for (LayerKind k : r.layers()) {
      int l = k.layer();
      if (k.routed()) {
        row(
            b,
            l,
            "moe",
            k.experts(),
            k.topK(),
            r.tokens(),
            num(r.meanEntropy(l)),
            num(Math.log(k.experts())),
            num(r.loadEntropy(l)),
            num(r.loadBalance(l)),
            num(r.tokenConsistency(l)),
            csv(join(r.deadExperts(l))),
            csv(join(r.rareExperts(l))),
            "",
            "",
            "");
      } else if (k.sparseFf()) {
        row(
            b,
            l,
            "sparse_ff",
            "",
            "",
            r.tokens(),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            k.units(),
            r.unusedUnits(l),
            num(r.unitEntropy(l)));
      }
    }
    return b.toString();
  }

  /** layer,domain,block,unit,count (sparse FF layers). */
  public static String unitUse(AnalysisResult r) {
    StringBuilder b = new StringBuilder("layer,domain,block,unit,count\n");
    for (LayerKind k : r.sparseFfLayers()) {
      for (int d = 0; d < r.domains().size(); d++) {
        for (int u = 0; u < k.units(); u++) {
          row(
              b,
              k.layer(),
              csv(r.domains().get(d)),
              u / k.blockSize(),
              u % k.blockSize(),
              r.unitUse(k.layer(), d, u));
        }
      }
    }
    return b.toString();
  }

  /** layer,tokens,mean_overlap,identical_share (with --compare). */
  public static String saturation(AnalysisResult r) {
    StringBuilder b = new StringBuilder("layer,tokens,mean_overlap,identical_share\n");
    for (LayerKind k : r.routedLayers()) {
      AnalysisResult.Saturation s = r.saturation(k.layer());
      if (s != null) {
        row(b, k.layer(), s.tokens(), num(s.meanOverlap()), num(s.identicalShare()));
      }
    }
    return b.toString();
  }

  /** layer,expert,domain,file,position,before,token,after,probability. */
  public static String examples(AnalysisResult r) {
    StringBuilder b =
        new StringBuilder("layer,expert,domain,file,position,before,token,after,probability\n");
    for (LayerKind k : r.routedLayers()) {
      for (int e = 0; e < k.experts(); e++) {
        for (AnalysisResult.Example x : r.examples(k.layer(), e)) {
          row(
              b,
              k.layer(),
              e,
              csv(x.domain()),
              csv(x.file()),
              x.position(),
              csv(x.before()),
              csv(x.token()),
              csv(x.after()),
              num(x.probability()));
        }
      }
    }
    return b.toString();
  }

  /** The run, the domains and each layer's figures as JSON. */
  public static String summary(AnalysisResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    AnalysisResult.Run run = r.run();
    m.put("model", run.model());
    m.put("family", run.family());
    if (run.compareModel() != null) {
      m.put("compare_model", run.compareModel());
    }
    m.put("complete", run.complete());
    m.put("tokens", r.tokens());
    m.put("tokens_planned", run.planned());
    m.put("window", run.window());
    m.put("batch", run.batch());
    m.put("seconds", round(run.seconds()));
    m.put("tokens_per_s", round(run.seconds() > 0 ? r.tokens() / run.seconds() : 0));
    Map<String, Object> domains = new LinkedHashMap<>();
    for (int d = 0; d < r.domains().size(); d++) {
      domains.put(r.domains().get(d), r.domainTokens(d));
    }
    m.put("domain_tokens", domains);
    List<Map<String, Object>> layers = new ArrayList<>();
    for (LayerKind k : r.layers()) {
      int l = k.layer();
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("layer", l);
      if (k.routed()) {
        x.put("kind", "moe");
        x.put("experts", k.experts());
        x.put("top_k", k.topK());
        x.put("mean_router_entropy", round(r.meanEntropy(l)));
        x.put("load_entropy", round(r.loadEntropy(l)));
        x.put("load_balance", round(r.loadBalance(l)));
        x.put("token_consistency", round(r.tokenConsistency(l)));
        x.put("dead_experts", r.deadExperts(l));
        x.put("rare_experts", r.rareExperts(l));
        List<Object> shares = new ArrayList<>();
        for (int e = 0; e < k.experts(); e++) {
          shares.add(round(r.share(l, e)));
        }
        x.put("expert_share", shares);
        AnalysisResult.Saturation s = r.saturation(l);
        if (s != null) {
          x.put("saturation_mean_overlap", round(s.meanOverlap()));
          x.put("saturation_identical_share", round(s.identicalShare()));
        }
      } else if (k.sparseFf()) {
        x.put("kind", "sparse_ff");
        x.put("units", k.units());
        x.put("block_size", k.blockSize());
        x.put("unused_units", r.unusedUnits(l));
        x.put("unit_entropy", round(r.unitEntropy(l)));
      } else {
        x.put("kind", "dense");
      }
      layers.add(x);
    }
    m.put("layers", layers);
    return new GsonBuilder()
            .setPrettyPrinting()
            .serializeSpecialFloatingPointValues()
            .create()
            .toJson(m)
        + "\n";
  }

  private static Object round(double v) {
    return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null;
  }

  private static String join(List<Integer> xs) {
    StringBuilder b = new StringBuilder();
    for (int x : xs) {
      b.append(b.isEmpty() ? "" : " ").append(x);
    }
    return b.toString();
  }

  private static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6f", v) : "";
  }

  /** A CSV field: quoted when it holds a comma, quote, or line break. */
  static String csv(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  private static void row(StringBuilder b, Object... fields) {
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(fields[i]);
    }
    b.append('\n');
  }
}
