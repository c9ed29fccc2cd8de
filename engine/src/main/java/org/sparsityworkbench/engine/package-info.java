/** Models, decoding and telemetry on DJL's PyTorch engine. Imports no JavaFX. */
package org.sparsityworkbench.engine;
