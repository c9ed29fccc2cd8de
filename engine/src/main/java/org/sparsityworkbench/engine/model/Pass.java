package org.sparsityworkbench.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * What every part of one forward pass shares: the new tokens' positions, the cache, the causal
 * mask, the rotary angles and the options.
 *
 * @param cache the sequence's cache, or null for a cache-free pass from position 0
 * @param start position of the first new token
 * @param tokens T, the number of new tokens
 * @param mask additive causal mask (T, S), or null when T = 1
 * @param rotary cos and sin of the new positions, or null for learned positions
 */
public record Pass(
    KvCache cache,
    int start,
    int tokens,
    NDArray mask,
    Rotary.Angles rotary,
    TransformerModel.ForwardOptions options) {}
