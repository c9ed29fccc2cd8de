package org.sparsityworkbench.viewmodels;

import java.util.ArrayList;
import java.util.List;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.collections.ListChangeListener;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * The patch view's model (Megabyte): the figures of the decode shown, live or a session, the global
 * and the local layer shown, and the patch looked at (the inspected token's, else the newest). The
 * figures are recomputed when the tokens or the prompt change, so they always belong to the decode
 * on screen.
 */
public final class PatchViewModel {
  private final DecodeHistory history;
  private final ShownModel shown;
  private final InterventionViewModel intervention;
  private final javafx.beans.property.ObjectProperty<TokenSnapshot> inspected;
  private final IntegerProperty globalLayer = new SimpleIntegerProperty(0);
  private final IntegerProperty localLayer = new SimpleIntegerProperty(0);
  private final ReadOnlyBooleanWrapper available = new ReadOnlyBooleanWrapper(false);
  private final ReadOnlyIntegerWrapper globalLayers = new ReadOnlyIntegerWrapper(0);
  private final ReadOnlyIntegerWrapper localLayers = new ReadOnlyIntegerWrapper(0);
  private PatchFigures figures = PatchFigures.EMPTY;
  private boolean stale = true;

  PatchViewModel(
      DecodeHistory history,
      ShownModel shown,
      InterventionViewModel intervention,
      javafx.beans.property.ObjectProperty<TokenSnapshot> inspected) {
    this.history = history;
    this.shown = shown;
    this.intervention = intervention;
    this.inspected = inspected;
    history.tokens().addListener((ListChangeListener<TokenSnapshot>) c -> update());
    history.prefillProperty().subscribe(p -> update());
  }

  private void update() {
    stale = true;
    PatchFigures f = figures();
    available.set(f.available());
    globalLayers.set(f.globalLayers());
    localLayers.set(f.localLayers());
    if (globalLayer.get() >= Math.max(1, f.globalLayers())) {
      globalLayer.set(0);
    }
    if (localLayer.get() >= Math.max(1, f.localLayers())) {
      localLayer.set(0);
    }
  }

  /** The figures of the decode shown (empty when it has no patch telemetry). */
  public PatchFigures figures() {
    if (stale) {
      List<String> prompt = new ArrayList<>();
      Records.Prefill p = history.prefillProperty().get();
      if (p != null && p.texts() != null) {
        prompt.addAll(List.of(p.texts()));
      } else if (p != null) {
        for (int i = 0; i < p.tokens(); i++) {
          prompt.add("?");
        }
      }
      figures =
          PatchFigures.of(
              prompt, p == null || p.patches() == null ? List.of() : p.patches(), history.tokens());
      stale = false;
    }
    return figures;
  }

  /** True while the decode shown has patch telemetry (a Megabyte model's). */
  public ReadOnlyBooleanProperty availableProperty() {
    return available.getReadOnlyProperty();
  }

  /** The global layer whose attention and routing are shown. */
  public IntegerProperty globalLayerProperty() {
    return globalLayer;
  }

  /** The local layer whose attention is shown. */
  public IntegerProperty localLayerProperty() {
    return localLayer;
  }

  /** Layers of the global model in the records (0 before a global step is recorded). */
  public ReadOnlyIntegerProperty globalLayersProperty() {
    return globalLayers.getReadOnlyProperty();
  }

  /** Layers of the local model with attention in the records. */
  public ReadOnlyIntegerProperty localLayersProperty() {
    return localLayers.getReadOnlyProperty();
  }

  /** The patch looked at: the inspected token's next position's, else the newest step's. */
  public int shownPatch() {
    TokenSnapshot t = inspected.get();
    if (t != null && t.record().patch() != null) {
      return t.record().patch().index();
    }
    return figures().currentPatch();
  }

  /** Inspects the newest step of a patch, so that its local attention is shown. */
  public void select(int patch) {
    List<TokenSnapshot> tokens = history.tokens();
    for (int i = tokens.size() - 1; i >= 0; i--) {
      Records.Patch p = tokens.get(i).record().patch();
      if (p != null && p.index() == patch) {
        inspected.set(tokens.get(i));
        return;
      }
    }
  }

  /** The patch a token's step prepared, or -1 (not a Megabyte step). */
  public static int patchOf(TokenSnapshot t) {
    return t == null || t.record().patch() == null ? -1 : t.record().patch().index();
  }

  /** The tokens of the decode shown, oldest first. */
  public javafx.collections.ObservableList<TokenSnapshot> tokens() {
    return history.tokens();
  }

  /** The token inspected (shared with the token stream): its patch is the one shown. */
  public javafx.beans.property.ObjectProperty<TokenSnapshot> inspectedProperty() {
    return inspected;
  }

  /** The model shown (its experts colour the patches). */
  public ShownModel shown() {
    return shown;
  }

  /** Banning or forcing the global model's experts from the patch figure. */
  public InterventionViewModel intervention() {
    return intervention;
  }
}
