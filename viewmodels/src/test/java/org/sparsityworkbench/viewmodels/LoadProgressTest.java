package org.sparsityworkbench.viewmodels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.engine.hf.RandomMixtral;
import org.sparsityworkbench.engine.io.LoadProgress;

/** Loading a checkpoint reports its progress, and Cancel stops it leaving nothing half-loaded. */
class LoadProgressTest {
  @TempDir Path dir;
  DecodeService service = new DecodeService();

  @AfterEach
  void close() {
    service.close();
  }

  private Path mixtral(String name) throws Exception {
    Path out = dir.resolve(name);
    new RandomMixtral(32, 48, 2, 4, 2, 4, 2, 600, 64).write(out, 1);
    return out;
  }

  @Test
  void aFinishedLoadLeavesNoProgressShowing() throws Exception {
    MainViewModel vm = new MainViewModel(service, List.of(mixtral("a")));
    MainViewModelTest.await(vm, () -> vm.shown().infoProperty().get().contains("mixtral"));
    assertFalse(vm.library().loadingProperty().get());
    assertEquals(-1, vm.library().loadFractionProperty().get(), "no load in progress");
  }

  @Test
  void cancelStopsTheLoadAndKeepsNoModel() throws Exception {
    Path a = mixtral("a");
    // Hold the engine thread in another load so that the window's load waits behind it.
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch holding = new CountDownLatch(1);
    var blocker =
        service.load(
            a,
            new LoadProgress() {
              @Override
              public void update(long bytes, long total, int tensors, int totalTensors) {
                holding.countDown();
                try {
                  release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            });
    assertTrue(holding.await(30, TimeUnit.SECONDS));
    MainViewModel vm = new MainViewModel(service, List.of(mixtral("b")));
    vm.refresh();
    vm.library().open(dir.resolve("b"));
    assertTrue(vm.library().loadingProperty().get(), "loading");
    vm.library().cancelLoad(); // as the status bar's Cancel button does
    release.countDown();
    blocker.get(30, TimeUnit.SECONDS).close();
    MainViewModelTest.await(vm, () -> !vm.library().loadingProperty().get());
    assertTrue(vm.statusProperty().get().contains("cancelled"), vm.statusProperty().get());
    assertNull(vm.errorProperty().get(), "a cancel is not an error");
    assertFalse(
        vm.shown().infoProperty().get().contains("mixtral"), vm.shown().infoProperty().get());
    assertFalse(vm.canGenerateBinding().get(), "nothing to generate with");
  }
}
