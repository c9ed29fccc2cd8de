package org.sparsityworkbench.viewmodels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hands events from the engine thread to the UI thread without blocking either. The engine offers;
 * the UI drains everything pending once per frame, so a burst of tokens costs one UI update, never
 * one {@code Platform.runLater} per event. When the UI has stopped sampling (nothing happened for a
 * while), the first event offered rings its {@link Doorbell} once to start it again.
 */
final class Inbox<T> {
  private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
  private final Doorbell doorbell;

  Inbox(Doorbell doorbell) {
    this.doorbell = doorbell;
  }

  /** Any thread. */
  void offer(T event) {
    queue.offer(event);
    doorbell.ring();
  }

  /** Any thread. */
  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** The UI thread: everything offered since the last drain, in order. */
  List<T> drain() {
    List<T> out = new ArrayList<>();
    for (T e; (e = queue.poll()) != null; ) {
      out.add(e);
    }
    return out;
  }

  /**
   * Wakes a UI sampler that went to sleep: rings at most once per sleep, from whichever thread
   * offered first, so a decode costs one wake-up, not one per token.
   */
  static final class Doorbell {
    private final AtomicBoolean asleep = new AtomicBoolean();
    private volatile Runnable wake = () -> {};

    void setWake(Runnable wake) {
      this.wake = wake;
    }

    void ring() {
      if (asleep.get() && asleep.compareAndSet(true, false)) {
        wake.run();
      }
    }

    /**
     * The UI thread, when it wants to stop sampling: true if it may (the doorbell will wake it on
     * the next event, or already has), false if an event came in meanwhile and it should go on.
     */
    boolean sleep(java.util.function.BooleanSupplier empty) {
      asleep.set(true);
      if (empty.getAsBoolean()) {
        return true; // an event offered from now on rings
      }
      // News already waiting: stay awake, unless an offer rang in between (its wake-up is queued).
      return !asleep.compareAndSet(true, false);
    }
  }
}
