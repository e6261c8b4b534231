#!/usr/bin/env bash
# Draws the DocC articles' pictures with the tool itself (`attend run … --heatmap`,
# `attend embed --heatmap | --attention-heatmap`) into the catalogs' Resources/ folders. Run it
# again after changing the heatmap writer; the AttendCLITests suite checks the committed pictures
# parse as SVG with the expected cells.
#
# Sources/Attend/Attend.docc/Resources/:
#   attention-causal.svg         sdpa, 8 positions, --causal, all scores equal (weights 1/(i+1))
#   attention-padding.svg        sdpa, 8 positions, the last 3 keys padded (weights 1/5)
#   attention-sentence-head.svg  mha (E = 8, 2 heads, seeded weights), head 1 on seed 001's
#                                sentence "My cat is a lovely cat"; both "cat"s share one embedding
# Sources/AttendModels/AttendModels.docc/Resources/:
#   minilm-head.svg              all-MiniLM-L6-v2, layer 5, head 11 on "The cat sat on the mat because
#                                it was tired." ("it" attends to "cat")
#   similarity-matrix.svg        the cosine similarities of six sentences (three about cats, two
#                                about finance, one about bread)
#
# Needs python3 with NumPy (for the input .npy files) and the fetched MiniLM
# (python3 scripts/fetch_model.py minilm).
set -euo pipefail
cd "$(dirname "$0")/.."
resources=Sources/Attend/Attend.docc/Resources
models_resources=Sources/AttendModels/AttendModels.docc/Resources
mkdir -p "$resources" "$models_resources"
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
# The model pictures; the similarity table the command prints is not needed.
"$attend" embed --attention-heatmap "$models_resources/minilm-head.svg" --layer 5 --head 11 \
  "The cat sat on the mat because it was tired." >/dev/null
"$attend" embed --heatmap "$models_resources/similarity-matrix.svg" \
  "The cat sits on the mat and purrs." "Kittens love to play with balls of yarn." \
  "Felines are known for their independence." "Stock markets fell sharply on Monday." \
  "The central bank raised interest rates again." "He bakes bread every Sunday morning." >/dev/null
echo "make_doc_pictures: wrote $(ls "$resources"/*.svg | wc -l) pictures to $resources," \
  "$(ls "$models_resources"/*.svg | wc -l) to $models_resources"
