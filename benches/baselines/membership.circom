pragma circom 2.0.0;

// The baseline statement of the prover benchmarks (benches/baselines/run.sh):
// the shape of a spend in a binary-tree design, for rapidsnark and snarkjs.
// A depth-32 Merkle membership with circomlib Poseidon(2) nodes, a nullifier
// Poseidon(3) and an 11-input note commitment; public: root, nullifier and
// the new commitment. 8,502 constraints with `circom --O2` (a 2^14 domain).

include "circomlib/circuits/poseidon.circom";

// (left, right) from (cur, sibling) by the path bit s.
template DualMux() {
    signal input in[2];
    signal input s;
    signal output out[2];
    s * (1 - s) === 0;
    out[0] <== (in[1] - in[0]) * s + in[0];
    out[1] <== (in[0] - in[1]) * s + in[1];
}

template Membership(depth, noteFields) {
    signal input root;
    signal input nullifier;
    signal input newCommitment;
    signal input leaf;
    signal input pathElements[depth];
    signal input pathIndices[depth];
    signal input nullifierKey;
    signal input note[noteFields];

    component mux[depth];
    component h[depth];
    signal cur[depth + 1];
    cur[0] <== leaf;
    var idx = 0;
    var pow = 1;
    for (var i = 0; i < depth; i++) {
        mux[i] = DualMux();
        mux[i].in[0] <== cur[i];
        mux[i].in[1] <== pathElements[i];
        mux[i].s <== pathIndices[i];
        h[i] = Poseidon(2);
        h[i].inputs[0] <== mux[i].out[0];
        h[i].inputs[1] <== mux[i].out[1];
        cur[i + 1] <== h[i].out;
        idx += pathIndices[i] * pow;
        pow = pow * 2;
    }
    root === cur[depth];

    component nf = Poseidon(3);
    nf.inputs[0] <== nullifierKey;
    nf.inputs[1] <== leaf;
    nf.inputs[2] <== idx;
    nullifier === nf.out;

    component cm = Poseidon(noteFields);
    for (var j = 0; j < noteFields; j++) {
        cm.inputs[j] <== note[j];
    }
    newCommitment === cm.out;
}

component main {public [root, nullifier, newCommitment]} = Membership(32, 11);
