package org.sparsityworkbench.views;

import java.util.List;
import java.util.Locale;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.util.Duration;
import org.sparsityworkbench.viewmodels.MainViewModel;

/**
 * The timeline of a saved session: a scrubber over its tokens, a step back and forward, and Play at
 * a chosen speed; every view shows the session up to the token chosen. Shown only while a session
 * is open.
 */
final class TimelineBar extends HBox {
  /** Play speeds, tokens per second. */
  static final List<Integer> SPEEDS = List.of(2, 5, 20, 100);

  private final MainViewModel vm;
  private final Slider slider = new Slider(0, 1, 0);
  private final Label position = new Label();
  private final ToggleButton play = new ToggleButton("Play");
  private final ComboBox<Integer> speed = new ComboBox<>();
  private final Timeline player = new Timeline();

  TimelineBar(MainViewModel vm) {
    super(6);
    this.vm = vm;
    setId("timeline-bar");
    setAlignment(Pos.CENTER_LEFT);
    setPadding(new Insets(2, 8, 4, 8));
    slider.setId("timeline");
    slider.setBlockIncrement(1);
    slider.setMajorTickUnit(1);
    slider.setMinorTickCount(0);
    slider.setSnapToTicks(true);
    slider.setTooltip(new Tooltip("Step through the session: the views show it up to this token"));
    HBox.setHgrow(slider, Priority.ALWAYS);
    slider.setMaxWidth(Double.MAX_VALUE);
    position.setId("timeline-position");
    position.setMinWidth(150);
    Button back = new Button("◀");
    back.setId("timeline-back");
    back.setTooltip(new Tooltip("One token back"));
    back.setOnAction(e -> move(-1));
    Button forward = new Button("▶");
    forward.setId("timeline-forward");
    forward.setTooltip(new Tooltip("One token on"));
    forward.setOnAction(e -> move(1));
    play.setId("timeline-play");
    play.setTooltip(new Tooltip("Play the session at the chosen speed"));
    speed.setId("timeline-speed");
    speed.getItems().setAll(SPEEDS);
    speed.setValue(5);
    speed.setCellFactory(l -> new SpeedCell());
    speed.setButtonCell(new SpeedCell());
    Button again = new Button("Run again");
    again.setId("timeline-run-again");
    again.setTooltip(
        new Tooltip("Decode it again with the loaded model: the status says if it reproduces"));
    again.disableProperty().bind(vm.library().modelProperty().isNull().or(vm.runningProperty()));
    again.setOnAction(e -> vm.session().runAgain());
    Button close = new Button("Close session");
    close.setId("timeline-close");
    close.setTooltip(new Tooltip("Back to decoding with the loaded model"));
    close.setOnAction(e -> vm.session().closeSession());
    Label title = new Label("Session");
    title.getStyleClass().add("caption");
    getChildren().addAll(title, back, slider, forward, position, play, speed, again, close);

    slider
        .valueProperty()
        .subscribe(
            v -> {
              int k = (int) Math.round(v.doubleValue());
              if (k != vm.session().timelineProperty().get()) {
                vm.session().timelineProperty().set(k);
              }
            });
    vm.session().timelineProperty().subscribe(k -> show());
    vm.session()
        .shownSessionProperty()
        .subscribe(
            s -> {
              setVisible(s != null);
              setManaged(s != null);
              play.setSelected(false);
              show();
            });
    player.setCycleCount(Timeline.INDEFINITE);
    play.selectedProperty().subscribe(on -> replay());
    speed.valueProperty().subscribe(v -> replay());
  }

  private void show() {
    int n = vm.session().sessionTokens();
    slider.setMax(Math.max(1, n));
    int k = vm.session().timelineProperty().get();
    if ((int) Math.round(slider.getValue()) != k) {
      slider.setValue(k);
    }
    position.setText(String.format(Locale.ROOT, "token %d of %d", k, n));
    if (k >= n && play.isSelected()) {
      play.setSelected(false);
    }
  }

  private void move(int by) {
    int n = vm.session().sessionTokens();
    vm.session()
        .timelineProperty()
        .set(Math.clamp(vm.session().timelineProperty().get() + by, 0, n));
  }

  private void replay() {
    player.stop();
    player.getKeyFrames().clear();
    if (!play.isSelected()) {
      return;
    }
    if (vm.session().timelineProperty().get() >= vm.session().sessionTokens()) {
      vm.session().timelineProperty().set(0); // played to the end: from the start again
    }
    int rate = speed.getValue() == null ? 5 : speed.getValue();
    player.getKeyFrames().add(new KeyFrame(Duration.seconds(1.0 / rate), e -> move(1)));
    player.play();
  }

  private static final class SpeedCell extends javafx.scene.control.ListCell<Integer> {
    @Override
    protected void updateItem(Integer item, boolean empty) {
      super.updateItem(item, empty);
      setText(empty || item == null ? null : item + " tokens/s");
    }
  }
}
