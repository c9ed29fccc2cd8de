package org.sparsityworkbench.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparsityworkbench.engine.decode.DecodeService;
import org.sparsityworkbench.viewmodels.MainViewModel;

/** A broken model directory is described in the same words by the GUI and the command line. */
class ErrorWordingTest {
  @TempDir Path dir;

  @Test
  void theGuiAndTheCommandLineWordAConfigErrorAlikeWithoutJavaNames() throws Exception {
    Path unknown = Files.createDirectories(dir.resolve("unknown-family"));
    Files.writeString(unknown.resolve("config.json"), "{\"family\": \"moe\"}");
    Files.write(unknown.resolve("model.safetensors"), new byte[8]);
    Path cut = Files.createDirectories(dir.resolve("cut-short"));
    Files.writeString(cut.resolve("config.json"), "{\"family\": \"dense\",");
    Files.write(cut.resolve("model.safetensors"), new byte[8]);
    try (DecodeService service = new DecodeService()) {
      for (Path model : List.of(unknown, cut)) {
        CliTest.Result cli =
            CliTest.run(
                "decode", "--model", model.toString(), "--prompt", "a", "--max-tokens", "1");
        assertEquals(1, cli.code());
        MainViewModel vm = new MainViewModel(service, List.of(model));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (vm.errorProperty().get() == null && System.nanoTime() < deadline) {
          Thread.sleep(5);
          vm.refresh();
        }
        String gui = vm.errorProperty().get();
        assertEquals(cli.err().strip(), "error: " + gui, "the same words");
        assertFalse(gui.contains("Exception") || gui.contains("java."), gui);
        assertTrue(gui.contains("config.json"), gui);
      }
    }
  }
}
