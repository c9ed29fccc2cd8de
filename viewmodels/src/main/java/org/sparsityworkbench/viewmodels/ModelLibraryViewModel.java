package org.sparsityworkbench.viewmodels;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.model.ModelSummary;
import org.sparsityworkbench.engine.model.TransformerModel;

/**
 * The models the workbench knows (the bundled ones and those opened), the one loaded, and loading
 * itself: progress, cancel, a failure that leaves the loaded model as it was. Also the Model tab's
 * texts (architecture, cost, config, card) of the loaded model.
 *
 * <p>UI thread; the engine loads on its own thread and reports into this view model's inbox, which
 * {@link #refresh()} drains.
 */
public final class ModelLibraryViewModel {
  /** What the library asks of the window it serves. */
  interface Host {
    /** True while a decode runs: its model stays until it ends. */
    boolean decoding();

    /** A new model is about to replace the one shown: clear what belongs to the old one. */
    void replacing();

    /** The new model is loaded and shown (the old one is released right after). */
    void loaded(ModelHandle model);

    void status(String text);

    void error(String text);
  }

  private final WorkbenchEngine engine;
  private final ShownModel shown;
  private final Host host;
  private final Inbox<Event> inbox;

  private final ObservableList<Path> models = FXCollections.observableArrayList();
  private final ObjectProperty<Path> selected = new SimpleObjectProperty<>();
  private final ReadOnlyBooleanWrapper loading = new ReadOnlyBooleanWrapper(false);
  private final ReadOnlyDoubleWrapper loadFraction = new ReadOnlyDoubleWrapper(-1);
  private final ReadOnlyObjectWrapper<ModelHandle> model = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyObjectWrapper<Path> loadedDir = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyStringWrapper card = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper architecture = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper cost = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper details = new ReadOnlyStringWrapper("");
  private volatile LoadTicket ticket;

  /**
   * The loaded model's line for {@link ShownModel#infoProperty()}, shown again when a session
   * closes.
   */
  private String loadedInfo = "";

  private sealed interface Event {}

  private record Loaded(Path dir, ModelHandle model, String card) implements Event {}

  private record LoadFailed(Path dir, Throwable cause) implements Event {}

  /** Bytes and tensors read so far by the load in progress. */
  private record LoadProgressed(Path dir, long bytes, long total, int tensors, int totalTensors)
      implements Event {}

  /**
   * The engine's view of one load: it reports progress into the inbox at most every 100 ms (the UI
   * applies the latest once per frame) and asks whether the user cancelled.
   */
  private final class LoadTicket implements LoadProgress {
    private final Path dir;
    private final AtomicBoolean cancel = new AtomicBoolean();
    private long last;

    LoadTicket(Path dir) {
      this.dir = dir;
    }

    @Override
    public void update(long bytes, long total, int tensors, int totalTensors) {
      long now = System.nanoTime();
      if (now - last >= 100_000_000L || tensors == totalTensors) {
        last = now;
        inbox.offer(new LoadProgressed(dir, bytes, total, tensors, totalTensors));
      }
    }

    @Override
    public boolean cancelled() {
      return cancel.get();
    }
  }

  ModelLibraryViewModel(
      WorkbenchEngine engine,
      List<Path> sampleModels,
      ShownModel shown,
      Host host,
      Inbox.Doorbell doorbell) {
    this.engine = engine;
    this.shown = shown;
    this.host = host;
    this.inbox = new Inbox<>(doorbell);
    models.setAll(sampleModels);
    if (!sampleModels.isEmpty()) {
      selected.set(sampleModels.getFirst());
    }
  }

  // --- commands -----------------------------------------------------------------------------

  /** Loads the selected model directory on the engine thread; the current model stays meanwhile. */
  public void loadSelected() {
    Path dir = selected.get();
    if (dir == null || loading.get() || host.decoding()) {
      return; // the model of a running decode stays until it ends (the picker is disabled)
    }
    if (dir.equals(loadedDir.get()) && model.get() != null) {
      return; // loaded already
    }
    load(dir);
  }

  /**
   * Loads a model directory the user chose (Open…): listed and selected once it has loaded; a
   * directory that fails to load is reported and neither listed nor selected.
   */
  public void open(Path dir) {
    if (dir == null || loading.get() || host.decoding()) {
      return;
    }
    if (dir.equals(loadedDir.get()) && model.get() != null) {
      selected.set(dir);
      return;
    }
    load(dir);
  }

  /** Stops the load in progress between two tensors; the model loaded before stays. */
  public void cancelLoad() {
    LoadTicket t = ticket;
    if (t != null) {
      t.cancel.set(true);
    }
  }

  /** The engine has started: says so, and loads the selected model when none is loaded. */
  void engineReady() {
    host.status(models.isEmpty() ? "No model yet: Open… a model directory" : "Ready");
    if (model.get() == null) {
      loadSelected();
    }
  }

  private void load(Path dir) {
    loading.set(true);
    loadFraction.set(-1);
    host.status("Loading " + dir.getFileName() + "…");
    LoadTicket t = new LoadTicket(dir);
    ticket = t;
    engine
        .load(dir, t)
        .whenComplete(
            (m, e) ->
                inbox.offer(
                    e == null ? new Loaded(dir, m, readCard(dir)) : new LoadFailed(dir, e)));
  }

  /** The model card, read on the engine thread with the model; empty when there is none. */
  private static String readCard(Path dir) {
    try {
      Path file = dir.resolve(TransformerModel.CARD_FILE);
      return Files.isRegularFile(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      return "(cannot read the model card: " + e.getMessage() + ")";
    }
  }

  /** Shows the loaded model again (a session closed), or nothing when none is loaded. */
  void showLoaded() {
    ModelHandle m = model.get();
    shown.show(m, m == null ? "no model loaded" : loadedDir.get() == null ? "" : loadedInfo);
  }

  // --- what the engine reported ---------------------------------------------------------------

  boolean hasNews() {
    return !inbox.isEmpty();
  }

  /** Applies what the engine reported about loads; UI thread. */
  void refresh() {
    for (Event ev : inbox.drain()) {
      switch (ev) {
        case Loaded l -> loaded(l);
        case LoadProgressed p -> {
          LoadTicket t = ticket;
          if (loading.get() && t != null && p.dir().equals(t.dir)) {
            loadFraction.set(p.total() == 0 ? -1 : p.bytes() / (double) p.total());
            host.status(
                String.format(
                    Locale.ROOT,
                    "Loading %s: %,d / %,d MiB, %d / %d tensors",
                    p.dir().getFileName(),
                    p.bytes() >> 20,
                    p.total() >> 20,
                    p.tensors(),
                    p.totalTensors()));
          }
        }
        case LoadFailed f -> {
          loading.set(false);
          ticket = null;
          loadFraction.set(-1);
          // The model still loaded stays, and so does its name in the picker.
          selected.set(loadedDir.get());
          if (isCancellation(f.cause())) {
            host.status("Loading " + f.dir().getFileName() + " cancelled");
          } else {
            host.error(MainViewModel.rootMessage(f.cause())); // worded as the command line words it
            host.status("Cannot load " + f.dir().getFileName());
          }
        }
      }
    }
  }

  private void loaded(Loaded l) {
    ticket = null;
    loadFraction.set(-1);
    ModelHandle old = model.get();
    host.replacing(); // what is shown always belongs to the loaded model
    if (!models.contains(l.dir())) {
      models.add(l.dir()); // a directory opened with Open…, listed once it has loaded
    }
    loadedDir.set(l.dir());
    selected.set(l.dir());
    card.set(l.card());
    model.set(l.model());
    ModelSummary s = l.model().summary();
    loadedInfo =
        l.dir().getFileName()
            + " · "
            + l.model().family()
            + " · "
            + ModelSummary.human(s.totalParams())
            + " params, "
            + ModelSummary.human(s.activeParams())
            + " active per token";
    host.loaded(l.model());
    shown.show(l.model(), loadedInfo);
    loading.set(false);
    architecture.set(s.architecture());
    cost.set(
        String.format(
            Locale.ROOT,
            "%s FLOPs/token at position 0, %s at the last · %s of %s parameters active",
            ModelSummary.human(s.flopsFirst()),
            ModelSummary.human(s.flopsLast()),
            ModelSummary.human(s.activeParams()),
            ModelSummary.human(s.totalParams())));
    details.set(
        s.architecture()
            + "\n\nparameters: "
            + s.totalParams()
            + " total, "
            + s.activeParams()
            + " active per token\nFLOPs per token: "
            + s.flopsFirst()
            + " at position 0, "
            + s.flopsLast()
            + " at the last position\n\nconfig.json\n"
            + l.model().configJson()
            + (l.card().isEmpty() ? "\n\n(no MODEL_CARD.md)" : ""));
    host.status("Loaded " + l.dir().getFileName());
    if (old != null) {
      engine.release(old);
    }
  }

  private static boolean isCancellation(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CancellationException) {
        return true;
      }
    }
    return false;
  }

  // --- properties ---------------------------------------------------------------------------

  /** The model directories to pick from: the bundled ones, then those opened. */
  public ObservableList<Path> models() {
    return models;
  }

  /** Adds a model directory chosen by the user and selects it. */
  public void addAndSelect(Path dir) {
    if (!models.contains(dir)) {
      models.add(dir);
    }
    selected.set(dir);
  }

  /** The directory picked in the Model list (loaded by {@link #loadSelected()}). */
  public ObjectProperty<Path> selectedModelProperty() {
    return selected;
  }

  public ReadOnlyBooleanProperty loadingProperty() {
    return loading.getReadOnlyProperty();
  }

  /** The load's progress, 0..1 of the bytes, or -1 while unknown (or no load runs). */
  public ReadOnlyDoubleProperty loadFractionProperty() {
    return loadFraction.getReadOnlyProperty();
  }

  /** The loaded model (null before one has loaded). */
  public ReadOnlyObjectProperty<ModelHandle> modelProperty() {
    return model.getReadOnlyProperty();
  }

  /** The directory of the loaded model (null before one has loaded). */
  public ReadOnlyObjectProperty<Path> loadedModelProperty() {
    return loadedDir.getReadOnlyProperty();
  }

  /** The loaded model's MODEL_CARD.md as Markdown, "" when it has none. */
  public ReadOnlyStringProperty modelCardProperty() {
    return card.getReadOnlyProperty();
  }

  /** One line describing the loaded model's architecture. */
  public ReadOnlyStringProperty architectureProperty() {
    return architecture.getReadOnlyProperty();
  }

  /** FLOPs per token and active parameters of the loaded model, one line. */
  public ReadOnlyStringProperty modelCostProperty() {
    return cost.getReadOnlyProperty();
  }

  /** Architecture, parameter counts, FLOPs, config.json and the model card of the loaded model. */
  public ReadOnlyStringProperty modelDetailsProperty() {
    return details.getReadOnlyProperty();
  }
}
