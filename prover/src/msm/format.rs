//! A table's bytes in a prover-tables file ([`FixedBaseTable::write`],
//! [`FixedBaseTable::read`]): points as their coordinates' Montgomery-form
//! limbs ([`RawPoint`]), so reading one is a copy and a range check.

use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ff::PrimeField;

use super::{windows_for, FixedBaseTable};

/// A point as a tables file stores it: each base-field coordinate as its
/// Montgomery-form limbs (`R = 2^256`), little-endian, and no flags (a table
/// holds no point at infinity). Reading it back is a copy and a range check,
/// where arkworks' canonical encoding would convert every coordinate out of
/// and back into Montgomery form.
pub trait RawPoint: Sized {
    /// Bytes per point.
    const BYTES: usize;
    /// Appends the point's bytes to `out`.
    fn put_raw(&self, out: &mut Vec<u8>);
    /// The point of `bytes` (exactly [`Self::BYTES`] long), or `None` if a
    /// coordinate is not below the field modulus. The curve equation is not
    /// checked: callers authenticate the bytes first.
    fn get_raw(bytes: &[u8]) -> Option<Self>;
}

fn put_fq(x: &ark_bn254::Fq, out: &mut Vec<u8>) {
    for limb in x.0 .0 {
        out.extend_from_slice(&limb.to_le_bytes());
    }
}

fn get_fq(bytes: &[u8]) -> Option<ark_bn254::Fq> {
    let mut limbs = [0u64; 4];
    for (limb, b) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(b.try_into().expect("8 bytes"));
    }
    let mont = ark_ff::BigInt(limbs);
    (mont < ark_bn254::Fq::MODULUS).then(|| ark_bn254::Fq::new_unchecked(mont))
}

impl RawPoint for Affine<ark_bn254::g1::Config> {
    const BYTES: usize = 64;

    fn put_raw(&self, out: &mut Vec<u8>) {
        put_fq(&self.x, out);
        put_fq(&self.y, out);
    }

    fn get_raw(bytes: &[u8]) -> Option<Self> {
        Some(Self::new_unchecked(
            get_fq(&bytes[..32])?,
            get_fq(&bytes[32..64])?,
        ))
    }
}

impl RawPoint for Affine<ark_bn254::g2::Config> {
    const BYTES: usize = 128;

    fn put_raw(&self, out: &mut Vec<u8>) {
        for c in [&self.x.c0, &self.x.c1, &self.y.c0, &self.y.c1] {
            put_fq(c, out);
        }
    }

    fn get_raw(bytes: &[u8]) -> Option<Self> {
        let fq2 = |b: &[u8]| Some(ark_bn254::Fq2::new(get_fq(&b[..32])?, get_fq(&b[32..64])?));
        Some(Self::new_unchecked(
            fq2(&bytes[..64])?,
            fq2(&bytes[64..128])?,
        ))
    }
}

/// Points per read or write when a table streams through a buffer.
const STREAM_POINTS: usize = 4096;

impl<P: SWCurveConfig> FixedBaseTable<P>
where
    Affine<P>: RawPoint,
{
    /// Writes the table, all integers little-endian: window `u32`, base count
    /// `u64`, row count `u64`, the rows (`u32` each), then `rows × W` points
    /// ([`RawPoint`]), row by row.
    pub fn write<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        w.write_all(&self.window.to_le_bytes())?;
        w.write_all(&(self.len as u64).to_le_bytes())?;
        w.write_all(&(self.rows.len() as u64).to_le_bytes())?;
        let rows: Vec<u8> = self.rows.iter().flat_map(|r| r.to_le_bytes()).collect();
        w.write_all(&rows)?;
        let mut buf = Vec::with_capacity(STREAM_POINTS * <Affine<P>>::BYTES);
        for chunk in self.points.chunks(STREAM_POINTS) {
            buf.clear();
            for p in chunk {
                p.put_raw(&mut buf);
            }
            w.write_all(&buf)?;
        }
        Ok(())
    }

    /// Reads a table written by [`Self::write`] for `len` bases. Nothing is
    /// allocated beyond what `len` allows, and coordinates not below the
    /// modulus are refused, but the points are **not** checked to be on the
    /// curve (a table is as large as 20 proving keys): the caller must
    /// authenticate the bytes, as [`crate::groth16::ProverTables::read`] does
    /// with their SHA-256.
    pub fn read<R: std::io::Read>(mut r: R, len: usize) -> Result<Self, TableFormatError> {
        let mut word = [0u8; 8];
        r.read_exact(&mut word[..4])?;
        let window = u32::from_le_bytes(word[..4].try_into().expect("4 bytes"));
        if !(2..=20).contains(&window) {
            return Err(TableFormatError::Shape(format!("window width {window}")));
        }
        let windows = windows_for::<P::ScalarField>(window);
        r.read_exact(&mut word)?;
        let bases = u64::from_le_bytes(word);
        if bases != len as u64 {
            return Err(TableFormatError::Shape(format!(
                "{bases} bases, the key has {len}"
            )));
        }
        r.read_exact(&mut word)?;
        let count = u64::from_le_bytes(word);
        if count > len as u64 {
            return Err(TableFormatError::Shape(format!(
                "{count} rows for {len} bases"
            )));
        }
        let mut raw = vec![0u8; count as usize * 4];
        r.read_exact(&mut raw)?;
        let rows: Vec<u32> = raw
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        if rows.windows(2).any(|p| p[0] >= p[1]) || rows.last().is_some_and(|&i| i as usize >= len)
        {
            return Err(TableFormatError::Shape(
                "rows not increasing base indices".into(),
            ));
        }
        let total = rows.len() * windows;
        let mut points = Vec::with_capacity(total);
        let mut buf = vec![0u8; STREAM_POINTS * <Affine<P>>::BYTES];
        while points.len() < total {
            let n = (total - points.len()).min(STREAM_POINTS);
            let bytes = &mut buf[..n * <Affine<P>>::BYTES];
            r.read_exact(bytes)?;
            for b in bytes.chunks_exact(<Affine<P>>::BYTES) {
                points.push(<Affine<P>>::get_raw(b).ok_or(TableFormatError::NotReduced)?);
            }
        }
        Ok(FixedBaseTable {
            window,
            windows,
            len,
            rows,
            points,
        })
    }
}

/// Why [`FixedBaseTable::read`] refused its input.
#[derive(Debug, thiserror::Error)]
pub enum TableFormatError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("table shape does not fit the key: {0}")]
    Shape(String),
    #[error("a coordinate is not below the field modulus")]
    NotReduced,
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{big, naive_msm};
    use super::*;
    use ark_bn254::{Fr, G1Affine, G2Affine};
    use ark_ff::UniformRand;
    use ark_std::rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// A table written and read back gives the same MSM; a table for another
    /// base count, a truncated one and one with a coordinate not below the
    /// modulus are refused.
    #[test]
    fn table_bytes_round_trip_and_bad_bytes_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let mut g1: Vec<G1Affine> = (0..40).map(|_| G1Affine::rand(&mut rng)).collect();
        g1[7] = G1Affine::identity();
        let g2: Vec<G2Affine> = (0..40).map(|_| G2Affine::rand(&mut rng)).collect();
        let k: Vec<_> = (0..40).map(|_| big(Fr::rand(&mut rng))).collect();

        let t1 = FixedBaseTable::new(&g1, 6);
        let mut bytes = Vec::new();
        t1.write(&mut bytes).unwrap();
        let back = FixedBaseTable::<ark_bn254::g1::Config>::read(&bytes[..], 40).unwrap();
        assert_eq!((back.rows.len(), back.window), (39, 6));
        assert_eq!(back.msm(&k), naive_msm(&g1, &k));

        let t2 = FixedBaseTable::new(&g2, 5);
        let mut bytes2 = Vec::new();
        t2.write(&mut bytes2).unwrap();
        let back = FixedBaseTable::<ark_bn254::g2::Config>::read(&bytes2[..], 40).unwrap();
        assert_eq!(back.msm(&k), naive_msm(&g2, &k));

        let read = |b: &[u8], len| FixedBaseTable::<ark_bn254::g1::Config>::read(b, len);
        assert!(matches!(read(&bytes, 41), Err(TableFormatError::Shape(_))));
        assert!(matches!(
            read(&bytes[..bytes.len() - 1], 40),
            Err(TableFormatError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof
        ));
        // The first point's x set to all ones: above the modulus.
        let first_point = 4 + 8 + 8 + 39 * 4;
        let mut bad = bytes.clone();
        bad[first_point..first_point + 32].fill(0xff);
        assert!(matches!(read(&bad, 40), Err(TableFormatError::NotReduced)));
        // Rows out of order.
        let mut bad = bytes.clone();
        bad[20..24].copy_from_slice(&5u32.to_le_bytes());
        assert!(matches!(read(&bad, 40), Err(TableFormatError::Shape(_))));
    }
}
