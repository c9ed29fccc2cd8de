package org.sparsityworkbench.viewmodels;

import javafx.beans.binding.Bindings;
import javafx.beans.binding.StringBinding;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import org.sparsityworkbench.engine.tokenizer.ByteTokenizer;
import org.sparsityworkbench.engine.tokenizer.Tokenizer;

/**
 * What the views know of the model whose decode they show: the loaded model's, or, while a saved
 * session is open, what the session's records say of theirs (no model needed). Its family, layers,
 * route keys (experts or sparse FF units), context and token labels, one line naming it, and the
 * layer the user picked to colour by, shared by every per-token view.
 *
 * <p>Written by {@link ModelLibraryViewModel} when a model loads and by {@link SessionViewModel}
 * when a session opens or closes; UI thread.
 */
public final class ShownModel {
  private final ReadOnlyStringWrapper family = new ReadOnlyStringWrapper("");
  private final ReadOnlyBooleanWrapper routes = new ReadOnlyBooleanWrapper(false);
  private final ReadOnlyIntegerWrapper layers = new ReadOnlyIntegerWrapper(0);
  private final ReadOnlyStringWrapper info = new ReadOnlyStringWrapper("no model loaded");
  private final IntegerProperty colourLayer = new SimpleIntegerProperty(0);
  private int routeKeys;
  private int context;
  private Tokenizer labels = ByteTokenizer.INSTANCE;
  private final StringBinding streamLegend =
      Bindings.createStringBinding(() -> streamLegend(family.get(), routes.get()), family, routes);

  /** Shows a loaded model (null: none). */
  void show(ModelHandle m, String line) {
    if (m == null) {
      show("", 0, false, 0, 0, ByteTokenizer.INSTANCE, line);
      return;
    }
    show(
        m.family(),
        m.spec().layers(),
        m.colours(),
        m.spec().routed() ? m.spec().maxExperts() : m.spec().sparseBlockSize(),
        m.contextLength(),
        m.tokenizer(),
        line);
  }

  /**
   * Shows a model described by its facts. The plain values change before the properties, so that a
   * view repainting on a property's change reads the new model's route keys and context.
   */
  void show(
      String family,
      int layers,
      boolean routes,
      int routeKeys,
      int context,
      Tokenizer labels,
      String line) {
    this.routeKeys = routeKeys;
    this.context = context;
    this.labels = labels;
    this.layers.set(layers);
    this.family.set(family);
    this.routes.set(routes);
    if (colourLayer.get() >= Math.max(1, layers)) {
      colourLayer.set(0);
    }
    info.set(line);
  }

  /** The family ("dense", "switch", ..., "megabyte"), "" when nothing is shown. */
  public ReadOnlyStringProperty familyProperty() {
    return family.getReadOnlyProperty();
  }

  /**
   * True when the model shown has something to colour tokens by: experts (any routed layer) or
   * sparse FF units; false for dense and sparse-QKV-only models and before one is loaded.
   */
  public ReadOnlyBooleanProperty routesProperty() {
    return routes.getReadOnlyProperty();
  }

  /** Layers of the model shown (0 when none). */
  public ReadOnlyIntegerProperty layerCountProperty() {
    return layers.getReadOnlyProperty();
  }

  /** The layer whose routing colours the streamed tokens and the routing views. */
  public IntegerProperty colourLayerProperty() {
    return colourLayer;
  }

  /** One line naming what is shown: the loaded model, or the session and its model. */
  public ReadOnlyStringProperty infoProperty() {
    return info.getReadOnlyProperty();
  }

  void setInfo(String line) {
    info.set(line);
  }

  /**
   * How many distinct route keys there are: the number of experts (MoE), the units per block
   * (sparse FF), 0 without routing.
   */
  public int routeKeyCount() {
    return routeKeys;
  }

  /** The positions the model shown can attend to, 0 when none is shown. */
  public int context() {
    return context;
  }

  /** The shown model's token labels (the session's recorded ones when a session is open). */
  Tokenizer labels() {
    return labels;
  }

  /**
   * What the colour legend calls route key i: {@code u3} (a unit of block 0, sparse FF) or {@code
   * e3} (an expert).
   */
  public String routeKeyLabel(int i) {
    return (routesByUnit() ? "u" : "e") + i;
  }

  /** Route key i in words: "unit 3 of block 0" or "expert 3". */
  public String routeKeyDescription(int i) {
    return routesByUnit() ? "unit " + i + " of block 0" : "expert " + i;
  }

  /** True when tokens are coloured by a sparse feed-forward's unit, not by an expert. */
  private boolean routesByUnit() {
    return family.get().startsWith("sparse");
  }

  /** Whether the model shown decodes in patches (Megabyte). */
  public boolean showsPatches() {
    return hasPatches(family.get());
  }

  /** What the Decode tab's colours mean for the model shown. */
  public StringBinding streamLegendProperty() {
    return streamLegend;
  }

  /** What the token colours mean for a family (routes: the model has experts or units). */
  static String streamLegend(String family, boolean routes) {
    return switch (family) {
      case "sparse-ff", "sparse-ffqkv" ->
          "Colour: block 0's chosen unit (one of N); every block in the details.";
      case "megabyte" ->
          "Megabyte: bytes by patch, coloured by the global model's expert, in the Patches tab.";
      case "sparse-qkv" ->
          "Sparse QKV only: the feed-forward is dense, nothing to colour by"
              + " (module activity: Controller masks tab).";
      default ->
          routes
              ? "Colour: the token's top expert in the layer."
              : "Dense model: no routing to colour by.";
    };
  }

  /**
   * Whether a family's tokens have layers of their own that the per-token views (Routing,
   * Controller masks, Attention) draw; Megabyte's layers run per patch (its Patches view).
   */
  public static boolean perTokenLayers(String family) {
    return !hasPatches(family);
  }

  /** Whether a family decodes in patches (Megabyte): the Patches view is its view. */
  public static boolean hasPatches(String family) {
    return "megabyte".equals(family);
  }
}
