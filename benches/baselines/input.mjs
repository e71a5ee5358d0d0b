// Writes a valid input for membership.circom to the path given: a leaf at
// position 0x5a5a5a5a under non-zero siblings, computed with circomlibjs.
//   node input.mjs OUT.json   (circomlibjs resolved from NODE_PATH or cwd)
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.cwd() + "/");
const { buildPoseidon } = require("circomlibjs");
const poseidon = await buildPoseidon();
const H = (xs) => poseidon.F.toObject(poseidon(xs));

const DEPTH = 32;
const leaf = 123456789n;
const index = 0x5a5a5a5an;
const pathElements = [];
const pathIndices = [];
let cur = leaf;
for (let i = 0; i < DEPTH; i++) {
  const sibling = H([BigInt(1000 + i), 42n]);
  const bit = Number((index >> BigInt(i)) & 1n);
  pathElements.push(sibling.toString());
  pathIndices.push(bit);
  cur = bit ? H([sibling, cur]) : H([cur, sibling]);
}
const nullifierKey = 987654321n;
const note = Array.from({ length: 11 }, (_, j) => BigInt(7 * j + 3));
writeFileSync(process.argv[2], JSON.stringify({
  root: cur.toString(),
  nullifier: H([nullifierKey, leaf, index]).toString(),
  newCommitment: H(note).toString(),
  leaf: leaf.toString(),
  pathElements,
  pathIndices,
  nullifierKey: nullifierKey.toString(),
  note: note.map(String),
}));
