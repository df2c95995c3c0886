//! Streaming conversion of any supported encoding to UTF-8, chunk by chunk.

use std::io::{self, Read};

use encoding_rs::{Decoder, Encoding, UTF_8, WINDOWS_1252};

const CHUNK: usize = 64 * 1024;

/// A `Read` adapter yielding UTF-8 from bytes in `encoding`, in constant memory.
///
/// For UTF-8 input, bytes that are not valid UTF-8 (a Latin-1 line pasted into a UTF-8 file,
/// the usual "mixed encodings" case) are decoded as Windows-1252 instead of becoming U+FFFD,
/// and counted in [`DecodingReader::repaired_bytes`]. Other encodings go through encoding_rs
/// with replacement characters; chunks that needed one are counted in
/// [`DecodingReader::replaced_chunks`]. The input must not start with a BOM (skip it first).
pub struct DecodingReader<R> {
    inner: R,
    utf8: bool,
    decoder: Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    eof: bool,
    out: Vec<u8>,
    out_start: usize,
    bytes_in: u64,
    repaired: u64,
    replaced: u64,
    finished: bool,
}

impl<R: Read> DecodingReader<R> {
    /// Decodes `inner` as `encoding`.
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodingReader {
            inner,
            utf8: encoding == UTF_8,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; CHUNK],
            in_start: 0,
            in_end: 0,
            eof: false,
            out: Vec::with_capacity(CHUNK * 3 + 16),
            out_start: 0,
            bytes_in: 0,
            repaired: 0,
            replaced: 0,
            finished: false,
        }
    }

    /// Raw bytes read from the underlying reader so far (for progress against a file size).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_in
    }

    /// Invalid UTF-8 bytes that were decoded as Windows-1252.
    pub fn repaired_bytes(&self) -> u64 {
        self.repaired
    }

    /// Chunks in which the decoder had to insert U+FFFD.
    pub fn replaced_chunks(&self) -> u64 {
        self.replaced
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.in_start > 0 {
            self.input.copy_within(self.in_start..self.in_end, 0);
            self.in_end -= self.in_start;
            self.in_start = 0;
        }
        while !self.eof && self.in_end < self.input.len() {
            match self.inner.read(&mut self.input[self.in_end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.in_end += n;
                    self.bytes_in += n as u64;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn decode_chunk(&mut self) {
        self.out.clear();
        self.out_start = 0;
        let src = &self.input[self.in_start..self.in_end];
        if self.utf8 {
            let mut pos = 0;
            while pos < src.len() {
                match std::str::from_utf8(&src[pos..]) {
                    Ok(s) => {
                        self.out.extend_from_slice(s.as_bytes());
                        pos = src.len();
                    }
                    Err(e) => {
                        let valid = e.valid_up_to();
                        self.out.extend_from_slice(&src[pos..pos + valid]);
                        pos += valid;
                        let bad = match e.error_len() {
                            Some(n) => n,
                            // Cut by the end of the buffer: wait for more input.
                            None if !self.eof => break,
                            None => src.len() - pos,
                        };
                        let (fixed, _) =
                            WINDOWS_1252.decode_without_bom_handling(&src[pos..pos + bad]);
                        self.out.extend_from_slice(fixed.as_bytes());
                        self.repaired += bad as u64;
                        pos += bad;
                    }
                }
            }
            self.in_start += pos;
        } else {
            let need = self
                .decoder
                .max_utf8_buffer_length(src.len())
                .unwrap_or(src.len() * 3 + 16);
            self.out.resize(need, 0);
            let (_, read, written, replaced) =
                self.decoder.decode_to_utf8(src, &mut self.out, self.eof);
            self.out.truncate(written);
            if replaced {
                self.replaced += 1;
            }
            self.in_start += read;
        }
        if self.eof && self.in_start >= self.in_end {
            self.finished = true;
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out.len() {
                let n = buf.len().min(self.out.len() - self.out_start);
                buf[..n].copy_from_slice(&self.out[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            self.fill()?;
            self.decode_chunk();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], enc: &'static Encoding) -> (String, u64) {
        // A reader that hands out one byte at a time exercises every chunk boundary.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match (self.0.split_first(), buf.is_empty()) {
                    (Some((b, rest)), false) => {
                        buf[0] = *b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let mut r = DecodingReader::new(OneByte(bytes), enc);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        (s, r.repaired_bytes())
    }

    #[test]
    fn utf8_passthrough_and_repair() {
        assert_eq!(decode("Müller €".as_bytes(), UTF_8), ("Müller €".into(), 0));
        assert_eq!(decode(b"M\xFCller", UTF_8), ("Müller".into(), 1));
        assert_eq!(decode(b"ab\xE2\x82", UTF_8).1, 2);
    }

    #[test]
    fn legacy_and_utf16() {
        assert_eq!(decode(b"Jos\xE9", WINDOWS_1252).0, "José");
        assert_eq!(decode(b"a\0\xE9\0", encoding_rs::UTF_16LE).0, "aé");
        assert_eq!(decode(b"\0a\0\xE9", encoding_rs::UTF_16BE).0, "aé");
    }
}
