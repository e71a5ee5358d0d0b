//! The R1CS matrices in the compact form the prover keeps ([`Matrices`]),
//! and the QAP reduction over them ([`Matrices::witness_map`]): the same
//! polynomial `h` as arkworks' `LibsnarkReduction::witness_map_from_matrices`
//! (the quotient `(a·b - c) / Z` is unique, so the coefficients are
//! identical), computed from 8-byte entries.
//!
//! arkworks' `Matrix<Fr>` is a vector per row of `(Fr, usize)` entries, 40
//! bytes each: a Contribute circuit's 270,000 entries take about 11 MB and
//! 30,000 allocations, which a proving process paid for in page faults
//! before its first MSM. Here each distinct coefficient (a few hundred:
//! Poseidon's constants and small integers) is stored once, an entry is a
//! column and an index into that table, and each matrix's rows are ranges
//! of one entry vector: about 2 MB, the layout of the `<statement>.r1cs`
//! file itself.

use std::collections::HashMap;

use ark_ff::{FftField, Field, One, Zero};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::{Matrix, SynthesisError};
use rayon::prelude::*;
use zkpension_circuits::field::Fr;

/// R1CS matrices `[A, B, C]`, each distinct coefficient stored once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrices {
    /// The distinct coefficients, in order of first use (A's rows, then
    /// B's, then C's).
    coefficients: Vec<Fr>,
    /// For each matrix, `rows + 1` offsets into its entries.
    starts: [Vec<u32>; 3],
    /// For each matrix, its entries `(column, coefficient index)`, row
    /// after row.
    entries: [Vec<(u32, u32)>; 3],
}

impl Matrices {
    /// The compact form of arkworks' matrices `[A, B, C]`, entries in the
    /// same order.
    ///
    /// # Panics
    /// If there are not three matrices, or a column or an entry count does
    /// not fit in a `u32`.
    pub fn from_matrices(matrices: &[Matrix<Fr>]) -> Matrices {
        assert_eq!(matrices.len(), 3, "R1CS has three matrices");
        let mut index: HashMap<Fr, u32> = HashMap::new();
        let mut coefficients = Vec::new();
        let mut part = |m: &Matrix<Fr>| {
            let mut starts = Vec::with_capacity(m.len() + 1);
            let mut entries = Vec::new();
            starts.push(0u32);
            for row in m {
                for (coeff, col) in row {
                    let k = *index.entry(*coeff).or_insert_with(|| {
                        coefficients.push(*coeff);
                        u32::try_from(coefficients.len() - 1).expect("coefficients fit a u32")
                    });
                    entries.push((u32::try_from(*col).expect("columns fit a u32"), k));
                }
                starts.push(u32::try_from(entries.len()).expect("entries fit a u32"));
            }
            (starts, entries)
        };
        let (sa, ea) = part(&matrices[0]);
        let (sb, eb) = part(&matrices[1]);
        let (sc, ec) = part(&matrices[2]);
        Matrices {
            coefficients,
            starts: [sa, sb, sc],
            entries: [ea, eb, ec],
        }
    }

    /// Matrices from their parts, as a file stores them: `None` unless the
    /// row offsets of each matrix start at 0, never decrease and end at its
    /// entry count, and every coefficient index and column is in range
    /// (`columns`: the number of variables).
    pub fn from_parts(
        coefficients: Vec<Fr>,
        starts: [Vec<u32>; 3],
        entries: [Vec<(u32, u32)>; 3],
        columns: usize,
    ) -> Option<Matrices> {
        for (s, e) in starts.iter().zip(&entries) {
            let shaped = s.first() == Some(&0)
                && s.windows(2).all(|w| w[0] <= w[1])
                && s.last().map(|&x| x as usize) == Some(e.len());
            let in_range = e
                .iter()
                .all(|&(col, k)| (col as usize) < columns && (k as usize) < coefficients.len());
            if !(shaped && in_range) {
                return None;
            }
        }
        Some(Matrices {
            coefficients,
            starts,
            entries,
        })
    }

    /// The distinct coefficients, in order of first use.
    pub fn coefficients(&self) -> &[Fr] {
        &self.coefficients
    }

    /// The number of rows (constraints) of matrix `m` (0, 1, 2: A, B, C).
    pub fn rows(&self, m: usize) -> usize {
        self.starts[m].len() - 1
    }

    /// Row `i` of matrix `m`: `(column, coefficient index)` entries.
    pub fn row(&self, m: usize, i: usize) -> &[(u32, u32)] {
        let s = &self.starts[m];
        &self.entries[m][s[i] as usize..s[i + 1] as usize]
    }

    /// arkworks' form, for key generation and the ceremony.
    pub fn to_matrices(&self) -> Vec<Matrix<Fr>> {
        (0..3)
            .map(|m| {
                (0..self.rows(m))
                    .map(|i| {
                        self.row(m, i)
                            .iter()
                            .map(|&(col, k)| (self.coefficients[k as usize], col as usize))
                            .collect()
                    })
                    .collect()
            })
            .collect()
    }

    /// `⟨M_i, z⟩`, row `i` of matrix `m` applied to the assignment `z`; a
    /// column past `z` counts as 0.
    pub fn eval(&self, m: usize, i: usize, z: &[Fr]) -> Fr {
        let mut sum = Fr::zero();
        for &(col, k) in self.row(m, i) {
            let Some(x) = z.get(col as usize) else {
                continue;
            };
            let coeff = &self.coefficients[k as usize];
            if coeff.is_one() {
                sum += x;
            } else {
                sum += *coeff * x;
            }
        }
        sum
    }

    /// The coefficients of `h(X) = (a(X)·b(X) - c(X)) / Z(X)` over the
    /// evaluation domain of `num_constraints + num_inputs` points, where
    /// `a`, `b`, `c` interpolate `A·z`, `B·z`, `C·z` (and `a` the inputs
    /// after the constraints): arkworks' libsnark reduction, step for step.
    /// `num_inputs` counts the constant 1.
    pub fn witness_map(
        &self,
        num_inputs: usize,
        num_constraints: usize,
        z: &[Fr],
    ) -> Result<Vec<Fr>, SynthesisError> {
        let domain = GeneralEvaluationDomain::<Fr>::new(num_constraints + num_inputs)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let coset = domain
            .get_coset(Fr::GENERATOR)
            .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        if (0..3).any(|m| self.rows(m) < num_constraints) || z.len() < num_inputs {
            return Err(SynthesisError::Unsatisfiable);
        }
        // Evaluations on the domain, then coefficients, then evaluations on
        // the coset: A and B side by side, then C.
        let on_coset = |m: usize, inputs: bool| {
            let mut v = vec![Fr::zero(); n];
            v[..num_constraints]
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, x)| *x = self.eval(m, i, z));
            if inputs {
                v[num_constraints..num_constraints + num_inputs].copy_from_slice(&z[..num_inputs]);
            }
            domain.ifft_in_place(&mut v);
            coset.fft_in_place(&mut v);
            v
        };
        let ((a, b), c) = rayon::join(
            || rayon::join(|| on_coset(0, true), || on_coset(1, false)),
            || on_coset(2, false),
        );
        let vanishing = domain
            .evaluate_vanishing_polynomial(Fr::GENERATOR)
            .inverse()
            .ok_or(SynthesisError::DivisionByZero)?;
        let mut h: Vec<Fr> = a
            .par_iter()
            .zip(&b)
            .zip(&c)
            .map(|((a, b), c)| (*a * b - c) * vanishing)
            .collect();
        coset.ifft_in_place(&mut h);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groth16::tests::{matrices_and_assignment, RandomCircuit};
    use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};

    /// The same `h` as arkworks' reduction on random circuits, and the
    /// compact form gives the matrices back entry for entry.
    #[test]
    fn same_witness_map_as_arkworks() {
        for circuit in RandomCircuit::shapes() {
            let seed = circuit.seed;
            let (matrices, num_inputs, num_constraints, z) = matrices_and_assignment(circuit);
            let compact = Matrices::from_matrices(&matrices);
            assert_eq!(compact.to_matrices(), matrices);
            let ours = compact
                .witness_map(num_inputs, num_constraints, &z)
                .unwrap();
            let stock = LibsnarkReduction::witness_map_from_matrices::<
                Fr,
                GeneralEvaluationDomain<Fr>,
            >(&matrices, num_inputs, num_constraints, &z)
            .unwrap();
            assert_eq!(ours, stock, "seed {seed}");
            let eval = |row: &[(Fr, usize)]| row.iter().map(|(c, col)| *c * z[*col]).sum::<Fr>();
            for (m, matrix) in matrices.iter().enumerate() {
                for (i, row) in matrix.iter().enumerate() {
                    assert_eq!(compact.eval(m, i, &z), eval(row), "matrix {m} row {i}");
                }
            }
        }
    }

    #[test]
    fn parts_out_of_range_are_refused() {
        let one = Fr::one();
        let good = || {
            (
                vec![one],
                [vec![0, 1], vec![0, 0], vec![0, 1]],
                [vec![(0, 0)], vec![], vec![(1, 0)]],
            )
        };
        let (c, s, e) = good();
        assert!(Matrices::from_parts(c, s, e, 2).is_some());
        // A column past the variables, an index past the table, offsets
        // that do not end at the entry count or decrease.
        let (c, s, e) = good();
        assert!(Matrices::from_parts(c, s, e, 1).is_none());
        let (c, s, mut e) = good();
        e[0][0].1 = 1;
        assert!(Matrices::from_parts(c, s, e, 2).is_none());
        let (c, mut s, e) = good();
        s[1] = vec![0, 1];
        assert!(Matrices::from_parts(c, s, e, 2).is_none());
        let (c, mut s, mut e) = good();
        s[0] = vec![0, 2, 1];
        e[0].push((0, 0));
        assert!(Matrices::from_parts(c, s, e, 2).is_none());
    }
}
