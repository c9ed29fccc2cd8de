package org.sparsityworkbench.viewmodels;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.analysis.AnalysisFiles;
import org.sparsityworkbench.engine.analysis.AnalysisResult;
import org.sparsityworkbench.engine.analysis.CorpusAnalysis;
import org.sparsityworkbench.engine.analysis.LayerKind;

/**
 * The Analyse view: a model, a corpus folder (its subfolders are the domains), a token budget; a
 * run with progress (tokens/s, time left) that can be cancelled, keeping its partial result; the
 * result per layer: expert use per domain, co-activation, the tokens of the selected expert and
 * example contexts, or for a sparse FF model unit use per block.
 *
 * <p>A result belongs to the model, second model, corpus and budget it was computed with: changing
 * any of them cancels a run and clears the result. Threading as in {@link MainViewModel}: the
 * engine thread offers into the inbox, {@link #refresh()} applies on the UI thread; exports write
 * off the UI thread.
 */
public final class AnalysisViewModel {
  /** The budget a new view starts with: about ten seconds with a bundled model. */
  public static final int DEFAULT_TOKENS = 200_000;

  /** Tokens listed for the selected expert, and frequent tokens listed. */
  public static final int LISTED = 20;

  private final AnalysisRunner runner;
  private final Inbox<Tagged> inbox;
  private final ObservableList<Path> models;
  private final ObjectProperty<Path> model = new SimpleObjectProperty<>();
  private final ObjectProperty<Path> compare = new SimpleObjectProperty<>();
  private final ObjectProperty<Path> corpus = new SimpleObjectProperty<>();
  private final IntegerProperty tokens = new SimpleIntegerProperty(DEFAULT_TOKENS);
  private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper();
  private final javafx.beans.property.BooleanProperty engineBusy =
      new javafx.beans.property.SimpleBooleanProperty();
  private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(0);
  private final ReadOnlyStringWrapper progressText = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper status = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper heading = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper layerSummary = new ReadOnlyStringWrapper("");
  private final ReadOnlyObjectWrapper<AnalysisResult> result = new ReadOnlyObjectWrapper<>();
  private final ObservableList<Integer> layers = FXCollections.observableArrayList();
  private final IntegerProperty layer = new SimpleIntegerProperty(-1);
  private final IntegerProperty expert = new SimpleIntegerProperty(-1);
  private final ObservableList<TokenRow> expertTokens = FXCollections.observableArrayList();
  private final ObservableList<ExampleRow> examples = FXCollections.observableArrayList();
  private final ObjectProperty<AnalysisTables.Pairing> pairing =
      new SimpleObjectProperty<>(AnalysisTables.Pairing.NEXT_LAYER);
  private final ReadOnlyObjectWrapper<HeatMap> useMap = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyObjectWrapper<HeatMap> pairMap = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyStringWrapper useMessage = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper pairMessage = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper expertTitle = new ReadOnlyStringWrapper("");
  private final ObservableList<AnalysisResult.TokenRouting> frequentTokens =
      FXCollections.observableArrayList();
  private final BooleanBinding canRun;
  private AnalysisRunner.Job job;

  /** Counts runs and changes of their inputs; events of an older generation are dropped. */
  private int generation;

  private record Tagged(int generation, Object event) {}

  /** A row of the selected expert's tokens: the token (spaces as an open box), count, share. */
  public record TokenRow(int id, String token, String count, String share) {}

  /** An example context: where it is, the text before, the routed token, the text after. */
  public record ExampleRow(String where, String before, String token, String after) {}

  private record Progress(long done, long planned, double seconds) {}

  private record Partial(AnalysisResult result) {}

  private record Finished(AnalysisResult result) {}

  private record Failed(String message) {}

  private record Exported(Path dir, int files) {}

  AnalysisViewModel(
      AnalysisRunner runner,
      ObservableList<Path> models,
      Path initialModel,
      Path initialCorpus,
      Inbox.Doorbell doorbell) {
    this.runner = runner;
    this.models = models;
    this.inbox = new Inbox<>(doorbell);
    model.set(initialModel);
    corpus.set(initialCorpus);
    // A result belongs to what it was computed with.
    model.subscribe((a, b) -> inputsChanged());
    compare.subscribe((a, b) -> inputsChanged());
    corpus.subscribe((a, b) -> inputsChanged());
    domains.addListener((javafx.collections.ListChangeListener<Path>) c -> inputsChanged());
    corpusText.bind(
        Bindings.createStringBinding(
            () ->
                !domains.isEmpty()
                    ? "Domains: "
                        + String.join(", ", domains.stream().map(AnalysisViewModel::name).toList())
                    : corpus.get() == null
                        ? "Corpus: (none)"
                        : "Corpus: " + name(corpus.get()) + " (its subfolders are the domains)",
            corpus,
            domains));
    tokens.subscribe((a, b) -> inputsChanged());
    layer.subscribe((a, b) -> showLayer());
    expert.subscribe((a, b) -> showExpert());
    pairing.subscribe((a, b) -> showMaps());
    canRun =
        Bindings.createBooleanBinding(
            () ->
                model.get() != null
                    && (corpus.get() != null || !domains.isEmpty())
                    && tokens.get() > 0
                    && !running.get()
                    && !engineBusy.get(),
            model,
            corpus,
            domains,
            tokens,
            running,
            engineBusy);
    showMaps();
  }

  /**
   * The model an Analyse view starts with: the first mixture of experts among the sample models,
   * else the first sparse FF one, else the main window's.
   */
  static Path firstRouted(List<Path> models, Path fallback) {
    for (boolean moe : new boolean[] {true, false}) {
      for (Path p : models) {
        org.sparsityworkbench.engine.config.Family f = CompareViewModel.family(p);
        if (f != null && (moe ? f.isMoe() : f.hasSparseFf())) {
          return p;
        }
      }
    }
    return fallback;
  }

  /**
   * The bundled corpus next to the sample models ({@code sample-models/corpus}), or null when there
   * is none.
   */
  static Path bundledCorpus(List<Path> sampleModels) {
    for (Path p : sampleModels) {
      Path parent = p.toAbsolutePath().getParent();
      if (parent != null && Files.isDirectory(parent.resolve("corpus"))) {
        return parent.resolve("corpus");
      }
    }
    return null;
  }

  private void inputsChanged() {
    generation++;
    if (job != null) {
      job.cancel();
      job = null;
    }
    running.set(false);
    progress.set(0);
    progressText.set("");
    status.set("");
    setResult(null);
  }

  /** Starts an analysis with the chosen model, corpus and budget. */
  public void run() {
    if (!canRun.get()) {
      return;
    }
    inputsChanged();
    int g = generation;
    running.set(true);
    showMaps();
    progress.set(-1);
    progressText.set("Loading " + name(model.get()) + " and reading the corpus…");
    CorpusAnalysis.Options options = new CorpusAnalysis.Options(tokens.get(), 0, 0);
    CorpusAnalysis.Listener listener =
        new CorpusAnalysis.Listener() {
          @Override
          public void progress(long done, long planned, double seconds) {
            inbox.offer(new Tagged(g, new Progress(done, planned, seconds)));
          }

          @Override
          public void partial(AnalysisResult soFar) {
            inbox.offer(new Tagged(g, new Partial(soFar)));
          }
        };
    AnalysisRunner.Job started;
    try {
      started =
          runner.start(
              model.get(),
              compare.get(),
              new org.sparsityworkbench.engine.analysis.AnalysisCorpus.Source(
                  corpus.get(), List.copyOf(domains)),
              options,
              listener);
    } catch (RuntimeException e) {
      running.set(false);
      progressText.set("");
      status.set(MainViewModel.rootMessage(e));
      return;
    }
    job = started;
    started
        .done()
        .whenComplete(
            (r, e) ->
                inbox.offer(
                    new Tagged(
                        g,
                        e == null ? new Finished(r) : new Failed(MainViewModel.rootMessage(e)))));
  }

  /** Stops the run after its current batch; what it counted stays, saying how much it covers. */
  public void cancel() {
    if (job != null) {
      job.cancel();
    }
  }

  /** Writes the result's tables (CSV and summary.json) into a folder, off the UI thread. */
  public void export(Path dir) {
    AnalysisResult r = result.get();
    if (r == null) {
      return;
    }
    int g = generation;
    CompletableFuture.runAsync(
        () -> {
          try {
            int n = AnalysisFiles.write(r, dir).size();
            inbox.offer(new Tagged(g, new Exported(dir, n)));
          } catch (IOException | RuntimeException e) {
            inbox.offer(new Tagged(g, new Failed(MainViewModel.rootMessage(e))));
          }
        });
  }

  /** True when no event waits (any thread). */
  boolean inboxEmpty() {
    return inbox.isEmpty();
  }

  /** Applies what the engine reported; called by {@link MainViewModel#refresh()}. */
  void refresh() {
    for (Tagged t : inbox.drain()) {
      if (t.generation() != generation) {
        continue;
      }
      switch (t.event()) {
        case Progress p -> {
          progress.set(p.planned() == 0 ? 1 : (double) p.done() / p.planned());
          double rate = p.done() / Math.max(p.seconds(), 1e-9);
          double left = (p.planned() - p.done()) / Math.max(rate, 1e-9);
          progressText.set(
              String.format(
                  Locale.ROOT,
                  "%,d of %,d tokens · %,.0f tokens/s · %s left",
                  p.done(),
                  p.planned(),
                  rate,
                  duration(left)));
        }
        case Partial p -> setResult(p.result());
        case Finished f -> {
          job = null;
          running.set(false);
          setResult(f.result());
          AnalysisResult r = f.result();
          progress.set(r.coverage());
          progressText.set("");
          status.set(
              r.run().complete()
                  ? String.format(
                      Locale.ROOT,
                      "Done: %,d tokens in %.1f s (%,.0f tokens/s).",
                      r.tokens(),
                      r.run().seconds(),
                      r.tokens() / Math.max(r.run().seconds(), 1e-9))
                  : String.format(
                      Locale.ROOT,
                      "Cancelled: the result covers %,d of %,d tokens (%.0f%%).",
                      r.tokens(),
                      r.run().planned(),
                      100 * r.coverage()));
        }
        case Failed f -> {
          job = null;
          running.set(false);
          showMaps();
          progressText.set("");
          status.set(f.message());
        }
        case Exported x -> status.set("Wrote " + x.files() + " files to " + x.dir() + ".");
        default -> throw new IllegalStateException("unknown event " + t.event());
      }
    }
  }

  private void setResult(AnalysisResult r) {
    result.set(r);
    if (r == null) {
      heading.set("");
      layers.clear();
      layer.set(-1);
      expert.set(-1);
      showLayer();
      return;
    }
    heading.set(heading(r));
    List<Integer> shown =
        r.layers().stream().filter(k -> k.routed() || k.sparseFf()).map(LayerKind::layer).toList();
    if (!layers.equals(shown)) {
      layers.setAll(shown);
    }
    if (!shown.contains(layer.get())) {
      layer.set(shown.isEmpty() ? -1 : shown.get(0));
    }
    showLayer();
  }

  /** What the result is of: model, corpus, coverage. */
  static String heading(AnalysisResult r) {
    String of =
        r.run().model()
            + (r.run().compareModel() == null
                ? ""
                : " (saturation against " + r.run().compareModel() + ")")
            + " on "
            + String.join(", ", r.domains());
    return String.format(
        Locale.ROOT,
        "%s: %,d tokens%s",
        of,
        r.tokens(),
        r.run().complete()
            ? ""
            : String.format(
                Locale.ROOT, " so far (%.0f%% of %,d)", 100 * r.coverage(), r.run().planned()));
  }

  private void showLayer() {
    AnalysisResult r = result.get();
    int l = layer.get();
    if (r == null || l < 0 || l >= r.layers().size()) {
      layerSummary.set("");
      frequentTokens.clear();
      expertTokens.clear();
      examples.clear();
      showMaps();
      expertTitle.set("");
      return;
    }
    LayerKind k = r.layers().get(l);
    layerSummary.set(layerSummary(r, k));
    if (k.routed()) {
      frequentTokens.setAll(r.tokenRouting(l, LISTED));
      if (expert.get() >= k.experts()) {
        expert.set(-1);
      }
    } else {
      frequentTokens.clear();
      expert.set(-1);
    }
    showExpert();
  }

  /** One layer's figures in a line. */
  static String layerSummary(AnalysisResult r, LayerKind k) {
    int l = k.layer();
    if (k.routed()) {
      AnalysisResult.Saturation s = r.saturation(l);
      return String.format(
          Locale.ROOT,
          "Layer %d: %d experts, top-%d · router entropy %.2f of %.2f nats · load entropy %.3f ·"
              + " load balance %.3f (1 = even) · token consistency %s · dead: %s · rare: %s%s",
          l,
          k.experts(),
          k.topK(),
          r.meanEntropy(l),
          Math.log(k.experts()),
          r.loadEntropy(l),
          r.loadBalance(l),
          Double.isNaN(r.tokenConsistency(l))
              ? "(when the run ends)"
              : String.format(Locale.ROOT, "%.3f", r.tokenConsistency(l)),
          list(r.deadExperts(l)),
          list(r.rareExperts(l)),
          s == null
              ? ""
              : String.format(
                  Locale.ROOT,
                  " · saturation %.1f%% (identical top-%d sets %.1f%%)",
                  100 * s.meanOverlap(),
                  k.topK(),
                  100 * s.identicalShare()));
    }
    return String.format(
        Locale.ROOT,
        "Layer %d: sparse FF, %d units in blocks of %d · unit entropy %.3f (1 = every unit of a block"
            + " equally used) · unused units: %d",
        l,
        k.units(),
        k.blockSize(),
        r.unitEntropy(l),
        r.unusedUnits(l));
  }

  private static String list(List<Integer> xs) {
    return xs.isEmpty() ? "none" : xs.toString().replaceAll("[\\[\\]]", "");
  }

  private void showExpert() {
    AnalysisResult r = result.get();
    int l = layer.get();
    int e = expert.get();
    showMaps();
    if (r == null || l < 0 || e < 0 || !r.layers().get(l).routed()) {
      expertTokens.clear();
      examples.clear();
      expertTitle.set(
          r != null && l >= 0 && r.layers().get(l).routed()
              ? "Expert: click one in the map to list its tokens and contexts"
              : "");
      return;
    }
    expertTitle.set(
        "Expert "
            + e
            + " of layer "
            + l
            + (r.hasVocabulary()
                ? ": its most frequent tokens and example contexts"
                : ": its tokens and contexts are listed when the run ends"));
    expertTokens.setAll(
        r.topTokens(l, e, LISTED).stream()
            .map(
                t ->
                    new TokenRow(
                        t.id(),
                        shown(t.label()),
                        String.format(Locale.ROOT, "%,d", t.count()),
                        String.format(Locale.ROOT, "%.0f%%", 100 * t.exclusivity())))
            .toList());
    examples.setAll(
        r.examples(l, e).stream()
            .map(
                x ->
                    new ExampleRow(
                        String.format(
                            Locale.ROOT, "%s · %s · p %.2f", x.domain(), x.file(), x.probability()),
                        org.sparsityworkbench.engine.tokenizer.Tokenizer.visible(x.before()),
                        shown(x.token()),
                        org.sparsityworkbench.engine.tokenizer.Tokenizer.visible(x.after())))
            .toList());
  }

  /** A token label with its spaces visible (an open box). */
  static String shown(String label) {
    return label.replace(' ', '\u2423');
  }

  /** Recomputes both maps for the shown result, layer, expert and pairing. */
  private void showMaps() {
    AnalysisResult r = result.get();
    int l = layer.get();
    if (r == null || l < 0 || l >= r.layers().size()) {
      useMap.set(null);
      pairMap.set(null);
      useMessage.set(
          running.get() ? "Counting…" : "Press Analyse: expert use per domain maps here.");
      pairMessage.set(running.get() ? "Counting…" : "Press Analyse: co-activation maps here.");
      return;
    }
    LayerKind k = r.layers().get(l);
    useMap.set(k.routed() ? useMapOf(r, k, expert.get()) : unitMapOf(r, k));
    useMessage.set("");
    double[][] m = AnalysisTables.coactivation(r, l, pairing.get());
    if (m == null) {
      pairMap.set(null);
      pairMessage.set(
          !k.routed()
              ? "A sparse FF layer has no experts to pair: the left map shows its units per block."
              : pairing.get() == AnalysisTables.Pairing.WITHIN_TOKEN
                  ? "Top-1: a token chooses one expert, so there is no pair within it."
                  : "No routed layer follows this one.");
      return;
    }
    boolean next = pairing.get() == AnalysisTables.Pairing.NEXT_LAYER;
    String[] rows = new String[m.length];
    String[][] readings = new String[m.length][];
    for (int e = 0; e < m.length; e++) {
      rows[e] = "E" + e;
      readings[e] = new String[m[e].length];
      for (int f = 0; f < m[e].length; f++) {
        readings[e][f] =
            !Double.isFinite(m[e][f])
                ? null
                : next
                    ? String.format(
                        Locale.ROOT,
                        "of the tokens at expert %d in layer %d, %.1f%% go to expert %d in layer %d",
                        e,
                        l,
                        100 * m[e][f],
                        f,
                        l + 1)
                    : String.format(
                        Locale.ROOT,
                        "of the tokens at expert %d, %.1f%% also chose expert %d",
                        e,
                        100 * m[e][f],
                        f);
      }
    }
    pairMap.set(new HeatMap(rows, next ? "→E" : "E", m, HeatMap.Scale.SHARE, readings, -1, false));
    pairMessage.set("");
  }

  private static HeatMap useMapOf(AnalysisResult r, LayerKind k, int marked) {
    int l = k.layer();
    double[][] m = AnalysisTables.useVsUniform(r, l);
    List<String> names = AnalysisTables.useRows(r);
    String[][] readings = new String[m.length][k.experts()];
    for (int d = 0; d < m.length; d++) {
      boolean all = d == m.length - 1;
      for (int e = 0; e < k.experts(); e++) {
        long count = all ? r.use(l, e) : r.use(l, d, e);
        double share = all ? r.share(l, e) : r.share(l, d, e);
        readings[d][e] =
            String.format(
                Locale.ROOT,
                "%s, expert %d: %,d assignments, %.1f%% (even split %.1f%%, ×%.2f). Click: its"
                    + " tokens",
                names.get(d),
                e,
                count,
                100 * share,
                100.0 / k.experts(),
                share * k.experts());
      }
    }
    return new HeatMap(
        names.toArray(new String[0]), "E", m, HeatMap.Scale.RATIO, readings, marked, true);
  }

  private static HeatMap unitMapOf(AnalysisResult r, LayerKind k) {
    double[][] m = AnalysisTables.unitUse(r, k.layer());
    String[] rows = new String[m.length];
    String[][] readings = new String[m.length][];
    for (int g = 0; g < m.length; g++) {
      rows[g] = "block " + g;
      readings[g] = new String[m[g].length];
      for (int i = 0; i < m[g].length; i++) {
        readings[g][i] =
            String.format(
                Locale.ROOT, "block %d, unit %d: chosen for %.1f%% of tokens", g, i, 100 * m[g][i]);
      }
    }
    return new HeatMap(rows, "u", m, HeatMap.Scale.RELATIVE, readings, -1, false);
  }

  /** A click on the expert-use map: selects the expert of its column (routed layers only). */
  public void click(int row, int column) {
    HeatMap m = useMap.get();
    if (m != null && m.selectable() && column >= 0 && column < m.columnCount()) {
      expert.set(column);
    }
  }

  /** How the layer picker names a layer of the shown result. */
  public String layerName(int l) {
    AnalysisResult r = result.get();
    if (r == null || l < 0 || l >= r.layers().size()) {
      return "layer " + l;
    }
    LayerKind k = r.layers().get(l);
    return k.routed()
        ? "layer " + l + " (" + k.experts() + " experts)"
        : "layer " + l + " (sparse FF)";
  }

  private static String duration(double s) {
    if (!Double.isFinite(s)) {
      return "?";
    }
    long r = Math.round(s);
    return r < 60 ? r + " s" : (r / 60) + " min " + (r % 60) + " s";
  }

  private static String name(Path p) {
    return p.getFileName() == null ? p.toString() : p.getFileName().toString();
  }

  public ObservableList<Path> models() {
    return models;
  }

  public ObjectProperty<Path> modelProperty() {
    return model;
  }

  /** The second model of a router-saturation comparison; null for none. */
  public ObjectProperty<Path> compareProperty() {
    return compare;
  }

  private final ObservableList<Path> domains = FXCollections.observableArrayList();
  private final ObservableList<Path> domainsView =
      FXCollections.unmodifiableObservableList(domains);
  private final javafx.beans.property.ReadOnlyStringWrapper corpusText =
      new javafx.beans.property.ReadOnlyStringWrapper();

  /**
   * Domain folders picked one by one; while there are any the analysis reads them (each folder a
   * domain named after it) instead of the corpus folder.
   */
  public ObservableList<Path> domains() {
    return domainsView;
  }

  /** Adds a folder as a domain; one already picked, or of the same name, is refused. */
  public boolean addDomain(Path folder) {
    if (folder == null || running.get()) {
      return false;
    }
    for (Path d : domains) {
      if (name(d).equals(name(folder))) {
        status.set(
            "A domain is named after its folder, and "
                + name(folder)
                + " is already one ("
                + d
                + ")");
        return false;
      }
    }
    domains.add(folder);
    return true;
  }

  /** Reads this corpus folder (its subfolders the domains) from now on, not picked domains. */
  public void useCorpus(Path folder) {
    if (folder != null && !running.get()) {
      domains.clear();
      corpus.set(folder);
    }
  }

  /** Takes a picked domain folder out. */
  public void removeDomain(Path folder) {
    if (!running.get()) {
      domains.remove(folder);
    }
  }

  /** What the analysis will read: the picked domains, or the corpus folder. */
  public javafx.beans.property.ReadOnlyStringProperty corpusTextProperty() {
    return corpusText.getReadOnlyProperty();
  }

  /** The corpus folder: each subfolder a domain. */
  public ObjectProperty<Path> corpusProperty() {
    return corpus;
  }

  public IntegerProperty tokensProperty() {
    return tokens;
  }

  public ReadOnlyBooleanProperty runningProperty() {
    return running.getReadOnlyProperty();
  }

  /** True while the engine thread decodes, loads or compares: an analysis would wait for it. */
  public javafx.beans.property.BooleanProperty engineBusyProperty() {
    return engineBusy;
  }

  public BooleanBinding canRunBinding() {
    return canRun;
  }

  /** 0..1 of the planned tokens; -1 while loading (indeterminate). */
  public ReadOnlyDoubleProperty progressProperty() {
    return progress.getReadOnlyProperty();
  }

  /** Tokens done of planned, tokens/s, time left; empty when not running. */
  public ReadOnlyStringProperty progressTextProperty() {
    return progressText.getReadOnlyProperty();
  }

  /** How the last run ended, or why it failed. */
  public ReadOnlyStringProperty statusProperty() {
    return status.getReadOnlyProperty();
  }

  /** What the shown result is of (model, domains, tokens); empty without one. */
  public ReadOnlyStringProperty headingProperty() {
    return heading.getReadOnlyProperty();
  }

  /** The selected layer's figures. */
  public ReadOnlyStringProperty layerSummaryProperty() {
    return layerSummary.getReadOnlyProperty();
  }

  /**
   * The result shown: a finished run, a cancelled one's partial counts, or a run's counts so far.
   */
  public ReadOnlyObjectProperty<AnalysisResult> resultProperty() {
    return result.getReadOnlyProperty();
  }

  /** Layers with choices to show (routed or sparse FF). */
  public ObservableList<Integer> layers() {
    return layers;
  }

  /** The shown layer (the model's layer index), -1 without a result. */
  public IntegerProperty layerProperty() {
    return layer;
  }

  /** The selected expert of the shown layer, -1 for none. */
  public IntegerProperty expertProperty() {
    return expert;
  }

  /** The tokens routed most often to the selected expert. */
  public ObservableList<TokenRow> expertTokens() {
    return expertTokens;
  }

  /** Example contexts of the selected expert's tokens. */
  public ObservableList<ExampleRow> examples() {
    return examples;
  }

  /** What the co-activation map pairs. */
  public ObjectProperty<AnalysisTables.Pairing> pairingProperty() {
    return pairing;
  }

  /** The expert-use map (or for a sparse FF layer the unit map); null with nothing to show. */
  public ReadOnlyObjectProperty<HeatMap> useMapProperty() {
    return useMap.getReadOnlyProperty();
  }

  /** The co-activation map; null where the layer has none ({@link #pairMessageProperty}). */
  public ReadOnlyObjectProperty<HeatMap> pairMapProperty() {
    return pairMap.getReadOnlyProperty();
  }

  /** What stands in place of the use map when there is none. */
  public ReadOnlyStringProperty useMessageProperty() {
    return useMessage.getReadOnlyProperty();
  }

  /** What stands in place of the co-activation map when there is none. */
  public ReadOnlyStringProperty pairMessageProperty() {
    return pairMessage.getReadOnlyProperty();
  }

  /** The title over the selected expert's tokens and contexts. */
  public ReadOnlyStringProperty expertTitleProperty() {
    return expertTitle.getReadOnlyProperty();
  }

  /** The most frequent tokens and the experts they go to in the shown layer. */
  public ObservableList<AnalysisResult.TokenRouting> frequentTokens() {
    return frequentTokens;
  }
}
