#!/usr/bin/env python3
"""Independent NumPy reference for the Hugging Face decoder architectures the engine loads.

Regenerate every fixture (deterministic; fixed seed per case), from the repository root:

    python3 engine/src/test/python/hf_reference.py

It writes, under engine/src/test/resources/hf/:
    tokenizer.json, tokenizer-expected.json            (byte-level BPE, shared by all cases)
    <case>/config.json, <case>/model.safetensors, <case>/reference.json
    <case>/model-fused.safetensors                     (MoE cases except granitemoe: v5 fused experts)

Only numpy and the standard library are used.  All model math is float64; every weight is a value
that float32, float16 and bfloat16 all represent exactly (asserted), so one checkpoint saved as
F32, F16 or BF16 holds identical numbers.  The math below was written from reading the
transformers sources, NOT from the Java engine.


RESEARCH NOTES (huggingface/transformers, src/transformers/...)
================================================================
The search index stores many revisions of each file; the commit of the version read is given.
"v4" = the classic releases (nn.Linear per expert, `rope_theta`); "v5" = the releases with
`@strict` config dataclasses, `rope_parameters`, `TopKRouter` and fused `Experts` modules.
Line numbers move between revisions, so anchors are class / function names (with commit).

Common pieces (every file below copies them from llama):
  * RMSNorm -- models/llama/modeling_llama.py `LlamaRMSNorm.forward` (v4 @0022728; identical copies
    `MixtralRMSNorm` @af3efdd, `GraniteMoeRMSNorm` in modeling_granitemoe.py @013458c):
        h = x.to(float32); variance = h.pow(2).mean(-1); h = h * rsqrt(variance + eps)
        return weight * h.to(input_dtype)
    -> eps INSIDE the square root, weight multiplied after normalising (plain weight, not 1+weight),
       statistics in float32.
  * Rotary -- `LlamaRotaryEmbedding` / `MixtralRotaryEmbedding.compute_default_rope_parameters`
    (modeling_mixtral.py @00d4b3d):
        dim = int(head_dim * partial_rotary_factor)   (factor 1.0 here)
        inv_freq = 1 / base ** (arange(0, dim, 2) / dim)          (i.e. theta^(-2i/d))
        freqs = position (x) inv_freq; emb = cat(freqs, freqs); cos = emb.cos(); sin = emb.sin()
        attention_scaling = 1.0 for rope_type "default"
    `rotate_half(x) = cat(-x[..., d/2:], x[..., :d/2])`, `apply_rotary_pos_emb`:
        q' = q*cos + rotate_half(q)*sin  (the "half split" / NeoX convention, not interleaved pairs).
    base: v4 reads `config.rope_theta`; v5 reads `config.rope_parameters["rope_theta"]`
    (`extract_rope_scaling_dict_from_config`, modeling_mixtral.py @00d4b3d) and v5 configs turn a
    legacy top-level `rope_theta` into it (`PreTrainedConfig.convert_rope_params_to_dict`:
    `rope_parameters.setdefault("rope_theta", kwargs.pop("rope_theta", self.default_theta))`).
  * Attention -- `LlamaAttention` + `eager_attention_forward` (modeling_mixtral.py @00d4b3d):
        head_dim = getattr(config, "head_dim", None) or hidden_size // num_attention_heads
        scaling = head_dim ** -0.5;  num_key_value_groups = num_heads // num_kv_heads
        repeat_kv: kv head j is expanded to query heads j*n_rep .. j*n_rep+n_rep-1, i.e. query head h
        reads kv head h // n_rep;  w = softmax(q k^T * scaling + causal_mask, dtype=float32)
        (mask adds the dtype minimum above the diagonal -> exact zeros); out = w v; o_proj.
  * Decoder layer -- `LlamaDecoderLayer`: pre-norm residuals
        h = h + self_attn(input_layernorm(h));  h = h + mlp(post_attention_layernorm(h))
    then `model.norm`, `lm_head`.  tie_word_embeddings: lm_head.weight IS embed_tokens.weight
    (`_tied_weights_keys = {"lm_head.weight": "model.embed_tokens.weight"}`), Hub checkpoints then
    hold no lm_head.weight.
  * SwiGLU -- `LlamaMLP` / `GemmaMLP`: down_proj(act_fn(gate_proj(x)) * up_proj(x)), act silu.

llama -- models/llama/modeling_llama.py, configuration_llama.py (@008e574, v5):
  q/k/v/o bias = `attention_bias`; gate/up/down bias = `mlp_bias`; `head_dim` field (None -> H/heads).
qwen2 -- models/qwen2/modular_qwen2.py `Qwen2Attention` (@022c4a9): q,k,v `bias=True` hard coded,
  o_proj bias=False; `Qwen2MLP` no bias; sliding window only if `use_sliding_window`.
  configuration_qwen2.py (@008e574) has no attention_bias / head_dim field.
qwen3 -- models/qwen3/modular_qwen3.py `Qwen3Attention` (@02e8340):
  q_norm = Qwen3RMSNorm(head_dim) ("unlike olmo, only on the head dim!"), applied as
  `q_norm(q_proj(x).view(*input_shape, -1, head_dim))` -> per head, BEFORE rotary; same for k.
  q/k/v/o bias = `attention_bias`; `head_dim` is an explicit Qwen3Config field (default 128).
mixtral -- models/mixtral/modular_mixtral.py (v4 @008f5c8) `MixtralSparseMoeBlock` at decoder
  attribute `block_sparse_moe`: gate = nn.Linear(H, E, bias=False);
        routing_weights = softmax(router_logits, dim=1, dtype=float); topk(k); /= sum
  experts `MixtralBlockSparseTop2MLP`: w2(act(w1 x) * w3 x) -> w1 = gate, w3 = up, w2 = down;
  expert width = `intermediate_size`; `router_jitter_noise` only while training.
  v5 (`MixtralTopKRouter`, `MixtralExperts`, quoted in several snapshots, e.g. index id 66072208371):
        router weight [E, H]; softmax(logits.float()); topk; renormalise
        gate_up_proj [E, 2*I, H]; down_proj [E, H, I]
        gate, up = linear(x, gate_up_proj[e]).chunk(2, dim=-1); linear(act(gate)*up, down_proj[e])
  and the block sits at decoder attribute `mlp` (modular_granitemoe.py @023633d subclasses
  MixtralDecoderLayer and does `del self.mlp`).
  conversion_mapping.py (@000c33f) "mixtral":
        WeightRenaming(".block_sparse_moe.gate", ".mlp.gate")
        [experts.*.w1.weight, experts.*.w3.weight] -> MergeModulelist(dim=0), Concatenate(dim=1)
            -> "mlp.experts.gate_up_proj"      (stack [E,I,H] each, concat on dim 1: gate rows first)
        experts.*.w2.weight -> MergeModulelist(dim=0) -> "mlp.experts.down_proj"
  configuration_mixtral.py (@008e574): base_model_ep_plan "layers.*.mlp.gate",
  "layers.*.mlp.experts.gate_up_proj", "layers.*.mlp.experts.down_proj".
olmoe -- models/olmoe/modular_olmoe.py (@052b1dc) `OlmoeAttention`:
        q_norm = OlmoeRMSNorm(hidden_size); k_norm = OlmoeRMSNorm((hidden_size // heads) * kv_heads)
        query = q_norm(q_proj(x)); key = k_norm(k_proj(x))     -> over the WHOLE projection,
        then clip_qkv clamp (if set), then .view(..., head_dim), then rotary.
  `OlmoeSparseMoeBlock`: gate nn.Linear(H, E); softmax(logits.float()); topk; renormalise only if
  `norm_topk_prob`; experts `OlmoeMLP` (GemmaMLP: gate_proj/up_proj/down_proj, no bias), width
  `intermediate_size`.  v5 (index id 1298039845): `OlmoeExperts(MixtralExperts)`,
  `OlmoeTopKRouter(Qwen2MoeTopKRouter)`; conversion_mapping "olmoe" = copy of "qwen2_moe".
qwen2_moe -- models/qwen2_moe/modular_qwen2_moe.py (v5 dev, index id 2433085081),
  configuration_qwen2_moe.py (@008e574):
        attention q/k/v bias = `qkv_bias` (default True; v4 hard-coded True); o_proj no bias.
        `Qwen2MoeTopKRouter`: softmax(F.linear(x, weight), dtype=float); topk; if norm_topk_prob: /= sum
        experts width `moe_intermediate_size`;
        shared_expert = Qwen2MoeMLP(intermediate_size=shared_expert_intermediate_size)
        shared_expert_gate = nn.Linear(H, 1, bias=False)
        out = experts(x) + sigmoid(shared_expert_gate(x)) * shared_expert(x)
  `Qwen2MoeDecoderLayer`: MoE iff (layer_idx not in mlp_only_layers) and num_experts > 0 and
  (layer_idx + 1) % decoder_sparse_step == 0, else Qwen2MoeMLP(intermediate_size).
  conversion_mapping "qwen2_moe": [mlp.experts.*.gate_proj.weight, mlp.experts.*.up_proj.weight]
  -> MergeModulelist(dim=0), Concatenate(dim=1) -> mlp.experts.gate_up_proj;
  mlp.experts.*.down_proj.weight -> mlp.experts.down_proj (shared expert untouched).
qwen3_moe -- models/qwen3_moe/modular_qwen3_moe.py (@00eb116): Qwen3MoeAttention(Qwen3Attention)
  (per-head q/k norm), Qwen3MoeDecoderLayer(Qwen2MoeDecoderLayer) (same sparse-step/mlp_only
  rule), Qwen3MoeSparseMoeBlock = router + experts only (no shared expert),
  Qwen3MoeTopKRouter(Qwen2MoeTopKRouter); conversion_mapping "qwen3_moe" = copy of "qwen2_moe".
granitemoe -- models/granitemoe/modular_granitemoe.py (@023633d, v5) and modeling_granitemoe.py
  (@013458c):
        GraniteMoeAttention(LlamaAttention): self.scaling = config.attention_multiplier
        GraniteMoeModel.forward: inputs_embeds = inputs_embeds * embedding_multiplier
        GraniteMoeDecoderLayer: h = residual + attn(...) * residual_multiplier, same for the MoE
        GraniteMoeForCausalLM: logits = lm_head(h) / logits_scaling
        GraniteMoeMoE: input_linear = ParallelExperts(E, H, 2*I) (weight [E, 2*I, H]),
            output_linear = ParallelExperts(E, I, H) (weight [E, H, I]), F.linear(x, weight[e]);
            chunked = input_linear(x).chunk(2, dim=-1); act(chunked[0]) * chunked[1]
            -> FIRST half is the gate (through silu), second half is up.
        GraniteMoeTopKGating: logits = layer(x).float() (layer = nn.Linear(H, E) -> router.layer);
            top_k_logits, idx = logits.topk(k); gates = softmax(top_k_logits)
            (softmax over the k chosen logits == the renormalised full softmax: same numbers as
            Mixtral's router, reached another way).
  The experts are always fused (block_sparse_moe.input_linear / output_linear); no conversion
  mapping exists for granitemoe.

Ambiguous or surprising points in transformers
  * Qwen3MoeConfig (@008e574) declares the field `num_experts` but also
    attribute_map {"num_experts": "num_local_experts"}; Hub configs say `num_experts`, so do we.
  * Qwen3MoeConfig (@008e574) has no `head_dim` field, yet Qwen3Attention reads
    getattr(config, "head_dim", None) (extra config.json keys become attributes) -- Qwen3-30B-A3B
    relies on it (head_dim 128 != 2048/32).  Our qwen3_moe head_dim 8 equals hidden/heads, so
    either reading gives the same model; qwen3 (head_dim 12 != 32/4) is the case that tests it.
  * OLMoE's k_norm width is (hidden_size // num_attention_heads) * num_key_value_heads: it ignores
    a `head_dim` key (OlmoeConfig has none).
  * In the v5-dev Qwen2MoeTopKRouter the softmaxed tensor is named `router_logits` and the
    recorded "router_logits" output is (index 0) the scattered scores; here "logits" always means
    the raw gate output and "probs" its softmax.
  * torch.topk does not promise an order for equal values; fixtures keep a clear gap between the
    k-th and (k+1)-th probability (>= 1e-3) so no tie rule is ever exercised.
  * HF runs RMSNorm statistics, rotary cos/sin and softmaxes in float32 even for bf16 models;
    this reference runs everything in float64, so an exact float32 engine differs at ~1e-6.
  * v5 writes "dtype" in config.json where v4 wrote "torch_dtype"; we write "torch_dtype".
  * Whether v5 save_pretrained writes the fused names or converts back to the per-expert names is
    not settled by the files read; both layouts are provided.

Fixture choices (not dictated by transformers)
  * Weights: embeddings N(0, 0.5); attention projections N(0, 0.2); MLP/expert matrices N(0, 0.1);
    router and shared_expert_gate N(0, 0.2); biases N(0, 0.1); every norm weight 1 + N(0, 0.1);
    untied lm_head N(0, 0.2).  The usual 0.02 makes a 32-wide model's attention and routing
    almost uniform, which tests could not tell from a wrong implementation.
  * Seeds: legacy np.random.RandomState (a frozen stream).  If a seed's routing has a near tie
    (see above) the next seed + 1000*n is taken, deterministically (`pick_seed`).
  * Checks run on every regeneration: weights exact in f16/bf16; attention rows sum to 1 with exact
    zeros above the diagonal; router probs sum to 1, weights renormalised exactly where they should
    be (and visibly not elsewhere); the first T-1 tokens alone give the first T-1 logit rows, and a
    token-by-token decode through an explicit KV cache reproduces every row; the fused checkpoint
    converts back to the classic tensors bit for bit; files read back bit for bit; the fixture
    detects a wrong GQA head mapping and interleaved-pair rotary.
"""

import json
import os
import re
import struct
import sys
from collections import Counter

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.normpath(os.path.join(HERE, "..", "resources", "hf"))

# ======================================================================================
# Byte-level BPE tokenizer (GPT-2 / Qwen style tokenizer.json)
# ======================================================================================

TRAINING_TEXT = (
    "the thin thief thought that the theatre there is in the north; then the other three "
    "think the same thing: that the thinner thing is in there, the thing in the theatre."
)
NUM_MERGES = 40
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_end|>"]


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character map (openai/gpt-2 encoder.py).

    Returned as an ordered list of (byte, char); the order is GPT-2's vocabulary order of the 256
    single-byte tokens: '!'..'~', '¡'..'¬', '®'..'ÿ', then the remaining bytes mapped to U+0100..
    """
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [(b, chr(c)) for b, c in zip(bs, cs)]


BYTE_TO_CHAR = dict(bytes_to_unicode())
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}

# GPT-2 pre-tokenisation regex (tokenizers' ByteLevel with use_regex=true):
#   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
# Python's `re` has no \p{..}; approximations used here:
#   \p{L}  -> [^\W\d_]   (Unicode letters, plus the No/Nl "numeric" characters such as '²' or 'Ⅻ')
#   \p{N}  -> \d         (Nd decimal digits only, missing No/Nl)
#   [^\s\p{L}\p{N}] -> (?:[^\s\w]|_)
#   \s     -> \s         (Python also counts U+001C..U+001F as space; Unicode White_Space does not)
# These are exact for the test texts below (ASCII, 'é', 'ï', an emoji, spaces, a tab, newlines: no
# No/Nl characters, no U+001C..U+001F).
PRETOKENIZE = re.compile(
    r"'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+")


def pretokenize(text):
    return PRETOKENIZE.findall(text)


def byte_symbols(piece):
    """A pre-token as a list of byte-level characters (one per UTF-8 byte)."""
    return [BYTE_TO_CHAR[b] for b in piece.encode("utf-8")]


def merge_pair(symbols, pair):
    """Merge every non-overlapping occurrence of `pair`, left to right."""
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def train_bpe(text, num_merges):
    """Tiny BPE trainer: repeatedly merge the most frequent adjacent pair (ties: smallest pair)."""
    words = Counter(tuple(byte_symbols(p)) for p in pretokenize(text))
    merges = []
    for _ in range(num_merges):
        pairs = Counter()
        for w, c in words.items():
            for a, b in zip(w, w[1:]):
                pairs[(a, b)] += c
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        words = {tuple(merge_pair(list(w), best)): c for w, c in words.items()}
    return merges


def bpe(symbols, ranks):
    """Apply merges to one pre-token: always the lowest-ranked adjacent pair first."""
    while len(symbols) > 1:
        candidates = [(ranks[p], p) for p in zip(symbols, symbols[1:]) if p in ranks]
        if not candidates:
            break
        symbols = merge_pair(symbols, min(candidates)[1])
    return symbols


def build_tokenizer():
    merges = train_bpe(TRAINING_TEXT, NUM_MERGES)
    vocab = {}
    for i, (_, ch) in enumerate(bytes_to_unicode()):
        vocab[ch] = i
    for a, b in merges:
        assert a + b not in vocab, "merge result already in the vocabulary: " + a + b
        vocab[a + b] = len(vocab)
    specials = {tok: len(vocab) + i for i, tok in enumerate(SPECIAL_TOKENS)}
    return {"vocab": vocab, "merges": merges, "specials": specials,
            "ranks": {m: r for r, m in enumerate(merges)},
            "size": len(vocab) + len(specials)}


def encode(text, tok):
    """Byte-level BPE encoding of plain text (no special tokens in the text)."""
    ids = []
    for piece in pretokenize(text):
        for sym in bpe(byte_symbols(piece), tok["ranks"]):
            ids.append(tok["vocab"][sym])
    return ids


def decode(ids, tok):
    inverse = {i: s for s, i in tok["vocab"].items()}
    data = bytes(CHAR_TO_BYTE[c] for i in ids for c in inverse[i])
    return data.decode("utf-8")


def tokenizer_json(tok):
    """The Hugging Face `tokenizers` JSON document (GPT-2 layout; merges as "a b" strings)."""
    added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for s, i in tok["specials"].items()]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False,
                           "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "ignore_merges": False,
                  "vocab": tok["vocab"], "merges": [a + " " + b for a, b in tok["merges"]]},
    }


TOKENIZER_TEXTS = [
    "Hello, world! It's 2024.",                 # ASCII, punctuation, contraction, digits
    "the cat\nsat on the mat",                  # newline, merges (" the", "at")
    "Caf\u00e9 na\u00efve \U0001F642 ok",       # 2-byte UTF-8 (é, ï) and a 4-byte emoji
    "the thin thing in the theatre there",      # many merges
    "  two  spaces\tand a tab\n\nend ",         # whitespace runs: \s+(?!\S) and \s+
]
REFERENCE_TEXT = "the thin cat is in the theatre!"


# ======================================================================================
# Exactly representable weights and the safetensors format
# ======================================================================================

def to_bf16_exact(x):
    """Round to bfloat16 (round-to-nearest-even on the float32 bits), flush |w| < 2^-14 to 0.

    The result is a float32 array whose every value float16 and bfloat16 also hold exactly
    (bf16 keeps 8 significant bits, f16 has 11 and is normal from 2^-14 up to 65504).
    """
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    out = rounded.astype(np.uint32).view(np.float32).copy()
    out[np.abs(out) < 2.0 ** -14] = 0.0
    return out


def assert_f16_bf16_exact(name, w):
    w = np.asarray(w, dtype=np.float32)
    assert np.all(np.isfinite(w)), name
    back16 = w.astype(np.float16).astype(np.float32)
    assert np.array_equal(back16.view(np.uint32), w.view(np.uint32)), name + " not exact in f16"
    bits = w.view(np.uint32)
    assert np.all((bits & 0xFFFF) == 0), name + " not exact in bf16"
    assert np.array_equal(to_bf16_exact(w).view(np.uint32), bits), name + " bf16 round trip"


def write_safetensors(path, tensors):
    """Standard safetensors: u64 LE header length, JSON header, raw little-endian F32 data."""
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)      # the reference writer pads to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        assert meta["dtype"] == "F32"
        lo, hi = meta["data_offsets"]
        out[name] = np.frombuffer(raw[base + lo:base + hi], dtype="<f4").reshape(meta["shape"])
    return out


# ======================================================================================
# Numerics (float64)
# ======================================================================================

def rms_norm(x, weight, eps):
    """LlamaRMSNorm: x / sqrt(mean(x^2) + eps) * weight, over the last axis."""
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def linear(x, weight, bias=None):
    """nn.Linear: weight is [out, in]."""
    y = x @ weight.T
    return y if bias is None else y + bias


def silu(x):
    return x / (1.0 + np.exp(-x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x, axis=-1):
    z = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return z / np.sum(z, axis=axis, keepdims=True)


def swiglu(x, gate, up, down, gate_bias=None, up_bias=None, down_bias=None):
    """down(silu(gate(x)) * up(x))."""
    return linear(silu(linear(x, gate, gate_bias)) * linear(x, up, up_bias), down, down_bias)


def rope_inv_freq(rotary_dim, theta):
    """inv_freq[i] = 1 / theta^(2i/d), i = 0 .. d/2-1."""
    return 1.0 / theta ** (np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim)


def rope_cos_sin(positions, inv_freq):
    freqs = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb), np.sin(emb)


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x, cos, sin):
    """x: [T, heads, head_dim]; cos/sin: [T, head_dim]."""
    return x * cos[:, None, :] + rotate_half(x) * sin[:, None, :]


def causal_attention(q, k, v, q_pos, k_pos, scale):
    """Eager GQA attention. q [T, H, d], k/v [S, KV, d]; query head h reads kv head h // (H/KV).

    Returns the output [T, H*d] and the probabilities [H, T, S] (zeros where key pos > query pos).
    """
    t, heads, d = q.shape
    group = heads // k.shape[1]
    masked = np.asarray(k_pos)[None, :] > np.asarray(q_pos)[:, None]
    out = np.zeros((t, heads, d))
    probs = np.zeros((heads, t, k.shape[0]))
    for h in range(heads):
        kv = h // group
        scores = np.where(masked, -np.inf, (q[:, h, :] @ k[:, kv, :].T) * scale)
        probs[h] = softmax(scores)
        out[:, h, :] = probs[h] @ v[:, kv, :]
    return out.reshape(t, heads * d), probs


def top_k(values, k):
    """Indices of the k largest values, largest first, ties to the lower index."""
    return sorted(range(len(values)), key=lambda e: (-values[e], e))[:k]


def route_softmax_then_topk(logits, k, renormalize):
    """Mixtral (renormalize=True); OLMoE, Qwen2-MoE, Qwen3-MoE (renormalize=norm_topk_prob):
    softmax over ALL experts, keep the k largest probabilities, optionally divide by their sum."""
    probs = softmax(logits)
    experts = np.array([top_k(p, k) for p in probs], dtype=np.int64)
    weights = np.take_along_axis(probs, experts, axis=1)
    if renormalize:
        weights = weights / weights.sum(axis=-1, keepdims=True)
    return probs, experts, weights


def route_topk_then_softmax(logits, k):
    """GraniteMoE (JetMoe gating): top-k on the LOGITS, softmax over the k chosen logits."""
    experts = np.array([top_k(l, k) for l in logits], dtype=np.int64)
    weights = softmax(np.take_along_axis(logits, experts, axis=1))
    return softmax(logits), experts, weights


def sparse_moe(x, experts, weights, expert_fn):
    """sum_j weights[t, j] * expert_{experts[t, j]}(x[t])."""
    out = np.zeros_like(x)
    for t in range(x.shape[0]):
        for e, w in zip(experts[t], weights[t]):
            out[t] += w * expert_fn(int(e), x[t:t + 1])[0]
    return out


# ======================================================================================
# Architectures
# ======================================================================================

STD_EMBED, STD_ATTN, STD_BIAS, STD_MLP, STD_ROUTER, STD_LM_HEAD, STD_NORM = \
    0.5, 0.2, 0.1, 0.1, 0.2, 0.2, 0.1


class Weights:
    """Draws named, exactly representable tensors from a legacy (stream-stable) RandomState."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)
        self.tensors = {}

    def normal(self, name, shape, std):
        self.tensors[name] = to_bf16_exact(self.rng.normal(0.0, std, size=shape))

    def norm(self, name, size):
        self.tensors[name] = to_bf16_exact(1.0 + self.rng.normal(0.0, STD_NORM, size=size))


class Llama:
    """LlamaForCausalLM -- src/transformers/models/llama/modeling_llama.py (configuration_llama.py).

    RMSNorm pre-norm decoder, rotary (half split), GQA attention scaled by head_dim^-0.5, biases per
    `attention_bias` / `mlp_bias`, SwiGLU MLP, optional tied lm_head.
    """
    model_type = "llama"
    architecture = "LlamaForCausalLM"
    qk_norm = None            # None | "projection" (OLMoE) | "head" (Qwen3)
    moe_prefix = None         # module holding the experts in the classic layout

    # ---- config readers
    def head_dim(self, cfg):
        return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]

    def rope_theta(self, cfg):
        rp = cfg.get("rope_parameters")
        return float(rp["rope_theta"]) if rp else float(cfg["rope_theta"])

    def attention_scale(self, cfg):
        return self.head_dim(cfg) ** -0.5

    def qkv_bias(self, cfg):
        return cfg.get("attention_bias", False)

    def o_bias(self, cfg):
        return cfg.get("attention_bias", False)

    def mlp_bias(self, cfg):
        return cfg.get("mlp_bias", False)

    def embedding_multiplier(self, cfg):
        return 1.0

    def residual_multiplier(self, cfg):
        return 1.0

    def logits_scaling(self, cfg):
        return 1.0

    def is_moe_layer(self, cfg, i):
        return False

    # ---- weights (classic Hub layout)
    def make_weights(self, cfg, seed):
        w = Weights(seed)
        hidden, vocab, hd = cfg["hidden_size"], cfg["vocab_size"], self.head_dim(cfg)
        nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        w.normal("model.embed_tokens.weight", (vocab, hidden), STD_EMBED)
        for i in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % i
            w.norm(p + "input_layernorm.weight", hidden)
            for proj, rows in (("q", nh * hd), ("k", nkv * hd), ("v", nkv * hd)):
                w.normal(p + "self_attn.%s_proj.weight" % proj, (rows, hidden), STD_ATTN)
                if self.qkv_bias(cfg):
                    w.normal(p + "self_attn.%s_proj.bias" % proj, (rows,), STD_BIAS)
            w.normal(p + "self_attn.o_proj.weight", (hidden, nh * hd), STD_ATTN)
            if self.o_bias(cfg):
                w.normal(p + "self_attn.o_proj.bias", (hidden,), STD_BIAS)
            if self.qk_norm == "projection":
                w.norm(p + "self_attn.q_norm.weight", nh * hd)
                w.norm(p + "self_attn.k_norm.weight",
                       (hidden // nh) * nkv)
            elif self.qk_norm == "head":
                w.norm(p + "self_attn.q_norm.weight", hd)
                w.norm(p + "self_attn.k_norm.weight", hd)
            w.norm(p + "post_attention_layernorm.weight", hidden)
            if self.is_moe_layer(cfg, i):
                self.make_moe_weights(cfg, w, p)
            else:
                self.make_mlp_weights(w, p + "mlp.", hidden, cfg["intermediate_size"],
                                      self.mlp_bias(cfg))
        w.norm("model.norm.weight", hidden)
        if not cfg["tie_word_embeddings"]:
            w.normal("lm_head.weight", (vocab, hidden), STD_LM_HEAD)
        return w.tensors

    def make_mlp_weights(self, w, prefix, hidden, inter, bias=False):
        w.normal(prefix + "gate_proj.weight", (inter, hidden), STD_MLP)
        w.normal(prefix + "up_proj.weight", (inter, hidden), STD_MLP)
        w.normal(prefix + "down_proj.weight", (hidden, inter), STD_MLP)
        if bias:
            w.normal(prefix + "gate_proj.bias", (inter,), STD_BIAS)
            w.normal(prefix + "up_proj.bias", (inter,), STD_BIAS)
            w.normal(prefix + "down_proj.bias", (hidden,), STD_BIAS)

    def fuse(self, cfg, W):
        """The v5 fused-experts layout (None: the architecture has no such second layout)."""
        return None

    # ---- forward pieces
    def dense_mlp(self, W, prefix, x):
        return swiglu(x, W[prefix + "gate_proj.weight"], W[prefix + "up_proj.weight"],
                      W[prefix + "down_proj.weight"], W.get(prefix + "gate_proj.bias"),
                      W.get(prefix + "up_proj.bias"), W.get(prefix + "down_proj.bias"))

    def feed_forward(self, cfg, W, i, x):
        """Returns (output, router record or None)."""
        return self.dense_mlp(W, "model.layers.%d.mlp." % i, x), None

    def attention(self, cfg, W, i, x, positions, cache):
        p = "model.layers.%d.self_attn." % i
        eps, hd = cfg["rms_norm_eps"], self.head_dim(cfg)
        nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
        q = linear(x, W[p + "q_proj.weight"], W.get(p + "q_proj.bias"))
        k = linear(x, W[p + "k_proj.weight"], W.get(p + "k_proj.bias"))
        v = linear(x, W[p + "v_proj.weight"], W.get(p + "v_proj.bias"))
        if self.qk_norm == "projection":           # OLMoE: whole projection, before the reshape
            q = rms_norm(q, W[p + "q_norm.weight"], eps)
            k = rms_norm(k, W[p + "k_norm.weight"], eps)
        t = x.shape[0]
        q, k, v = q.reshape(t, nh, hd), k.reshape(t, nkv, hd), v.reshape(t, nkv, hd)
        if self.qk_norm == "head":                 # Qwen3: per head over head_dim
            q = rms_norm(q, W[p + "q_norm.weight"], eps)
            k = rms_norm(k, W[p + "k_norm.weight"], eps)
        cos, sin = rope_cos_sin(positions, rope_inv_freq(hd, self.rope_theta(cfg)))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:                      # KV cache: append this call's keys/values
            c = cache.setdefault(i, {"k": np.zeros((0, nkv, hd)), "v": np.zeros((0, nkv, hd)),
                                     "pos": np.zeros(0, dtype=np.int64)})
            c["k"] = np.concatenate([c["k"], k])
            c["v"] = np.concatenate([c["v"], v])
            c["pos"] = np.concatenate([c["pos"], positions])
            k, v, k_pos = c["k"], c["v"], c["pos"]
        else:
            k_pos = positions
        out, probs = causal_attention(q, k, v, positions, k_pos, self.attention_scale(cfg))
        return linear(out, W[p + "o_proj.weight"], W.get(p + "o_proj.bias")), probs

    def forward(self, cfg, W, ids, cache=None):
        """Logits [T, V] and per-layer records for `ids`; with `cache` (a dict, filled in place) the
        tokens continue the sequence already in the cache."""
        eps = cfg["rms_norm_eps"]
        past = len(cache[0]["pos"]) if cache else 0
        positions = np.arange(past, past + len(ids))
        h = W["model.embed_tokens.weight"][np.asarray(ids)].astype(np.float64)
        h = h * self.embedding_multiplier(cfg)
        layers = []
        for i in range(cfg["num_hidden_layers"]):
            p = "model.layers.%d." % i
            a, probs = self.attention(cfg, W, i, rms_norm(h, W[p + "input_layernorm.weight"], eps),
                                      positions, cache)
            h = h + a * self.residual_multiplier(cfg)
            m, router = self.feed_forward(cfg, W, i,
                                          rms_norm(h, W[p + "post_attention_layernorm.weight"], eps))
            h = h + m * self.residual_multiplier(cfg)
            layers.append({"attention": probs, "router": router})
        h = rms_norm(h, W["model.norm.weight"], eps)
        lm = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
        return linear(h, lm) / self.logits_scaling(cfg), layers


class Qwen2(Llama):
    """Qwen2ForCausalLM -- src/transformers/models/qwen2/modeling_qwen2.py (modular_qwen2.py).

    Llama with q/k/v biases always on and no o_proj bias; no attention_bias / head_dim fields.
    """
    model_type = "qwen2"
    architecture = "Qwen2ForCausalLM"

    def qkv_bias(self, cfg):
        return True

    def o_bias(self, cfg):
        return False


class Qwen3(Llama):
    """Qwen3ForCausalLM -- src/transformers/models/qwen3/modeling_qwen3.py (modular_qwen3.py).

    Llama plus per-head RMSNorm of q and k over head_dim (q_norm/k_norm weights [head_dim]) before
    rotary; explicit head_dim; biases per attention_bias.
    """
    model_type = "qwen3"
    architecture = "Qwen3ForCausalLM"
    qk_norm = "head"


class MoeArch(Llama):
    """Shared MoE plumbing: classic per-expert tensors and the v5 fused layout."""
    moe_prefix = "mlp."              # classic module of the sparse block
    fused_prefix = "mlp."            # v5 module of the sparse block
    router_name = "gate.weight"      # classic router tensor, relative to moe_prefix
    expert_names = ("gate_proj", "up_proj", "down_proj")

    def num_experts(self, cfg):
        return cfg["num_experts"]

    def expert_width(self, cfg):
        return cfg["moe_intermediate_size"]

    def is_moe_layer(self, cfg, i):
        return True

    def make_moe_weights(self, cfg, w, p):
        hidden, inter = cfg["hidden_size"], self.expert_width(cfg)
        w.normal(p + self.moe_prefix + self.router_name, (self.num_experts(cfg), hidden),
                 STD_ROUTER)
        g, u, d = self.expert_names
        for e in range(self.num_experts(cfg)):
            q = p + self.moe_prefix + "experts.%d." % e
            w.normal(q + g + ".weight", (inter, hidden), STD_MLP)
            w.normal(q + u + ".weight", (inter, hidden), STD_MLP)
            w.normal(q + d + ".weight", (hidden, inter), STD_MLP)

    def expert(self, W, p, e):
        g, u, d = self.expert_names
        q = p + self.moe_prefix + "experts.%d." % e
        return W[q + g + ".weight"], W[q + u + ".weight"], W[q + d + ".weight"]

    def fuse(self, cfg, W):
        """conversion_mapping.py: stack the experts (MergeModulelist dim 0) and concatenate gate and
        up on dim 1 -> gate_up_proj [E, 2I, H] (gate rows first); down_proj [E, H, I]."""
        fused = {}
        for name, t in W.items():
            if ".%sexperts." % self.moe_prefix not in name and \
                    not name.endswith(self.moe_prefix + self.router_name):
                fused[name] = t
        for i in range(cfg["num_hidden_layers"]):
            if not self.is_moe_layer(cfg, i):
                continue
            p = "model.layers.%d." % i
            experts = [self.expert(W, p, e) for e in range(self.num_experts(cfg))]
            fused[p + self.fused_prefix + "gate.weight"] = W[p + self.moe_prefix + self.router_name]
            fused[p + self.fused_prefix + "experts.gate_up_proj"] = np.stack(
                [np.concatenate([g, u], axis=0) for g, u, _ in experts])
            fused[p + self.fused_prefix + "experts.down_proj"] = np.stack([d for _, _, d in experts])
        return fused

    def unfuse(self, cfg, F):
        """Inverse of `fuse`, written from the tensor semantics: gate_up_proj[e] = [gate; up]."""
        W = {}
        inter = self.expert_width(cfg)
        g, u, d = self.expert_names
        for name, t in F.items():
            m = re.match(r"(model\.layers\.\d+\.)" + re.escape(self.fused_prefix) +
                         r"(gate\.weight|experts\.gate_up_proj|experts\.down_proj)$", name)
            if not m:
                W[name] = t
                continue
            p, what = m.groups()
            if what == "gate.weight":
                W[p + self.moe_prefix + self.router_name] = t
                continue
            for e in range(t.shape[0]):
                q = p + self.moe_prefix + "experts.%d." % e
                if what == "experts.gate_up_proj":
                    W[q + g + ".weight"], W[q + u + ".weight"] = t[e, :inter], t[e, inter:]
                else:
                    W[q + d + ".weight"] = t[e]
        return W

    def route(self, cfg, logits):
        raise NotImplementedError

    def shared_expert(self, cfg, W, p, x):
        """(output, gate values) of a shared expert, or (None, None)."""
        return None, None

    def feed_forward(self, cfg, W, i, x):
        p = "model.layers.%d." % i
        if not self.is_moe_layer(cfg, i):
            return self.dense_mlp(W, p + "mlp.", x), None
        logits = linear(x, W[p + self.moe_prefix + self.router_name])
        probs, experts, weights = self.route(cfg, logits)
        out = sparse_moe(x, experts, weights, lambda e, xt: swiglu(xt, *self.expert(W, p, e)))
        shared, gate = self.shared_expert(cfg, W, p, x)
        if shared is not None:
            out = out + shared
        return out, {"probs": probs, "logits": logits, "experts": experts, "weights": weights,
                     "shared_gate": gate}


class Mixtral(MoeArch):
    """MixtralForCausalLM -- src/transformers/models/mixtral/modeling_mixtral.py (modular_mixtral.py).

    Llama attention; every layer sparse: softmax over all experts, top-k, renormalise the k weights;
    experts w2(silu(w1 x) * w3 x) of width intermediate_size.  Classic names under
    `block_sparse_moe.`, v5 names under `mlp.` (router `mlp.gate.weight`).
    """
    model_type = "mixtral"
    architecture = "MixtralForCausalLM"
    moe_prefix = "block_sparse_moe."
    expert_names = ("w1", "w3", "w2")

    def num_experts(self, cfg):
        return cfg["num_local_experts"]

    def expert_width(self, cfg):
        return cfg["intermediate_size"]

    def route(self, cfg, logits):
        return route_softmax_then_topk(logits, cfg["num_experts_per_tok"], renormalize=True)


class Olmoe(MoeArch):
    """OlmoeForCausalLM -- src/transformers/models/olmoe/modeling_olmoe.py (modular_olmoe.py).

    q_norm / k_norm are RMSNorms over the WHOLE q projection [heads*head_dim] and k projection
    [kv_heads*head_dim], before the reshape into heads and before rotary; router softmax over all,
    top-k, renormalised only if norm_topk_prob; experts of width intermediate_size.
    """
    model_type = "olmoe"
    architecture = "OlmoeForCausalLM"
    qk_norm = "projection"

    def expert_width(self, cfg):
        return cfg["intermediate_size"]

    def route(self, cfg, logits):
        return route_softmax_then_topk(logits, cfg["num_experts_per_tok"], cfg["norm_topk_prob"])


class Qwen2Moe(MoeArch):
    """Qwen2MoeForCausalLM -- src/transformers/models/qwen2_moe/modeling_qwen2_moe.py.

    Qwen2 attention (q/k/v bias per qkv_bias, default true); sparse layers chosen by
    decoder_sparse_step / mlp_only_layers (others: dense MLP of intermediate_size); router softmax,
    top-k, renormalise iff norm_topk_prob; experts of moe_intermediate_size; plus a shared expert
    (shared_expert_intermediate_size) scaled by sigmoid(shared_expert_gate(x)).
    """
    model_type = "qwen2_moe"
    architecture = "Qwen2MoeForCausalLM"

    def qkv_bias(self, cfg):
        return cfg.get("qkv_bias", True)

    def o_bias(self, cfg):
        return False

    def is_moe_layer(self, cfg, i):
        return (i not in cfg.get("mlp_only_layers", [])) and self.num_experts(cfg) > 0 and \
            (i + 1) % cfg["decoder_sparse_step"] == 0

    def make_moe_weights(self, cfg, w, p):
        super().make_moe_weights(cfg, w, p)
        self.make_mlp_weights(w, p + "mlp.shared_expert.", cfg["hidden_size"],
                              cfg["shared_expert_intermediate_size"])
        w.normal(p + "mlp.shared_expert_gate.weight", (1, cfg["hidden_size"]), STD_ROUTER)

    def shared_expert(self, cfg, W, p, x):
        gate = sigmoid(linear(x, W[p + "mlp.shared_expert_gate.weight"]))     # [T, 1]
        return gate * self.dense_mlp(W, p + "mlp.shared_expert.", x), gate[:, 0]

    def route(self, cfg, logits):
        return route_softmax_then_topk(logits, cfg["num_experts_per_tok"], cfg["norm_topk_prob"])


class Qwen3Moe(Qwen2Moe):
    """Qwen3MoeForCausalLM -- src/transformers/models/qwen3_moe/modeling_qwen3_moe.py.

    Qwen3 attention (per-head q/k norm, attention_bias), Qwen2-MoE layer rule and router, no
    shared expert.
    """
    model_type = "qwen3_moe"
    architecture = "Qwen3MoeForCausalLM"
    qk_norm = "head"

    def qkv_bias(self, cfg):
        return cfg.get("attention_bias", False)

    def o_bias(self, cfg):
        return cfg.get("attention_bias", False)

    def make_moe_weights(self, cfg, w, p):
        MoeArch.make_moe_weights(self, cfg, w, p)

    def shared_expert(self, cfg, W, p, x):
        return None, None


class GraniteMoe(MoeArch):
    """GraniteMoeForCausalLM -- src/transformers/models/granitemoe/modeling_granitemoe.py.

    Llama attention scaled by attention_multiplier (not head_dim^-0.5); embeddings times
    embedding_multiplier; each sublayer output times residual_multiplier before the residual add;
    logits divided by logits_scaling; router top-k on the logits then softmax over the k chosen;
    experts always fused: input_linear [E, 2I, H] (first half gate -> silu, second half up),
    output_linear [E, H, I], router block_sparse_moe.router.layer.weight [E, H].
    """
    model_type = "granitemoe"
    architecture = "GraniteMoeForCausalLM"
    moe_prefix = "block_sparse_moe."
    router_name = "router.layer.weight"

    def num_experts(self, cfg):
        return cfg["num_local_experts"]

    def expert_width(self, cfg):
        return cfg["intermediate_size"]

    def attention_scale(self, cfg):
        return cfg["attention_multiplier"]

    def embedding_multiplier(self, cfg):
        return cfg["embedding_multiplier"]

    def residual_multiplier(self, cfg):
        return cfg["residual_multiplier"]

    def logits_scaling(self, cfg):
        return cfg["logits_scaling"]

    def make_moe_weights(self, cfg, w, p):
        hidden, inter, n = cfg["hidden_size"], self.expert_width(cfg), self.num_experts(cfg)
        w.normal(p + "block_sparse_moe.router.layer.weight", (n, hidden), STD_ROUTER)
        w.normal(p + "block_sparse_moe.input_linear.weight", (n, 2 * inter, hidden), STD_MLP)
        w.normal(p + "block_sparse_moe.output_linear.weight", (n, hidden, inter), STD_MLP)

    def expert(self, W, p, e):
        inter = W[p + "block_sparse_moe.output_linear.weight"].shape[2]
        gate_up = W[p + "block_sparse_moe.input_linear.weight"][e]
        return gate_up[:inter], gate_up[inter:], W[p + "block_sparse_moe.output_linear.weight"][e]

    def fuse(self, cfg, W):
        return None

    def route(self, cfg, logits):
        return route_topk_then_softmax(logits, cfg["num_experts_per_tok"])


# ======================================================================================
# Cases
# ======================================================================================

def common_config(arch, V, eos, layers=2):
    return {
        "architectures": [arch.architecture],
        "model_type": arch.model_type,
        "vocab_size": V,
        "hidden_size": 32,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "num_hidden_layers": layers,
        "hidden_act": "silu",
        "max_position_embeddings": 64,
        "rms_norm_eps": 1e-06,
        "initializer_range": 0.02,
        "attention_dropout": 0.0,
        "use_cache": True,
        "bos_token_id": eos,
        "eos_token_id": eos,
        "torch_dtype": "float32",
        "transformers_version": "4.57.1",
    }


def case_configs(V, eos):
    """(case name, architecture, seed, config) for every fixture."""
    cases = []

    c = common_config(Llama(), V, eos)
    c.update({"intermediate_size": 48, "head_dim": 8, "rope_theta": 10000.0, "rope_scaling": None,
              "attention_bias": False, "mlp_bias": False, "pretraining_tp": 1,
              "tie_word_embeddings": False})
    cases.append(("llama", Llama(), 101, c))

    c = common_config(Qwen2(), V, eos)
    c.update({"intermediate_size": 48, "rope_theta": 1000000.0, "rope_scaling": None,
              "use_sliding_window": False, "sliding_window": None, "max_window_layers": 2,
              "tie_word_embeddings": True})
    cases.append(("qwen2", Qwen2(), 102, c))

    c = common_config(Qwen3(), V, eos)
    c.update({"intermediate_size": 48, "head_dim": 12,
              "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0},
              "attention_bias": False, "use_sliding_window": False, "sliding_window": None,
              "max_window_layers": 2, "layer_types": ["full_attention", "full_attention"],
              "tie_word_embeddings": False, "transformers_version": "5.0.0"})
    cases.append(("qwen3", Qwen3(), 103, c))

    c = common_config(Mixtral(), V, eos)
    c.update({"intermediate_size": 24, "head_dim": 8, "num_local_experts": 4,
              "num_experts_per_tok": 2, "rope_theta": 1000000.0, "sliding_window": None,
              "router_aux_loss_coef": 0.02, "router_jitter_noise": 0.0,
              "output_router_logits": False, "tie_word_embeddings": False})
    cases.append(("mixtral", Mixtral(), 104, c))

    c = common_config(Olmoe(), V, eos)
    c.update({"intermediate_size": 24, "num_experts": 4, "num_experts_per_tok": 2,
              "norm_topk_prob": False, "rope_theta": 10000.0, "rope_scaling": None,
              "attention_bias": False, "clip_qkv": None, "router_aux_loss_coef": 0.01,
              "output_router_logits": False, "tie_word_embeddings": True})
    cases.append(("olmoe", Olmoe(), 105, c))

    c = common_config(Qwen2Moe(), V, eos, layers=3)
    c.update({"intermediate_size": 48, "moe_intermediate_size": 24,
              "shared_expert_intermediate_size": 40, "num_experts": 4, "num_experts_per_tok": 2,
              "decoder_sparse_step": 1, "mlp_only_layers": [1], "norm_topk_prob": False,
              "qkv_bias": True, "rope_theta": 1000000.0, "rope_scaling": None,
              "use_sliding_window": False, "sliding_window": None, "max_window_layers": 3,
              "router_aux_loss_coef": 0.001, "output_router_logits": False,
              "tie_word_embeddings": True})
    cases.append(("qwen2_moe", Qwen2Moe(), 106, c))

    c = common_config(Qwen3Moe(), V, eos)
    c.update({"intermediate_size": 48, "moe_intermediate_size": 24, "head_dim": 8,
              "num_experts": 4, "num_experts_per_tok": 2, "decoder_sparse_step": 2,
              "mlp_only_layers": [], "norm_topk_prob": True, "attention_bias": False,
              "rope_theta": 1000000.0, "rope_scaling": None, "use_sliding_window": False,
              "sliding_window": None, "max_window_layers": 2, "router_aux_loss_coef": 0.001,
              "output_router_logits": False, "tie_word_embeddings": True})
    cases.append(("qwen3_moe", Qwen3Moe(), 107, c))

    c = common_config(GraniteMoe(), V, eos)
    c.update({"intermediate_size": 24, "num_local_experts": 4, "num_experts_per_tok": 2,
              "embedding_multiplier": 12.0, "attention_multiplier": 0.125,
              "residual_multiplier": 0.22, "logits_scaling": 4.0, "rope_theta": 10000.0,
              "rope_scaling": None, "attention_bias": False, "router_aux_loss_coef": 0.001,
              "output_router_logits": False, "tie_word_embeddings": True})
    cases.append(("granitemoe", GraniteMoe(), 108, c))
    return cases


# ======================================================================================
# Checks
# ======================================================================================

def check_case(name, arch, cfg, W, ids, logits, layers):
    T = len(ids)
    for li, layer in enumerate(layers):
        a = layer["attention"]
        assert a.shape == (cfg["num_attention_heads"], T, T)
        assert np.allclose(a.sum(-1), 1.0, atol=1e-12), (name, li)
        assert np.all(a[:, np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]] == 0.0), (name, li)
        # sensitivity: rows are far from uniform (1/(t+1)) on average
        peak = np.mean([a[:, t, :t + 1].max(-1).mean() - 1.0 / (t + 1) for t in range(1, T)])
        assert peak > 0.05, (name, li, "attention looks uniform", peak)
        r = layer["router"]
        assert (r is None) == (not arch.is_moe_layer(cfg, li)), (name, li)
        if r is None:
            continue
        k = cfg["num_experts_per_tok"]
        assert np.allclose(r["probs"].sum(-1), 1.0, atol=1e-12)
        assert np.allclose(r["probs"], softmax(r["logits"]), atol=1e-15)
        chosen = np.take_along_axis(r["probs"], r["experts"], 1)
        for t in range(T):
            ranked = np.sort(r["probs"][t])[::-1]
            assert list(r["experts"][t]) == top_k(r["probs"][t], k)
            # top-k decision robust to float32 evaluation: a clear gap after the k-th expert
            assert ranked[k - 1] - ranked[k] > 1e-3, (name, li, t, "near tie in routing")
        renorm = isinstance(arch, (Mixtral, GraniteMoe)) or cfg.get("norm_topk_prob", False)
        if renorm:
            assert np.allclose(r["weights"].sum(-1), 1.0, atol=1e-12)
            assert np.allclose(r["weights"], chosen / chosen.sum(-1, keepdims=True), atol=1e-14)
        else:
            assert np.array_equal(r["weights"], chosen)
            assert np.all(r["weights"].sum(-1) < 1.0 - 1e-3)     # really not renormalised
        if isinstance(arch, GraniteMoe):
            assert np.allclose(r["weights"],
                               softmax(np.take_along_axis(r["logits"], r["experts"], 1)),
                               atol=1e-15)
        assert len(set(r["experts"].ravel().tolist())) >= 3, (name, li, "routing degenerate")
        has_shared = isinstance(arch, Qwen2Moe) and not isinstance(arch, Qwen3Moe)
        assert (r["shared_gate"] is not None) == has_shared, (name, li)
    assert np.all(np.isfinite(logits)) and logits.std() > 0.3, (name, "logits nearly constant")

    # KV-cache property 1: the forward on the first T-1 tokens gives the first T-1 rows.
    prefix_logits, prefix_layers = arch.forward(cfg, W, ids[:-1])
    assert np.max(np.abs(prefix_logits - logits[:-1])) < 1e-12, name
    for lf, lp in zip(layers, prefix_layers):
        assert np.max(np.abs(lp["attention"] - lf["attention"][:, :-1, :-1])) < 1e-12, name
    # KV-cache property 2: decoding one token at a time through an explicit cache reproduces
    # every row of the full run (positions continue from the cache length).
    cache = {}
    for t in range(T):
        step_logits, step_layers = arch.forward(cfg, W, ids[t:t + 1], cache)
        assert np.max(np.abs(step_logits[0] - logits[t])) < 1e-12, (name, t)
        for lf, ls in zip(layers, step_layers):
            assert np.max(np.abs(ls["attention"][:, 0, :] - lf["attention"][:, t, :t + 1])) < 1e-12
            if lf["router"] is not None:
                assert list(ls["router"]["experts"][0]) == list(lf["router"]["experts"][t])


def check_sensitivity(name, arch, cfg, W, ids, logits):
    """The fixture must tell apart two easy-to-make, hard-to-see mistakes.  The forward is re-run
    with a module function swapped for a wrong variant; the logits must move clearly.
      * GQA: query head h reading kv head h % KV (interleaved) instead of h // (H / KV);
      * rotary on interleaved pairs (2i, 2i+1) (GPT-J / Meta layout) instead of halves (i, i+d/2).
    """
    g = globals()
    correct_attention = g["causal_attention"]

    def attention_modulo(q, k, v, q_pos, k_pos, scale):
        heads, kv = q.shape[1], k.shape[1]
        wrong = [h % kv for h in range(heads)]      # the wrong kv head for query head h
        # one kv head per query head, so that the correct attention reads kv head `wrong[h]`
        return correct_attention(q, k[:, wrong], v[:, wrong], q_pos, k_pos, scale)

    def rope_interleaved(x, cos, sin):
        half = x.shape[-1] // 2
        c, s_ = np.repeat(cos[:, :half], 2, -1), np.repeat(sin[:, :half], 2, -1)
        rot = np.stack([-x[..., 1::2], x[..., 0::2]], -1).reshape(x.shape)
        return x * c[:, None, :] + rot * s_[:, None, :]

    for fname, wrong in (("causal_attention", attention_modulo), ("apply_rope", rope_interleaved)):
        saved = g[fname]
        g[fname] = wrong
        try:
            mutated, _ = arch.forward(cfg, W, ids)
        finally:
            g[fname] = saved
        diff = np.max(np.abs(mutated - logits))
        assert diff > 1e-2, (name, fname, "fixture cannot detect the wrong variant", diff)


def routing_margin(layers, k):
    """Smallest gap, over positions and MoE layers, between the k-th and (k+1)-th probability."""
    gaps = [np.sort(p)[::-1][k - 1] - np.sort(p)[::-1][k]
            for l in layers if l["router"] is not None for p in l["router"]["probs"]]
    return min(gaps) if gaps else np.inf


def pick_seed(arch, cfg, seed, ids, min_gap=1e-3):
    """The case's seed, or the first of seed+1000, seed+2000, ... whose routing has no near tie
    (a gap under `min_gap` could let a float32 engine pick another expert).  Deterministic."""
    for attempt in range(50):
        s = seed + 1000 * attempt
        W = {k: v.astype(np.float64) for k, v in arch.make_weights(cfg, s).items()}
        _, layers = arch.forward(cfg, W, ids)
        if routing_margin(layers, cfg.get("num_experts_per_tok", 1)) > min_gap:
            return s
    raise AssertionError("no seed without a routing near-tie")


def check_rope_and_norm_helpers():
    """Tiny hand-checked cases for the helpers."""
    x = np.array([[3.0, 4.0]])
    assert np.allclose(rms_norm(x, np.array([1.0, 2.0]), 0.0), [[3 / np.sqrt(12.5), 8 / np.sqrt(12.5)]])
    assert np.allclose(rope_inv_freq(4, 10000.0), [1.0, 0.01])
    # position 0 is the identity; rotate_half pairs dimension i with i + d/2
    q = np.arange(1.0, 5.0).reshape(1, 1, 4)
    cos, sin = rope_cos_sin([0], rope_inv_freq(4, 10000.0))
    assert np.allclose(apply_rope(q, cos, sin), q)
    cos, sin = rope_cos_sin([1], np.array([np.pi / 2, 0.0]))
    assert np.allclose(apply_rope(q, cos, sin), [[[-3.0, 2.0, 1.0, 4.0]]])
    assert top_k([0.1, 0.4, 0.4, 0.1], 2) == [1, 2]
    # causal_attention against a literal transliteration of eager_attention_forward: repeat_kv is
    # repeat_interleave on the head axis, the causal mask adds the float minimum above the diagonal
    rng = np.random.RandomState(0)
    q, k, v = rng.normal(size=(5, 4, 6)), rng.normal(size=(5, 2, 6)), rng.normal(size=(5, 2, 6))
    out, probs = causal_attention(q, k, v, np.arange(5), np.arange(5), 0.3)
    ks, vs = np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1)
    scores = np.einsum("thd,shd->hts", q, ks) * 0.3 + np.triu(np.full((5, 5), np.finfo(float).min), 1)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    assert np.allclose(probs, w, atol=1e-15)
    assert np.allclose(out, np.einsum("hts,shd->thd", w, vs).reshape(5, 24), atol=1e-14)


# ======================================================================================
# Writing
# ======================================================================================

def json_floats(a):
    return np.asarray(a, dtype=np.float64).tolist()


def reference_document(ids, text, logits, layers):
    out = []
    for layer in layers:
        r = layer["router"]
        out.append({
            "attention": json_floats(layer["attention"]),
            "router": None if r is None else {
                "probs": json_floats(r["probs"]),
                "logits": json_floats(r["logits"]),
                "experts": np.asarray(r["experts"]).astype(int).tolist(),
                "weights": json_floats(r["weights"]),
                "shared_gate": None if r["shared_gate"] is None else json_floats(r["shared_gate"]),
            },
        })
    return {"text": text, "input_ids": list(ids), "logits": json_floats(logits), "layers": out}


def write_json(path, doc, pretty=False):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        if pretty:
            json.dump(doc, f, indent=2, sort_keys=False, ensure_ascii=False)
            f.write("\n")
        else:
            json.dump(doc, f, separators=(",", ":"), allow_nan=False)


def main():
    check_rope_and_norm_helpers()
    os.makedirs(OUT_DIR, exist_ok=True)

    tok = build_tokenizer()
    V = tok["size"]
    eos = tok["specials"]["<|endoftext|>"]
    write_json(os.path.join(OUT_DIR, "tokenizer.json"), tokenizer_json(tok), pretty=True)
    cases = []
    for text in TOKENIZER_TEXTS:
        ids = encode(text, tok)
        assert decode(ids, tok) == text
        cases.append({"text": text, "ids": ids})
    assert any(i > 255 for c in cases for i in c["ids"])
    with open(os.path.join(OUT_DIR, "tokenizer-expected.json"), "w", encoding="utf-8",
              newline="\n") as f:       # one case per line, ids on one line
        f.write('{"cases": [\n' + ",\n".join(
            "  " + json.dumps(c, ensure_ascii=False) for c in cases) + "\n]}\n")

    ids = encode(REFERENCE_TEXT, tok)
    assert len(ids) == 10 and sum(i > 255 for i in ids) >= 4, ids
    print("vocab %d (256 bytes + %d merges + %d specials); reference ids %s"
          % (V, len(tok["merges"]), len(tok["specials"]), ids))

    for name, arch, seed, cfg in case_configs(V, eos):
        d = os.path.join(OUT_DIR, name)
        os.makedirs(d, exist_ok=True)
        seed = pick_seed(arch, cfg, seed, ids)
        W = arch.make_weights(cfg, seed)
        for tname, t in W.items():
            assert_f16_bf16_exact(tname, t)
        W64 = {k: v.astype(np.float64) for k, v in W.items()}
        logits, layers = arch.forward(cfg, W64, ids)
        check_case(name, arch, cfg, W64, ids, logits, layers)
        check_sensitivity(name, arch, cfg, W64, ids, logits)

        write_json(os.path.join(d, "config.json"), dict(sorted(cfg.items())), pretty=True)
        write_safetensors(os.path.join(d, "model.safetensors"), W)
        back = read_safetensors(os.path.join(d, "model.safetensors"))
        assert sorted(back) == sorted(W) and all(np.array_equal(back[k], W[k]) for k in W)
        files = ["config.json", "model.safetensors"]

        fused = arch.fuse(cfg, W)
        if fused is not None:
            write_safetensors(os.path.join(d, "model-fused.safetensors"), fused)
            back = read_safetensors(os.path.join(d, "model-fused.safetensors"))
            assert sorted(back) == sorted(fused)
            restored = arch.unfuse(cfg, back)
            assert sorted(restored) == sorted(W), name
            assert all(np.array_equal(restored[k], W[k]) for k in W), name
            again, _ = arch.forward(cfg, {k: v.astype(np.float64) for k, v in restored.items()}, ids)
            assert np.array_equal(again, logits)
            files.append("model-fused.safetensors")

        write_json(os.path.join(d, "reference.json"),
                   reference_document(ids, REFERENCE_TEXT, logits, layers))
        files.append("reference.json")
        size = sum(os.path.getsize(os.path.join(d, f)) for f in files)
        routed = [("L%d:%s" % (i, "moe" if l["router"] is not None else "dense")) for i, l in
                  enumerate(layers)]
        print("%-10s seed %d  %7d bytes  %s  logits[0][:3]=%s"
              % (name, seed, size, " ".join(routed), np.round(logits[0, :3], 4).tolist()))

    total = 0
    for root, _, fs in os.walk(OUT_DIR):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in fs)
    print("total fixture size: %d bytes" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
