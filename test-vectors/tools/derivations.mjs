// Generates test-vectors/derivations.json: the member key and note
// derivations of SPEC §2 computed by independent code (Node's own PBKDF2 and
// SHA-512, circomlibjs's Poseidon), from a BIP-39 phrase to the first two
// notes of an account.
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

const [OWNER, NK, NOTE, NF, NS, RHO, RCM] = [1, 2, 3, 4, 6, 7, 8];

function account(phrase, eligible, amount) {
  const seed = pbkdf2Sync(Buffer.from(phrase.normalize("NFKD")), Buffer.from("mnemonic"), 2048, 64, "sha512");
  const digest = createHash("sha512").update("zkpension/v2/sk").update(seed).digest();
  const sk = leToBig(digest) % P;
  const owner = H(OWNER, sk);
  const nk = H(NK, sk);
  const ns = H(NS, sk);
  const rho0 = H(RHO, ns, 0);
  const r0 = H(RCM, ns, rho0);
  const cm0 = H(NOTE, owner, eligible, 0, 0, 0, 0, 0, 0, rho0, r0);
  const nf0 = H(NF, nk, rho0);
  // A first contribution of `amount` in epoch 1: balance, periods 1,
  // last_epoch 1, epoch_total, and rho = nf0, r = H(RCM, ns, nf0).
  const r1 = H(RCM, ns, nf0);
  const cm1 = H(NOTE, owner, eligible, amount, 1, 1, amount, 0, 0, nf0, r1);
  return {
    phrase,
    eligible_epoch: eligible,
    contribution: amount,
    bip39_seed: "0x" + seed.toString("hex"),
    sk: hex(sk), owner: hex(owner), nk: hex(nk), ns: hex(ns),
    rho0: hex(rho0), r0: hex(r0), cm0: hex(cm0), nf0: hex(nf0),
    r1: hex(r1), cm1: hex(cm1),
  };
}

const phrases = [
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
  "legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth title",
];
console.log(JSON.stringify({
  description: "Member key and note derivations (SPEC §2): BIP-39 seed (empty passphrase), sk = SHA-512(\"zkpension/v2/sk\" || seed) little-endian mod p, owner, nk, ns, the first enrollment's rho0 and r0, its commitment and nullifier, and the note after a first contribution. Field elements are 0x-prefixed big-endian hex.",
  generator: "test-vectors/tools/derivations.mjs: Node.js crypto (PBKDF2-HMAC-SHA512, SHA-512) and circomlibjs 0.1.7 buildPoseidonReference",
  accounts: [account(phrases[0], 3, 500), account(phrases[1], 840, 12345)],
}, null, 1));
