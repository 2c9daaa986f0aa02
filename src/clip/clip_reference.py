#!/usr/bin/python3
"""The independent reference for reco's CLIP encoders (src/clip): a tiny CLIP model with random
weights in the Hugging Face folder layout, and what a forward pass written here in PyTorch gives.

Usage: /usr/bin/python3 clip_reference.py OUT_DIR
Writes:
  OUT_DIR/model/      config.json, model.safetensors, vocab.json, merges.txt,
                      preprocessor_config.json (a tiny model of CLIP's architecture)
  OUT_DIR/pixels.f32  preprocessed image tensors, float32 [n, 3, S, S]
  OUT_DIR/images/     PNG files (two of S x S pixels, which need no resizing, and larger ones)
  OUT_DIR/items.csv   item_id,path of those files; OUT_DIR/texts.csv item_id,text
  OUT_DIR/preprocess/ raw RGB images (CASE.rgb) for the resize / crop / normalise comparison
  OUT_DIR/expected.json  token ids, image and text embeddings (unnormalised and normalised),
                      preprocessed tensors and decoded PNG pixels
When torch or numpy is missing it writes OUT_DIR/SKIP with the reason instead (the tests then
skip with it) and exits 0.

Everything here is written from the published architecture (transformers' CLIPModel and
CLIPImageProcessor, CLIP's byte-level BPE), not from reco's C++ code: the forward pass is computed
in float64 with torch's own conv2d, layer_norm and softmax; the resize is torch's antialiased
bicubic interpolation (a = -0.5, as PIL) in floating point, one pass per axis rounded to 8 bits as
PIL does; PIL's (and reco's) 22-bit fixed-point weights can move a rounding by one grey level,
which is the preprocessing comparison's tolerance.
"""

import json
import os
import struct
import sys
import unicodedata
import zlib

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as error:  # the tests skip with this message
    MISSING = f"the CLIP reference needs torch and numpy (Debian python3-torch): {error}"
else:
    MISSING = None

TEXT = dict(hidden_size=24, intermediate_size=40, num_attention_heads=3, num_hidden_layers=2,
            max_position_embeddings=24, hidden_act="quick_gelu", layer_norm_eps=1e-5)
VISION = dict(hidden_size=32, intermediate_size=48, num_attention_heads=4, num_hidden_layers=2,
              image_size=32, patch_size=8, num_channels=3, hidden_act="quick_gelu",
              layer_norm_eps=1e-5)
PROJECTION_DIM = 16
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]

CORPUS = ["a photo of a cat", "a photo of a dog", "the quick brown fox jumps over the lazy dog",
          "the theatre shows photography", "photos of the cat and the dog", "don't do that",
          "猫的照片 猫", "café au lait", "red shoes, blue shoes"]
TEXTS = ["a photo of a cat", "A PHOTO of a  Dog!!", "don't stop the theatre's photography",
         "猫的照片, café 123", "naïve ÜNÏCODE\tand\n  spaces", "",
         "the quick brown fox jumps over the lazy dog " * 4]


# ---- tokenizer ------------------------------------------------------------------------------

def byte_alphabet():
    """CLIP's map from bytes to printable characters."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) +
                 list(range(0xAE, 0xFF + 1)))
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTES = byte_alphabet()


def char_class(ch):
    category = unicodedata.category(ch)
    if ch.isspace():
        return "space"
    if category.startswith("L"):
        return "letter"
    if category.startswith("N"):
        return "number"
    return "other"


def pre_tokenize(text):
    """CLIP's split of the lowercased text, without regular expressions."""
    text = " ".join(text.split()).lower()
    pieces = []
    i = 0
    while i < len(text):
        kind = char_class(text[i])
        if kind == "space":
            i += 1
            continue
        contraction = next((c for c in ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")
                            if text.startswith(c, i)), None)
        if contraction:
            j = i + len(contraction)
        elif kind == "number":
            j = i + 1
        else:
            j = i + 1
            while j < len(text) and char_class(text[j]) == kind:
                j += 1
        pieces.append(text[i:j])
        i = j
    return pieces


def word_symbols(piece):
    symbols = [BYTES[b] for b in piece.encode("utf-8")]
    symbols[-1] += "</w>"
    return symbols


def apply_merge(symbols, pair):
    out = []
    i = 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(symbols[i] + symbols[i + 1])
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return out


def learn_merges(corpus, count):
    words = {}
    for line in corpus:
        for piece in pre_tokenize(line):
            key = tuple(word_symbols(piece))
            words[key] = words.get(key, 0) + 1
    merges = []
    for _ in range(count):
        pairs = {}
        for symbols, n in words.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] = pairs.get(pair, 0) + n
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        merges.append(best)
        words = {tuple(apply_merge(list(s), best)): n for s, n in words.items()}
    return merges


def encode(text, vocab, ranks, max_length):
    ids = [vocab["<|startoftext|>"]]
    for piece in pre_tokenize(text):
        symbols = word_symbols(piece)
        while len(symbols) > 1:
            pairs = [(ranks.get(p, None), p) for p in zip(symbols, symbols[1:])]
            ranked = [(r, p) for r, p in pairs if r is not None]
            if not ranked:
                break
            symbols = apply_merge(symbols, min(ranked)[1])
        ids.extend(vocab.get(s, vocab["<|endoftext|>"]) for s in symbols)
    ids = ids[:max_length - 1]
    return ids + [vocab["<|endoftext|>"]]


# ---- weights and safetensors ----------------------------------------------------------------

def tower_shapes(prefix, c):
    d, m = c["hidden_size"], c["intermediate_size"]
    shapes = {}
    for i in range(c["num_hidden_layers"]):
        p = f"{prefix}.encoder.layers.{i}"
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            shapes[f"{p}.self_attn.{name}.weight"] = (d, d)
            shapes[f"{p}.self_attn.{name}.bias"] = (d,)
        for name in ("layer_norm1", "layer_norm2"):
            shapes[f"{p}.{name}.weight"] = (d,)
            shapes[f"{p}.{name}.bias"] = (d,)
        shapes[f"{p}.mlp.fc1.weight"] = (m, d)
        shapes[f"{p}.mlp.fc1.bias"] = (m,)
        shapes[f"{p}.mlp.fc2.weight"] = (d, m)
        shapes[f"{p}.mlp.fc2.bias"] = (d,)
    return shapes


def random_weights(vocab_size, generator):
    t, v = TEXT, VISION
    grid = v["image_size"] // v["patch_size"]
    shapes = {
        "text_model.embeddings.token_embedding.weight": (vocab_size, t["hidden_size"]),
        "text_model.embeddings.position_embedding.weight":
            (t["max_position_embeddings"], t["hidden_size"]),
        "text_model.final_layer_norm.weight": (t["hidden_size"],),
        "text_model.final_layer_norm.bias": (t["hidden_size"],),
        "text_projection.weight": (PROJECTION_DIM, t["hidden_size"]),
        "vision_model.embeddings.patch_embedding.weight":
            (v["hidden_size"], 3, v["patch_size"], v["patch_size"]),
        "vision_model.embeddings.class_embedding": (v["hidden_size"],),
        "vision_model.embeddings.position_embedding.weight": (grid * grid + 1, v["hidden_size"]),
        "vision_model.pre_layrnorm.weight": (v["hidden_size"],),
        "vision_model.pre_layrnorm.bias": (v["hidden_size"],),
        "vision_model.post_layernorm.weight": (v["hidden_size"],),
        "vision_model.post_layernorm.bias": (v["hidden_size"],),
        "visual_projection.weight": (PROJECTION_DIM, v["hidden_size"]),
        "logit_scale": (),
    }
    shapes.update(tower_shapes("text_model", t))
    shapes.update(tower_shapes("vision_model", v))
    weights = {}
    for name, shape in sorted(shapes.items()):
        if name == "logit_scale":
            weights[name] = torch.tensor(2.6592, dtype=torch.float32)
        elif "norm" in name and name.endswith(".weight"):  # layer norm scales
            weights[name] = 1.0 + 0.2 * torch.randn(shape, generator=generator)
        elif name.endswith(".bias"):
            weights[name] = 0.1 * torch.randn(shape, generator=generator)
        elif len(shape) >= 2 and "embedding" not in name:
            fan_in = int(np.prod(shape[1:]))
            weights[name] = torch.randn(shape, generator=generator) / fan_in ** 0.5
        else:  # embeddings
            weights[name] = 0.5 * torch.randn(shape, generator=generator)
    return weights


# Stored in other dtypes than F32, to exercise reco's conversions; the reference uses the values
# as stored.
F16_TENSORS = {"text_model.embeddings.token_embedding.weight"}
BF16_TENSORS = {"vision_model.embeddings.position_embedding.weight"}


def write_safetensors(path, weights):
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    stored = {}
    for name in sorted(weights):
        tensor = weights[name].contiguous()
        if name in F16_TENSORS:
            tensor = tensor.to(torch.float16)
            dtype, raw = "F16", tensor.numpy().astype("<f2").tobytes()
        elif name in BF16_TENSORS:
            tensor = tensor.to(torch.bfloat16)
            dtype, raw = "BF16", tensor.view(torch.int16).numpy().astype("<i2").tobytes()
        elif tensor.dtype == torch.int64:
            dtype, raw = "I64", tensor.numpy().astype("<i8").tobytes()
        else:
            tensor = tensor.to(torch.float32)
            dtype, raw = "F32", tensor.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
        stored[name] = tensor
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)
    return {name: t.to(torch.float64) for name, t in stored.items() if t.is_floating_point()}


# ---- the reference forward pass (float64) ---------------------------------------------------

def linear(x, w, prefix):
    return x @ w[prefix + ".weight"].T + w[prefix + ".bias"]


def encoder(x, w, prefix, config, causal):
    heads = config["num_attention_heads"]
    eps = config["layer_norm_eps"]
    length, width = x.shape
    head = width // heads
    for i in range(config["num_hidden_layers"]):
        p = f"{prefix}.encoder.layers.{i}"
        h = F.layer_norm(x, (width,), w[p + ".layer_norm1.weight"], w[p + ".layer_norm1.bias"], eps)
        q = linear(h, w, p + ".self_attn.q_proj") * head ** -0.5
        k = linear(h, w, p + ".self_attn.k_proj")
        v = linear(h, w, p + ".self_attn.v_proj")
        q, k, v = (t.reshape(length, heads, head).transpose(0, 1) for t in (q, k, v))
        scores = q @ k.transpose(1, 2)
        if causal:
            mask = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
            scores = scores.masked_fill(mask, float("-inf"))
        context = (scores.softmax(dim=-1) @ v).transpose(0, 1).reshape(length, width)
        x = x + linear(context, w, p + ".self_attn.out_proj")
        h = F.layer_norm(x, (width,), w[p + ".layer_norm2.weight"], w[p + ".layer_norm2.bias"], eps)
        h = linear(h, w, p + ".mlp.fc1")
        h = h * torch.sigmoid(1.702 * h)  # quick_gelu
        x = x + linear(h, w, p + ".mlp.fc2")
    return x


def image_forward(pixels, w):
    v = VISION
    eps = v["layer_norm_eps"]
    patches = F.conv2d(pixels[None], w["vision_model.embeddings.patch_embedding.weight"],
                       stride=v["patch_size"])
    x = patches.flatten(2).transpose(1, 2)[0]
    x = torch.cat([w["vision_model.embeddings.class_embedding"][None], x])
    x = x + w["vision_model.embeddings.position_embedding.weight"]
    d = v["hidden_size"]
    x = F.layer_norm(x, (d,), w["vision_model.pre_layrnorm.weight"],
                     w["vision_model.pre_layrnorm.bias"], eps)
    x = encoder(x, w, "vision_model", v, causal=False)
    pooled = F.layer_norm(x[0], (d,), w["vision_model.post_layernorm.weight"],
                          w["vision_model.post_layernorm.bias"], eps)
    return pooled @ w["visual_projection.weight"].T


def text_forward(ids, w):
    t = TEXT
    ids_tensor = torch.tensor(ids)
    x = w["text_model.embeddings.token_embedding.weight"][ids_tensor]
    x = x + w["text_model.embeddings.position_embedding.weight"][:len(ids)]
    x = encoder(x, w, "text_model", t, causal=True)
    x = F.layer_norm(x, (t["hidden_size"],), w["text_model.final_layer_norm.weight"],
                     w["text_model.final_layer_norm.bias"], t["layer_norm_eps"])
    pooled = x[int(ids_tensor.argmax())]
    return pooled @ w["text_projection.weight"].T


def normalized(v):
    return v / v.norm()


# ---- images ---------------------------------------------------------------------------------

def resize_8bit(x, height, width):
    """PIL's Image.resize(BICUBIC) on 8-bit images: torch's antialiased bicubic (a = -0.5, the
    support widened by the downscaling factor, as PIL) applied as PIL does, the horizontal pass
    first, each pass rounded and clamped to 8 bits."""
    _, _, h, w = x.shape
    if width != w:
        x = F.interpolate(x, size=(h, width), mode="bicubic", align_corners=False, antialias=True)
        x = (x + 0.5).floor().clamp(0, 255)  # PIL rounds halves up
    if height != h:
        x = F.interpolate(x, size=(height, width), mode="bicubic", align_corners=False,
                          antialias=True)
        x = (x + 0.5).floor().clamp(0, 255)
    return x


def preprocess(rgb, shortest_edge, crop):
    """CLIPImageProcessor's steps on an H x W x 3 uint8 array."""
    h, w = rgb.shape[:2]
    if w <= h:
        new_w, new_h = shortest_edge, int(shortest_edge * h / w)
    else:
        new_w, new_h = int(shortest_edge * w / h), shortest_edge
    x = torch.from_numpy(rgb.astype(np.float64)).permute(2, 0, 1)[None]
    resized = resize_8bit(x, new_h, new_w)[0]
    top, left = (new_h - crop) // 2, (new_w - crop) // 2
    padded = torch.zeros(3, max(new_h, crop) + crop, max(new_w, crop) + crop, dtype=torch.float64)
    oy, ox = max(0, -top), max(0, -left)
    padded[:, oy:oy + new_h, ox:ox + new_w] = resized
    cropped = padded[:, oy + top:oy + top + crop, ox + left:ox + left + crop]
    mean = torch.tensor(MEAN, dtype=torch.float64)[:, None, None]
    std = torch.tensor(STD, dtype=torch.float64)[:, None, None]
    return (cropped / 255.0 - mean) / std


def png_bytes(width, height, color_type, bit_depth, rows, palette=None):
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + row for row in rows)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(palette))
    out += chunk(b"IDAT", zlib.compress(raw))
    return out + chunk(b"IEND", b"")


def write_pngs(directory, rng):
    """PNG files of several colour types and what decoding them to RGB must give."""
    os.makedirs(directory, exist_ok=True)
    expected = {}
    size = VISION["image_size"]

    def save(name, data, rgb):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(data)
        expected[name] = rgb

    rgb = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    save("rgb.png", png_bytes(size, size, 2, 8, [r.tobytes() for r in rgb]), rgb)
    rgba = rng.integers(0, 256, (size, size, 4), dtype=np.uint8)
    save("rgba.png", png_bytes(size, size, 6, 8, [r.tobytes() for r in rgba]), rgba[:, :, :3])
    gray = rng.integers(0, 256, (45, 60), dtype=np.uint8)
    save("gray.png", png_bytes(60, 45, 0, 8, [r.tobytes() for r in gray]),
         np.repeat(gray[:, :, None], 3, axis=2))
    gray16 = rng.integers(0, 65536, (20, 30), dtype=np.uint16)
    save("gray16.png", png_bytes(30, 20, 0, 16, [r.astype(">u2").tobytes() for r in gray16]),
         np.repeat((gray16 >> 8).astype(np.uint8)[:, :, None], 3, axis=2))
    palette = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    index = rng.integers(0, 16, (50, 40), dtype=np.uint8)
    save("palette.png", png_bytes(40, 50, 3, 8, [r.tobytes() for r in index],
                                  palette=palette.flatten().tolist()), palette[index])
    return expected


# ---- main -----------------------------------------------------------------------------------

def main(out):
    generator = torch.Generator().manual_seed(20261204)
    rng = np.random.default_rng(20261204)
    model_dir = os.path.join(out, "model")
    os.makedirs(model_dir, exist_ok=True)

    merges = learn_merges(CORPUS, 60)
    vocab_list = list(BYTES.values())
    vocab_list += [s + "</w>" for s in vocab_list]
    vocab_list += ["".join(pair) for pair in merges]
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {token: i for i, token in enumerate(vocab_list)}
    ranks = {pair: i for i, pair in enumerate(merges)}
    with open(os.path.join(model_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(model_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")

    config = {"architectures": ["CLIPModel"], "model_type": "clip",
              "projection_dim": PROJECTION_DIM, "logit_scale_init_value": 2.6592,
              "text_config": dict(TEXT, vocab_size=len(vocab)), "vision_config": VISION}
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    size = VISION["image_size"]
    with open(os.path.join(model_dir, "preprocessor_config.json"), "w") as f:
        json.dump({"crop_size": {"height": size, "width": size}, "do_center_crop": True,
                   "do_normalize": True, "do_rescale": True, "do_resize": True,
                   "image_mean": MEAN, "image_std": STD, "resample": 3,
                   "rescale_factor": 1 / 255, "size": {"shortest_edge": size},
                   "image_processor_type": "CLIPImageProcessor"}, f, indent=2)

    weights = random_weights(len(vocab), generator)
    # Older checkpoints carry integer buffers; readers skip them.
    weights["text_model.embeddings.position_ids"] = \
        torch.arange(TEXT["max_position_embeddings"])[None]
    w = write_safetensors(os.path.join(model_dir, "model.safetensors"), weights)

    expected = {"texts": [], "images": [], "preprocess": [], "png": {}, "files": {}}
    for text in TEXTS:
        ids = encode(text, vocab, ranks, TEXT["max_position_embeddings"])
        embedding = text_forward(ids, w)
        expected["texts"].append({"text": text, "ids": ids, "embedding": embedding.tolist(),
                                  "normalized": normalized(embedding).tolist()})

    pixels = torch.randn(3, 3, size, size, generator=generator, dtype=torch.float64)
    pixels = pixels.to(torch.float32)
    with open(os.path.join(out, "pixels.f32"), "wb") as f:
        f.write(pixels.numpy().astype("<f4").tobytes())
    for image in pixels.to(torch.float64):
        embedding = image_forward(image, w)
        expected["images"].append({"embedding": embedding.tolist(),
                                   "normalized": normalized(embedding).tolist()})

    pre_dir = os.path.join(out, "preprocess")
    os.makedirs(pre_dir, exist_ok=True)
    for width, height in ((48, 40), (40, 64), (32, 32), (20, 30), (101, 33), (256, 128), (9, 70)):
        rgb = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        # Smooth parts too: a gradient, where rounding differences stay small.
        rgb[: height // 2] = np.linspace(0, 255, width, dtype=np.float64)[None, :, None] \
            .astype(np.uint8)
        name = f"{width}x{height}"
        with open(os.path.join(pre_dir, name + ".rgb"), "wb") as f:
            f.write(rgb.tobytes())
        tensor = preprocess(rgb, size, size)
        expected["preprocess"].append({"name": name, "width": width, "height": height,
                                       "pixels": tensor.flatten().tolist()})

    images_dir = os.path.join(out, "images")
    pngs = write_pngs(images_dir, rng)
    items = []
    for name, rgb in sorted(pngs.items()):
        expected["png"][name] = {"width": rgb.shape[1], "height": rgb.shape[0],
                                 "rgb": rgb.flatten().tolist()}
        item = os.path.splitext(name)[0]
        items.append((item, os.path.join("images", name)))
        entry = {"normalized": None}
        if rgb.shape[0] == size and rgb.shape[1] == size:  # no resize: exact preprocessing
            tensor = preprocess(rgb, size, size)
            entry["normalized"] = normalized(image_forward(tensor, w)).tolist()
        expected["files"][item] = entry
    with open(os.path.join(out, "items.csv"), "w") as f:
        f.write("item_id,path\n")
        for item, path in items:
            f.write(f"{item},{path}\n")
    with open(os.path.join(out, "texts.csv"), "w", encoding="utf-8") as f:
        f.write("item_id,text\n")
        for i, text in enumerate(TEXTS):
            quoted = '"' + text.replace('"', '""') + '"'
            f.write(f"t{i},{quoted}\n")
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    if MISSING:
        os.makedirs(sys.argv[1], exist_ok=True)
        with open(os.path.join(sys.argv[1], "SKIP"), "w") as f:
            f.write(MISSING + "\n")
        print("SKIP: " + MISSING)
        sys.exit(0)
    sys.exit(main(sys.argv[1]))
