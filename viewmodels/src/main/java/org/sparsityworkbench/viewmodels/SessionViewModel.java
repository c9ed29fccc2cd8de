package org.sparsityworkbench.viewmodels;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleIntegerProperty;
import org.sparsityworkbench.engine.session.SessionFile;
import org.sparsityworkbench.engine.telemetry.Records;

/**
 * Saved sessions and the timeline: save the decode shown, open a session with no model and step
 * through it token by token (its records go through the same path as a live decode's, into the
 * {@link DecodeHistory}), run it again with the loaded model and say whether it reproduced.
 *
 * <p>UI thread; files are read, written and hashed off it, and report into this view model's inbox,
 * which {@link #refresh()} drains before the main view model applies its own.
 */
public final class SessionViewModel {
  private final MainViewModel main;
  private final Inbox<Event> inbox;

  /** What the file threads report. */
  private sealed interface Event {}

  SessionViewModel(MainViewModel main, Inbox.Doorbell doorbell) {
    this.main = main;
    this.inbox = new Inbox<>(doorbell);
    timeline.subscribe(k -> applyTimeline());
  }

  /** True when a file thread has news for {@link #refresh()}. */
  boolean hasNews() {
    return !inbox.isEmpty();
  }

  /** Applies what the file threads reported; UI thread. */
  void refresh() {
    for (Event ev : inbox.drain()) {
      switch (ev) {
        case SessionOpened o -> showSession(o.file(), o.session());
        case RanAgain r -> main.status.set(r.verdict());
        case SessionSaved v -> {
          if (v.failure() == null) {
            main.status.set("Saved the session to " + v.file());
          } else {
            main.error.set(MainViewModel.rootMessage(v.failure()));
            main.status.set("Cannot save the session");
          }
        }
      }
    }
  }

  /**
   * A live decode of the loaded model ended with these records: when it was "Run again", says (once
   * the weights are hashed, off the UI thread) whether it reproduced the session.
   */
  void decodeEnded(List<Records.Record> now) {
    if (againOf != null && shownSession.get() == null) {
      SessionFile of = againOf;
      againHash.thenAccept(h -> inbox.offer(new RanAgain(compareWithSession(of, now, h))));
      againOf = null;
    }
  }

  private record SessionOpened(Path file, SessionFile session) implements Event {}

  private record SessionSaved(Path file, Throwable failure) implements Event {}

  private record RanAgain(String verdict) implements Event {}

  /** The session shown instead of a live decode (null: none). */
  private final ReadOnlyObjectWrapper<SessionFile> shownSession = new ReadOnlyObjectWrapper<>();

  /** How many of the shown session's tokens the views show: the timeline's position. */
  private final IntegerProperty timeline = new SimpleIntegerProperty(0);

  /** Tokens of the shown session applied to the views so far. */
  private int timelineApplied = -1;

  /**
   * Reads a session file off the UI thread and shows it in every view, its model not needed; a file
   * that is not a whole session shows its error and changes nothing.
   */
  public void openSession(Path file) {
    if (main.running.get()) {
      main.error.set("Stop the decode before opening a session");
      return;
    }
    main.status.set("Opening " + file.getFileName() + "…");
    java.util.concurrent.CompletableFuture.runAsync(
        () -> {
          try {
            inbox.offer(new SessionOpened(file, SessionFile.read(file)));
          } catch (java.io.IOException | RuntimeException e) {
            main.failed("Cannot open the session", e);
          }
        });
  }

  /**
   * Saves what is shown as a session file, off the UI thread: the shown session as it is, or the
   * last finished decode with its model's identity (name, config, a hash of its weights).
   */
  public void saveSession(Path file) {
    SessionFile shown = shownSession.get();
    if (shown == null
        && (main.history().rawRecords().isEmpty()
            || main.running.get()
            || main.library().loadedModelProperty().get() == null)) {
      main.error.set(
          main.running.get()
              ? "Stop the decode before saving it"
              : "Nothing to save: decode first");
      return;
    }
    List<Records.Record> records = shown == null ? main.history().records() : shown.records();
    if (shown == null && !(records.getLast() instanceof Records.End)) {
      main.error.set("Nothing to save: the decode has not ended");
      return;
    }
    if (shown != null) {
      main.status.set("Saving the session…");
      java.util.concurrent.CompletableFuture.runAsync(() -> write(file, shown));
      return;
    }
    writeSessions(
        List.of(
            new SessionToWrite(
                file,
                main.library().loadedModelProperty().get(),
                main.library().modelProperty().get(),
                records)));
  }

  /** A session to write: where, the model's directory and what it is, and the records. */
  record SessionToWrite(
      Path file,
      Path dir,
      String family,
      boolean nativeModel,
      String config,
      List<Records.Record> records) {
    SessionToWrite(Path file, Path dir, ModelHandle m, List<Records.Record> records) {
      this(
          file,
          dir,
          m == null ? "" : m.family(),
          m != null && m.isNative(),
          m == null ? "{}" : m.configJson(),
          List.copyOf(records));
    }
  }

  /**
   * Writes sessions off the UI thread, each with its model's identity (hashing the weights once per
   * directory); the status then says where they went, or the error why not. The compare view saves
   * its two sides through this.
   */
  void writeSessions(List<SessionToWrite> sessions) {
    main.status.set(sessions.size() == 1 ? "Saving the session…" : "Saving the sessions…");
    java.util.concurrent.CompletableFuture.runAsync(
        () -> {
          java.util.Map<Path, SessionFile.Header> headers = new java.util.HashMap<>();
          for (SessionToWrite w : sessions) {
            try {
              SessionFile.Header h = headers.get(w.dir());
              if (h == null) {
                h =
                    new SessionFile.Header(
                        SessionFile.VERSION,
                        PROGRAM,
                        org.sparsityworkbench.engine.session.ModelIdentity.of(
                            w.dir(), w.family(), w.nativeModel(), w.config()));
                headers.put(w.dir(), h);
              }
              if (!write(w.file(), SessionFile.of(h, w.records()))) {
                return;
              }
            } catch (java.io.IOException | RuntimeException e) {
              inbox.offer(new SessionSaved(w.file(), e));
              return;
            }
          }
        });
  }

  private boolean write(Path file, SessionFile session) {
    try {
      session.save(file);
      inbox.offer(new SessionSaved(file, null));
      return true;
    } catch (java.io.IOException | RuntimeException e) {
      inbox.offer(new SessionSaved(file, e));
      return false;
    }
  }

  /** The program and version that sessions saved here name. */
  public static final String PROGRAM = SessionFile.PROGRAM;

  private void showSession(Path file, SessionFile s) {
    if (main.running.get()) {
      main.error.set("Stop the decode before opening a session");
      return;
    }
    Records.Prefill p = s.prefill();
    List<Records.Token> toks = s.tokens();
    int layers = p.layers() == null ? 0 : p.layers().size();
    int routeKeys = 0;
    boolean routed = false;
    for (Records.Token t : toks) {
      if (t.layers() == null) {
        continue;
      }
      layers = Math.max(layers, t.layers().size());
      for (Records.TokenLayer l : t.layers()) {
        if (l.router() != null) {
          routed = true;
          routeKeys =
              Math.max(
                  routeKeys,
                  l.router().probs() != null
                      ? l.router().probs().length
                      : java.util.Arrays.stream(l.router().experts()).max().orElse(-1) + 1);
        } else if (l.controller() != null) {
          routed = true;
          routeKeys = Math.max(routeKeys, l.controller().blockSize());
        }
      }
    }
    com.google.gson.JsonObject config = s.header().model().config();
    int context = 0;
    for (String key : List.of("context_length", "max_position_embeddings")) {
      if (config.has(key) && config.get(key).isJsonPrimitive()) {
        context = config.get(key).getAsInt();
        break;
      }
    }
    org.sparsityworkbench.engine.tokenizer.Tokenizer labels =
        s.header().model().nativeModel()
            ? org.sparsityworkbench.engine.tokenizer.ByteTokenizer.INSTANCE
            : new RecordedLabels(s);
    shownSession.set(s);
    Records.Session run = p.session();
    if (run != null) {
      // What it ran with, in the fields: Generate with its model runs it again.
      main.prompt.set(run.prompt());
      main.maxTokens.set(run.maxTokens());
      main.temperature.set(run.temperature());
      main.seed.set((int) run.seed());
    }
    org.sparsityworkbench.engine.session.ModelIdentity id = s.header().model();
    main.shown()
        .show(
            id.family(),
            layers,
            routed,
            routeKeys,
            context,
            labels,
            String.format(
                Locale.ROOT,
                "session %s · %s · %s · %d tokens",
                file.getFileName(),
                id.name(),
                id.family(),
                toks.size()));
    timelineApplied = -1;
    if (timeline.get() == toks.size()) {
      applyTimeline();
    } else {
      timeline.set(toks.size()); // its listener applies it
    }
    main.status.set("Opened the session " + file.getFileName() + ": " + toks.size() + " tokens");
  }

  /** Back to live decoding: the session's records leave the views. */
  public void closeSession() {
    if (shownSession.get() == null) {
      return;
    }
    shownSession.set(null);
    timelineApplied = -1;
    main.library().showLoaded(); // before the decode clears: it labels with the model's tokens
    main.clearDecode("");
  }

  /**
   * Shows the shown session's first {@link #timelineProperty()} tokens: forwards, the records after
   * those shown go through the same path as a live decode's; backwards, the views restart from the
   * prompt.
   */
  private void applyTimeline() {
    SessionFile s = shownSession.get();
    if (s == null) {
      return;
    }
    List<Records.Record> records = s.records();
    int n = records.size() - 2; // tokens between the prefill and the end
    int k = Math.clamp(timeline.get(), 0, n);
    if (k < timelineApplied || timelineApplied < 0) {
      Records.Prefill p = s.prefill();
      main.clearDecode(p.ids() == null ? new int[0] : p.ids(), p.texts());
      main.feed((p));
      timelineApplied = 0;
    }
    for (int i = timelineApplied; i < k; i++) {
      main.feed((records.get(1 + i)));
    }
    if (k == n && timelineApplied < n) {
      main.feed((records.getLast()));
    }
    timelineApplied = k;
  }

  /** The session that "Run again" reproduces, until its decode ends. */
  private SessionFile againOf;

  private java.util.concurrent.CompletableFuture<String> againHash =
      java.util.concurrent.CompletableFuture.completedFuture(null);

  /**
   * Runs the shown session again with the loaded model (its prompt, tokens, temperature and seed
   * are in the fields): when it ends, the status says whether it reproduced the session's tokens
   * and routing, or at which token it first differs and what may explain it.
   */
  public void runAgain() {
    SessionFile s = shownSession.get();
    if (s == null || main.library().modelProperty().get() == null) {
      main.error.set(
          s == null ? "No session to run again" : "Load the session's model to run it again");
      return;
    }
    Path dir = main.library().loadedModelProperty().get();
    againHash =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return org.sparsityworkbench.engine.session.ModelIdentity.weightsHash(dir);
              } catch (java.io.IOException e) {
                return null;
              }
            });
    againOf = s;
    if (!main.start(false)) {
      againOf = null;
    }
  }

  /**
   * Whether a decode's records reproduce a session's: "the same ..." or where they first differ.
   */
  static String compareWithSession(SessionFile s, List<Records.Record> now, String weightsHash) {
    List<Records.Token> was = s.tokens();
    List<Records.Token> is = new java.util.ArrayList<>();
    for (Records.Record r : now) {
      if (r instanceof Records.Token t) {
        is.add(t);
      }
    }
    String why = "";
    if (weightsHash != null && !weightsHash.equals(s.header().model().weightsSha256())) {
      why = "; the loaded model's weights are not the session's (another weights hash)";
    } else if (!PROGRAM.equals(s.header().program())) {
      why = "; the session was saved by " + s.header().program() + ", this is " + PROGRAM;
    }
    for (int i = 0; i < Math.min(was.size(), is.size()); i++) {
      Records.Token a = was.get(i);
      Records.Token b = is.get(i);
      if (a.token() != b.token()) {
        return String.format(
            Locale.ROOT,
            "Run again: differs from the session at token %d ('%s' there, '%s' now)%s",
            i,
            org.sparsityworkbench.engine.tokenizer.Tokenizer.visible(a.text()),
            org.sparsityworkbench.engine.tokenizer.Tokenizer.visible(b.text()),
            why);
      }
      String route = routeDifference(a, b);
      if (route != null) {
        return String.format(
            Locale.ROOT,
            "Run again: the same token %d, but its routing differs (%s)%s",
            i,
            route,
            why);
      }
    }
    if (was.size() != is.size()) {
      return String.format(
          Locale.ROOT,
          "Run again: the same first %d tokens, then %d in the session and %d now%s",
          Math.min(was.size(), is.size()),
          was.size(),
          is.size(),
          why);
    }
    return String.format(
        Locale.ROOT,
        "Run again: reproduced the session, the same %d tokens and routing%s",
        is.size(),
        why);
  }

  /** The first layer where two records route differently, said in words; null when none. */
  private static String routeDifference(Records.Token a, Records.Token b) {
    if (a.layers() == null || b.layers() == null) {
      return null;
    }
    for (int l = 0; l < Math.min(a.layers().size(), b.layers().size()); l++) {
      Records.TokenLayer x = a.layers().get(l);
      Records.TokenLayer y = b.layers().get(l);
      if (x.router() != null
          && y.router() != null
          && !java.util.Arrays.equals(x.router().experts(), y.router().experts())) {
        return String.format(
            Locale.ROOT,
            "layer %d: experts %s there, %s now",
            l,
            java.util.Arrays.toString(x.router().experts()),
            java.util.Arrays.toString(y.router().experts()));
      }
      if (x.controller() != null
          && y.controller() != null
          && !java.util.Arrays.equals(x.controller().chosen(), y.controller().chosen())) {
        return "layer " + l + ": the controller chose other units";
      }
    }
    return null;
  }

  /** The session shown instead of a live decode, or null. */
  public ReadOnlyObjectProperty<SessionFile> shownSessionProperty() {
    return shownSession.getReadOnlyProperty();
  }

  /**
   * How many of the shown session's tokens the views show (0..its tokens); set it to step through
   * the session, forwards or back.
   */
  public IntegerProperty timelineProperty() {
    return timeline;
  }

  /** The shown session's number of tokens, 0 without one. */
  public int sessionTokens() {
    SessionFile s = shownSession.get();
    return s == null ? 0 : s.records().size() - 2;
  }

  /** Token labels of a session of an imported model, from the texts its records carry. */
  private static final class RecordedLabels
      implements org.sparsityworkbench.engine.tokenizer.Tokenizer {
    private final java.util.Map<Integer, String> labels = new java.util.HashMap<>();

    RecordedLabels(SessionFile s) {
      Records.Prefill p = s.prefill();
      if (p.ids() != null && p.texts() != null) {
        for (int i = 0; i < Math.min(p.ids().length, p.texts().length); i++) {
          put(p.ids()[i], p.texts()[i]);
        }
      }
      for (Records.Token t : s.tokens()) {
        put(t.token(), t.text());
        if (t.top() != null) {
          for (Records.TopToken top : t.top()) {
            put(top.token(), top.text());
          }
        }
      }
    }

    private void put(int id, String text) {
      if (text != null && !text.isEmpty()) {
        labels.putIfAbsent(id, org.sparsityworkbench.engine.tokenizer.Tokenizer.visible(text));
      }
    }

    @Override
    public int[] encode(String text) {
      throw new UnsupportedOperationException("a session's tokens are read, not encoded");
    }

    @Override
    public String decode(int[] ids) {
      StringBuilder b = new StringBuilder();
      for (int id : ids) {
        b.append(label(id));
      }
      return b.toString();
    }

    @Override
    public String label(int id) {
      return labels.getOrDefault(id, "<" + id + ">");
    }

    @Override
    public int vocabularySize() {
      return labels.size();
    }

    @Override
    public String vocabularyId() {
      return "session";
    }

    @Override
    public Stream newStream() {
      return this::label;
    }
  }
}
