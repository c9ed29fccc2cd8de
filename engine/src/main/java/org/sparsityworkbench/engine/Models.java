package org.sparsityworkbench.engine;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.sparsityworkbench.engine.config.ModelFormatException;
import org.sparsityworkbench.engine.hf.HfLoader;
import org.sparsityworkbench.engine.io.LoadProgress;
import org.sparsityworkbench.engine.model.LanguageModel;
import org.sparsityworkbench.engine.model.MegabyteModel;
import org.sparsityworkbench.engine.model.TransformerModel;

/**
 * Opens a model directory of either kind, told apart by its {@code config.json}: the workbench's
 * own ({@code family}) or a Hugging Face checkpoint ({@code model_type}).
 */
public final class Models {
  private Models() {}

  /**
   * Opens a model directory of any family: Megabyte ({@code "family": "megabyte"}), a native
   * transformer family or a Hugging Face checkpoint.
   *
   * @throws ModelFormatException naming the file, and the field or tensor at fault
   */
  public static LanguageModel open(Path dir, NDManager parent, LoadProgress progress)
      throws ModelFormatException {
    Path config = dir.resolve(TransformerModel.CONFIG_FILE);
    if (Files.isDirectory(dir)
        && Files.isRegularFile(config)
        && org.sparsityworkbench.engine.config.MegabyteConfig.isMegabyte(config)) {
      return MegabyteModel.load(dir, parent);
    }
    return load(dir, parent, progress);
  }

  /** Opens a model directory without progress reports. */
  public static TransformerModel load(Path dir, NDManager parent) throws ModelFormatException {
    return load(dir, parent, LoadProgress.NONE);
  }

  /**
   * Opens a model directory.
   *
   * @throws ModelFormatException naming the file, and the field or tensor at fault
   */
  public static TransformerModel load(Path dir, NDManager parent, LoadProgress progress)
      throws ModelFormatException {
    if (!Files.isDirectory(dir)) {
      throw new ModelFormatException(dir + ": not a directory");
    }
    Path config = dir.resolve(TransformerModel.CONFIG_FILE);
    if (!Files.isRegularFile(config)) {
      throw new ModelFormatException(config + ": missing (every model directory needs one)");
    }
    if (org.sparsityworkbench.engine.config.MegabyteConfig.isMegabyte(config)) {
      throw new ModelFormatException(
          dir
              + ": a megabyte model, which this does not take yet (decode, train, info, replay,"
              + " what-if and the GUI do; corpus analysis and the effect of each expert are built"
              + " for transformers)");
    }
    return HfLoader.isHuggingFace(dir)
        ? HfLoader.load(dir, parent, progress)
        : TransformerModel.load(dir, parent);
  }
}
