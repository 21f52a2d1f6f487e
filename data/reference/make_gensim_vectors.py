"""Writes the gensim-made vector files that tests/embeddings.rs reads.

    python3 data/reference/make_gensim_vectors.py

Creates, next to this script:
  gensim_vectors.bin  word2vec binary, as gensim's save_word2vec_format(binary=True) writes it
  gensim_vectors.txt  word2vec text, as save_word2vec_format(binary=False) writes it

The vectors are exact binary fractions, so the Rust test recomputes them:
  word i, component k:  ((7*i + 3*k) % 11) / 8 - 0.5
The words include non-ASCII ones to exercise UTF-8. Made with gensim 4.4.0.
"""
import os
import numpy as np
from gensim.models import KeyedVectors

WORDS = ["the", "king", "queen", "café", "naïve", "über", "orange", "apple", "日本"]
DIM = 5

here = os.path.dirname(os.path.abspath(__file__))
kv = KeyedVectors(vector_size=DIM)
vecs = np.array(
    [[((7 * i + 3 * k) % 11) / 8 - 0.5 for k in range(DIM)] for i in range(len(WORDS))],
    dtype=np.float32,
)
kv.add_vectors(WORDS, vecs)
kv.save_word2vec_format(os.path.join(here, "gensim_vectors.bin"), binary=True)
kv.save_word2vec_format(os.path.join(here, "gensim_vectors.txt"), binary=False)
print("wrote gensim_vectors.bin and gensim_vectors.txt with", len(WORDS), "words, dim", DIM)
