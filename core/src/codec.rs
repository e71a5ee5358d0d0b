//! The ledger's canonical binary encoding (see `docs/PROTOCOL.md`, "Ledger").
//!
//! Fixed-width big-endian integers, field elements as their 32-byte canonical
//! big-endian encoding (values `>= p` rejected, never reduced), booleans as one
//! byte 0 or 1, variable-length byte strings as a `u32` big-endian length and the
//! bytes. A reader refuses truncated input, trailing bytes and every value that
//! has a second encoding, so each value has exactly one encoding and
//! `encode(decode(b)) == b` for every `b` that decodes.

use thiserror::Error;
use zkpension_circuits::field::{self, EncodingError, Fr};

/// Why bytes are not a canonical ledger encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("input ends early: {what} needs {need} more bytes at offset {at}")]
    Truncated {
        what: &'static str,
        need: usize,
        at: usize,
    },
    #[error("{0} trailing bytes after the encoded value")]
    TrailingBytes(usize),
    #[error("`{what}` is not a canonical field element: {source}")]
    Field {
        what: &'static str,
        #[source]
        source: EncodingError,
    },
    #[error("`{what}` is a boolean and must be the byte 0 or 1, got {got}")]
    Bool { what: &'static str, got: u8 },
    #[error("`{what}` is {len} bytes long; at most {max} are allowed")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("unsupported encoding version {got} (this node speaks version {expected})")]
    Version { got: u8, expected: u8 },
    #[error("unknown transaction kind {0}")]
    Kind(u8),
    #[error("`{what}` is invalid: {reason}")]
    Invalid { what: &'static str, reason: String },
}

/// Appends canonical encodings to a byte vector.
#[derive(Default, Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Writer { buf: Vec::new() }
    }

    pub fn with_prefix(prefix: &[u8]) -> Self {
        Writer {
            buf: prefix.to_vec(),
        }
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.buf.push(u8::from(v));
        self
    }

    pub fn fr(&mut self, v: &Fr) -> &mut Self {
        self.buf.extend_from_slice(&field::to_bytes(v));
        self
    }

    /// Fixed-size bytes, written as they are (the reader knows the size).
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }

    /// Variable-length bytes: `u32` big-endian length, then the bytes.
    ///
    /// Callers bound the length (every variable field has a maximum far below
    /// `u32::MAX`); a longer slice is a programming error.
    pub fn var_bytes(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).expect("variable-length fields are bounded below 4 GiB");
        self.u32(len);
        self.buf.extend_from_slice(v);
        self
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical encodings from a byte slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, at: 0 }
    }

    pub fn position(&self) -> usize {
        self.at
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.at
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated {
                what,
                need: n - self.remaining(),
                at: self.at,
            });
        }
        let out = &self.buf[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    pub fn bool(&mut self, what: &'static str) -> Result<bool, DecodeError> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            got => Err(DecodeError::Bool { what, got }),
        }
    }

    pub fn fr(&mut self, what: &'static str) -> Result<Fr, DecodeError> {
        let bytes = self.take(field::FIELD_BYTES, what)?;
        field::from_bytes(bytes).map_err(|source| DecodeError::Field { what, source })
    }

    /// Variable-length bytes of at most `max` bytes.
    pub fn var_bytes(&mut self, what: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = self.u32(what)? as usize;
        if len > max {
            return Err(DecodeError::TooLong { what, len, max });
        }
        self.take(len, what)
    }

    /// Succeeds only if every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let mut w = Writer::new();
        w.u8(7)
            .u32(9)
            .u64(u64::MAX)
            .bool(true)
            .fr(&Fr::from(5u64))
            .var_bytes(b"abc");
        let bytes = w.into_bytes();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("a").unwrap(), 7);
        assert_eq!(r.u32("b").unwrap(), 9);
        assert_eq!(r.u64("c").unwrap(), u64::MAX);
        assert!(r.bool("d").unwrap());
        assert_eq!(r.fr("e").unwrap(), Fr::from(5u64));
        assert_eq!(r.var_bytes("f", 3).unwrap(), b"abc");
        r.finish().unwrap();

        // Too long for its bound.
        let mut r = Reader::new(&bytes[bytes.len() - 7..]);
        assert!(matches!(
            r.var_bytes("f", 2),
            Err(DecodeError::TooLong { len: 3, max: 2, .. })
        ));
        // Truncated.
        let mut r = Reader::new(&bytes[..3]);
        assert!(matches!(
            r.u64("x"),
            Err(DecodeError::Truncated { need: 5, .. })
        ));
        // Booleans other than 0/1.
        assert_eq!(
            Reader::new(&[2]).bool("flag"),
            Err(DecodeError::Bool {
                what: "flag",
                got: 2
            })
        );
        // Trailing bytes.
        let mut r = Reader::new(&[1, 2]);
        r.u8("a").unwrap();
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes(1)));
        // p itself is not a field element.
        let p = hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001")
            .unwrap();
        assert!(matches!(
            Reader::new(&p).fr("nf"),
            Err(DecodeError::Field { what: "nf", .. })
        ));
    }
}
