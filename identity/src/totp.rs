//! TOTP MFA (RFC 6238): enrolment secrets, code checks with replay protection, QR codes
//! and recovery codes.
//!
//! Time is a parameter: callers pass the Unix time, so tests step the clock instead of
//! sleeping. A code is accepted for the current 30-second step and one step either
//! side; the caller stores the accepted step and passes it back, and any code of that
//! step or earlier is refused, so an observed code cannot be replayed.

use rand::{Rng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECONDS: u64 = 30;
pub const DIGITS: usize = 6;

/// A new random 160-bit seed.
pub fn generate_seed() -> Vec<u8> {
    let mut seed = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    seed
}

/// The seed as base32, as authenticator apps take it.
pub fn seed_base32(seed: &[u8]) -> String {
    Secret::Raw(seed.to_vec()).to_encoded().to_string()
}

/// `otpauth://` URL for the QR code.
pub fn otpauth_url(issuer: &str, account: &str, seed: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        seed_base32(seed),
        enc(issuer)
    )
}

fn totp(seed: &[u8]) -> Option<TOTP> {
    TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, seed.to_vec()).ok()
}

/// The code for a Unix time (used by tests and by the enrolment preview).
pub fn code_at(seed: &[u8], unix: u64) -> Option<String> {
    Some(totp(seed)?.generate(unix))
}

/// Checks `code` at `unix` time; returns the accepted step, or `None`. Steps at or
/// before `last_step` are refused (replay).
pub fn verify(seed: &[u8], code: &str, unix: u64, last_step: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(seed)?;
    let now = i64::try_from(unix / STEP_SECONDS).ok()?;
    let mut accepted = None;
    // Check every candidate step so timing does not reveal which one matched.
    for step in [now - 1, now, now + 1] {
        if step < 0 {
            continue;
        }
        let expected = totp.generate(u64::try_from(step).ok()? * STEP_SECONDS);
        let same: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if same && last_step.is_none_or(|last| step > last) && accepted.is_none() {
            accepted = Some(step);
        }
    }
    accepted
}

/// Ten single-use recovery codes such as `7KQM-4XPD-9WTA`.
pub fn generate_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| {
            let chars: String = (0..12)
                .map(|_| {
                    ALPHABET
                        .get(rng.gen_range(0..ALPHABET.len()))
                        .map_or('2', |b| *b as char)
                })
                .collect();
            format!(
                "{}-{}-{}",
                chars.get(0..4).unwrap_or_default(),
                chars.get(4..8).unwrap_or_default(),
                chars.get(8..12).unwrap_or_default()
            )
        })
        .collect()
}

/// Normalises what a person typed as a recovery code (case, spaces, dashes).
pub fn normalize_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The stored form of a recovery code: SHA-256 of the normalised code. The codes are
/// 60 random bits, so a fast hash is enough and lets a code be found in one query.
pub fn hash_recovery_code(code: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(normalize_recovery_code(code).as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An SVG QR code of `text`, for the enrolment page.
pub fn qr_svg(text: &str) -> Option<String> {
    use qrcodegen::{QrCode, QrCodeEcc};
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let border = 4;
    let size = qr.size() + border * 2;
    let mut path = String::new();
    for y in 0..qr.size() {
        for x in 0..qr.size() {
            if qr.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    Some(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="200" height="200" role="img" aria-label="QR code for the authenticator app"><rect width="100%" height="100%" fill="#fff"/><path d="{path}" fill="#000"/></svg>"##
    ))
}

/// Finds two consecutive codes, as AWS's `EnableMFADevice` and `ResyncMFADevice`
/// take them, within `window` steps of `unix`: returns the second code's step, after
/// `last_step`. Every candidate is compared, so timing tells nothing.
pub fn consecutive(
    seed: &[u8],
    first: &str,
    second: &str,
    unix: u64,
    window: i64,
    last_step: Option<i64>,
) -> Option<i64> {
    let digits = |c: &str| c.len() == DIGITS && c.bytes().all(|b| b.is_ascii_digit());
    let (first, second) = (first.trim(), second.trim());
    if !digits(first) || !digits(second) {
        return None;
    }
    let totp = totp(seed)?;
    let now = i64::try_from(unix / STEP_SECONDS).ok()?;
    let code = |step: i64| -> Option<String> {
        Some(totp.generate(u64::try_from(step).ok()? * STEP_SECONDS))
    };
    let mut found = None;
    for step in (now - window).max(0)..=now + window {
        let (Some(a), Some(b)) = (code(step), code(step + 1)) else {
            continue;
        };
        let same_a: bool = a.as_bytes().ct_eq(first.as_bytes()).into();
        let same_b: bool = b.as_bytes().ct_eq(second.as_bytes()).into();
        if same_a && same_b && last_step.is_none_or(|last| step > last) && found.is_none() {
            found = Some(step + 1);
        }
    }
    found
}

/// A PNG QR code of `text` (AWS's `QRCodePNG`): black modules on white, four
/// pixels each, with the standard four-module quiet zone. Written by hand (stored
/// deflate blocks, CRC-32, Adler-32) to need no image library.
pub fn qr_png(text: &str) -> Option<Vec<u8>> {
    use qrcodegen::{QrCode, QrCodeEcc};
    const SCALE: i32 = 4;
    const BORDER: i32 = 4;
    let qr = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let modules = qr.size() + BORDER * 2;
    let side = u32::try_from(modules * SCALE).ok()?;
    // 8-bit greyscale rows, each behind filter byte 0.
    let mut raw = Vec::with_capacity((side as usize + 1) * side as usize);
    for y in 0..modules * SCALE {
        raw.push(0u8);
        for x in 0..modules * SCALE {
            let dark = qr.get_module(x / SCALE - BORDER, y / SCALE - BORDER);
            raw.push(if dark { 0 } else { 255 });
        }
    }
    let mut zlib = vec![0x78, 0x01];
    let mut blocks = raw.chunks(65_535).peekable();
    while let Some(block) = blocks.next() {
        let len = u16::try_from(block.len()).ok()?;
        zlib.push(u8::from(blocks.peek().is_none()));
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for byte in &raw {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", &ihdr[..]),
        (b"IDAT", &zlib[..]),
        (b"IEND", &[][..]),
    ] {
        png.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(png.get(start..)?);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    Some(png)
}

/// CRC-32 (ISO-HDLC, as PNG chunks use it).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn two_consecutive_codes_in_order_within_the_window() {
        let at = 1_700_000_000u64;
        let step = (at / STEP_SECONDS) as i64;
        let code = |s: i64| code_at(SEED, s as u64 * STEP_SECONDS).unwrap();
        assert_eq!(
            consecutive(SEED, &code(step - 1), &code(step), at, 1, None),
            Some(step)
        );
        // Reversed, repeated or not adjacent: refused.
        assert_eq!(
            consecutive(SEED, &code(step), &code(step - 1), at, 1, None),
            None
        );
        assert_eq!(
            consecutive(SEED, &code(step), &code(step), at, 1, None),
            None
        );
        assert_eq!(
            consecutive(SEED, &code(step - 2), &code(step), at, 3, None),
            None
        );
        // Outside the window, unless the window is wide (a resync).
        assert_eq!(
            consecutive(SEED, &code(step + 9), &code(step + 10), at, 1, None),
            None
        );
        assert_eq!(
            consecutive(SEED, &code(step + 9), &code(step + 10), at, 20, None),
            Some(step + 10)
        );
        // Not at or before the last step used.
        assert_eq!(
            consecutive(SEED, &code(step - 1), &code(step), at, 1, Some(step - 1)),
            None
        );
        assert_eq!(consecutive(SEED, "12345", &code(step), at, 1, None), None);
    }

    #[test]
    fn qr_png_is_a_valid_png() {
        let png = qr_png("otpauth://totp/Portcullis:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let side = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(side % 4, 0);
        assert!(side >= (21 + 8) * 4);
        // Each chunk's CRC covers its type and data.
        let ihdr_crc = u32::from_be_bytes(png[29..33].try_into().unwrap());
        assert_eq!(ihdr_crc, crc32(&png[12..29]));
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert!(png.ends_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]));
    }

    #[test]
    fn rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1, 8 digits truncated to our 6.
        assert_eq!(code_at(SEED, 59).unwrap(), "287082");
        assert_eq!(code_at(SEED, 1_111_111_109).unwrap(), "081804");
        assert_eq!(code_at(SEED, 1_234_567_890).unwrap(), "005924");
    }

    #[test]
    fn one_step_of_skew_and_no_replay() {
        let t = 1_700_000_000u64;
        let code = code_at(SEED, t).unwrap();
        let step = (t / 30) as i64;
        assert_eq!(verify(SEED, &code, t, None), Some(step));
        assert_eq!(verify(SEED, &code, t + 30, None), Some(step));
        assert_eq!(verify(SEED, &code, t - 30, None), Some(step));
        assert_eq!(verify(SEED, &code, t + 60, None), None);
        // The same code again: refused.
        assert_eq!(verify(SEED, &code, t, Some(step)), None);
        // The next step's code is still fine.
        let next = code_at(SEED, t + 30).unwrap();
        assert_eq!(verify(SEED, &next, t + 30, Some(step)), Some(step + 1));
        assert_eq!(verify(SEED, "12345", t, None), None);
        assert_eq!(verify(SEED, "abcdef", t, None), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_normalised() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_eq!(normalize_recovery_code(" 7kqm-4xpd 9wta "), "7KQM4XPD9WTA");
    }

    #[test]
    fn urls_and_qr() {
        let url = otpauth_url("Portcullis", "alice@123456789012", SEED);
        assert!(url.starts_with("otpauth://totp/Portcullis:alice%40123456789012?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ") || url.contains("alice@123456789012"));
        assert!(qr_svg(&url).unwrap().starts_with("<svg"));
    }
}
