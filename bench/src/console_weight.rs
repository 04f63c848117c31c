//! The console's weight (docs/SPEC.md §20: all its files together at most 60 KB compressed): each
//! file as served, compressed alone with `gzip -9` (what a server or a CDN would send a browser
//! that accepts gzip), summed.

use std::io::Write;
use std::process::{Command, Stdio};

/// The §20 bar, in bytes (KB of 1,000 bytes, as the other size targets).
pub const MAX_COMPRESSED_BYTES: usize = 60_000;

/// `(raw bytes, gzip -9 bytes)` of every console file as served, summed.
pub fn measure() -> std::io::Result<(usize, usize)> {
    let mut raw = 0;
    let mut compressed = 0;
    for (_, text) in shared::functions::console::served_files() {
        raw += text.len();
        compressed += gzip_len(text.as_bytes())?;
    }
    Ok((raw, compressed))
}

fn gzip_len(bytes: &[u8]) -> std::io::Result<usize> {
    let mut gzip = Command::new("gzip")
        .args(["-9", "-c", "-n"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    gzip.stdin
        .take()
        .ok_or_else(|| std::io::Error::other("gzip has no stdin"))?
        .write_all(bytes)?;
    Ok(gzip.wait_with_output()?.stdout.len())
}
