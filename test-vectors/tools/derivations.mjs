// Generates test-vectors/derivations.json: the member key and note
// derivations of SPEC §2 computed by independent code (Node's own PBKDF2 and
// SHA-512, circomlibjs's Poseidon, BigInt packing), from a BIP-39 phrase to
// the first two notes of an account (with and without an heir), and protocol version 2's note
// commitment of a note with every field set.
//
//   npm install circomlibjs@0.1.7
//   node test-vectors/tools/derivations.mjs > test-vectors/derivations.json
import { createHash, pbkdf2Sync } from "node:crypto";
import { buildPoseidonReference } from "circomlibjs";

const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const poseidon = await buildPoseidonReference();
const F = poseidon.F;
const H = (...xs) => F.toObject(poseidon(xs.map((x) => BigInt(x))));
const hex = (x) => "0x" + x.toString(16).padStart(64, "0");
const leToBig = (buf) => [...buf].reverse().reduce((acc, b) => (acc << 8n) + BigInt(b), 0n);

// Protocol version 2's note commitment: the eight u64 fields packed into three
// words, 64 bits each, lowest first.
const pack = (...xs) => xs.reduceRight((acc, x) => (acc << 64n) + BigInt(x), 0n);
function commit(n) {
  return H(NOTE, n.owner, n.nk, n.heir,
    pack(n.eligible_epoch, n.periods, n.last_epoch),
    pack(n.last_claim, n.last_active),
    pack(n.balance, n.epoch_total, n.pension),
    n.rho, n.r);
}

const [OWNER, NK, NOTE, NF, NS, RHO, RCM, HEIR] = [1, 2, 3, 4, 6, 7, 8, 9];

function account(phrase, eligible, amount) {
  const seed = pbkdf2Sync(Buffer.from(phrase.normalize("NFKD")), Buffer.from("mnemonic"), 2048, 64, "sha512");
  const digest = createHash("sha512").update("zkpension/v2/sk").update(seed).digest();
  const sk = leToBig(digest) % P;
  const owner = H(OWNER, sk);
  const nk = H(NK, sk);
  const ns = H(NS, sk);
  const rho0 = H(RHO, ns, 0);
  const r0 = H(RCM, ns, rho0);
  // The enrollment note: no nullifier key (the registrar sees it), no heir.
  const zero = { nk: 0n, heir: 0n, balance: 0, periods: 0, last_epoch: 0, epoch_total: 0,
    last_claim: 0, pension: 0, last_active: 0 };
  const cm0 = commit({ ...zero, owner, eligible_epoch: eligible, rho: rho0, r: r0 });
  const nf0 = H(NF, nk, rho0);
  // A first contribution of `amount` in epoch 1: the owner's nk, balance,
  // periods 1, last_epoch 1, epoch_total, last_active 1, and rho = nf0,
  // r = H(RCM, ns, nf0).
  const r1 = H(RCM, ns, nf0);
  const note1 = { ...zero, owner, nk, eligible_epoch: eligible, balance: amount, periods: 1,
    last_epoch: 1, epoch_total: amount, last_active: 1, rho: nf0, r: r1 };
  const cm1 = commit(note1);
  // The same contribution naming an heir (the address of the key 777):
  // the transaction carries heir_ct1 = heir1 + H(HEIR, ns, nf0) mod p.
  const heir_mask1 = H(HEIR, ns, nf0);
  const heir1 = H(OWNER, 777n);
  const heir_ct1 = (heir1 + heir_mask1) % P;
  const cm1_heir = commit({ ...note1, heir: heir1 });
  return {
    phrase,
    eligible_epoch: eligible,
    contribution: amount,
    bip39_seed: "0x" + seed.toString("hex"),
    sk: hex(sk), owner: hex(owner), nk: hex(nk), ns: hex(ns),
    rho0: hex(rho0), r0: hex(r0), cm0: hex(cm0), nf0: hex(nf0),
    r1: hex(r1), cm1: hex(cm1),
    heir_mask1: hex(heir_mask1), heir1: hex(heir1), heir_ct1: hex(heir_ct1), cm1_heir: hex(cm1_heir),
  };
}

// Notes with every field set, u64 fields at and near their limits, so each
// field's place in the packing shows in the commitment.
const MAX = (1n << 64n) - 1n;
const notes = [
  { owner: 11n, nk: 12n, heir: 13n, eligible_epoch: 1, balance: 2, periods: 3, last_epoch: 4,
    epoch_total: 5, last_claim: 6, pension: 7, last_active: 8, rho: 9n, r: 10n },
  { owner: P - 1n, nk: P - 2n, heir: 0n, eligible_epoch: MAX, balance: MAX, periods: MAX,
    last_epoch: MAX, epoch_total: MAX, last_claim: MAX, pension: MAX, last_active: MAX,
    rho: P - 3n, r: 1n },
  { owner: 1n, nk: 0n, heir: 2n, eligible_epoch: 0, balance: MAX - 1n, periods: 0, last_epoch: 1,
    epoch_total: 0, last_claim: MAX, pension: 1, last_active: 0, rho: 3n, r: 4n },
].map((n) => Object.fromEntries(Object.entries(n).map(([k, v]) => [k, typeof v === "number" ? BigInt(v) : v])));

const phrases = [
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title",
];
console.log(JSON.stringify({
  description: "Member key and note derivations (SPEC §2): BIP-39 seed (empty passphrase), sk = SHA-512(\"zkpension/v2/sk\" || seed) little-endian mod p, owner, nk, ns, the first enrollment's rho0 and r0, its commitment (protocol version 2's note, nk 0) and nullifier, and the note after a first contribution, without an heir and naming one (heir_ct = heir + H(HEIR, ns, rho), HEIR = 9); then protocol version 2's commitment of notes with every field set. Field elements are 0x-prefixed big-endian hex, u64 fields decimal.",
  generator: "test-vectors/tools/derivations.mjs: Node.js crypto (PBKDF2-HMAC-SHA512, SHA-512) and circomlibjs 0.1.7 buildPoseidonReference",
  accounts: [account(phrases[0], 3, 500), account(phrases[1], 840, 12345)],
  // u64 fields as decimal strings (JSON numbers lose precision above 2^53).
  notes: notes.map((n) => ({
    ...Object.fromEntries(Object.entries(n).map(([k, v]) => [k, v.toString()])),
    owner: hex(n.owner), nk: hex(n.nk), heir: hex(n.heir),
    rho: hex(n.rho), r: hex(n.r), cm: hex(commit(n)) })),
}, null, 1));
