// Generates test-vectors/tree.json: the commitment tree of SPEC §3
// (quaternary, depth 24, inner node H(c0, c1, c2, c3), empty leaf 0) computed
// by independent, deliberately naive code with circomlibjs's Poseidon: the
// empty subtree roots, the roots of a few small trees, and paths in one.
//
//   npm install circomlibjs@0.1.7
//   node test-vectors/tools/tree.mjs > test-vectors/tree.json
import { buildPoseidonReference } from "circomlibjs";

const poseidon = await buildPoseidonReference();
const F = poseidon.F;
const H = (...xs) => F.toObject(poseidon(xs.map((x) => BigInt(x))));
const hex = (x) => "0x" + x.toString(16).padStart(64, "0");

const DEPTH = 24;
const z = [0n];
for (let i = 0; i < DEPTH; i++) z.push(H(z[i], z[i], z[i], z[i]));

// Every level of the tree over `leaves`, each padded to whole groups of four
// with the empty subtree root of that level.
function levels(leaves) {
  const out = [leaves.slice()];
  for (let l = 0; l < DEPTH; l++) {
    const below = out[l];
    const next = [];
    for (let i = 0; i < Math.max(below.length, 1); i += 4) {
      const c = [0, 1, 2, 3].map((k) => (i + k < below.length ? below[i + k] : z[l]));
      next.push(H(...c));
    }
    out.push(next);
  }
  return out;
}

const leaf = (i) => H(BigInt(i) + 1n);
const leaves = Array.from({ length: 70 }, (_, i) => leaf(i));
const roots = [1, 4, 5, 16, 17, 64, 65, 70].map((n) => ({
  leaves: n,
  root: hex(levels(leaves.slice(0, n))[DEPTH][0]),
}));
const full = levels(leaves);
const paths = [0, 5, 21, 63, 69].map((index) => {
  const siblings = [];
  for (let l = 0; l < DEPTH; l++) {
    const pos = Math.floor(index / 4 ** l);
    const first = pos - (pos % 4);
    for (let i = first; i < first + 4; i++) {
      if (i !== pos) siblings.push(hex(i < full[l].length ? full[l][i] : z[l]));
    }
  }
  return { index, leaf: hex(leaves[index]), siblings };
});

console.log(JSON.stringify({
  description: "The commitment tree (SPEC §3): quaternary Merkle tree of depth 24, inner node H(c0, c1, c2, c3), empty leaf 0, empty subtree z_{i+1} = H(z_i, z_i, z_i, z_i). Leaf i of the sample trees is H(i + 1). Paths list the three siblings of each level, leaf level first, each level's in order of position. Field elements are 0x-prefixed big-endian hex.",
  generator: "test-vectors/tools/tree.mjs: naive level-by-level hashing with circomlibjs 0.1.7 buildPoseidonReference",
  empty_subtree_roots: z.map(hex),
  roots,
  paths,
}, null, 1));
