package org.sparsityworkbench.viewmodels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Hands events from the engine thread to the UI thread without blocking either. The engine offers;
 * the UI drains everything pending once per frame, so a burst of tokens costs one UI update, never
 * one {@code Platform.runLater} per event.
 */
final class Inbox<T> {
  private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();

  /** Any thread. */
  void offer(T event) {
    queue.offer(event);
  }

  /** The UI thread: everything offered since the last drain, in order. */
  List<T> drain() {
    List<T> out = new ArrayList<>();
    for (T e; (e = queue.poll()) != null; ) {
      out.add(e);
    }
    return out;
  }
}
