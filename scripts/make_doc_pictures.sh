#!/usr/bin/env bash
# Draws the DocC articles' pictures with the tool itself (`attend run … --heatmap`) into
# Sources/Attend/Attend.docc/Resources/. Run it again after changing the heatmap writer; the
# AttendCLITests suite checks the committed pictures parse as SVG with the expected cells.
#
#   attention-causal.svg         sdpa, 8 positions, --causal, all scores equal (weights 1/(i+1))
#   attention-padding.svg        sdpa, 8 positions, the last 3 keys padded (weights 1/5)
#   attention-sentence-head.svg  mha (E = 8, 2 heads, seeded weights), head 1 on seed 001's
#                                sentence "My cat is a lovely cat"; both "cat"s share one embedding
#
# Needs python3 with NumPy (for the input .npy files).
set -euo pipefail
cd "$(dirname "$0")/.."
resources=Sources/Attend/Attend.docc/Resources
mkdir -p "$resources"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

swift build --product attend >/dev/null
attend="$(swift build --show-bin-path)/attend"

python3 - "$work" <<'PY'
import json, struct, sys
import numpy as np

work = sys.argv[1]
rng = np.random.default_rng(2026)
# Equal scores (q = k = 0), so the pictures show the masks alone.
np.save(f"{work}/zeros.npy", np.zeros((1, 8, 16), np.float32))
np.save(f"{work}/v.npy", rng.standard_normal((1, 8, 16)).astype(np.float32))
np.save(f"{work}/padding.npy", np.array([[False] * 5 + [True] * 3]))

# "My cat is a lovely cat": six tokens, E = 8; both "cat"s get the same embedding.
vocabulary = {w: rng.standard_normal(8) for w in ["My", "cat", "is", "a", "lovely"]}
sentence = np.stack([vocabulary[w] for w in ["My", "cat", "is", "a", "lovely", "cat"]])[None].astype(np.float32)
np.save(f"{work}/sentence.npy", sentence)

# nn.MultiheadAttention(8, 2) parameters as safetensors (F32): header length, JSON, data.
tensors = {
    "in_proj_weight": (rng.standard_normal((24, 8)) * 0.8).astype(np.float32),
    "in_proj_bias": np.zeros(24, np.float32),
    "out_proj.weight": (rng.standard_normal((8, 8)) / np.sqrt(8)).astype(np.float32),
    "out_proj.bias": np.zeros(8, np.float32),
}
header, blobs, offset = {}, [], 0
for name, array in tensors.items():
    raw = array.tobytes()
    header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
text = json.dumps(header).encode()
with open(f"{work}/mha.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
PY

"$attend" run sdpa --query "$work/zeros.npy" --key "$work/zeros.npy" --value "$work/v.npy" --causal \
  --output "$work/out.npy" --heatmap "$resources/attention-causal.svg"
"$attend" run sdpa --query "$work/zeros.npy" --key "$work/zeros.npy" --value "$work/v.npy" \
  --key-padding-mask "$work/padding.npy" --output "$work/out.npy" --heatmap "$resources/attention-padding.svg"
"$attend" run mha --query "$work/sentence.npy" --key "$work/sentence.npy" --value "$work/sentence.npy" \
  --weights "$work/mha.safetensors" --num-heads 2 --output "$work/out.npy" \
  --heatmap "$resources/attention-sentence-head.svg" --heatmap-head 1 --heatmap-labels "My,cat,is,a,lovely,cat"
echo "make_doc_pictures: wrote $(ls "$resources"/*.svg | wc -l) pictures to $resources"
